//! Output formatting, separate from the commands: human text, JSON, and docker/podman `--format`
//! Go templates.

pub mod template;

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
    /// Any other `--format`: a Go template.
    Template(Template),
}

impl Format {
    /// Parse a `--format` value.
    pub fn parse(arg: Option<&str>) -> Result<Self, FormatError> {
        match arg.map(str::trim) {
            None | Some("") => Ok(Format::Human),
            Some("json") | Some("{{json .}}") | Some("{{ json . }}") => Ok(Format::Json),
            Some(src) => Ok(Format::Template(Template::parse(&unescape(
                arg.unwrap_or(src),
            ))?)),
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

/// Docker and podman accept `\t` and `\n` written as two characters in `--format`.
fn unescape(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
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
