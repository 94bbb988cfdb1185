//! Output formatting, separate from the commands: human text, JSON, and docker/podman `--format`
//! Go templates.

pub mod template;
pub mod time;

use serde::Serialize;
use serde_json::Value;

use template::{Template, TemplateError};

/// Errors about `--format` and output.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The template did not parse or execute.
    #[error("--format: {0}")]
    Template(#[from] TemplateError),
    /// The data could not be encoded.
    #[error("encode output: {0}")]
    Json(#[from] serde_json::Error),
}

/// What `--format` asked for.
#[derive(Debug, Clone)]
pub enum Format {
    /// No `--format`: the command's own human layout.
    Human,
    /// `--format json` (or `{{json .}}`): indented JSON.
    Json,
    /// Any other `--format`: a Go template (possibly a `table` one).
    Template(TableTemplate),
}

impl Format {
    /// Parse a `--format` value.
    pub fn parse(arg: Option<&str>) -> Result<Self, FormatError> {
        match arg.map(str::trim) {
            None | Some("") => Ok(Format::Human),
            Some("json") | Some("{{json .}}") | Some("{{ json . }}") => Ok(Format::Json),
            Some(src) => {
                let src = unescape(arg.unwrap_or(src));
                match src.trim_start().strip_prefix("table") {
                    Some(body) => Ok(Format::Template(TableTemplate::new(body.trim_start())?)),
                    None => Ok(Format::Template(TableTemplate::plain(&src)?)),
                }
            }
        }
    }

    /// Render one value: `human` produces the default layout.
    pub fn render<T: Serialize>(
        &self,
        data: &T,
        human: impl FnOnce(&Value) -> String,
    ) -> Result<String, FormatError> {
        let value = serde_json::to_value(data)?;
        Ok(match self {
            Format::Human => human(&value),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&value)?;
                s.push('\n');
                s
            }
            Format::Template(t) => {
                let mut s = t.execute(&value)?;
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                s
            }
        })
    }
}

impl Format {
    /// `--noheading`: `text` from [`Format::render_list`] without its header line, when it has
    /// one (the default layout, or a `table` template).
    pub fn without_header(&self, text: String) -> String {
        let has_header = match self {
            Format::Human => true,
            Format::Json => false,
            Format::Template(t) => t.table_source().is_some(),
        };
        if !has_header {
            return text;
        }
        text.split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    }

    /// Render values the way `inspect` commands print them: a JSON array (the default), or the
    /// template once per value.
    pub fn render_inspect(&self, values: &[Value]) -> Result<String, FormatError> {
        Ok(match self {
            Format::Human | Format::Json => {
                let mut s = serde_json::to_string_pretty(values)?;
                s.push('\n');
                s
            }
            Format::Template(_) => {
                let mut s = String::new();
                for v in values {
                    s.push_str(&self.render(v, |_| String::new())?);
                }
                s
            }
        })
    }

    /// Render a list the podman way: `json` prints `json_rows` as one JSON array; a template
    /// (or the command's `default_table` when there is no `--format`) is executed per row of
    /// `rows`, with a header line when the template starts with `table`, and tab-separated
    /// cells aligned in columns. `header` names a field's column (podman's labels).
    pub fn render_list(
        &self,
        json_rows: &[Value],
        rows: &[Value],
        default_table: &str,
        header: &dyn Fn(&str) -> String,
    ) -> Result<String, FormatError> {
        let owned;
        let (template, src_table) = match self {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(json_rows)?;
                s.push('\n');
                return Ok(s);
            }
            Format::Human => {
                owned = table_template(default_table)?;
                (&owned, owned.table_source())
            }
            Format::Template(t) => (t, None),
        };
        let mut lines = Vec::new();
        let table_src = match (src_table, self) {
            (Some(src), _) => Some(src.to_string()),
            (None, Format::Template(t)) => t.table_source().map(str::to_string),
            _ => None,
        };
        if let Some(src) = &table_src {
            lines.push(header_line(src, header));
        }
        for r in rows {
            let text = template.execute(r)?;
            lines.extend(
                text.split('\n')
                    .map(str::to_string)
                    .filter(|l| !l.is_empty()),
            );
        }
        if table_src.is_some() || lines.iter().any(|l| l.contains('\t')) {
            Ok(tabulate(&lines))
        } else {
            let mut s = lines.join("\n");
            if !s.is_empty() {
                s.push('\n');
            }
            Ok(s)
        }
    }
}

