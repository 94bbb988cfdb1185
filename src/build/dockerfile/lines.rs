//! Physical lines → logical lines: parser directives, comments, continuations and heredoc
//! bodies, as buildkit's `parser.Parse` reads them.

use super::{Heredoc, ParseError, lex};

/// The parser directives seen so far and the escape character they set.
#[derive(Debug)]
pub(super) struct Directives {
    /// `(name, value)` in order, names lowercased.
    pub list: Vec<(String, String)>,
    /// The escape character.
    pub escape: char,
    done: bool,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            list: Vec::new(),
            escape: '\\',
            done: false,
        }
    }
}

impl Directives {
    /// Looks at a (left-trimmed) line while directives are still allowed.
    fn consider(&mut self, line: &str) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        if !matches!(name.as_str(), "escape" | "syntax" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.list.iter().any(|(n, _)| *n == name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        if name == "escape" {
            self.escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                _ => {
                    return Err(format!(
                        "invalid escape token '{value}' does not match ` or \\"
                    ));
                }
            };
        }
        self.list.push((name, value));
        Ok(())
    }
}

/// `# name = value` (buildkit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`).
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('#')?.trim_start_matches(go_space);
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[name_len..]
        .trim_start_matches(go_space)
        .strip_prefix('=')?
        .trim_matches(go_space);
    if value.is_empty() {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.to_string()))
}

/// Go regexp's `\s`.
fn go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// A logical line: an instruction with its continuations joined.
#[derive(Debug)]
pub(super) struct Logical {
    /// 1-based first physical line.
    pub start: usize,
    /// The joined text.
    pub text: String,
}

/// The Dockerfile's physical lines and the reading position.
#[derive(Debug)]
pub(super) struct Source<'a> {
    lines: Vec<&'a str>,
    pos: usize,
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(raw: &str) -> bool {
    trim_newline(raw).trim_start().starts_with('#')
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Source {
            lines: text.split_inclusive('\n').collect(),
            pos: 0,
        }
    }

    /// The number of physical lines read so far.
    pub fn line(&self) -> usize {
        self.pos
    }

    fn next_raw(&mut self) -> Option<&'a str> {
        let l = self.lines.get(self.pos).copied();
        if l.is_some() {
            self.pos += 1;
        }
        l
    }

    /// The next logical line, or `None` at the end.
    pub fn next_logical(&mut self, d: &mut Directives) -> Result<Option<Logical>, ParseError> {
        while let Some(raw) = self.next_raw() {
            let start = self.pos;
            let err = |message: String| ParseError {
                line: start,
                message,
            };
            let token = trim_newline(raw).trim_start();
            d.consider(token).map_err(err)?;
            let token = if token.starts_with('#') { "" } else { token };
            let (mut line, mut end) = trim_continuation(token, d.escape);
            if end && line.is_empty() {
                continue;
            }
            while !end {
                let Some(raw) = self.next_raw() else { break };
                let token = trim_newline(raw);
                d.consider(token).map_err(err)?;
                if is_comment(raw) || token.trim_start().is_empty() {
                    continue;
                }
                let (part, e) = trim_continuation(token, d.escape);
                line.push_str(&part);
                end = e;
            }
            return Ok(Some(Logical { start, text: line }));
        }
        Ok(None)
    }

    /// Reads the bodies of the heredocs named on `line` (after it).
    pub fn read_heredocs(&mut self, line: &Logical) -> Result<Vec<Heredoc>, ParseError> {
        let mut docs = heredocs_in(&line.text).map_err(|message| ParseError {
            line: line.start,
            message,
        })?;
        for doc in &mut docs {
            let mut terminated = false;
            while let Some(raw) = self.next_raw() {
                let candidate = trim_newline(raw);
                let candidate = if doc.chomp {
                    candidate.trim_start_matches('\t')
                } else {
                    candidate
                };
                if candidate == doc.name {
                    terminated = true;
                    break;
                }
                if doc.chomp {
                    doc.content.push_str(raw.trim_start_matches('\t'));
                } else {
                    doc.content.push_str(raw);
                }
            }
            if !terminated {
                return Err(ParseError {
                    line: line.start,
                    message: "unterminated heredoc".into(),
                });
            }
        }
        Ok(docs)
    }
}

/// Removes a trailing escape character (and the blanks after it): `(text, true)` when the line
/// ends there, `(text without the escape, false)` when it continues.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let Some(before) = trimmed.strip_suffix(escape) else {
        return (line.to_string(), true);
    };
    if before.is_empty() || !before.ends_with(escape) {
        return (before.to_string(), false);
    }
    (line.to_string(), true)
}

/// The heredocs named on an instruction line (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`), in order,
/// with empty bodies.
pub(super) fn heredocs_in(line: &str) -> Result<Vec<Heredoc>, String> {
    let none = |_: &str| None;
    let opts = lex::Options {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset: true,
        skip_quotes: false,
    };
    let Ok((_, words)) = lex::process(line, '\\', &none, opts) else {
        return Ok(Vec::new());
    };
    let mut docs = Vec::new();
    for word in words {
        if let Some(doc) = parse_heredoc(&word)? {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// A heredoc word (`^(\d*)<<(-?)([^<]*)$`), or `None` when `word` is not one.
pub(super) fn parse_heredoc(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(rest) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let none = |_: &str| None;
    let plain = lex::Options {
        skip_unset: true,
        ..lex::Options::default()
    };
    let (_, words) = lex::process(rest, '\\', &none, plain)?;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    let raw = lex::Options {
        raw_quotes: true,
        ..plain
    };
    let (_, raw_words) = lex::process(rest, '\\', &none, raw)?;
    let quotes = |s: &str| s.chars().filter(|&c| c == '"' || c == '\'').count();
    let expand = raw_words.first().is_some_and(|r| quotes(r) == quotes(name));
    let fd = if digits > 0 {
        word[..digits].parse().ok()
    } else {
        None
    };
    Ok(Some(Heredoc {
        name: name.clone(),
        content: String::new(),
        expand,
        chomp,
        fd,
    }))
}