fn table_template(src: &str) -> Result<TableTemplate, FormatError> {
    TableTemplate::new(src.strip_prefix("table").unwrap_or(src).trim_start())
}

/// The header line of a table template: each action replaced by its field's column name.
fn header_line(src: &str, header: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let action = &rest[start + 2..start + end];
        let field = action
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '-')
            .find(|w| w.starts_with('.') && w.len() > 1)
            .map(|w| {
                w.trim_start_matches('.')
                    .split('.')
                    .next_back()
                    .unwrap_or("")
            });
        if let Some(f) = field {
            out.push_str(&header(f));
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// podman's default column name for a field: CamelCase split into upper-case words.
pub fn default_header(field: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = field.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            out.push(' ');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// A parsed `--format` template and, for `table ...` ones, its source for the header line.
#[derive(Debug, Clone)]
pub struct TableTemplate {
    template: Template,
    table: Option<String>,
}

impl TableTemplate {
    fn new(body: &str) -> Result<Self, FormatError> {
        Ok(TableTemplate {
            template: Template::parse(body)?,
            table: Some(body.to_string()),
        })
    }

    fn plain(src: &str) -> Result<Self, FormatError> {
        Ok(TableTemplate {
            template: Template::parse(src)?,
            table: None,
        })
    }

    /// Execute on one value.
    pub fn execute(&self, v: &Value) -> Result<String, FormatError> {
        Ok(self.template.execute(v)?)
    }

    /// The template text after `table`, if it is a table template.
    pub fn table_source(&self) -> Option<&str> {
        self.table.as_deref()
    }
}

/// Docker and podman accept `\t` and `\n` written as two characters in `--format`; they are
/// turned into a tab and a newline in the template's text, not inside actions (where Go string
/// literals have their own escapes).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let (text, tail) = match rest.find("{{") {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        out.push_str(&text.replace("\\t", "\t").replace("\\n", "\n"));
        if tail.is_empty() {
            return out;
        }
        let end = tail.find("}}").map_or(tail.len(), |e| e + 2);
        out.push_str(&tail[..end]);
        rest = &tail[end..];
    }
}

/// Sizes as podman prints them: 1000-based units with three significant digits, as Go's
/// `%.3g` writes them ("5.87MB", "212kB", "1.5GB", "512B").
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    let mut s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{s}{}", UNITS[u])
}

/// Align tab-separated cells into columns the way Go's tabwriter does with podman's settings
/// (minimum width 12, padding 2); the text after a line's last tab is not padded.
pub fn tabulate(lines: &[String]) -> String {
    const MIN_WIDTH: usize = 12;
    const PADDING: usize = 2;
    let rows: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<usize> = Vec::new();
    for r in &rows {
        for (i, cell) in r.iter().enumerate().take(r.len().saturating_sub(1)) {
            let w = (cell.chars().count() + PADDING).max(MIN_WIDTH);
            if widths.len() <= i {
                widths.push(w);
            } else if widths[i] < w {
                widths[i] = w;
            }
        }
    }
    let mut out = String::new();
    for r in &rows {
        let last = r.len().saturating_sub(1);
        for (i, cell) in r.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// A YAML-shaped rendering of a value for humans (the layout `podman info` prints).
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    yaml_into(&mut out, value, 0);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) if needs_quotes(s) => format!("{s:?}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.contains(": ")
        || s.contains(" #")
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.ends_with(' ')
        || matches!(s, "true" | "false" | "null" | "yes" | "no" | "~")
        || s.parse::<f64>().is_ok()
}

fn yaml_into(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_into(out, v, indent + 2);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_into(out, v, indent);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        yaml_into(&mut inner, item, indent + 2);
                        let body = inner.trim_start();
                        out.push_str(&format!("{pad}- {body}"));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_layout() {
        let v = json!({"host": {"arch": "amd64", "ids": [{"start": 1, "count": 2}], "none": [], "e": ""},
                       "n": 3, "ok": true, "list": ["a", "b: c"]});
        assert_eq!(
            yaml(&v),
            "host:\n  arch: amd64\n  ids:\n  - start: 1\n    count: 2\n  none: []\n  e: \"\"\nn: 3\nok: true\nlist:\n- a\n- \"b: c\"\n"
        );
    }

    #[test]
    fn headers_from_templates() {
        assert_eq!(default_header("CreatedAt"), "CREATED AT");
        assert_eq!(default_header("ID"), "ID");
        assert_eq!(default_header("RepoDigests"), "REPO DIGESTS");
        let h = |f: &str| {
            if f == "ID" {
                "IMAGE ID".to_string()
            } else {
                default_header(f)
            }
        };
        assert_eq!(
            header_line("{{.ID}}\t{{.Repository}}", &h),
            "IMAGE ID\tREPOSITORY"
        );
    }

    #[test]
    fn lists_render_as_tables_or_lines() {
        let rows = vec![
            json!({"ID": "abc", "Tag": "latest"}),
            json!({"ID": "def", "Tag": "1"}),
        ];
        let h = |f: &str| default_header(f);
        let human = Format::Human
            .render_list(&rows, &rows, "table {{.ID}}\t{{.Tag}}", &h)
            .unwrap();
        assert_eq!(
            human,
            "ID          TAG\nabc         latest\ndef         1\n"
        );
        let t = Format::parse(Some("{{.ID}}")).unwrap();
        assert_eq!(t.render_list(&rows, &rows, "", &h).unwrap(), "abc\ndef\n");
        let t = Format::parse(Some("table {{.Tag}}")).unwrap();
        assert_eq!(
            t.render_list(&rows, &rows, "", &h).unwrap(),
            "TAG\nlatest\n1\n"
        );
        let j = Format::Json.render_list(&rows, &[], "", &h).unwrap();
        assert!(j.starts_with("[\n"));
    }

    #[test]
    fn columns_like_go_tabwriter() {
        let t = tabulate(&[
            "REPOSITORY\tTAG\tIMAGE ID".to_string(),
            "docker.io/library/busybox\tlatest\tabc".to_string(),
        ]);
        assert_eq!(
            t,
            "REPOSITORY                 TAG         IMAGE ID\ndocker.io/library/busybox  latest      abc\n"
        );
    }

    #[test]
    fn sizes_like_podman() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(5_868_000), "5.87MB");
        assert_eq!(human_size(212_300), "212kB");
        assert_eq!(human_size(1_500_000_000), "1.5GB");
        assert_eq!(human_size(10_250), "10.2kB");
    }

    #[test]
    fn escapes_only_in_text() {
        assert_eq!(
            unescape("{{.A}}\\t{{printf \"%s\\n\" .B}}\\n"),
            "{{.A}}\t{{printf \"%s\\n\" .B}}\n"
        );
    }

    #[test]
    fn format_kinds() {
        assert!(matches!(Format::parse(None).unwrap(), Format::Human));
        assert!(matches!(Format::parse(Some("json")).unwrap(), Format::Json));
        let f = Format::parse(Some("{{.A}}\\t{{.B}}")).unwrap();
        let out = f
            .render(&json!({"A": 1, "B": "x"}), |_| String::new())
            .unwrap();
        assert_eq!(out, "1\tx\n");
        let out = Format::Json
            .render(&json!({"A": 1}), |_| String::new())
            .unwrap();
        assert_eq!(out, "{\n  \"A\": 1\n}\n");
    }
}
