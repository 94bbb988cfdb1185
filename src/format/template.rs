//! Go `text/template` rendering for docker/podman style `--format` strings.
//!
//! A [`Template`] is parsed once from source text and then executed any
//! number of times against a [`serde_json::Value`] (for example once per row
//! of `ps`).  The language is the one of Go's `text/template` package; the
//! goal is that every template users copy from docker or podman
//! documentation behaves the same here.  Where this module deviates it is
//! said below, and where the behaviour of Go was not obvious the code follows
//! Go and says so in a comment.
//!
//! # Supported
//!
//! * Text and actions `{{ ... }}`, trim markers `{{- ` and ` -}}`, comments
//!   `{{/* ... */}}` (also with trim markers).
//! * Field chains `.A.B`, `.`, map keys on JSON objects, chains on
//!   variables (`$x.A`) and on parenthesised pipelines (`(index . 0).A`).
//! * Variables: `$`, `$x := pipeline`, `$x = pipeline`,
//!   `range $i, $e := pipeline`, with Go's scoping (a variable lives until
//!   the `{{end}}` of the control structure it was declared in).
//! * Pipelines with `|`, parenthesised sub-pipelines, string literals with
//!   Go escapes, raw strings, character constants, integer (decimal, hex,
//!   octal, binary, `_` separators) and float literals, `true`, `false`,
//!   `nil`.
//! * `if` / `else if` / `else`, `with` / `else with` / `else`, `range` (arrays,
//!   objects in sorted key order) with `else`,
//!   `break` and `continue`.  Truthiness is Go's: `false`, `0`, `""`, `null`,
//!   empty arrays and objects are false.
//! * Go builtins: `and`, `or` (short-circuit, returning the deciding value),
//!   `not`, `len`, `index`, `slice`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`,
//!   `print`, `printf`, `println`, `html`, `js`, `urlquery`.
//! * docker/podman extras: `json`, `upper`, `lower`, `title`, `split`,
//!   `join`, `truncate`, `pad` (docker's `pad s prefix suffix`), plus
//!   `contains`, `replace` (`replace s old new n`, `n < 0` means all) and
//!   `trim` (trim white space).
//! * `printf` verbs `%v %s %d %q %x %X %o %O %b %c %U %e %E %f %F %g %G %t %%`
//!   with the flags `-+# 0`, widths and precisions (also `*`), and Go's
//!   error notations (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA ...)`).
//!
//! # Value model and deviations from Go
//!
//! Go templates in docker and podman run over Go structs; here the data is
//! JSON.  Values print like Go's `fmt` `%v` would print the equivalent Go
//! values: strings raw, integral JSON numbers as integers, other numbers in
//! Go's shortest float format (`1.5`, `1e+21`), booleans as `true`/`false`,
//! arrays as `[a b c]`, objects as `map[k1:v1 k2:v2]` with sorted keys, and
//! `null` nested in a collection or passed to `print` as `<nil>`.  An action
//! whose value is `null` (or a missing key) prints `<no value>`, as Go does
//! for a missing key of a map.
//!
//! * A missing object key yields `null` (printed `<no value>`), never an
//!   error: Go's behaviour for maps.  With real podman structs an unknown
//!   field would be an error, but JSON cannot tell the two apart.
//! * Field access on `null` yields `null` (like a nil map in Go); field
//!   access on a string, number, boolean or array is an error.
//! * `len` of `null` is 0, `index` of `null` is `null`, `range` over `null`
//!   runs the `else` branch: this is how the nil slices and maps of the Go
//!   structs behave, and they serialise to `null`.
//! * `index` of a missing key yields `null` (Go: the zero value of the
//!   map's element type, which for JSON-like data is a nil interface).
//! * Numbers compare numerically whether they are integers or floats (Go
//!   refuses to compare an `int` with a `float64`, but JSON does not keep
//!   that distinction reliably); `nil`/`null` compares equal only to `null`.
//!   For the same reason `printf` accepts integral floats for `%d` and
//!   integers for the float verbs.
//! * `json` keeps the key order of the input objects (the order of the
//!   struct fields that produced them) instead of sorting map keys, never
//!   escapes HTML characters (docker and podman disable that too) and has
//!   no trailing newline.
//! * String literals with `\x` or octal escapes must form valid UTF-8, and
//!   `slice` of a string must cut at character boundaries.
//! * `upper`, `lower` and `title` use simple one-to-one case mappings, like
//!   Go; `truncate` counts characters, not bytes.
//! * `%x` of a float is not supported (prints `%!x(float64=...)`), nor are
//!   explicit argument indexes like `%[1]d`; `%#v` only quotes strings.
//!
//! # Not supported
//!
//! `define`, `template` and `block` actions and the `call` function are
//! rejected at parse time with [`TemplateError::Unsupported`], as are
//! complex and hexadecimal floating-point constants.  `range` over an
//! integer (Go 1.22) is an execution error: a large number in the data
//! would otherwise make the loop run away.  The podman `table` prefix and
//! `\t` column alignment are the caller's business.
//!
//! # Errors
//!
//! Parse and execution problems are returned as [`TemplateError`], whose
//! message is a single line naming the position (`line:column`, 1-based,
//! column counted in characters) and, for execution errors, the source text
//! of the failing node, in the spirit of Go's
//! `template: t:1:8: executing "t" at <.Foo>: ...`.  No input, however
//! malformed, makes this module panic; nesting is limited to
//! 100 levels so that deep templates cannot exhaust the stack.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Number, Value};

/// A value during execution: borrowed from the data or the template, or
/// computed by a function.
type Val<'a> = Cow<'a, Value>;

/// The value of a missing key.
static NULL: Value = Value::Null;

/// Maximum nesting of control structures and parentheses.
const MAX_DEPTH: usize = 100;

/// Largest width or precision `printf` honours (Go's limit too), and the
/// largest padding `pad` produces.
const MAX_WIDTH: usize = 1_000_000;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// A parsed template; parse once, execute many times (e.g. once per row of `ps`).
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    root: Vec<Node>,
}

/// An error from parsing or executing a [`Template`].
///
/// `offset` is the byte offset into the template source, `line` and `col`
/// are 1-based (the column counts characters).  The `Display` form is a
/// single line.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template text is malformed.
    #[error("template: {line}:{col}: {msg}")]
    Parse {
        /// Byte offset of the problem in the template.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        col: usize,
        /// What is wrong.
        msg: String,
    },
    /// The template uses a Go template feature this engine does not implement.
    #[error("template: {line}:{col}: {what} is not supported")]
    Unsupported {
        /// Byte offset of the construct in the template.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        col: usize,
        /// The unsupported construct, e.g. `{{define}}`.
        what: String,
    },
    /// Executing the template against the data failed.
    #[error("template: {line}:{col}: executing at <{node}>: {msg}")]
    Exec {
        /// Byte offset of the failing node in the template.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        col: usize,
        /// Source text of the failing node (shortened to 20 characters).
        node: String,
        /// What went wrong.
        msg: String,
    },
}

impl Template {
    /// Parses `src` as a Go text/template.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let toks = Lexer::new(src).run()?;
        let mut parser = Parser {
            src,
            toks,
            i: 0,
            vars: vec!["$".to_string()],
            range_depth: 0,
            depth: 0,
        };
        let root = parser.parse_root()?;
        Ok(Template {
            src: src.to_string(),
            root,
        })
    }

    /// Renders the template with `data` as `.` and `$`.
    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        let mut ex = Exec {
            src: &self.src,
            vars: vec![("$", Cow::Borrowed(data))],
            out: String::with_capacity(self.src.len() + 64),
        };
        let dot: Val<'_> = Cow::Borrowed(data);
        ex.walk(&dot, &self.root)?;
        Ok(ex.out)
    }
}

// ---------------------------------------------------------------------------
// Error helpers
// ---------------------------------------------------------------------------

/// Returns `(line, col)`, both 1-based, of byte `offset` in `src`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(src.len());
    while off > 0 && !src.is_char_boundary(off) {
        off -= 1;
    }
    let before = src.get(..off).unwrap_or("");
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).unwrap_or("").chars().count() + 1;
    (line, col)
}

/// Makes `s` safe for a one-line message.
fn one_line(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(o, "\\u{{{:x}}}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o
}

fn parse_error(src: &str, offset: usize, msg: impl AsRef<str>) -> TemplateError {
    let (line, col) = line_col(src, offset);
    TemplateError::Parse {
        offset,
        line,
        col,
        msg: one_line(msg.as_ref()),
    }
}

fn unsupported(src: &str, offset: usize, what: &str) -> TemplateError {
    let (line, col) = line_col(src, offset);
    TemplateError::Unsupported {
        offset,
        line,
        col,
        what: one_line(what),
    }
}

fn exec_error(src: &str, span: Span, msg: impl AsRef<str>) -> TemplateError {
    let (line, col) = line_col(src, span.start);
    let text = src.get(span.start..span.end).unwrap_or("").trim();
    // Go shortens the node text in error messages to 20 bytes; we count
    // characters.
    let node = if text.chars().count() > 20 {
        let short: String = text.chars().take(20).collect();
        format!("{short}...")
    } else {
        text.to_string()
    };
    TemplateError::Exec {
        offset: span.start,
        line,
        col,
        node: one_line(&node),
        msg: one_line(msg.as_ref()),
    }
}

// ---------------------------------------------------------------------------
// Lexer (after Go's text/template/parse/lex.go)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tk {
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Field,
    Variable,
    Ident,
    Dot,
    Nil,
    Bool,
    Number,
    CharConst,
    Str,
    RawStr,
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    /// Any other printable ASCII character, e.g. `,`.
    Char,
    If,
    Else,
    End,
    Range,
    With,
    Break,
    Continue,
    Define,
    Template,
    Block,
    Eof,
}

impl Tk {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Tk::Dot
                | Tk::Nil
                | Tk::If
                | Tk::Else
                | Tk::End
                | Tk::Range
                | Tk::With
                | Tk::Break
                | Tk::Continue
                | Tk::Define
                | Tk::Template
                | Tk::Block
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Tk,
    start: usize,
    end: usize,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Go's `%#U` rendering of a character, for error messages.
fn rune_desc(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{c}'", u32::from(c))
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    toks: Vec<Tok>,
}

impl<'s> Lexer<'s> {
    fn new(src: &'s str) -> Self {
        Lexer {
            src,
            pos: 0,
            toks: Vec::new(),
        }
    }

    fn err(&self, at: usize, msg: impl AsRef<str>) -> TemplateError {
        parse_error(self.src, at, msg)
    }

    fn push(&mut self, kind: Tk, start: usize, end: usize) {
        self.toks.push(Tok { kind, start, end });
    }

    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Whether a right delimiter starts at `at`; `Some(true)` if it carries
    /// a trim marker (` -}}`).
    fn at_right_delim(&self, at: usize) -> Option<bool> {
        let s = self.src.get(at..)?;
        let b = s.as_bytes();
        if b.len() >= 4
            && matches!(b[0], b' ' | b'\t' | b'\r' | b'\n')
            && b[1] == b'-'
            && b[2] == b'}'
            && b[3] == b'}'
        {
            return Some(true);
        }
        if s.starts_with("}}") {
            Some(false)
        } else {
            None
        }
    }

    fn at_terminator(&self) -> bool {
        match self.peek_char() {
            None => true,
            Some(c) => {
                is_space(c)
                    || matches!(c, '.' | ',' | '|' | ':' | ')' | '(')
                    || self.rest().starts_with("}}")
            }
        }
    }

    fn run(mut self) -> Result<Vec<Tok>, TemplateError> {
        let src = self.src;
        let mut trim_leading = false;
        while self.pos < src.len() {
            let mut start = self.pos;
            if trim_leading {
                let rest = self.rest();
                start += rest.len() - rest.trim_start_matches(is_space).len();
            }
            let text = src.get(start..).unwrap_or("");
            let Some(rel) = text.find("{{") else {
                if start < src.len() {
                    self.push(Tk::Text, start, src.len());
                }
                self.pos = src.len();
                break;
            };
            let delim = start + rel;
            let after = delim + 2;
            let tail = src.get(after..).unwrap_or("").as_bytes();
            let left_trim = tail.len() >= 2
                && tail[0] == b'-'
                && matches!(tail[1], b' ' | b'\t' | b'\r' | b'\n');
            let mut text_end = delim;
            if left_trim {
                let t = src.get(start..delim).unwrap_or("");
                text_end = start + t.trim_end_matches(is_space).len();
            }
            if text_end > start {
                self.push(Tk::Text, start, text_end);
            }
            let inner = if left_trim { after + 2 } else { after };
            if src.get(inner..).unwrap_or("").starts_with("/*") {
                let body = inner + 2;
                let Some(rel) = src.get(body..).unwrap_or("").find("*/") else {
                    return Err(self.err(delim, "unclosed comment"));
                };
                let mut p = body + rel + 2;
                match self.at_right_delim(p) {
                    None => return Err(self.err(delim, "comment ends before closing delimiter")),
                    Some(trim) => {
                        if trim {
                            p += 2;
                        }
                        self.pos = p + 2;
                        trim_leading = trim;
                    }
                }
                continue;
            }
            self.push(Tk::LeftDelim, delim, inner);
            self.pos = inner;
            trim_leading = self.lex_action(delim)?;
        }
        let end = src.len();
        self.push(Tk::Eof, end, end);
        Ok(self.toks)
    }

    /// Lexes the inside of an action up to and including its right
    /// delimiter; returns whether that delimiter trims following space.
    fn lex_action(&mut self, action_start: usize) -> Result<bool, TemplateError> {
        let mut paren_depth = 0usize;
        loop {
            if let Some(trim) = self.at_right_delim(self.pos) {
                if paren_depth != 0 {
                    return Err(self.err(self.pos, "unclosed left paren"));
                }
                let start = self.pos;
                let end = start + if trim { 4 } else { 2 };
                self.push(Tk::RightDelim, start, end);
                self.pos = end;
                return Ok(trim);
            }
            let Some(c) = self.peek_char() else {
                return Err(self.err(action_start, "unclosed action"));
            };
            let start = self.pos;
            match c {
                ' ' | '\t' | '\r' | '\n' => self.lex_space(),
                '=' => {
                    self.pos += 1;
                    self.push(Tk::Assign, start, self.pos);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return Err(self.err(start, "expected :="));
                    }
                    self.pos += 2;
                    self.push(Tk::Declare, start, self.pos);
                }
                '|' => {
                    self.pos += 1;
                    self.push(Tk::Pipe, start, self.pos);
                }
                '"' => self.lex_quoted('"', Tk::Str, "unterminated quoted string")?,
                '\'' => self.lex_quoted('\'', Tk::CharConst, "unterminated character constant")?,
                '`' => {
                    let Some(rel) = self.src.get(start + 1..).unwrap_or("").find('`') else {
                        return Err(self.err(start, "unterminated raw quoted string"));
                    };
                    self.pos = start + 1 + rel + 1;
                    self.push(Tk::RawStr, start, self.pos);
                }
                '$' => self.lex_field_or_variable(Tk::Variable)?,
                '.' => {
                    let next_is_digit = self
                        .src
                        .as_bytes()
                        .get(start + 1)
                        .is_some_and(u8::is_ascii_digit);
                    if next_is_digit {
                        self.lex_number()?;
                    } else {
                        self.lex_field_or_variable(Tk::Field)?;
                    }
                }
                '+' | '-' | '0'..='9' => self.lex_number()?,
                '(' => {
                    paren_depth += 1;
                    self.pos += 1;
                    self.push(Tk::LParen, start, self.pos);
                }
                ')' => {
                    if paren_depth == 0 {
                        return Err(self.err(start, "unexpected right paren"));
                    }
                    paren_depth -= 1;
                    self.pos += 1;
                    self.push(Tk::RParen, start, self.pos);
                }
                c if is_alnum(c) => self.lex_identifier()?,
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.pos += 1;
                    self.push(Tk::Char, start, self.pos);
                }
                c => {
                    return Err(self.err(
                        start,
                        format!("unrecognized character in action: {}", rune_desc(c)),
                    ));
                }
            }
        }
    }

    /// Lexes a run of spaces; like Go, a single space that belongs to a
    /// ` -}}` delimiter is left for the delimiter.
    fn lex_space(&mut self) {
        let start = self.pos;
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_space).len();
        let mut end = start + n;
        if n > 0 && self.at_right_delim(end - 1) == Some(true) {
            end -= 1;
            if n == 1 {
                self.pos = end;
                return;
            }
        }
        self.pos = end;
        self.push(Tk::Space, start, end);
    }

    fn lex_quoted(
        &mut self,
        quote: char,
        kind: Tk,
        unterminated: &str,
    ) -> Result<(), TemplateError> {
        let start = self.pos;
        let body = self.src.get(start + 1..).unwrap_or("");
        let mut it = body.char_indices();
        loop {
            match it.next() {
                Some((_, '\\')) => match it.next() {
                    Some((_, c)) if c != '\n' => {}
                    _ => return Err(self.err(start, unterminated)),
                },
                None | Some((_, '\n')) => return Err(self.err(start, unterminated)),
                Some((i, c)) if c == quote => {
                    self.pos = start + 1 + i + 1;
                    self.push(kind, start, self.pos);
                    return Ok(());
                }
                Some(_) => {}
            }
        }
    }

    fn scan_alnum(&mut self) {
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_alnum).len();
        self.pos += n;
    }

    fn lex_field_or_variable(&mut self, kind: Tk) -> Result<(), TemplateError> {
        let start = self.pos;
        self.pos += 1; // '.' or '$'
        if self.at_terminator() {
            let k = if kind == Tk::Variable {
                Tk::Variable
            } else {
                Tk::Dot
            };
            self.push(k, start, self.pos);
            return Ok(());
        }
        self.scan_alnum();
        if !self.at_terminator() {
            let c = self.peek_char().unwrap_or('\u{FFFD}');
            return Err(self.err(self.pos, format!("bad character {}", rune_desc(c))));
        }
        self.push(kind, start, self.pos);
        Ok(())
    }

    fn lex_identifier(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        self.scan_alnum();
        if !self.at_terminator() {
            let c = self.peek_char().unwrap_or('\u{FFFD}');
            return Err(self.err(self.pos, format!("bad character {}", rune_desc(c))));
        }
        let word = self.src.get(start..self.pos).unwrap_or("");
        let kind = match word {
            "block" => Tk::Block,
            "break" => Tk::Break,
            "continue" => Tk::Continue,
            "define" => Tk::Define,
            "else" => Tk::Else,
            "end" => Tk::End,
            "if" => Tk::If,
            "range" => Tk::Range,
            "nil" => Tk::Nil,
            "template" => Tk::Template,
            "with" => Tk::With,
            "true" | "false" => Tk::Bool,
            _ => Tk::Ident,
        };
        self.push(kind, start, self.pos);
        Ok(())
    }

    fn accept(&mut self, set: &[u8]) -> bool {
        match self.src.as_bytes().get(self.pos) {
            Some(b) if set.contains(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, set: &[u8]) {
        while self.accept(set) {}
    }

    /// Go's `scanNumber`: accepts a superset of the number syntax; the parser
    /// validates the text.
    fn scan_number(&mut self) -> bool {
        self.accept(b"+-");
        let mut digits: &[u8] = b"0123456789_";
        if self.accept(b"0") {
            if self.accept(b"xX") {
                digits = b"0123456789abcdefABCDEF_";
            } else if self.accept(b"oO") {
                digits = b"01234567_";
            } else if self.accept(b"bB") {
                digits = b"01_";
            }
        }
        self.accept_run(digits);
        if self.accept(b".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept(b"eE") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        if digits.len() == 23 && self.accept(b"pP") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        self.accept(b"i");
        if let Some(c) = self.peek_char()
            && is_alnum(c)
        {
            self.pos += c.len_utf8();
            return false;
        }
        true
    }

    fn lex_number(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        if !self.scan_number() {
            let text = self.src.get(start..self.pos).unwrap_or("");
            return Err(self.err(start, format!("bad number syntax: {}", go_quote(text))));
        }
        if matches!(self.peek_char(), Some('+' | '-')) {
            // Complex constant like 1+2i: no spaces, must end in 'i'.
            if !self.scan_number() || !self.src.get(..self.pos).unwrap_or("").ends_with('i') {
                let text = self.src.get(start..self.pos).unwrap_or("");
                return Err(self.err(start, format!("bad number syntax: {}", go_quote(text))));
            }
        }
        self.push(Tk::Number, start, self.pos);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

#[derive(Debug, Clone)]
enum Node {
    /// Literal text, a span of the source.
    Text(Span),
    /// `{{pipeline}}`: printed unless it declares variables.
    Action(Pipe),
    If(Box<Control>),
    With(Box<Control>),
    Range(Box<Control>),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
struct Control {
    pipe: Pipe,
    list: Vec<Node>,
    else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
struct Pipe {
    span: Span,
    /// Declared or assigned variables, with their `$`.
    decl: Vec<String>,
    /// `=` rather than `:=`.
    is_assign: bool,
    cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
struct Cmd {
    span: Span,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
struct Arg {
    span: Span,
    kind: ArgKind,
}

#[derive(Debug, Clone)]
enum ArgKind {
    Dot,
    Nil,
    /// String, number or boolean literal.
    Const(Value),
    /// `.A.B`: field names without dots.
    Field(Vec<String>),
    /// `$x.A.B`: the variable name with `$`, then the fields.
    Variable(String, Vec<String>),
    Func(Func),
    /// Parenthesised pipeline.
    Pipe(Box<Pipe>),
    /// Field chain on another operand: `(pipeline).A`, `func.A`.
    Chain(Box<Arg>, Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Print,
    Printf,
    Println,
    Html,
    Js,
    UrlQuery,
    Json,
    Upper,
    Lower,
    Title,
    Split,
    Join,
    Truncate,
    Contains,
    Replace,
    Trim,
    Pad,
}

const FUNCS: &[(&str, Func)] = &[
    ("and", Func::And),
    ("or", Func::Or),
    ("not", Func::Not),
    ("len", Func::Len),
    ("index", Func::Index),
    ("slice", Func::Slice),
    ("eq", Func::Eq),
    ("ne", Func::Ne),
    ("lt", Func::Lt),
    ("le", Func::Le),
    ("gt", Func::Gt),
    ("ge", Func::Ge),
    ("print", Func::Print),
    ("printf", Func::Printf),
    ("println", Func::Println),
    ("html", Func::Html),
    ("js", Func::Js),
    ("urlquery", Func::UrlQuery),
    ("json", Func::Json),
    ("upper", Func::Upper),
    ("lower", Func::Lower),
    ("title", Func::Title),
    ("split", Func::Split),
    ("join", Func::Join),
    ("truncate", Func::Truncate),
    ("contains", Func::Contains),
    ("replace", Func::Replace),
    ("trim", Func::Trim),
    ("pad", Func::Pad),
];

impl Func {
    fn lookup(name: &str) -> Option<Func> {
        FUNCS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    fn name(self) -> &'static str {
        FUNCS
            .iter()
            .find(|&&(_, f)| f == self)
            .map_or("?", |&(n, _)| n)
    }

    /// Minimum and maximum (None: unbounded) number of arguments.
    fn arity(self) -> (usize, Option<usize>) {
        use Func::*;
        match self {
            And | Or | Index | Slice | Eq | Printf => (1, None),
            Not | Len | Json | Upper | Lower | Title | Trim => (1, Some(1)),
            Ne | Lt | Le | Gt | Ge | Split | Join | Truncate | Contains => (2, Some(2)),
            Pad => (3, Some(3)),
            Replace => (4, Some(4)),
            Print | Println | Html | Js | UrlQuery => (0, None),
        }
    }
}

// ---------------------------------------------------------------------------
// Parser (after Go's text/template/parse/parse.go)
// ---------------------------------------------------------------------------

/// What ended an item list.
enum Stop {
    Eof,
    End(usize),
    Else(usize),
}

/// Result of parsing one action.
enum Act {
    Node(Node),
    End(usize),
    Else(usize),
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Tok>,
    i: usize,
    /// Variables in scope, for the "undefined variable" check.
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    fn err(&self, at: usize, msg: impl AsRef<str>) -> TemplateError {
        parse_error(self.src, at, msg)
    }

    fn tok(&self, i: usize) -> Tok {
        self.toks.get(i).copied().unwrap_or(Tok {
            kind: Tk::Eof,
            start: self.src.len(),
            end: self.src.len(),
        })
    }

    fn text(&self, t: Tok) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn next(&mut self) -> Tok {
        let t = self.tok(self.i);
        self.i += 1;
        t
    }

    fn backup(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    fn peek(&self) -> Tok {
        self.tok(self.i)
    }

    fn next_non_space(&mut self) -> Tok {
        loop {
            let t = self.next();
            if t.kind != Tk::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Tok {
        let t = self.next_non_space();
        self.backup();
        t
    }

    /// Go's rendering of a token in "unexpected" messages.
    fn describe(&self, t: Tok) -> String {
        let text = self.text(t);
        match t.kind {
            Tk::Eof => "EOF".to_string(),
            k if k.is_keyword() => format!("<{text}>"),
            _ if text.chars().count() > 10 => {
                let short: String = text.chars().take(10).collect();
                format!("{}...", go_quote(&short))
            }
            _ => go_quote(text),
        }
    }

    fn unexpected(&self, t: Tok, ctx: &str) -> TemplateError {
        self.err(t.start, format!("unexpected {} in {ctx}", self.describe(t)))
    }

    fn enter(&mut self, at: usize) -> Result<(), TemplateError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                at,
                format!("template nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn parse_root(&mut self) -> Result<Vec<Node>, TemplateError> {
        let (list, stop) = self.item_list()?;
        match stop {
            Stop::Eof => Ok(list),
            Stop::End(at) => Err(self.err(at, "unexpected {{end}}")),
            Stop::Else(at) => Err(self.err(at, "unexpected {{else}}")),
        }
    }

    fn item_list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut list = Vec::new();
        loop {
            let t = self.next_non_space();
            match t.kind {
                Tk::Eof => {
                    self.backup();
                    return Ok((list, Stop::Eof));
                }
                Tk::Text => list.push(Node::Text(Span {
                    start: t.start,
                    end: t.end,
                })),
                Tk::LeftDelim => match self.action()? {
                    Act::Node(n) => list.push(n),
                    Act::End(at) => return Ok((list, Stop::End(at))),
                    Act::Else(at) => return Ok((list, Stop::Else(at))),
                },
                _ => return Err(self.unexpected(t, "input")),
            }
        }
    }

    fn action(&mut self) -> Result<Act, TemplateError> {
        let t = self.next_non_space();
        match t.kind {
            Tk::Define => Err(unsupported(self.src, t.start, "{{define}}")),
            Tk::Template => Err(unsupported(self.src, t.start, "{{template}}")),
            Tk::Block => Err(unsupported(self.src, t.start, "{{block}}")),
            Tk::Break | Tk::Continue => {
                let name = if t.kind == Tk::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let r = self.next_non_space();
                if r.kind != Tk::RightDelim {
                    return Err(self.unexpected(r, name));
                }
                if self.range_depth == 0 {
                    return Err(self.err(t.start, format!("{name} outside {{{{range}}}}")));
                }
                Ok(Act::Node(if t.kind == Tk::Break {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Tk::Else => {
                // "{{else if" and "{{else with" leave the keyword pending; the
                // enclosing control turns them into a nested control.
                let p = self.peek_non_space();
                if p.kind != Tk::If && p.kind != Tk::With {
                    let r = self.next_non_space();
                    if r.kind != Tk::RightDelim {
                        return Err(self.unexpected(r, "else"));
                    }
                }
                Ok(Act::Else(t.start))
            }
            Tk::End => {
                let r = self.next_non_space();
                if r.kind != Tk::RightDelim {
                    return Err(self.unexpected(r, "end"));
                }
                Ok(Act::End(t.start))
            }
            Tk::If => Ok(Act::Node(Node::If(Box::new(self.control("if", t.start)?)))),
            Tk::With => Ok(Act::Node(Node::With(Box::new(
                self.control("with", t.start)?,
            )))),
            Tk::Range => Ok(Act::Node(Node::Range(Box::new(
                self.control("range", t.start)?,
            )))),
            _ => {
                self.backup();
                // Variables declared here persist until the enclosing {{end}}.
                Ok(Act::Node(Node::Action(
                    self.pipeline("command", Tk::RightDelim)?,
                )))
            }
        }
    }

    fn control(&mut self, ctx: &'static str, at: usize) -> Result<Control, TemplateError> {
        self.enter(at)?;
        let mark = self.vars.len();
        let pipe = self.pipeline(ctx, Tk::RightDelim)?;
        if ctx == "range" {
            self.range_depth += 1;
        }
        let (list, stop) = self.item_list()?;
        if ctx == "range" {
            self.range_depth -= 1;
        }
        let else_list = match stop {
            Stop::Eof => {
                return Err(self.err(
                    at,
                    format!("unexpected EOF: {{{{{ctx}}}}} has no matching {{{{end}}}}"),
                ));
            }
            Stop::End(_) => None,
            Stop::Else(else_at) => {
                let p = self.peek_non_space();
                if ctx == "if" && p.kind == Tk::If {
                    // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}.
                    self.next_non_space();
                    Some(vec![Node::If(Box::new(self.control("if", p.start)?))])
                } else if ctx == "with" && p.kind == Tk::With {
                    self.next_non_space();
                    Some(vec![Node::With(Box::new(self.control("with", p.start)?))])
                } else if p.kind == Tk::If || p.kind == Tk::With {
                    return Err(self.err(
                        else_at,
                        format!(
                            "unexpected {} after {{{{else}}}} in {{{{{ctx}}}}}",
                            self.describe(p)
                        ),
                    ));
                } else {
                    let (list, stop) = self.item_list()?;
                    match stop {
                        Stop::End(_) => Some(list),
                        Stop::Else(a) => return Err(self.err(a, "expected end; found {{else}}")),
                        Stop::Eof => {
                            return Err(self.err(
                                at,
                                format!(
                                    "unexpected EOF: {{{{{ctx}}}}} has no matching {{{{end}}}}"
                                ),
                            ));
                        }
                    }
                }
            }
        };
        self.vars.truncate(mark);
        self.depth -= 1;
        Ok(Control {
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, ctx: &'static str, end: Tk) -> Result<Pipe, TemplateError> {
        let start = self.peek_non_space().start;
        let mut decl: Vec<Tok> = Vec::new();
        let mut is_assign = false;
        let save = self.i;
        let v = self.next_non_space();
        if v.kind == Tk::Variable {
            let n = self.next_non_space();
            match n.kind {
                Tk::Declare | Tk::Assign => {
                    is_assign = n.kind == Tk::Assign;
                    decl.push(v);
                }
                Tk::Char if self.text(n) == "," => {
                    if ctx != "range" {
                        return Err(self.err(n.start, format!("too many declarations in {ctx}")));
                    }
                    decl.push(v);
                    let v2 = self.next_non_space();
                    if v2.kind != Tk::Variable {
                        return Err(self.err(v2.start, "range can only initialize variables"));
                    }
                    let n2 = self.next_non_space();
                    match n2.kind {
                        Tk::Declare | Tk::Assign => {
                            is_assign = n2.kind == Tk::Assign;
                            decl.push(v2);
                        }
                        Tk::Char if self.text(n2) == "," => {
                            return Err(self.err(n2.start, "too many declarations in range"));
                        }
                        _ => {
                            return Err(
                                self.err(n2.start, "expected := or = after range variables")
                            );
                        }
                    }
                }
                _ => self.i = save,
            }
        } else {
            self.i = save;
        }

        let mut cmds: Vec<Cmd> = Vec::new();
        let end_at;
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                end_at = t.start;
                break;
            }
            match t.kind {
                Tk::Bool
                | Tk::CharConst
                | Tk::Dot
                | Tk::Field
                | Tk::Ident
                | Tk::Number
                | Tk::Nil
                | Tk::RawStr
                | Tk::Str
                | Tk::Variable
                | Tk::LParen => {
                    self.backup();
                    let (cmd, piped) = self.command()?;
                    cmds.push(cmd);
                    if piped {
                        let p = self.peek_non_space();
                        if p.kind == end {
                            return Err(
                                self.err(p.start, format!("missing command after | in {ctx}"))
                            );
                        }
                    }
                }
                _ => return Err(self.unexpected(t, ctx)),
            }
        }
        if cmds.is_empty() {
            return Err(self.err(end_at, format!("missing value for {ctx}")));
        }
        for (k, c) in cmds.iter().enumerate().skip(1) {
            if let Some(a) = c.args.first()
                && matches!(a.kind, ArgKind::Const(_) | ArgKind::Dot | ArgKind::Nil)
            {
                return Err(self.err(
                    c.span.start,
                    format!("non executable command in pipeline stage {}", k + 1),
                ));
            }
        }
        let mut names = Vec::with_capacity(decl.len());
        for v in decl {
            let name = self.text(v).to_string();
            if is_assign {
                if !self.vars.contains(&name) {
                    return Err(
                        self.err(v.start, format!("undefined variable {}", go_quote(&name)))
                    );
                }
            } else {
                self.vars.push(name.clone());
            }
            names.push(name);
        }
        Ok(Pipe {
            span: Span { start, end: end_at },
            decl: names,
            is_assign,
            cmds,
        })
    }

    /// Parses one command; returns it and whether it ended at a `|`.
    fn command(&mut self) -> Result<(Cmd, bool), TemplateError> {
        let start = self.peek_non_space().start;
        let mut args = Vec::new();
        let (end, piped) = loop {
            self.peek_non_space();
            if let Some(a) = self.operand()? {
                args.push(a);
            }
            let t = self.next();
            match t.kind {
                Tk::Space => continue,
                Tk::RightDelim | Tk::RParen => {
                    self.backup();
                    break (t.start, false);
                }
                Tk::Pipe => break (t.start, true),
                _ => return Err(self.unexpected(t, "operand")),
            }
        };
        if args.is_empty() {
            return Err(self.err(start, "empty command"));
        }
        Ok((
            Cmd {
                span: Span { start, end },
                args,
            },
            piped,
        ))
    }

    fn operand(&mut self) -> Result<Option<Arg>, TemplateError> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Tk::Field {
            return Ok(Some(term));
        }
        let first = self.peek();
        let mut ids = Vec::new();
        let mut end = term.span.end;
        while self.peek().kind == Tk::Field {
            let f = self.next();
            ids.push(self.text(f).get(1..).unwrap_or("").to_string());
            end = f.end;
        }
        let Arg { span: tspan, kind } = term;
        let span = Span {
            start: tspan.start,
            end,
        };
        let kind = match kind {
            ArgKind::Field(mut v) => {
                v.extend(ids);
                ArgKind::Field(v)
            }
            ArgKind::Variable(name, mut v) => {
                v.extend(ids);
                ArgKind::Variable(name, v)
            }
            ArgKind::Const(_) | ArgKind::Nil | ArgKind::Dot => {
                let t = self.src.get(tspan.start..tspan.end).unwrap_or("");
                return Err(self.err(
                    first.start,
                    format!("unexpected . after term {}", go_quote(t)),
                ));
            }
            other => ArgKind::Chain(
                Box::new(Arg {
                    span: tspan,
                    kind: other,
                }),
                ids,
            ),
        };
        Ok(Some(Arg { span, kind }))
    }

    fn term(&mut self) -> Result<Option<Arg>, TemplateError> {
        let t = self.next_non_space();
        let span = Span {
            start: t.start,
            end: t.end,
        };
        let text = self.text(t);
        let kind = match t.kind {
            Tk::Ident => match Func::lookup(text) {
                Some(f) => ArgKind::Func(f),
                None if text == "call" => {
                    return Err(unsupported(self.src, t.start, "the call function"));
                }
                None => {
                    return Err(
                        self.err(t.start, format!("function {} not defined", go_quote(text)))
                    );
                }
            },
            Tk::Dot => ArgKind::Dot,
            Tk::Nil => ArgKind::Nil,
            Tk::Variable => {
                if !self.vars.iter().any(|v| v == text) {
                    return Err(self.err(t.start, format!("undefined variable {}", go_quote(text))));
                }
                ArgKind::Variable(text.to_string(), Vec::new())
            }
            Tk::Field => ArgKind::Field(vec![text.get(1..).unwrap_or("").to_string()]),
            Tk::Bool => ArgKind::Const(Value::Bool(text == "true")),
            Tk::Number => match parse_number(text) {
                Ok(v) => ArgKind::Const(v),
                Err(NumError::Unsupported(what)) => {
                    return Err(unsupported(self.src, t.start, what));
                }
                Err(NumError::Illegal(msg)) => return Err(self.err(t.start, msg)),
            },
            Tk::CharConst => ArgKind::Const(parse_char(text).map_err(|m| self.err(t.start, m))?),
            Tk::Str => {
                let body = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
                let s = unquote(body, '"').map_err(|m| {
                    self.err(t.start, format!("{m} in string literal {}", go_quote(text)))
                })?;
                ArgKind::Const(Value::String(s))
            }
            Tk::RawStr => {
                // Go drops carriage returns from raw strings.
                let body = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
                ArgKind::Const(Value::String(body.replace('\r', "")))
            }
            Tk::LParen => {
                self.enter(t.start)?;
                let pipe = self.pipeline("parenthesized pipeline", Tk::RParen)?;
                self.depth -= 1;
                let close = self.tok(self.i.saturating_sub(1));
                return Ok(Some(Arg {
                    span: Span {
                        start: t.start,
                        end: close.end,
                    },
                    kind: ArgKind::Pipe(Box::new(pipe)),
                }));
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(Arg { span, kind }))
    }
}

// ---------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------

enum NumError {
    Unsupported(&'static str),
    Illegal(String),
}

/// Checks Go's rules for `_` in number literals: only between digits, or
/// right after a base prefix.
fn underscores_ok(digits: &str, after_prefix: bool) -> bool {
    let mut prev_ok = after_prefix; // may an '_' follow?
    let mut last_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if !prev_ok {
                return false;
            }
            prev_ok = false;
            last_underscore = true;
        } else {
            prev_ok = c.is_ascii_alphanumeric();
            last_underscore = false;
        }
    }
    !last_underscore
}

/// Parses a number literal the way Go's template parser and `idealConstant`
/// do: integers (with base prefixes) become ints, anything with `.`, `e` or
/// `E` becomes a float.
fn parse_number(text: &str) -> Result<Value, NumError> {
    let illegal = || NumError::Illegal(format!("illegal number syntax: {}", go_quote(text)));
    if text.ends_with('i') {
        return Err(NumError::Unsupported("complex number constants"));
    }
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or("")),
        Some(b'+') => (false, text.get(1..).unwrap_or("")),
        _ => (false, text),
    };
    let lower2 = body.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits, prefixed) = match lower2.as_deref() {
        Some("0x") => {
            let d = body.get(2..).unwrap_or("");
            if d.contains(['p', 'P', '.']) {
                return Err(NumError::Unsupported(
                    "hexadecimal floating-point constants",
                ));
            }
            (16, d, true)
        }
        Some("0o") => (8, body.get(2..).unwrap_or(""), true),
        Some("0b") => (2, body.get(2..).unwrap_or(""), true),
        _ if body.contains(['.', 'e', 'E']) => {
            let ok = body.char_indices().all(|(i, c)| {
                c != '_'
                    || (i > 0
                        && body.as_bytes().get(i - 1).is_some_and(u8::is_ascii_digit)
                        && body.as_bytes().get(i + 1).is_some_and(u8::is_ascii_digit))
            });
            if !ok {
                return Err(illegal());
            }
            let clean = body.replace('_', "");
            let f: f64 = clean.parse().map_err(|_| illegal())?;
            if !f.is_finite() {
                return Err(illegal());
            }
            return Ok(Value::from(if neg { -f } else { f }));
        }
        _ if body.len() > 1 && body.starts_with('0') => (8, body.get(1..).unwrap_or(""), true),
        _ => (10, body, false),
    };
    if digits.is_empty() || !underscores_ok(digits, prefixed) {
        return Err(illegal());
    }
    let clean = digits.replace('_', "");
    if clean.is_empty() {
        return Err(illegal());
    }
    let mag = u64::from_str_radix(&clean, radix).map_err(|e| {
        if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) {
            NumError::Illegal(format!("integer overflow: {}", go_quote(text)))
        } else {
            illegal()
        }
    })?;
    let value = if neg {
        if mag <= i64::MAX.unsigned_abs() {
            i64::try_from(mag).map_or(i64::MIN, |m| -m)
        } else if mag == i64::MIN.unsigned_abs() {
            i64::MIN
        } else {
            return Err(NumError::Illegal(format!(
                "integer overflow: {}",
                go_quote(text)
            )));
        }
    } else {
        i64::try_from(mag).map_err(|_| NumError::Illegal(format!("{text} overflows int")))?
    };
    Ok(Value::from(value))
}

enum Esc {
    Byte(u8),
    Char(char),
}

fn hex_digits(it: &mut std::str::Chars<'_>, n: usize) -> Result<u32, String> {
    let mut v: u32 = 0;
    for _ in 0..n {
        let d = it
            .next()
            .and_then(|c| c.to_digit(16))
            .ok_or_else(|| "invalid hexadecimal escape".to_string())?;
        v = v.wrapping_mul(16).wrapping_add(d);
    }
    Ok(v)
}

/// Reads one escape sequence after a backslash (Go's `strconv.UnquoteChar`).
fn read_escape(it: &mut std::str::Chars<'_>, quote: char) -> Result<Esc, String> {
    let e = it
        .next()
        .ok_or_else(|| "invalid escape at end of literal".to_string())?;
    let b = match e {
        'a' => 7,
        'b' => 8,
        'f' => 12,
        'n' => b'\n',
        'r' => b'\r',
        't' => b'\t',
        'v' => 11,
        '\\' => b'\\',
        '"' if quote == '"' => b'"',
        '\'' if quote == '\'' => b'\'',
        'x' => {
            let v = hex_digits(it, 2)?;
            u8::try_from(v).map_err(|_| "invalid hexadecimal escape".to_string())?
        }
        '0'..='7' => {
            let mut v = e.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                let d = it
                    .next()
                    .and_then(|c| c.to_digit(8))
                    .ok_or_else(|| "invalid octal escape".to_string())?;
                v = v * 8 + d;
            }
            u8::try_from(v).map_err(|_| "octal escape value > 255".to_string())?
        }
        'u' | 'U' => {
            let v = hex_digits(it, if e == 'u' { 4 } else { 8 })?;
            let c =
                char::from_u32(v).ok_or_else(|| format!("invalid Unicode escape \\{e}{v:x}"))?;
            return Ok(Esc::Char(c));
        }
        _ => return Err(format!("invalid escape sequence \\{e}")),
    };
    Ok(Esc::Byte(b))
}

/// Interprets the body of a double-quoted Go string literal.
fn unquote(body: &str, quote: char) -> Result<String, String> {
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut it = body.chars();
    let mut buf = [0u8; 4];
    while let Some(c) = it.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match read_escape(&mut it, quote)? {
            Esc::Byte(b) => out.push(b),
            Esc::Char(c) => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    String::from_utf8(out).map_err(|_| "invalid UTF-8".to_string())
}

/// Parses a character constant such as `'a'` or `'\n'` to its code point.
fn parse_char(text: &str) -> Result<Value, String> {
    let malformed = || format!("malformed character constant: {text}");
    let body = text
        .get(1..text.len().saturating_sub(1))
        .ok_or_else(malformed)?;
    let mut it = body.chars();
    let code = match it.next() {
        None => return Err(malformed()),
        Some('\\') => match read_escape(&mut it, '\'').map_err(|_| malformed())? {
            Esc::Byte(b) => u32::from(b),
            Esc::Char(c) => u32::from(c),
        },
        Some(c) => u32::from(c),
    };
    if it.next().is_some() {
        return Err(malformed());
    }
    Ok(Value::from(code))
}

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

struct Exec<'a> {
    src: &'a str,
    vars: Vec<(&'a str, Val<'a>)>,
    out: String,
}

impl<'a> Exec<'a> {
    fn err(&self, span: Span, msg: impl AsRef<str>) -> TemplateError {
        exec_error(self.src, span, msg)
    }

    fn walk(&mut self, dot: &Val<'a>, nodes: &'a [Node]) -> Result<Flow, TemplateError> {
        for node in nodes {
            let flow = match node {
                Node::Text(sp) => {
                    self.out
                        .push_str(self.src.get(sp.start..sp.end).unwrap_or(""));
                    Flow::Normal
                }
                Node::Action(pipe) => {
                    let v = self.eval_pipe(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        write_top(&mut self.out, &v);
                    }
                    Flow::Normal
                }
                Node::If(c) => self.walk_if_with(dot, c, false)?,
                Node::With(c) => self.walk_if_with(dot, c, true)?,
                Node::Range(c) => self.walk_range(dot, c)?,
                Node::Break => Flow::Break,
                Node::Continue => Flow::Continue,
            };
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(
        &mut self,
        dot: &Val<'a>,
        c: &'a Control,
        with: bool,
    ) -> Result<Flow, TemplateError> {
        let mark = self.vars.len();
        let val = self.eval_pipe(dot, &c.pipe)?;
        let flow = if truth(&val) {
            if with {
                self.walk(&val, &c.list)?
            } else {
                self.walk(dot, &c.list)?
            }
        } else if let Some(e) = &c.else_list {
            self.walk(dot, e)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Val<'a>, c: &'a Control) -> Result<Flow, TemplateError> {
        let mark = self.vars.len();
        let val = self.eval_cmds(dot, &c.pipe)?;
        let empty = match &*val {
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
            Value::Null => true,
            other => {
                return Err(self.err(
                    c.pipe.span,
                    format!("range can't iterate over {}", display(other)),
                ));
            }
        };
        if empty {
            // Like Go, declared variables hold the whole value here.
            self.apply_decl(&c.pipe, &val)?;
            let flow = match &c.else_list {
                Some(e) => self.walk(dot, e)?,
                None => Flow::Normal,
            };
            self.vars.truncate(mark);
            return Ok(flow);
        }
        if !c.pipe.is_assign {
            for name in &c.pipe.decl {
                self.vars.push((name.as_str(), Cow::Borrowed(&NULL)));
            }
        }
        let inner = self.vars.len();
        let want_index = c.pipe.decl.len() > 1;
        match val {
            Cow::Borrowed(Value::Array(a)) => {
                for (i, e) in a.iter().enumerate() {
                    let idx = want_index.then(|| Cow::Owned(Value::from(i)));
                    if self.range_iter(c, inner, idx, Cow::Borrowed(e))? == Flow::Break {
                        break;
                    }
                }
            }
            Cow::Owned(Value::Array(a)) => {
                for (i, e) in a.into_iter().enumerate() {
                    let idx = want_index.then(|| Cow::Owned(Value::from(i)));
                    if self.range_iter(c, inner, idx, Cow::Owned(e))? == Flow::Break {
                        break;
                    }
                }
            }
            Cow::Borrowed(Value::Object(m)) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|x, y| x.0.cmp(y.0));
                for (k, e) in entries {
                    let idx = want_index.then(|| Cow::Owned(Value::String(k.clone())));
                    if self.range_iter(c, inner, idx, Cow::Borrowed(e))? == Flow::Break {
                        break;
                    }
                }
            }
            Cow::Owned(Value::Object(m)) => {
                let mut entries: Vec<(String, Value)> = m.into_iter().collect();
                entries.sort_by(|x, y| x.0.cmp(&y.0));
                for (k, e) in entries {
                    let idx = want_index.then(|| Cow::Owned(Value::String(k)));
                    if self.range_iter(c, inner, idx, Cow::Owned(e))? == Flow::Break {
                        break;
                    }
                }
            }
            // Checked above: only arrays and objects get here.
            _ => {}
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn range_iter(
        &mut self,
        c: &'a Control,
        inner: usize,
        index: Option<Val<'a>>,
        elem: Val<'a>,
    ) -> Result<Flow, TemplateError> {
        let decl = &c.pipe.decl;
        if !decl.is_empty() {
            let index = index.unwrap_or(Cow::Borrowed(&NULL));
            if c.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0], index, c.pipe.span)?;
                    self.set_var(&decl[1], elem.clone(), c.pipe.span)?;
                } else {
                    self.set_var(&decl[0], elem.clone(), c.pipe.span)?;
                }
            } else {
                // The element is the last declared variable, the index or key
                // the one before it.
                if let Some(slot) = inner.checked_sub(1).and_then(|k| self.vars.get_mut(k)) {
                    slot.1 = elem.clone();
                }
                if decl.len() > 1
                    && let Some(slot) = inner.checked_sub(2).and_then(|k| self.vars.get_mut(k))
                {
                    slot.1 = index;
                }
            }
        }
        let flow = self.walk(&elem, &c.list)?;
        self.vars.truncate(inner);
        Ok(flow)
    }

    fn set_var(&mut self, name: &str, v: Val<'a>, span: Span) -> Result<(), TemplateError> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err(span, format!("undefined variable: {name}"))),
        }
    }

    fn var(&self, name: &str, span: Span) -> Result<&Val<'a>, TemplateError> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| self.err(span, format!("undefined variable: {name}")))
    }

    fn apply_decl(&mut self, pipe: &'a Pipe, val: &Val<'a>) -> Result<(), TemplateError> {
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, val.clone(), pipe.span)?;
            } else {
                self.vars.push((name.as_str(), val.clone()));
            }
        }
        Ok(())
    }

    /// Evaluates the commands of a pipeline, without its declarations.
    fn eval_cmds(&mut self, dot: &Val<'a>, pipe: &'a Pipe) -> Result<Val<'a>, TemplateError> {
        let mut val: Option<Val<'a>> = None;
        for cmd in &pipe.cmds {
            val = Some(self.eval_cmd(dot, cmd, val.take())?);
        }
        Ok(val.unwrap_or(Cow::Borrowed(&NULL)))
    }

    fn eval_pipe(&mut self, dot: &Val<'a>, pipe: &'a Pipe) -> Result<Val<'a>, TemplateError> {
        let val = self.eval_cmds(dot, pipe)?;
        if !pipe.decl.is_empty() {
            self.apply_decl(pipe, &val)?;
        }
        Ok(val)
    }

    fn not_a_function(&self, cmd: &Cmd, fin: &Option<Val<'a>>) -> Result<(), TemplateError> {
        if cmd.args.len() > 1 || fin.is_some() {
            let first = cmd.args.first().map_or(cmd.span, |a| a.span);
            let text = self.src.get(first.start..first.end).unwrap_or("");
            return Err(self.err(
                cmd.span,
                format!("can't give argument to non-function {text}"),
            ));
        }
        Ok(())
    }

    fn no_args_for_field(
        &self,
        cmd: &Cmd,
        fin: &Option<Val<'a>>,
        ids: &[String],
        span: Span,
    ) -> Result<(), TemplateError> {
        if cmd.args.len() > 1 || fin.is_some() {
            let name = ids.last().map_or("", String::as_str);
            return Err(self.err(span, format!("{name} is not a method but has arguments")));
        }
        Ok(())
    }

    fn eval_cmd(
        &mut self,
        dot: &Val<'a>,
        cmd: &'a Cmd,
        fin: Option<Val<'a>>,
    ) -> Result<Val<'a>, TemplateError> {
        let Some(first) = cmd.args.first() else {
            return Err(self.err(cmd.span, "empty command"));
        };
        match &first.kind {
            ArgKind::Field(ids) => {
                self.no_args_for_field(cmd, &fin, ids, first.span)?;
                self.field_chain(dot, ids, first.span)
            }
            ArgKind::Chain(inner, ids) => {
                self.no_args_for_field(cmd, &fin, ids, first.span)?;
                self.eval_chain(dot, inner, ids, first.span)
            }
            ArgKind::Variable(name, ids) => {
                if ids.is_empty() {
                    self.not_a_function(cmd, &fin)?;
                    Ok(self.var(name, first.span)?.clone())
                } else {
                    self.no_args_for_field(cmd, &fin, ids, first.span)?;
                    let v = self.var(name, first.span)?;
                    self.field_chain(v, ids, first.span)
                }
            }
            ArgKind::Func(f) => self.call(dot, *f, cmd.span, cmd.args.get(1..).unwrap_or(&[]), fin),
            ArgKind::Pipe(p) => {
                self.not_a_function(cmd, &fin)?;
                self.eval_pipe(dot, p)
            }
            ArgKind::Dot => {
                self.not_a_function(cmd, &fin)?;
                Ok(dot.clone())
            }
            ArgKind::Nil => {
                self.not_a_function(cmd, &fin)?;
                Err(self.err(first.span, "nil is not a command"))
            }
            ArgKind::Const(v) => {
                self.not_a_function(cmd, &fin)?;
                Ok(Cow::Borrowed(v))
            }
        }
    }

    fn eval_arg(&mut self, dot: &Val<'a>, arg: &'a Arg) -> Result<Val<'a>, TemplateError> {
        match &arg.kind {
            ArgKind::Dot => Ok(dot.clone()),
            ArgKind::Nil => Ok(Cow::Borrowed(&NULL)),
            ArgKind::Const(v) => Ok(Cow::Borrowed(v)),
            ArgKind::Field(ids) => self.field_chain(dot, ids, arg.span),
            ArgKind::Variable(name, ids) => {
                let v = self.var(name, arg.span)?;
                if ids.is_empty() {
                    Ok(v.clone())
                } else {
                    self.field_chain(v, ids, arg.span)
                }
            }
            ArgKind::Pipe(p) => self.eval_pipe(dot, p),
            ArgKind::Func(f) => self.call(dot, *f, arg.span, &[], None),
            ArgKind::Chain(inner, ids) => self.eval_chain(dot, inner, ids, arg.span),
        }
    }

    fn eval_chain(
        &mut self,
        dot: &Val<'a>,
        inner: &'a Arg,
        ids: &[String],
        span: Span,
    ) -> Result<Val<'a>, TemplateError> {
        if matches!(inner.kind, ArgKind::Nil) {
            return Err(self.err(span, "indirection through explicit nil"));
        }
        let v = self.eval_arg(dot, inner)?;
        self.field_chain(&v, ids, span)
    }

    fn field_chain(
        &self,
        recv: &Val<'a>,
        ids: &[String],
        span: Span,
    ) -> Result<Val<'a>, TemplateError> {
        let r = match recv {
            Cow::Borrowed(v) => lookup_path(v, ids).map(Cow::Borrowed),
            Cow::Owned(v) => lookup_path(v, ids).map(|r| Cow::Owned(r.clone())),
        };
        r.map_err(|m| self.err(span, m))
    }

    fn call(
        &mut self,
        dot: &Val<'a>,
        f: Func,
        span: Span,
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> Result<Val<'a>, TemplateError> {
        let n = args.len() + usize::from(fin.is_some());
        let (min, max) = f.arity();
        if n < min || max.is_some_and(|m| n > m) {
            let want = match max {
                Some(m) => m.to_string(),
                None => format!("at least {min}"),
            };
            return Err(self.err(
                span,
                format!("wrong number of args for {}: want {want} got {n}", f.name()),
            ));
        }
        if f == Func::And || f == Func::Or {
            // Go evaluates and/or lazily and returns the deciding argument.
            let want = f == Func::Or;
            let mut last: Option<Val<'a>> = None;
            for a in args {
                let v = self.eval_arg(dot, a)?;
                if truth(&v) == want {
                    return Ok(v);
                }
                last = Some(v);
            }
            return Ok(fin.or(last).unwrap_or(Cow::Borrowed(&NULL)));
        }
        let mut vals: Vec<Val<'a>> = Vec::with_capacity(n);
        for a in args {
            vals.push(self.eval_arg(dot, a)?);
        }
        if let Some(v) = fin {
            vals.push(v);
        }
        apply(f, vals).map_err(|m| self.err(span, format!("error calling {}: {m}", f.name())))
    }
}

/// Follows a chain of field names through objects. Go templates name struct fields (`.Host`)
/// where the JSON of the same data uses lower camel case (`"host"`, as `podman info` prints):
/// a field missing under its own spelling is looked up with its first letter lowered.
fn lookup_path<'v>(mut v: &'v Value, ids: &[String]) -> Result<&'v Value, String> {
    for id in ids {
        v = match v {
            Value::Object(m) => m
                .get(id.as_str())
                .or_else(|| {
                    let mut c = id.chars();
                    let first = c.next()?;
                    first
                        .is_uppercase()
                        .then(|| m.get(&format!("{}{}", first.to_lowercase(), c.as_str())))?
                })
                .unwrap_or(&NULL),
            Value::Null => &NULL,
            other => {
                return Err(format!(
                    "can't evaluate field {id} in type {}",
                    type_name(other)
                ));
            }
        };
    }
    Ok(v)
}

// ---------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------

/// Go's truth: false, 0, "", null and empty collections are false.
fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i != 0,
            (None, Some(u)) => u != 0,
            (None, None) => n.as_f64().is_some_and(|f| f != 0.0),
        },
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// The Go type a JSON value would have, for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int",
        Value::Number(n) if n.is_u64() => "uint64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// `%v` rendering for messages.
fn display(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v);
    s
}

fn expect_str(v: &Value) -> Result<&str, String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Null => Err("invalid value; expected string".to_string()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            type_name(other)
        )),
    }
}

/// An integer argument; integral floats are accepted too.
#[allow(clippy::cast_possible_truncation)]
fn as_int(v: &Value) -> Option<i64> {
    let Value::Number(n) = v else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return None;
    }
    let f = n.as_f64()?;
    // The range check makes the cast exact.
    (f.fract() == 0.0 && (-9.0e18..=9.0e18).contains(&f)).then_some(f as i64)
}

fn expect_int(v: &Value) -> Result<i64, String> {
    as_int(v).ok_or_else(|| match v {
        Value::Null => "invalid value; expected int".to_string(),
        other => format!(
            "wrong type for value; expected int; got {}",
            type_name(other)
        ),
    })
}

/// Go's `indexArg`: an index into something of length `cap`.
fn index_arg(v: &Value, cap: usize) -> Result<usize, String> {
    let x = match v {
        Value::Null => return Err("cannot index slice/array with nil".to_string()),
        Value::Number(n) if n.is_u64() && !n.is_i64() => {
            return Err(format!("index out of range: {n}"));
        }
        other => as_int(other)
            .ok_or_else(|| format!("cannot index slice/array with type {}", type_name(other)))?,
    };
    match usize::try_from(x) {
        Ok(u) if u <= cap => Ok(u),
        _ => Err(format!("index out of range: {x}")),
    }
}

fn index_val<'v>(item: &'v Value, key: &Value) -> Result<Val<'v>, String> {
    match item {
        Value::Array(a) => {
            let i = index_arg(key, a.len())?;
            a.get(i)
                .map(Cow::Borrowed)
                .ok_or_else(|| format!("index out of range: {i}"))
        }
        Value::String(s) => {
            let i = index_arg(key, s.len())?;
            s.as_bytes()
                .get(i)
                .map(|b| Cow::Owned(Value::from(*b)))
                .ok_or_else(|| format!("index out of range: {i}"))
        }
        Value::Object(m) => match key {
            Value::String(k) => Ok(Cow::Borrowed(m.get(k.as_str()).unwrap_or(&NULL))),
            Value::Null => Err("value is nil; should be string".to_string()),
            other => Err(format!(
                "value has type {}; should be string",
                type_name(other)
            )),
        },
        // A nil map or slice in the Go structs becomes null.
        Value::Null => Ok(Cow::Borrowed(&NULL)),
        other => Err(format!("can't index item of type {}", type_name(other))),
    }
}

fn builtin_index<'a>(vals: Vec<Val<'a>>) -> Result<Val<'a>, String> {
    let mut it = vals.into_iter();
    let mut cur = it.next().unwrap_or(Cow::Borrowed(&NULL));
    for key in it {
        cur = match cur {
            Cow::Borrowed(v) => index_val(v, &key)?,
            Cow::Owned(v) => Cow::Owned(index_val(&v, &key)?.into_owned()),
        };
    }
    Ok(cur)
}

fn builtin_slice<'a>(vals: &[Val<'a>]) -> Result<Val<'a>, String> {
    let Some((item, idx)) = vals.split_first() else {
        return Err("missing item to slice".to_string());
    };
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match &**item {
        Value::String(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            s.len()
        }
        Value::Array(a) => a.len(),
        Value::Null => 0,
        other => return Err(format!("can't slice item of type {}", type_name(other))),
    };
    let mut bounds = [0, len, len];
    for (k, v) in idx.iter().enumerate() {
        bounds[k] = index_arg(v, len)?;
    }
    if bounds[0] > bounds[1] {
        return Err(format!(
            "invalid slice index: {} > {}",
            bounds[0], bounds[1]
        ));
    }
    if idx.len() == 3 && bounds[1] > bounds[2] {
        return Err(format!(
            "invalid slice index: {} > {}",
            bounds[1], bounds[2]
        ));
    }
    let (i, j) = (bounds[0], bounds[1]);
    Ok(match &**item {
        Value::String(s) => match s.get(i..j) {
            Some(sub) => Cow::Owned(Value::String(sub.to_string())),
            None => {
                return Err(format!(
                    "slice [{i}:{j}] does not fall on UTF-8 character boundaries"
                ));
            }
        },
        Value::Array(a) => Cow::Owned(Value::Array(a.get(i..j).unwrap_or(&[]).to_vec())),
        _ => Cow::Borrowed(&NULL),
    })
}

/// A number in a comparable form.
#[derive(Clone, Copy)]
enum Num {
    I(i128),
    F(f64),
}

fn num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::I(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::I(i128::from(u))
    } else {
        Num::F(n.as_f64().unwrap_or(f64::NAN))
    }
}

#[allow(clippy::cast_precision_loss)]
fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    match (num(a), num(b)) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::F(y)) => (x as f64).partial_cmp(&y),
        (Num::F(x), Num::I(y)) => x.partial_cmp(&(y as f64)),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
    }
}

/// Go's `eq` for one pair.
fn values_eq(a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(true),
        (Value::Null, _) | (_, Value::Null) => Ok(false),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Number(x), Value::Number(y)) => Ok(num_cmp(x, y) == Some(Ordering::Equal)),
        (Value::String(x), Value::String(y)) => Ok(x == y),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(format!(
                "non-comparable types {}: {}, {}: {}",
                type_name(a),
                display(a),
                type_name(b),
                display(b)
            ))
        }
        _ => Err("incompatible types for comparison".to_string()),
    }
}

/// Go's `lt`.
fn values_lt(a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(num_cmp(x, y) == Some(Ordering::Less)),
        (Value::String(x), Value::String(y)) => Ok(x < y),
        (Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {
            Err("incompatible types for comparison".to_string())
        }
        _ => Err("invalid type for comparison".to_string()),
    }
}

fn apply<'a>(f: Func, vals: Vec<Val<'a>>) -> Result<Val<'a>, String> {
    let arg = |k: usize| -> &Value { vals.get(k).map_or(&NULL, |v| &**v) };
    let boolean = |b: bool| Ok(Cow::Owned(Value::Bool(b)));
    let string = |s: String| Ok(Cow::Owned(Value::String(s)));
    match f {
        // Handled by the caller; kept total for safety.
        Func::And | Func::Or => Ok(vals.into_iter().last().unwrap_or(Cow::Borrowed(&NULL))),
        Func::Not => boolean(!truth(arg(0))),
        Func::Len => match arg(0) {
            Value::String(s) => Ok(Cow::Owned(Value::from(s.len()))),
            Value::Array(a) => Ok(Cow::Owned(Value::from(a.len()))),
            Value::Object(m) => Ok(Cow::Owned(Value::from(m.len()))),
            Value::Null => Ok(Cow::Owned(Value::from(0))),
            other => Err(format!("len of type {}", type_name(other))),
        },
        Func::Index => builtin_index(vals),
        Func::Slice => builtin_slice(&vals),
        Func::Eq => {
            let a = arg(0);
            if vals.len() < 2 {
                return Err("missing argument for comparison".to_string());
            }
            for b in vals.iter().skip(1) {
                if values_eq(a, b)? {
                    return boolean(true);
                }
            }
            boolean(false)
        }
        Func::Ne => boolean(!values_eq(arg(0), arg(1))?),
        Func::Lt => boolean(values_lt(arg(0), arg(1))?),
        Func::Le => boolean(values_lt(arg(0), arg(1))? || values_eq(arg(0), arg(1))?),
        Func::Gt => boolean(!(values_lt(arg(0), arg(1))? || values_eq(arg(0), arg(1))?)),
        Func::Ge => boolean(!values_lt(arg(0), arg(1))?),
        Func::Print | Func::Println | Func::Printf | Func::Html | Func::Js | Func::UrlQuery => {
            let refs: Vec<&Value> = vals.iter().map(|v| &**v).collect();
            let mut out = String::new();
            match f {
                Func::Print => sprint(&mut out, &refs, false),
                Func::Println => sprintln(&mut out, &refs),
                Func::Printf => {
                    let fmt = expect_str(arg(0))?;
                    sprintf(&mut out, fmt, refs.get(1..).unwrap_or(&[]));
                }
                _ => {
                    let mut s = String::new();
                    match refs.as_slice() {
                        [Value::String(one)] => s.push_str(one),
                        _ => sprint(&mut s, &refs, true),
                    }
                    match f {
                        Func::Html => html_escape(&mut out, &s),
                        Func::Js => js_escape(&mut out, &s),
                        _ => query_escape(&mut out, &s),
                    }
                }
            }
            string(out)
        }
        Func::Json => {
            let mut out = String::new();
            write_json(&mut out, arg(0));
            string(out)
        }
        Func::Upper => string(simple_case(expect_str(arg(0))?, true)),
        Func::Lower => string(simple_case(expect_str(arg(0))?, false)),
        Func::Title => string(title(expect_str(arg(0))?)),
        Func::Trim => string(expect_str(arg(0))?.trim().to_string()),
        Func::Split => {
            let s = expect_str(arg(0))?;
            let sep = expect_str(arg(1))?;
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep).map(|p| Value::String(p.to_string())).collect()
            };
            Ok(Cow::Owned(Value::Array(parts)))
        }
        Func::Join => {
            let sep = expect_str(arg(1))?;
            let mut out = String::new();
            match arg(0) {
                Value::Array(a) => {
                    for (k, e) in a.iter().enumerate() {
                        if k > 0 {
                            out.push_str(sep);
                        }
                        write_value(&mut out, e);
                    }
                }
                Value::Null => {}
                other => {
                    return Err(format!(
                        "wrong type for value; expected []string; got {}",
                        type_name(other)
                    ));
                }
            }
            string(out)
        }
        Func::Truncate => {
            let s = expect_str(arg(0))?;
            let n = expect_int(arg(1))?;
            let n = usize::try_from(n).map_err(|_| format!("negative length {n}"))?;
            string(s.chars().take(n).collect())
        }
        Func::Contains => boolean(expect_str(arg(0))?.contains(expect_str(arg(1))?)),
        Func::Replace => {
            let s = expect_str(arg(0))?;
            let old = expect_str(arg(1))?;
            let new = expect_str(arg(2))?;
            let n = expect_int(arg(3))?;
            match usize::try_from(n) {
                Ok(n) => string(s.replacen(old, new, n)),
                Err(_) => string(s.replace(old, new)),
            }
        }
        Func::Pad => {
            let s = expect_str(arg(0))?;
            let pre = expect_int(arg(1))?;
            let post = expect_int(arg(2))?;
            let width = |n: i64| match usize::try_from(n) {
                Ok(u) if u <= MAX_WIDTH => Ok(u),
                _ => Err(format!("invalid pad width {n}")),
            };
            let (pre, post) = (width(pre)?, width(post)?);
            if s.is_empty() {
                return string(String::new());
            }
            string(format!("{}{s}{}", " ".repeat(pre), " ".repeat(post)))
        }
    }
}

/// Go's `unicode.ToUpper`/`ToLower` per character: one-to-one mappings only.
fn simple_case(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_simple_case(&mut out, c, upper);
    }
    out
}

fn push_simple_case(out: &mut String, c: char, upper: bool) {
    if upper {
        let mut m = c.to_uppercase();
        match (m.next(), m.next()) {
            (Some(u), None) => out.push(u),
            _ => out.push(c),
        }
    } else {
        let mut m = c.to_lowercase();
        match (m.next(), m.next()) {
            (Some(l), None) => out.push(l),
            _ => out.push(c),
        }
    }
}

/// Go's `strings.Title`.
fn title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphabetic() || c.is_numeric() {
            return false;
        }
        c.is_whitespace()
    }
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_separator(prev) {
            push_simple_case(&mut out, c, true);
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Go's `template.JSEscapeString`.
fn js_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c if c.is_ascii() || is_print(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
        }
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Value formatting (Go's fmt)
// ---------------------------------------------------------------------------

/// Prints the value of an action: `<no value>` for null, else `%v`.
fn write_top(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        other => write_value(out, other),
    }
}

/// Go's `%v` for the JSON shapes.
fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (k, e) in a.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                write_value(out, e);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            out.push_str("map[");
            for (k, (key, e)) in entries.into_iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_value(out, e);
            }
            out.push(']');
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.is_sign_negative() {
            out.push('-');
        }
        out.push_str(&format_float(f.abs(), 'g', None));
    }
}

/// `fmt.Sprint`: spaces between operands when neither is a string.  With
/// `no_value`, nulls print as `<no value>` (and count as strings), as in
/// the argument handling of Go's `html`, `js` and `urlquery`.
fn sprint(out: &mut String, args: &[&Value], no_value: bool) {
    let mut prev_string = false;
    for (k, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_)) || (no_value && a.is_null());
        if k > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        if no_value && a.is_null() {
            out.push_str("<no value>");
        } else {
            print_arg(out, a, 'v', &Spec::default(), false);
        }
        prev_string = is_string;
    }
}

/// `fmt.Sprintln`.
fn sprintln(out: &mut String, args: &[&Value]) {
    for (k, a) in args.iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        print_arg(out, a, 'v', &Spec::default(), false);
    }
    out.push('\n');
}

#[derive(Debug, Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    sharp_v: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

enum Parsed {
    None,
    Num(usize),
    TooLarge,
}

fn parse_num(b: &[u8], i: &mut usize) -> Parsed {
    let mut n: usize = 0;
    let mut any = false;
    while let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
        if n > MAX_WIDTH {
            return Parsed::TooLarge;
        }
        n = n * 10 + usize::from(d - b'0');
        any = true;
        *i += 1;
    }
    if !any {
        Parsed::None
    } else if n > MAX_WIDTH {
        Parsed::TooLarge
    } else {
        Parsed::Num(n)
    }
}

/// `fmt.Sprintf` for JSON values.
fn sprintf(out: &mut String, format: &str, args: &[&Value]) {
    let b = format.as_bytes();
    let end = b.len();
    let mut i = 0;
    let mut argi = 0;
    while i < end {
        let lasti = i;
        while i < end && b[i] != b'%' {
            i += 1;
        }
        out.push_str(format.get(lasti..i).unwrap_or(""));
        if i >= end {
            break;
        }
        i += 1; // '%'
        let mut sp = Spec::default();
        while i < end {
            match b[i] {
                b'#' => sp.sharp = true,
                b'0' => sp.zero = !sp.minus,
                b'+' => sp.plus = true,
                b'-' => {
                    sp.minus = true;
                    sp.zero = false;
                }
                b' ' => sp.space = true,
                _ => break,
            }
            i += 1;
        }
        // Width.
        if b.get(i) == Some(&b'*') {
            i += 1;
            match args.get(argi).and_then(|v| as_int(v)) {
                Some(n) if n.unsigned_abs() <= MAX_WIDTH as u64 => {
                    if n < 0 {
                        sp.minus = true;
                        sp.zero = false;
                    }
                    sp.width = usize::try_from(n.unsigned_abs()).ok();
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            if argi < args.len() {
                argi += 1;
            }
        } else {
            match parse_num(b, &mut i) {
                Parsed::None => {}
                Parsed::Num(n) => sp.width = Some(n),
                Parsed::TooLarge => i = end,
            }
        }
        // Precision.
        if b.get(i) == Some(&b'.') {
            i += 1;
            if b.get(i) == Some(&b'*') {
                i += 1;
                match args.get(argi).and_then(|v| as_int(v)) {
                    Some(n) if n >= 0 && n.unsigned_abs() <= MAX_WIDTH as u64 => {
                        sp.prec = usize::try_from(n).ok()
                    }
                    _ => out.push_str("%!(BADPREC)"),
                }
                if argi < args.len() {
                    argi += 1;
                }
            } else {
                match parse_num(b, &mut i) {
                    Parsed::None => sp.prec = Some(0),
                    Parsed::Num(n) => sp.prec = Some(n),
                    Parsed::TooLarge => i = end,
                }
            }
        }
        let Some(verb) = format.get(i..).and_then(|s| s.chars().next()) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(v) = args.get(argi) else {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(MISSING)");
            continue;
        };
        argi += 1;
        if verb == 'v' {
            // Go: '#' means Go syntax and '+' struct field names for %v;
            // neither is a flag of the value itself.
            sp.sharp_v = sp.sharp;
            sp.sharp = false;
            sp.plus = false;
        }
        print_arg(out, v, verb, &sp, false);
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, v) in args.iter().skip(argi).enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if v.is_null() {
                out.push_str("<nil>");
            } else {
                out.push_str(type_name(v));
                out.push('=');
                print_arg(out, v, 'v', &Spec::default(), false);
            }
        }
        out.push(')');
    }
}

/// Go's `printArg`/`printValue` for one operand.
fn print_arg(out: &mut String, v: &Value, verb: char, sp: &Spec, nested: bool) {
    match v {
        Value::Null => {
            if nested || verb == 'v' {
                pad(out, "<nil>", sp);
            } else {
                bad_verb(out, v, verb, sp);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, sp),
            _ => bad_verb(out, v, verb, sp),
        },
        Value::Number(n) => print_number(out, v, n, verb, sp),
        Value::String(s) => print_string(out, v, s, verb, sp),
        Value::Array(a) => {
            out.push('[');
            for (k, e) in a.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                print_arg(out, e, verb, sp, true);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            out.push_str("map[");
            for (k, (key, e)) in entries.into_iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                print_string(out, v, key, verb, sp);
                out.push(':');
                print_arg(out, e, verb, sp, true);
            }
            out.push(']');
        }
    }
}

fn bad_verb(out: &mut String, v: &Value, verb: char, sp: &Spec) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if v.is_null() {
        out.push_str("<nil>");
    } else {
        out.push_str(type_name(v));
        out.push('=');
        print_arg(out, v, 'v', sp, false);
    }
    out.push(')');
}

fn print_string(out: &mut String, v: &Value, s: &str, verb: char, sp: &Spec) {
    match verb {
        'v' if sp.sharp_v => {
            let q = go_quote(s);
            pad(out, &q, sp);
        }
        'v' | 's' => match sp.prec {
            Some(p) => {
                let cut = s.char_indices().nth(p).map_or(s.len(), |(k, _)| k);
                pad(out, s.get(..cut).unwrap_or(s), sp);
            }
            None => pad(out, s, sp),
        },
        'q' => {
            let s = match sp.prec {
                Some(p) => s
                    .get(..s.char_indices().nth(p).map_or(s.len(), |(k, _)| k))
                    .unwrap_or(s),
                None => s,
            };
            let q = if sp.sharp && can_backquote(s) {
                format!("`{s}`")
            } else {
                let mut q = String::with_capacity(s.len() + 2);
                quote_into(&mut q, s, '"', sp.plus);
                q
            };
            pad(out, &q, sp);
        }
        'x' | 'X' => {
            let upper = verb == 'X';
            let bytes = s.as_bytes();
            let n = sp.prec.map_or(bytes.len(), |p| p.min(bytes.len()));
            let mut h = String::with_capacity(n * 3);
            for (k, byte) in bytes.iter().take(n).enumerate() {
                if sp.space && k > 0 {
                    h.push(' ');
                }
                if sp.sharp && (sp.space || k == 0) {
                    h.push_str(if upper { "0X" } else { "0x" });
                }
                let _ = if upper {
                    write!(h, "{byte:02X}")
                } else {
                    write!(h, "{byte:02x}")
                };
            }
            pad(out, &h, sp);
        }
        _ => bad_verb(out, v, verb, sp),
    }
}

#[allow(clippy::cast_precision_loss)]
fn print_number(out: &mut String, v: &Value, n: &Number, verb: char, sp: &Spec) {
    let int = match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Some((i < 0, i.unsigned_abs())),
        (None, Some(u)) => Some((false, u)),
        (None, None) => None,
    };
    match int {
        Some((neg, mag)) => match verb {
            'v' | 'd' => fmt_integer(out, neg, mag, 10, false, verb, sp),
            'b' => fmt_integer(out, neg, mag, 2, false, verb, sp),
            'o' | 'O' => fmt_integer(out, neg, mag, 8, false, verb, sp),
            'x' => fmt_integer(out, neg, mag, 16, false, verb, sp),
            'X' => fmt_integer(out, neg, mag, 16, true, verb, sp),
            'c' => {
                let c = char_of(neg, mag);
                let mut buf = [0u8; 4];
                pad(out, c.encode_utf8(&mut buf), sp);
            }
            'q' => {
                let mut q = String::new();
                quote_into(
                    &mut q,
                    char_of(neg, mag).encode_utf8(&mut [0u8; 4]),
                    '\'',
                    sp.plus,
                );
                pad(out, &q, sp);
            }
            'U' => {
                let mut u = String::new();
                if neg {
                    let _ = write!(u, "U+-{mag:04X}");
                } else {
                    let _ = write!(u, "U+{mag:04X}");
                }
                if sp.sharp {
                    let c = char_of(neg, mag);
                    if !neg && u64::from(u32::from(c)) == mag && is_print(c) {
                        let _ = write!(u, " '{c}'");
                    }
                }
                pad(out, &u, sp);
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let f = if neg { -(mag as f64) } else { mag as f64 };
                fmt_float(out, f, verb, sp);
            }
            _ => bad_verb(out, v, verb, sp),
        },
        None => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            match verb {
                'v' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' => fmt_float(out, f, verb, sp),
                'd' => match as_int(v) {
                    Some(i) => fmt_integer(out, i < 0, i.unsigned_abs(), 10, false, verb, sp),
                    None => bad_verb(out, v, verb, sp),
                },
                _ => bad_verb(out, v, verb, sp),
            }
        }
    }
}

fn char_of(neg: bool, mag: u64) -> char {
    if neg {
        return '\u{FFFD}';
    }
    u32::try_from(mag)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

/// Pads `s` to the width, on the left unless `-`, with zeros if `0`.
fn pad(out: &mut String, s: &str, sp: &Spec) {
    let width = sp.width.unwrap_or(0);
    let n = s.chars().count();
    if n >= width {
        out.push_str(s);
        return;
    }
    let fill = if sp.zero { '0' } else { ' ' };
    if sp.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', width - n));
    } else {
        out.extend(std::iter::repeat_n(fill, width - n));
        out.push_str(s);
    }
}

/// Go's `fmtInteger`.
fn fmt_integer(
    out: &mut String,
    neg: bool,
    mag: u64,
    base: u32,
    upper: bool,
    verb: char,
    sp: &Spec,
) {
    let mut prec = 0usize;
    if let Some(p) = sp.prec {
        if p == 0 && mag == 0 {
            let blank = Spec { zero: false, ..*sp };
            pad(out, "", &blank);
            return;
        }
        prec = p;
    } else if sp.zero
        && !sp.minus
        && let Some(w) = sp.width
    {
        prec = w;
        if neg || sp.plus || sp.space {
            prec = prec.saturating_sub(1);
        }
    }
    let digits = match (base, upper) {
        (2, _) => format!("{mag:b}"),
        (8, _) => format!("{mag:o}"),
        (16, false) => format!("{mag:x}"),
        (16, true) => format!("{mag:X}"),
        _ => format!("{mag}"),
    };
    let zeros = prec.saturating_sub(digits.len());
    let mut s = String::with_capacity(digits.len() + zeros + 4);
    if neg {
        s.push('-');
    } else if sp.plus {
        s.push('+');
    } else if sp.space {
        s.push(' ');
    }
    if verb == 'O' {
        s.push_str("0o");
    }
    if sp.sharp {
        match base {
            2 => s.push_str("0b"),
            8 if zeros == 0 && !digits.starts_with('0') => s.push('0'),
            16 => s.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    s.extend(std::iter::repeat_n('0', zeros));
    s.push_str(&digits);
    let no_zero = Spec { zero: false, ..*sp };
    pad(out, &s, &no_zero);
}

/// Go's `fmtFloat` for the verbs v, e, E, f, F, g, G.
fn fmt_float(out: &mut String, f: f64, verb: char, sp: &Spec) {
    let (conv, default_prec) = match verb {
        'v' | 'g' => ('g', None),
        'G' => ('G', None),
        'e' | 'E' => (verb, Some(6)),
        _ => ('f', Some(6)),
    };
    let prec = sp.prec.or(default_prec);
    let num = if f.is_finite() {
        format_float(f.abs(), conv, prec)
    } else if f.is_nan() {
        "NaN".to_string()
    } else {
        "Inf".to_string()
    };
    let sign = if f.is_sign_negative() && !f.is_nan() {
        Some('-')
    } else if sp.plus {
        Some('+')
    } else if sp.space {
        Some(' ')
    } else {
        None
    };
    let len = num.chars().count() + usize::from(sign.is_some());
    match sign {
        Some(c) if sp.zero && !sp.minus && f.is_finite() && sp.width.is_some_and(|w| w > len) => {
            out.push(c);
            out.extend(std::iter::repeat_n('0', sp.width.unwrap_or(0) - len));
            out.push_str(&num);
        }
        Some(c) => {
            let mut s = String::with_capacity(num.len() + 1);
            s.push(c);
            s.push_str(&num);
            pad(out, &s, sp);
        }
        None => pad(out, &num, sp),
    }
}

/// Decimal digits (no leading or trailing zeros) and decimal point
/// position, like Go's `decimalSlice`: the value is `0.d1d2... * 10^dp`.
fn decimal_digits(formatted_exp: &str) -> (Vec<u8>, i64) {
    let (mant, exp) = formatted_exp
        .split_once('e')
        .unwrap_or((formatted_exp, "0"));
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (digits, 0);
    }
    let exp: i64 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Go's `strconv.FormatFloat(abs, conv, prec, 64)` for a finite,
/// non-negative value; `prec == None` is Go's `-1` (shortest).
fn format_float(abs: f64, conv: char, prec: Option<usize>) -> String {
    if conv == 'f' {
        if let Some(p) = prec {
            return format!("{abs:.p$}");
        }
        let (d, dp) = decimal_digits(&format!("{abs:e}"));
        let p = (to_i64(d.len()) - dp).max(0);
        return fmt_f(&d, dp, p);
    }
    let shortest = prec.is_none();
    let (d, dp, mut p) = match (conv, prec) {
        (_, None) => {
            let (d, dp) = decimal_digits(&format!("{abs:e}"));
            let p = if conv == 'e' || conv == 'E' {
                (to_i64(d.len()) - 1).max(0)
            } else {
                to_i64(d.len())
            };
            (d, dp, p)
        }
        ('e' | 'E', Some(p)) => {
            let (d, dp) = decimal_digits(&format!("{abs:.p$e}"));
            (d, dp, to_i64(p))
        }
        (_, Some(p)) => {
            let p = p.max(1);
            let sig = p - 1;
            let (d, dp) = decimal_digits(&format!("{abs:.sig$e}"));
            (d, dp, to_i64(p))
        }
    };
    match conv {
        'e' | 'E' => fmt_e(&d, dp, p, conv),
        _ => {
            let nd = to_i64(d.len());
            let mut eprec = p;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&d, dp, p - 1, if conv == 'G' { 'E' } else { 'e' })
            } else {
                if p > dp {
                    p = nd;
                }
                fmt_f(&d, dp, (p - dp).max(0))
            }
        }
    }
}

/// Go's `fmtE`: `d.ddddde±dd`.
fn fmt_e(d: &[u8], dp: i64, prec: i64, e: char) -> String {
    let mut s = String::new();
    s.push(char::from(d.first().copied().unwrap_or(b'0')));
    if prec > 0 {
        s.push('.');
        let mut i = 1i64;
        let m = to_i64(d.len()).min(prec + 1);
        while i < m {
            s.push(char::from(d[usize::try_from(i).unwrap_or(0)]));
            i += 1;
        }
        while i <= prec {
            s.push('0');
            i += 1;
        }
    }
    s.push(e);
    let exp = if d.is_empty() { 0 } else { dp - 1 };
    s.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        s.push('0');
    }
    let _ = write!(s, "{exp}");
    s
}

/// Go's `fmtF`: `ddddd.ddddd`.
fn fmt_f(d: &[u8], dp: i64, prec: i64) -> String {
    let mut s = String::new();
    if dp > 0 {
        let m = to_i64(d.len()).min(dp);
        for k in 0..m {
            s.push(char::from(d[usize::try_from(k).unwrap_or(0)]));
        }
        for _ in m..dp {
            s.push('0');
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 1..=prec {
            let j = dp + i - 1;
            let c = usize::try_from(j)
                .ok()
                .and_then(|j| d.get(j).copied())
                .unwrap_or(b'0');
            s.push(char::from(c));
        }
    }
    s
}

/// Approximation of Go's `unicode.IsPrint`.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(
        u32::from(c),
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0xD800..=0xDFFF
            | 0xE000..=0xF8FF
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xFFFE..=0xFFFF
            | 0xE0001
            | 0xE0020..=0xE007F
            | 0xF0000..=0x10FFFF
    )
}

fn can_backquote(s: &str) -> bool {
    !s.chars()
        .any(|c| (c < ' ' && c != '\t') || c == '`' || c == '\u{7F}' || c == '\u{FEFF}')
}

/// Go's `strconv.Quote` (quote `"`) and `QuoteRune` (quote `'`), ASCII-only
/// with `ascii`.
fn quote_into(out: &mut String, s: &str, quote: char, ascii: bool) {
    out.push(quote);
    for c in s.chars() {
        if c == quote || c == '\\' {
            out.push('\\');
            out.push(c);
            continue;
        }
        let printable = if ascii {
            c.is_ascii() && is_print(c)
        } else {
            is_print(c)
        };
        if printable {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\u{7}' => write!(out, "\\a"),
            '\u{8}' => write!(out, "\\b"),
            '\u{c}' => write!(out, "\\f"),
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            '\t' => write!(out, "\\t"),
            '\u{b}' => write!(out, "\\v"),
            c if c < ' ' || c == '\u{7f}' => write!(out, "\\x{:02x}", u32::from(c)),
            c if u32::from(c) < 0x10000 => write!(out, "\\u{:04x}", u32::from(c)),
            c => write!(out, "\\U{:08x}", u32::from(c)),
        };
    }
    out.push(quote);
}

fn go_quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    quote_into(&mut q, s, '"', false);
    q
}

// ---------------------------------------------------------------------------
// JSON (Go's encoding/json with SetEscapeHTML(false))
// ---------------------------------------------------------------------------

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                write_json_float(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (k, e) in a.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_json(out, e);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (k, (key, e)) in m.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_json(out, e);
            }
            out.push('}');
        }
    }
}

fn write_json_float(out: &mut String, f: f64) {
    let abs = f.abs();
    let exp_form = abs != 0.0 && !(1e-6..1e21).contains(&abs);
    if f.is_sign_negative() {
        out.push('-');
    }
    if exp_form {
        let mut s = format_float(abs, 'e', None);
        // Go cleans up e-09 to e-9.
        let n = s.len();
        if n >= 4
            && s.as_bytes()[n - 4] == b'e'
            && s.as_bytes()[n - 3] == b'-'
            && s.as_bytes()[n - 2] == b'0'
        {
            s.remove(n - 2);
        }
        out.push_str(&s);
    } else {
        out.push_str(&format_float(abs, 'f', None));
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "ID": "abc123",
            "Names": ["web", "db"],
            "Name": "nginx",
            "Image": "nginx:latest",
            "State": "running",
            "Status": "Up 2 hours",
            "Labels": {"com.example": "yes", "b": "2", "a": "1"},
            "Mounts": [
                {"Source": "/src", "Destination": "/dst"},
                {"Source": "/data", "Destination": "/d"}
            ],
            "Ports": [],
            "Env": {},
            "Size": 1234,
            "Ratio": 0.5,
            "Float": 2.0,
            "Big": 1e21,
            "Neg": -7,
            "Empty": "",
            "Zero": 0,
            "Null": null,
            "True": true,
            "False": false,
            "Nums": [3, 1, 2],
            "Server": {"Version": "1.2.3", "Os": "linux"},
            "lowerCamel": {"inner": "found"},
            "Config": {"Labels": null}
        })
    }

    #[track_caller]
    fn render(t: &str, data: &Value) -> String {
        let tmpl = Template::parse(t).unwrap_or_else(|e| panic!("parse {t:?}: {e}"));
        tmpl.execute(data)
            .unwrap_or_else(|e| panic!("execute {t:?}: {e}"))
    }

    #[track_caller]
    fn r(t: &str) -> String {
        render(t, &sample())
    }

    #[track_caller]
    fn perr(t: &str) -> String {
        match Template::parse(t) {
            Ok(_) => panic!("{t:?} parsed"),
            Err(e) => {
                let s = e.to_string();
                assert!(!s.contains('\n'), "multi-line error {s:?}");
                s
            }
        }
    }

    #[track_caller]
    fn xerr(t: &str) -> String {
        let tmpl = Template::parse(t).unwrap_or_else(|e| panic!("parse {t:?}: {e}"));
        match tmpl.execute(&sample()) {
            Ok(s) => panic!("{t:?} executed to {s:?}"),
            Err(e) => {
                let s = e.to_string();
                assert!(!s.contains('\n'), "multi-line error {s:?}");
                assert!(matches!(e, TemplateError::Exec { .. }), "{e:?}");
                s
            }
        }
    }

    #[track_caller]
    fn check(cases: &[(&str, &str)]) {
        for (t, want) in cases {
            assert_eq!(r(t), *want, "template {t:?}");
        }
    }

    // --- text, actions, trim, comments ---------------------------------

    #[test]
    fn text_only() {
        check(&[
            ("", ""),
            ("hello", "hello"),
            ("a } b { c", "a } b { c"),
            ("{ {", "{ {"),
        ]);
    }

    #[test]
    fn trim_markers() {
        check(&[
            ("a  {{- .Name}}", "anginx"),
            ("{{.Name -}}  \n\t b", "nginxb"),
            ("a \n {{- .Name -}} \n b", "anginxb"),
            ("{{-3}}", "-3"),
            ("{{3 -}} x", "3x"),
            ("{{ .Name }}", "nginx"),
            ("x {{- \n.Name\n -}} y", "xnginxy"),
            ("{{.Name\t-}}\n\ny", "nginxy"),
        ]);
    }

    #[test]
    fn comments() {
        check(&[
            ("a{{/* comment */}}b", "ab"),
            ("a {{- /* comment */ -}} b", "ab"),
            ("a{{/* multi\nline */}}b", "ab"),
            ("a {{- /* c */}} b", "a b"),
            ("{{/* {{.X}} */}}", ""),
        ]);
        assert!(perr("{{/* never closed }}").contains("unclosed comment"));
        assert!(perr("{{/* x */ .Name}}").contains("comment ends before closing delimiter"));
        // A comment must start right after the delimiter, as in Go.
        assert!(perr("{{ /* x */ }}").contains("unexpected"));
    }

    #[test]
    fn newlines_inside_actions() {
        check(&[
            ("{{printf\n\"%s\"\n.Name}}", "nginx"),
            ("{{if\n.True}}y{{end}}", "y"),
        ]);
    }

    // --- fields ------------------------------------------------------------

    #[test]
    fn fields() {
        check(&[
            ("{{.Name}}", "nginx"),
            ("{{.Server.Version}}", "1.2.3"),
            ("{{.Missing}}", "<no value>"),
            ("{{.LowerCamel.Inner}}", "found"),
            ("{{.Server.Missing}}", "<no value>"),
            ("{{.Missing.Deeper}}", "<no value>"),
            ("{{.Null}}", "<no value>"),
            ("{{.Config.Labels.foo}}", "<no value>"),
            ("{{.Size}}", "1234"),
            ("{{.Neg}}", "-7"),
            ("{{.Ratio}}", "0.5"),
            ("{{.Float}}", "2"),
            ("{{.Big}}", "1e+21"),
            ("{{.True}} {{.False}}", "true false"),
            ("{{.Names}}", "[web db]"),
            ("{{.Labels}}", "map[a:1 b:2 com.example:yes]"),
            ("{{.Ports}}", "[]"),
            ("{{.Env}}", "map[]"),
            ("{{.Empty}}|", "|"),
            (
                "{{.Mounts}}",
                "[map[Destination:/dst Source:/src] map[Destination:/d Source:/data]]",
            ),
        ]);
        assert_eq!(render("{{.}}", &json!("x")), "x");
        assert_eq!(render("{{.}}", &json!(null)), "<no value>");
        assert_eq!(render("{{.}}", &json!([1, null, "a"])), "[1 <nil> a]");
        assert_eq!(render("{{.a}}", &json!({"a": {"b": null}})), "map[b:<nil>]");
        assert_eq!(
            render("{{.x}}", &json!({"x": 0.30000000000000004})),
            "0.30000000000000004"
        );
        assert_eq!(render("{{.x}}", &json!({"x": 1234567.0})), "1.234567e+06");
        assert_eq!(render("{{.x}}", &json!({"x": 123456.0})), "123456");
        assert_eq!(render("{{.x}}", &json!({"x": 0.0001})), "0.0001");
        assert_eq!(render("{{.x}}", &json!({"x": 0.00001})), "1e-05");
        assert_eq!(
            render("{{.x}}", &json!({"x": u64::MAX})),
            "18446744073709551615"
        );
        assert_eq!(render("{{.x}}", &json!({"x": -0.0})), "-0");
        assert_eq!(render("{{.ünï}}", &json!({"ünï": "code"})), "code");
    }

    #[test]
    fn field_errors() {
        let e = xerr("{{.Name.Foo}}");
        assert_eq!(
            e,
            "template: 1:3: executing at <.Name.Foo>: can't evaluate field Foo in type string"
        );
        assert!(
            xerr("{{.Names.First}}").contains("can't evaluate field First in type []interface {}")
        );
        assert!(xerr("{{.Size.X}}").contains("in type int"));
        assert!(xerr("{{.Name 1}}").contains("Name is not a method but has arguments"));
        assert!(xerr("{{1 | .Name}}").contains("is not a method but has arguments"));
        assert!(perr("{{.Foo-bar}}").contains("bad character U+002D '-'"));
        assert!(perr("{{\"x\".Foo}}").contains("unexpected . after term"));
        assert!(perr("{{..Foo}}").contains("unexpected . after term"));
    }

    #[test]
    fn chains() {
        check(&[
            ("{{(index .Mounts 1).Source}}", "/data"),
            ("{{(.Server).Version}}", "1.2.3"),
            ("{{$m := index .Mounts 0}}{{$m.Destination}}", "/dst"),
            ("{{$.Server.Os}}", "linux"),
            ("{{with .Server}}{{$.Name}}/{{.Os}}{{end}}", "nginx/linux"),
        ]);
        assert!(xerr("{{(nil).X}}").contains("nil is not a command"));
        assert!(perr("{{nil.X}}").contains("unexpected . after term \"nil\""));
    }

    // --- variables -----------------------------------------------------------

    #[test]
    fn variables() {
        check(&[
            ("{{$x := .Name}}{{$x}}", "nginx"),
            ("{{$x := 1}}{{$x = 2}}{{$x}}", "2"),
            ("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"),
            ("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "21"),
            ("{{$}}", &r("{{.}}")),
            (
                "{{range .Names}}{{$.ID}}:{{.}} {{end}}",
                "abc123:web abc123:db ",
            ),
            ("{{$x := .Names}}{{range $x}}{{.}}{{end}}", "webdb"),
            ("{{with $x := .Server}}{{$x.Version}}{{end}}", "1.2.3"),
            ("{{if $x := .Name}}{{$x}}{{end}}", "nginx"),
            ("{{print ($x := 5) $x}}", "5 5"),
        ]);
        assert!(perr("{{$y}}").contains("undefined variable \"$y\""));
        assert!(perr("{{if true}}{{$y := 1}}{{end}}{{$y}}").contains("undefined variable"));
        assert!(perr("{{$y = 1}}").contains("undefined variable"));
        assert!(perr("{{$a, $b := .Names}}").contains("too many declarations in command"));
        assert!(perr("{{$x=1}}").contains("bad character U+003D '='"));
        assert!(perr("{{$x : 1}}").contains("expected :="));
        // Declaring does not print.
        assert_eq!(r("a{{$x := 1}}b"), "ab");
    }

    // --- literals ------------------------------------------------------------

    #[test]
    fn literals() {
        check(&[
            (r#"{{"a\tb\n\x41\u00e9\101\\\""}}"#, "a\tb\nAé\u{41}\\\""),
            (r#"{{"\U0001F600"}}"#, "😀"),
            ("{{`raw \\n \"x\"`}}", "raw \\n \"x\""),
            ("{{`a\r\nb`}}", "a\nb"),
            ("{{'a'}}", "97"),
            (r"{{'\n'}}", "10"),
            (r"{{'\''}}", "39"),
            ("{{'é'}}", "233"),
            (
                "{{0x10}} {{0X1f}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{0x_ff}}",
                "16 31 15 15 5 1000 255",
            ),
            (
                "{{1.5}} {{1e3}} {{-3}} {{+4}} {{.5}} {{1.}} {{2.50}} {{1_0.5}}",
                "1.5 1000 -3 4 0.5 1 2.5 10.5",
            ),
            ("{{-9223372036854775808}}", "-9223372036854775808"),
            ("{{true}} {{false}}", "true false"),
            ("{{print nil}}", "<nil>"),
        ]);
        assert!(perr("{{1abc}}").contains("bad number syntax: \"1a\""));
        assert!(perr("{{0x}}").contains("illegal number syntax"));
        assert!(perr("{{08}}").contains("illegal number syntax"));
        assert!(perr("{{1__0}}").contains("illegal number syntax"));
        assert!(perr("{{1e999}}").contains("illegal number syntax"));
        assert!(perr("{{99999999999999999999}}").contains("integer overflow"));
        assert!(perr("{{9223372036854775808}}").contains("overflows int"));
        assert!(matches!(
            Template::parse("{{1i}}"),
            Err(TemplateError::Unsupported { .. })
        ));
        assert!(matches!(
            Template::parse("{{1+2i}}"),
            Err(TemplateError::Unsupported { .. })
        ));
        assert!(matches!(
            Template::parse("{{0x1p4}}"),
            Err(TemplateError::Unsupported { .. })
        ));
        assert!(perr("{{\"abc}}").contains("unterminated quoted string"));
        assert!(perr("{{\"a\nb\"}}").contains("unterminated quoted string"));
        assert!(perr("{{`abc}}").contains("unterminated raw quoted string"));
        assert!(perr("{{'a}}").contains("unterminated character constant"));
        assert!(perr("{{'ab'}}").contains("malformed character constant"));
        assert!(perr("{{''}}").contains("malformed character constant"));
        assert!(perr(r#"{{"\q"}}"#).contains("invalid escape sequence"));
        assert!(perr(r#"{{"\xff"}}"#).contains("invalid UTF-8"));
        assert!(perr(r#"{{"\400"}}"#).contains("octal escape value > 255"));
        assert!(perr(r#"{{"\ud800"}}"#).contains("invalid Unicode escape"));
        assert!(perr(r#"{{"\'"}}"#).contains("invalid escape"));
        assert!(xerr("{{nil}}").contains("nil is not a command"));
        assert!(xerr("{{1 2}}").contains("can't give argument to non-function 1"));
        assert!(xerr("{{\"a\" \"b\"}}").contains("can't give argument to non-function"));
        assert!(xerr("{{. 1}}").contains("can't give argument to non-function ."));
    }

    // --- pipelines -------------------------------------------------------------

    #[test]
    fn pipelines() {
        check(&[
            ("{{.Name | printf \"%s!\"}}", "nginx!"),
            ("{{.Name | printf \"%s-%s\" \"x\"}}", "x-nginx"),
            ("{{.Name | len}}", "5"),
            ("{{\",\" | join .Names | upper}}", "WEB,DB"),
            ("{{\",\" | split \"a,b\" | len}}", "2"),
            ("{{(index .Names 1)}}", "db"),
            ("{{index .Names (len (slice .Names 1))}}", "db"),
            ("{{(printf \"%d\" 5) | len}}", "1"),
            ("{{.Name | printf \"%s\" | printf \"[%s]\"}}", "[nginx]"),
        ]);
    }

    #[test]
    fn pipeline_final_argument_order() {
        // The piped value is the last argument.
        check(&[
            ("{{\",\" | join .Names}}", "web,db"),
            ("{{\"db\" | eq \"web\"}}", "false"),
            ("{{3 | lt 2}}", "true"),
        ]);
        // Calls above with the piped value first fail like in Go.
        assert!(xerr("{{.Names | join \",\"}}").contains("error calling join"));
    }

    #[test]
    fn pipeline_errors() {
        assert!(perr("{{.Name | 1}}").contains("non executable command in pipeline stage 2"));
        assert!(perr("{{.Name | \"x\"}}").contains("non executable command in pipeline stage 2"));
        assert!(perr("{{.Name |}}").contains("missing command after |"));
        assert!(perr("{{| .Name}}").contains("unexpected \"|\" in command"));
        assert!(perr("{{}}").contains("missing value for command"));
        assert!(perr("{{ }}").contains("missing value for command"));
        assert!(perr("{{()}}").contains("missing value for parenthesized pipeline"));
        assert!(perr("{{(1}}").contains("unclosed left paren"));
        assert!(perr("{{1)}}").contains("unexpected right paren"));
        assert!(perr("{{print \"a\"\"b\"}}").contains("unexpected"));
        assert!(perr("{{.Name").contains("unclosed action"));
        assert!(perr("a {{").contains("unclosed action"));
        assert!(perr("{{.Name}").contains("bad character U+007D '}'"));
        assert!(perr("{{.Name }").contains("unclosed action"));
        assert!(perr("{{#}}").contains("unexpected \"#\" in command"));
        assert!(perr("{{\u{1}}}").contains("unrecognized character in action: U+0001"));
        assert!(perr("{{é}}").contains("function \"é\" not defined"));
    }

    // --- control structures ------------------------------------------------------

    #[test]
    fn if_else() {
        check(&[
            ("{{if .True}}y{{end}}", "y"),
            ("{{if .False}}y{{end}}", ""),
            ("{{if .False}}y{{else}}n{{end}}", "n"),
            (
                "{{if .Zero}}y{{else if .Empty}}e{{else if .Name}}n{{else}}z{{end}}",
                "n",
            ),
            ("{{if .Zero}}y{{else if .Empty}}e{{else}}z{{end}}", "z"),
            ("{{if eq .State \"running\"}}up{{else}}down{{end}}", "up"),
            ("{{if .Null}}y{{else}}n{{end}}", "n"),
            ("{{if .Missing}}y{{else}}n{{end}}", "n"),
            ("{{if .Ports}}y{{else}}n{{end}}", "n"),
            ("{{if .Env}}y{{else}}n{{end}}", "n"),
            ("{{if .Labels}}y{{else}}n{{end}}", "y"),
            ("{{if .Ratio}}y{{else}}n{{end}}", "y"),
            ("{{if 0.0}}y{{else}}n{{end}}", "n"),
            ("{{if .Names}}{{.Name}}{{end}}", "nginx"),
            ("{{if not .False}}ok{{end}}", "ok"),
        ]);
        assert!(perr("{{if}}x{{end}}").contains("missing value for if"));
        assert!(perr("{{if .True}}x").contains("{{if}} has no matching {{end}}"));
        assert!(
            perr("{{if .True}}x{{else}}y{{else}}z{{end}}").contains("expected end; found {{else}}")
        );
        assert!(perr("{{end}}").contains("unexpected {{end}}"));
        assert!(perr("{{else}}").contains("unexpected {{else}}"));
        assert!(perr("{{if 1}}{{end 1}}").contains("unexpected \"1\" in end"));
        assert!(perr("{{if 1}}{{else 1}}{{end}}").contains("unexpected \"1\" in else"));
    }

    #[test]
    fn with_else() {
        check(&[
            ("{{with .Server}}{{.Version}}{{end}}", "1.2.3"),
            ("{{with .Missing}}{{.}}{{else}}none{{end}}", "none"),
            ("{{with .Empty}}x{{else with .Name}}{{.}}{{end}}", "nginx"),
            (
                "{{with .Empty}}x{{else with .Zero}}y{{else}}{{.Name}}{{end}}",
                "nginx",
            ),
            ("{{with index .Mounts 0}}{{.Source}}{{end}}", "/src"),
            ("{{with split \"a:b\" \":\"}}{{index . 1}}{{end}}", "b"),
            ("{{with $x := \"q\"}}{{.}}{{$x}}{{end}}", "qq"),
        ]);
        assert!(perr("{{range .Names}}{{else if 1}}{{end}}").contains("unexpected <if>"));
    }

    #[test]
    fn range() {
        check(&[
            ("{{range .Names}}{{.}},{{end}}", "web,db,"),
            (
                "{{range $i, $e := .Names}}{{$i}}={{$e}} {{end}}",
                "0=web 1=db ",
            ),
            ("{{range $e := .Names}}{{$e}}{{end}}", "webdb"),
            (
                "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}",
                "a=1;b=2;com.example=yes;",
            ),
            ("{{range .Labels}}{{.}}{{end}}", "12yes"),
            ("{{range .Ports}}x{{else}}none{{end}}", "none"),
            ("{{range .Env}}x{{else}}none{{end}}", "none"),
            ("{{range .Null}}x{{else}}none{{end}}", "none"),
            ("{{range .Missing}}x{{end}}", ""),
            ("{{range .Mounts}}{{.Source}}{{end}}", "/src/data"),
            (
                "{{range .Mounts}}{{range $.Names}}{{.}}{{end}}{{end}}",
                "webdbwebdb",
            ),
            (
                "{{range .Nums}}{{if eq . 1}}{{break}}{{end}}{{.}}{{end}}",
                "3",
            ),
            (
                "{{range .Nums}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}",
                "32",
            ),
            ("{{range split \"a,b,c\" \",\"}}[{{.}}]{{end}}", "[a][b][c]"),
            (
                "{{range $i, $c := split \"a,b\" \",\"}}{{$i}}{{$c}}{{end}}",
                "0a1b",
            ),
            (
                "{{range $k, $v := split (print (len (json .Labels))) \"\"}}{{$k}}{{$v}}{{end}}",
                "0317",
            ),
            ("{{$x := 0}}{{range .Nums}}{{$x = .}}{{end}}{{$x}}", "2"),
            (
                "{{$i := 9}}{{$e := 9}}{{range $i, $e = .Names}}{{end}}{{$i}}{{$e}}",
                "1db",
            ),
            (
                "{{range $i, $m := .Mounts}}{{$i}}{{$m.Source}}{{end}}",
                "0/src1/data",
            ),
            (
                "{{range .Nums}}{{range $.Nums}}{{if eq . 1}}{{break}}{{end}}{{.}}{{end}}{{end}}",
                "333",
            ),
            ("{{range $x := .Ports}}{{else}}{{len $x}}{{end}}", "0"),
        ]);
        // A break in a range's else branch belongs to the outer range.
        assert_eq!(
            r("{{range .Nums}}{{.}}{{range $.Ports}}{{else}}{{break}}{{end}}{{end}}"),
            "3"
        );
        let owned = json!({"rows": [{"a": 1}, {"a": 2}]});
        assert_eq!(
            render("{{range (index . \"rows\")}}{{.a}}{{end}}", &owned),
            "12"
        );
        assert_eq!(render("{{range slice .rows 1}}{{.a}}{{end}}", &owned), "2");
        assert!(xerr("{{range .Name}}{{end}}").contains("range can't iterate over nginx"));
        assert!(xerr("{{range .True}}{{end}}").contains("range can't iterate over true"));
        assert!(xerr("{{range .Ratio}}{{end}}").contains("range can't iterate over 0.5"));
        // Go 1.22 can range over integers; that is not supported here.
        assert!(xerr("{{range 3}}{{end}}").contains("range can't iterate over 3"));
        assert!(perr("{{break}}").contains("{{break}} outside {{range}}"));
        assert!(perr("{{continue}}").contains("{{continue}} outside {{range}}"));
        assert!(perr("{{range .Nums}}{{else}}{{break}}{{end}}").contains("outside {{range}}"));
        assert!(
            perr("{{range .Nums}}{{break 1}}{{end}}").contains("unexpected \"1\" in {{break}}")
        );
        assert!(
            perr("{{range $a, 1 := .Nums}}{{end}}").contains("range can only initialize variables")
        );
        assert!(
            perr("{{range $a, $b, $c := .Nums}}{{end}}").contains("too many declarations in range")
        );
    }

    #[test]
    fn unsupported_actions() {
        for (t, what) in [
            ("{{define \"x\"}}y{{end}}", "{{define}}"),
            ("{{template \"x\"}}", "{{template}}"),
            ("{{block \"x\" .}}y{{end}}", "{{block}}"),
            ("{{call .F}}", "the call function"),
        ] {
            match Template::parse(t) {
                Err(TemplateError::Unsupported { what: w, .. }) => assert_eq!(w, what),
                other => panic!("{t:?}: {other:?}"),
            }
            assert!(perr(t).ends_with("is not supported"));
        }
    }

    // --- builtin functions ----------------------------------------------------------

    #[test]
    fn and_or_not() {
        check(&[
            ("{{and 1 0 2}}", "0"),
            ("{{and 1 2}}", "2"),
            ("{{and .Name .Size}}", "1234"),
            ("{{and .Name .Empty .Size}}|", "|"),
            ("{{or 0 \"\" \"x\"}}", "x"),
            ("{{or 0 \"\"}}|", "|"),
            ("{{or .Missing \"default\"}}", "default"),
            ("{{or .Name \"default\"}}", "nginx"),
            ("{{and 1}}", "1"),
            // Short circuit: the failing call is never evaluated.
            ("{{or 1 (index .Names 99)}}", "1"),
            ("{{and 0 (index .Names 99)}}", "0"),
            ("{{0 | or 1}}", "1"),
            ("{{5 | or 0}}", "5"),
            ("{{5 | and 1}}", "5"),
            (
                "{{not 0}} {{not 1}} {{not .Null}} {{not .Names}}",
                "true false true false",
            ),
        ]);
        assert!(xerr("{{and 1 (index .Names 99)}}").contains("index out of range: 99"));
        assert!(xerr("{{and}}").contains("wrong number of args for and: want at least 1 got 0"));
        assert!(xerr("{{not 1 2}}").contains("wrong number of args for not: want 1 got 2"));
    }

    #[test]
    fn len_fn() {
        check(&[
            ("{{len .Names}}", "2"),
            ("{{len .Labels}}", "3"),
            ("{{len .Name}}", "5"),
            ("{{len \"é\"}}", "2"),
            ("{{len .Ports}}", "0"),
            ("{{len .Null}}", "0"),
            ("{{len .Missing}}", "0"),
        ]);
        assert_eq!(
            xerr("{{len .Size}}"),
            "template: 1:3: executing at <len .Size>: error calling len: len of type int"
        );
        assert!(xerr("{{len}}").contains("wrong number of args for len: want 1 got 0"));
    }

    #[test]
    fn index_fn() {
        check(&[
            ("{{index .Labels \"com.example\"}}", "yes"),
            ("{{index .Labels \"nope\"}}", "<no value>"),
            ("{{index .Names 0}}", "web"),
            ("{{index .Names 1}}", "db"),
            ("{{index .Mounts 1 \"Source\"}}", "/data"),
            ("{{index .Mounts 1.0 \"Source\"}}", "/data"),
            ("{{index .Name 0}}", "110"),
            ("{{index .Names}}", "[web db]"),
            ("{{index .Null \"x\"}}", "<no value>"),
            ("{{index .Config.Labels \"x\"}}", "<no value>"),
            ("{{index (split \"a b\" \" \") 1}}", "b"),
            ("{{index . \"Server\" \"Version\"}}", "1.2.3"),
        ]);
        assert!(xerr("{{index .Names 2}}").contains("error calling index: index out of range: 2"));
        assert!(xerr("{{index .Names -1}}").contains("index out of range: -1"));
        assert!(
            xerr("{{index .Names \"a\"}}").contains("cannot index slice/array with type string")
        );
        assert!(
            xerr("{{index .Names 0.5}}").contains("cannot index slice/array with type float64")
        );
        assert!(xerr("{{index .Names nil}}").contains("cannot index slice/array with nil"));
        assert!(xerr("{{index .Labels 1}}").contains("value has type int; should be string"));
        assert!(xerr("{{index .Size 1}}").contains("can't index item of type int"));
        assert!(xerr("{{index}}").contains("want at least 1 got 0"));
    }

    #[test]
    fn slice_fn() {
        check(&[
            ("{{slice \"abcdef\" 1 3}}", "bc"),
            ("{{slice \"abcdef\" 2}}", "cdef"),
            ("{{slice \"abcdef\"}}", "abcdef"),
            ("{{slice .Nums 1}}", "[1 2]"),
            ("{{slice .Nums 0 2}}", "[3 1]"),
            ("{{slice .Nums 1 2 3}}", "[1]"),
            ("{{slice .Nums 3}}", "[]"),
            ("{{slice .Null}}", "<no value>"),
        ]);
        assert!(xerr("{{slice .Nums 2 1}}").contains("invalid slice index: 2 > 1"));
        assert!(xerr("{{slice .Nums 0 2 1}}").contains("invalid slice index: 2 > 1"));
        assert!(xerr("{{slice .Nums 4}}").contains("index out of range: 4"));
        assert!(xerr("{{slice .Name 1 2 3}}").contains("cannot 3-index slice a string"));
        assert!(xerr("{{slice .Nums 1 2 3 3}}").contains("too many slice indexes: 4"));
        assert!(xerr("{{slice .Size 1}}").contains("can't slice item of type int"));
        assert!(xerr("{{slice \"é\" 1}}").contains("UTF-8 character boundaries"));
    }

    #[test]
    fn comparisons() {
        check(&[
            (
                "{{eq 1 1}} {{eq 1 2}} {{eq 1 2 3 1}} {{eq \"a\" \"b\" \"a\"}}",
                "true false true true",
            ),
            (
                "{{eq .State \"running\"}} {{eq .State \"exited\" \"running\"}}",
                "true true",
            ),
            (
                "{{eq .Float 2}} {{eq 2 2.0}} {{eq .Size 1234}}",
                "true true true",
            ),
            (
                "{{eq .True true}} {{eq .Null nil}} {{eq .Missing nil}} {{eq .Null 1}}",
                "true true true false",
            ),
            ("{{eq .Missing \"x\"}}", "false"),
            ("{{ne 1 2}} {{ne \"a\" \"a\"}}", "true false"),
            (
                "{{lt 1 2}} {{lt 2 1}} {{lt 1.5 2}} {{lt \"a\" \"b\"}}",
                "true false true true",
            ),
            (
                "{{le 2 2}} {{le 3 2}} {{gt 3 2}} {{gt 2 2}} {{ge 2 2}} {{ge 1 2}}",
                "true false true false true false",
            ),
            ("{{if gt (len .Names) 1}}many{{end}}", "many"),
        ]);
        assert_eq!(
            render(
                "{{lt -1 .x}} {{eq .x .x}} {{gt .x 1.5}}",
                &json!({"x": u64::MAX})
            ),
            "true true true"
        );
        assert!(
            xerr("{{eq 1 \"1\"}}").contains("error calling eq: incompatible types for comparison")
        );
        assert!(xerr("{{eq .Names .Names}}").contains("non-comparable types"));
        assert!(xerr("{{eq 1}}").contains("missing argument for comparison"));
        assert!(xerr("{{lt true false}}").contains("invalid type for comparison"));
        assert!(xerr("{{lt .Null 1}}").contains("invalid type for comparison"));
        assert!(xerr("{{lt 1 \"a\"}}").contains("incompatible types for comparison"));
        assert!(xerr("{{ne 1}}").contains("wrong number of args for ne: want 2 got 1"));
    }

    #[test]
    fn print_functions() {
        check(&[
            ("{{print 1 2 \"a\" 3 \"b\" \"c\"}}", "1 2a3bc"),
            ("{{print .Names .Size}}", "[web db] 1234"),
            ("{{print}}|", "|"),
            ("{{print .Null}}", "<nil>"),
            ("{{print .Missing \"x\"}}", "<nil>x"),
            ("{{println 1 \"a\"}}", "1 a\n"),
            ("{{println}}", "\n"),
            ("{{print 1.5 true}}", "1.5 true"),
        ]);
    }

    #[test]
    fn printf_verbs() {
        check(&[
            ("{{printf \"%-10s|\" .Name}}", "nginx     |"),
            ("{{printf \"%10s|\" .Name}}", "     nginx|"),
            (
                "{{printf \"%s %v %d\" .Name .Size .Size}}",
                "nginx 1234 1234",
            ),
            (
                "{{printf \"%5d|%-5d|%05d|%+d|% d\" 42 42 42 5 5}}",
                "   42|42   |00042|+5| 5",
            ),
            (
                "{{printf \"%05d|%-05d|%+05d\" -42 -42 42}}",
                "-0042|-42  |+0042",
            ),
            (
                "{{printf \"%x %X %o %O %b\" 255 255 8 8 5}}",
                "ff FF 10 0o10 101",
            ),
            (
                "{{printf \"%#x %#X %#o %#b\" 255 255 8 5}}",
                "0xff 0XFF 010 0b101",
            ),
            ("{{printf \"%x\" -255}}", "-ff"),
            ("{{printf \"%.3d|%6.3d|%.0d|\" 7 7 0}}", "007|   007||"),
            ("{{printf \"%c%c\" 72 0x1F600}}", "H😀"),
            ("{{printf \"%q\" 97}}", "'a'"),
            ("{{printf \"%U|%#U\" 65 65}}", "U+0041|U+0041 'A'"),
            ("{{printf \"%q\" \"a\\\"b\"}}", "\"a\\\"b\""),
            ("{{printf \"%q\" \"h\u{e9}llo\\n\"}}", "\"h\u{e9}llo\\n\""),
            ("{{printf \"%+q\" \"h\u{e9}llo\"}}", "\"h\\u00e9llo\""),
            ("{{printf \"%#q\" \"abc\"}}", "`abc`"),
            ("{{printf \"%#q\" \"a`b\"}}", "\"a`b\""),
            ("{{printf \"%q\" \"\\x01\\x7f\"}}", "\"\\x01\\x7f\""),
            (
                "{{printf \"%x|% x|%#x|%X\" \"hi\" \"hi\" \"hi\" \"hi\"}}",
                "6869|68 69|0x6869|6869",
            ),
            (
                "{{printf \"%.3s|%10.3s|%-6.2s|\" \"abcdef\" \"abcdef\" \"abcdef\"}}",
                "abc|       abc|ab    |",
            ),
            (
                "{{printf \"%t %5t|%-6t|\" true false true}}",
                "true false|true  |",
            ),
            ("{{printf \"%v\" .Names}}", "[web db]"),
            ("{{printf \"%s\" .Names}}", "[web db]"),
            ("{{printf \"%q\" .Names}}", "[\"web\" \"db\"]"),
            ("{{printf \"%5s|\" .Names}}", "[  web    db]|"),
            ("{{printf \"%d\" .Nums}}", "[3 1 2]"),
            ("{{printf \"%v\" .Labels}}", "map[a:1 b:2 com.example:yes]"),
            (
                "{{printf \"%s\" (index . \"Mounts\")}}",
                "[map[Destination:/dst Source:/src] map[Destination:/d Source:/data]]",
            ),
            ("{{printf \"%#v\" \"x\"}}", "\"x\""),
            ("{{printf \"%+v\" 5}}", "5"),
            ("{{printf \"%v|%d\" nil .Null}}", "<nil>|%!d(<nil>)"),
            ("{{printf \"%d\" (split \"a\" \",\")}}", "[%!d(string=a)]"),
            ("{{printf \"%v\" (slice (split \"a,b\" \",\") 0 1)}}", "[a]"),
            ("{{printf \"100%%\"}}", "100%"),
            ("{{printf \"%*d|%-*d|\" 5 42 4 1}}", "   42|1   |"),
            ("{{printf \"%*d|\" -4 1}}", "1   |"),
            ("{{printf \"%.*f\" 2 3.14159}}", "3.14"),
            ("{{printf \"%é\" 1}}", "%!é(int=1)"),
        ]);
    }

    #[test]
    fn printf_floats() {
        check(&[
            (
                "{{printf \"%f %.2f %e %g\" 3.14159 3.14159 1234.5678 0.000012345}}",
                "3.141590 3.14 1.234568e+03 1.2345e-05",
            ),
            (
                "{{printf \"%8.3f|%-8.3f|%08.3f|%+.1f|% .1f\" 3.14159 3.14159 -3.14159 2.0 2.0}}",
                "   3.142|3.142   |-003.142|+2.0| 2.0",
            ),
            (
                "{{printf \"%08.3f|%+08.2f\" 3.14159 3.14159}}",
                "0003.142|+0003.14",
            ),
            (
                "{{printf \"%g %g %g %v\" 100000.0 1000000.0 1e21 1e-5}}",
                "100000 1e+06 1e+21 1e-05",
            ),
            (
                "{{printf \"%.3g|%.3g|%.10g|%.1g\" 1234.5678 1.0 123.456 0.05}}",
                "1.23e+03|1|123.456|0.05",
            ),
            ("{{printf \"%G %E\" 1e-7 1234.5}}", "1E-07 1.234500E+03"),
            (
                "{{printf \"%e %f %g\" 0.0 0.0 0.0}}",
                "0.000000e+00 0.000000 0",
            ),
            ("{{printf \"%.0f %.0f %.1f\" 2.5 3.5 0.25}}", "2 4 0.2"),
            ("{{printf \"%6.2f%%\" 12.3456}}", " 12.35%"),
            ("{{printf \"%+.2e\" 12345.678}}", "+1.23e+04"),
            ("{{printf \"%.2f\" .Size}}", "1234.00"),
            ("{{printf \"%d\" .Float}}", "2"),
            ("{{printf \"%e\" 1e100}}", "1.000000e+100"),
            ("{{printf \"%v\" -0.5}}", "-0.5"),
            ("{{printf \"%F\" 1.5}}", "1.500000"),
            ("{{printf \"%.3e\" 0.00012345}}", "1.234e-04"),
            ("{{printf \"%g\" 123456789.0}}", "1.23456789e+08"),
            ("{{printf \"%.2g\" 100.0}}", "1e+02"),
            ("{{printf \"%10.4v|\" 3.14159265}}", "     3.142|"),
        ]);
    }

    #[test]
    fn printf_errors_in_output() {
        check(&[
            ("{{printf \"%s\" 5}}", "%!s(int=5)"),
            ("{{printf \"%d\" \"x\"}}", "%!d(string=x)"),
            ("{{printf \"%5d\" \"ab\"}}", "%!d(string=   ab)"),
            ("{{printf \"%t\" 1}}", "%!t(int=1)"),
            ("{{printf \"%d\" 1.5}}", "%!d(float64=1.5)"),
            ("{{printf \"%x\" 1.5}}", "%!x(float64=1.5)"),
            ("{{printf \"%s\" true}}", "%!s(bool=true)"),
            ("{{printf \"%d\"}}", "%!d(MISSING)"),
            ("{{printf \"%d %s\" 1}}", "1 %!s(MISSING)"),
            (
                "{{printf \"%d\" 1 2 \"x\" nil}}",
                "1%!(EXTRA int=2, string=x, <nil>)",
            ),
            (
                "{{printf \"x\" .Names}}",
                "x%!(EXTRA []interface {}=[web db])",
            ),
            ("{{printf \"%\"}}", "%!(NOVERB)"),
            ("{{printf \"%-\"}}", "%!(NOVERB)"),
            ("{{printf \"%*d\" \"a\" 1}}", "%!(BADWIDTH)1"),
            ("{{printf \"%.*d\" -1 1}}", "%!(BADPREC)1"),
            (
                "{{printf \"%99999999999d\" 1}}",
                "%!(NOVERB)%!(EXTRA int=1)",
            ),
        ]);
        assert!(
            xerr("{{printf}}").contains("wrong number of args for printf: want at least 1 got 0")
        );
        assert!(xerr("{{printf 1}}").contains("expected string; got int"));
    }

    #[test]
    fn escapers() {
        check(&[
            (
                "{{html \"<a href='x'>&\\\"\"}}",
                "&lt;a href=&#39;x&#39;&gt;&amp;&#34;",
            ),
            ("{{html .Null}}", "&lt;no value&gt;"),
            ("{{html 1 2}}", "1 2"),
            ("{{\"<b>\" | html}}", "&lt;b&gt;"),
            (
                "{{js \"a'b\\\"c<d>=&\\n\\\\\"}}",
                "a\\'b\\\"c\\u003Cd\\u003E\\u003D\\u0026\\u000A\\\\",
            ),
            ("{{js \"é\u{2028}\"}}", "é\\u2028"),
            ("{{urlquery \"a b&c=d/é~\"}}", "a+b%26c%3Dd%2F%C3%A9~"),
            ("{{urlquery .Name 1}}", "nginx1"),
        ]);
    }

    // --- podman / docker extra functions ---------------------------------------------

    #[test]
    fn json_fn() {
        let mut data = sample();
        // Go's encoder writes the float 2.0 as 2, which reads back as an integer.
        data["Float"] = json!(2);
        let full = render("{{json .}}", &sample());
        assert_eq!(
            serde_json::from_str::<Value>(&full).expect("valid json"),
            data
        );
        assert!(
            full.starts_with("{\"ID\":\"abc123\",\"Names\":[\"web\",\"db\"]"),
            "{full}"
        );
        check(&[
            (
                "{{json .Labels}}",
                "{\"com.example\":\"yes\",\"b\":\"2\",\"a\":\"1\"}",
            ),
            ("{{json .Names}}", "[\"web\",\"db\"]"),
            ("{{json .Name}}", "\"nginx\""),
            (
                "{{json .Null}} {{json .Missing}} {{json nil}}",
                "null null null",
            ),
            (
                "{{json .Size}} {{json .Ratio}} {{json .Float}} {{json .Big}}",
                "1234 0.5 2 1e+21",
            ),
            (
                "{{json 1e-7}} {{json 0.000001}} {{json 123456789.0}} {{json -1.5e-10}}",
                "1e-7 0.000001 123456789 -1.5e-10",
            ),
            (
                "{{json \"<&>\\u2028\\t\\x01\\b\\f\\\"\\\\é\"}}",
                "\"<&>\\u2028\\t\\u0001\\b\\f\\\"\\\\é\"",
            ),
            (
                "{{json .Mounts}}",
                "[{\"Source\":\"/src\",\"Destination\":\"/dst\"},{\"Source\":\"/data\",\"Destination\":\"/d\"}]",
            ),
            (
                "{{.Labels | json}}",
                "{\"com.example\":\"yes\",\"b\":\"2\",\"a\":\"1\"}",
            ),
        ]);
        assert!(xerr("{{json}}").contains("wrong number of args for json: want 1 got 0"));
        assert!(xerr("{{json 1 2}}").contains("want 1 got 2"));
    }

    #[test]
    fn string_functions() {
        check(&[
            (
                "{{upper .Name}} {{lower \"MiXeD\"}} {{upper \"straße\"}}",
                "NGINX mixed STRAßE",
            ),
            (
                "{{title \"hello wide-world foo_bar ünï\"}}",
                "Hello Wide-World Foo_bar Ünï",
            ),
            ("{{split \"a,b,c\" \",\"}}", "[a b c]"),
            ("{{split \"abc\" \"\"}}", "[a b c]"),
            ("{{split \"\" \",\"}}", "[]"),
            ("{{len (split \"a,,b\" \",\")}}", "3"),
            ("{{join .Names \",\"}}", "web,db"),
            ("{{join .Nums \"-\"}}", "3-1-2"),
            ("{{join .Ports \",\"}}|", "|"),
            ("{{join .Null \",\"}}|", "|"),
            ("{{truncate .ID 3}}", "abc"),
            ("{{truncate .ID 100}}", "abc123"),
            ("{{truncate \"héllo\" 2}}", "hé"),
            ("{{truncate .ID 0}}|", "|"),
            (
                "{{contains .Image \"nginx\"}} {{contains .Image \"redis\"}}",
                "true false",
            ),
            ("{{replace \"a-b-c\" \"-\" \"+\" -1}}", "a+b+c"),
            ("{{replace \"a-b-c\" \"-\" \"+\" 1}}", "a+b-c"),
            ("{{replace \"a-b-c\" \"-\" \"+\" 0}}", "a-b-c"),
            ("{{replace \"ab\" \"\" \"x\" -1}}", "xaxbx"),
            ("{{trim \"  x y \\n\"}}|", "x y|"),
            ("{{pad .Name 2 1}}|", "  nginx |"),
            ("{{pad \"\" 2 1}}|", "|"),
            ("{{.Name | upper | printf \"%s!\"}}", "NGINX!"),
        ]);
        assert!(
            xerr("{{upper 1}}")
                .contains("error calling upper: wrong type for value; expected string; got int")
        );
        assert!(xerr("{{upper .Null}}").contains("invalid value; expected string"));
        assert!(xerr("{{join .Name \",\"}}").contains("expected []string; got string"));
        assert!(xerr("{{truncate .Name \"x\"}}").contains("expected int; got string"));
        assert!(xerr("{{truncate .Name -1}}").contains("negative length"));
        assert!(xerr("{{split .Name}}").contains("wrong number of args for split: want 2 got 1"));
        assert!(xerr("{{replace \"a\" \"b\" \"c\"}}").contains("want 4 got 3"));
        assert!(xerr("{{pad \"a\" -1 0}}").contains("invalid pad width"));
        assert!(perr("{{nosuchfunc 1}}").contains("function \"nosuchfunc\" not defined"));
    }

    // --- docker / podman idioms --------------------------------------------------------

    #[test]
    fn idioms() {
        check(&[
            ("{{.ID}}\t{{.Names}}", "abc123\t[web db]"),
            ("{{.ID}}\\t{{.Name}}", "abc123\\tnginx"),
            ("{{range .Mounts}}{{.Source}}{{end}}", "/src/data"),
            ("{{index .Labels \"com.example\"}}", "yes"),
            ("{{if eq .State \"running\"}}up{{else}}down{{end}}", "up"),
            ("{{.Server.Version}}", "1.2.3"),
            ("{{printf \"%-10s|\" .Name}}", "nginx     |"),
            ("{{join .Names \",\"}}", "web,db"),
            (
                "{{range $k, $v := .Labels}}{{$k}}={{$v}} {{end}}",
                "a=1 b=2 com.example=yes ",
            ),
            (
                "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
                "/src:/dst /data:/d ",
            ),
            ("{{with .Server}}{{.Os}}/{{.Version}}{{end}}", "linux/1.2.3"),
            ("{{.Name}} {{- if .Ports}} ports{{end}}", "nginx"),
            (
                "{{json .Server}}",
                "{\"Version\":\"1.2.3\",\"Os\":\"linux\"}",
            ),
            ("{{upper (truncate .ID 3)}}", "ABC"),
            ("{{len .Names}} name(s)", "2 name(s)"),
        ]);
        let rows = [
            json!({"ID": "1", "Names": ["a"]}),
            json!({"ID": "2", "Names": ["b", "c"]}),
        ];
        let t = Template::parse("{{.ID}}:{{join .Names \",\"}}").expect("parse");
        let out: Vec<String> = rows
            .iter()
            .map(|row| t.execute(row).expect("execute"))
            .collect();
        assert_eq!(out, ["1:a", "2:b,c"]);
        let cloned = t.clone();
        assert_eq!(cloned.execute(&rows[1]).expect("execute"), "2:b,c");
    }

    // --- errors ------------------------------------------------------------------------------

    #[test]
    fn error_positions() {
        let e = Template::parse("line one\n  {{.A | nosuch}}").expect_err("error");
        match &e {
            TemplateError::Parse {
                offset,
                line,
                col,
                msg,
            } => {
                assert_eq!((*offset, *line, *col), (18, 2, 10));
                assert_eq!(msg, "function \"nosuch\" not defined");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "template: 2:10: function \"nosuch\" not defined"
        );

        let t = Template::parse("ab\ncd {{index .Names 7}}").expect("parse");
        let e = t.execute(&sample()).expect_err("error");
        assert_eq!(
            e.to_string(),
            "template: 2:6: executing at <index .Names 7>: error calling index: index out of range: 7"
        );
        let e = xerr("{{printf \"%s\" (index .Names 1) | upper | len | index .Names}}");
        assert!(
            e.contains("at <index .Names>: error calling index: index out of range: 2"),
            "{e}"
        );
        let e = xerr("{{index \"a very long string literal\" 99}}");
        assert!(e.contains("<index \"a very long s...>"), "{e}");
        let e = xerr("{{index `multi\nline` 99}}");
        assert!(e.contains("multi\\nline"), "{e}");
        let e = perr("{{if 1}}\n\n{{.A\"x\"}}{{end}}");
        assert_eq!(e, "template: 3:5: bad character U+0022 '\"'");
        let e = perr("{{if 1}}\n\n{{1\"x\"}}{{end}}");
        assert_eq!(e, "template: 3:4: unexpected \"\\\"x\\\"\" in operand");
        let e = perr("{{print \"0123456789abc\" (}}");
        assert!(e.contains("unclosed left paren"), "{e}");
        let e = perr("{{print 1 \"0123456789abc\"\"x\"}}");
        assert!(e.contains("unexpected \"\\\"x\\\"\""), "{e}");
        let e = perr("{{print 1 `0123456789abcdef`(1)}}");
        assert!(e.contains("in operand"), "{e}");
    }

    #[test]
    fn arity_and_type_errors() {
        for (t, want) in [
            (
                "{{eq}}",
                "wrong number of args for eq: want at least 1 got 0",
            ),
            ("{{lt 1 2 3}}", "wrong number of args for lt: want 2 got 3"),
            (
                "{{1 | lt 1 2}}",
                "wrong number of args for lt: want 2 got 3",
            ),
            (
                "{{contains \"a\"}}",
                "wrong number of args for contains: want 2 got 1",
            ),
            (
                "{{print (len)}}",
                "wrong number of args for len: want 1 got 0",
            ),
            ("{{len 1.5}}", "len of type float64"),
            ("{{len true}}", "len of type bool"),
            ("{{lower .Names}}", "expected string; got []interface {}"),
            (
                "{{title .Labels}}",
                "expected string; got map[string]interface {}",
            ),
            ("{{trim 1}}", "expected string; got int"),
            ("{{contains 1 \"a\"}}", "expected string; got int"),
            ("{{split \"a\" 1}}", "expected string; got int"),
            (
                "{{replace \"a\" \"b\" \"c\" \"d\"}}",
                "expected int; got string",
            ),
            ("{{truncate \"a\" 1.5}}", "expected int; got float64"),
            ("{{truncate \"a\" nil}}", "invalid value; expected int"),
        ] {
            let e = xerr(t);
            assert!(e.contains(want), "{t:?}: {e}");
        }
    }

    // --- robustness ---------------------------------------------------------------------------

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep_parens = format!("{{{{{}1{}}}}}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(perr(&deep_parens).contains("nested more than"));
        let deep_ifs = "{{if 1}}".repeat(10_000) + &"{{end}}".repeat(10_000);
        assert!(perr(&deep_ifs).contains("nested more than"));
        let deep_ranges = "{{range .}}".repeat(5_000);
        assert!(perr(&deep_ranges).contains("nested more than"));
        // The maximum allowed depth parses and runs.
        let ok = "{{with .}}".repeat(MAX_DEPTH) + "{{.Name}}" + &"{{end}}".repeat(MAX_DEPTH);
        assert_eq!(r(&ok), "nginx");
        let ok = format!(
            "{{{{{}1{}}}}}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert_eq!(r(&ok), "1");
    }

    #[test]
    fn large_widths_are_bounded() {
        assert_eq!(r("{{printf \"%1000001d\" 1}}"), "%!(NOVERB)%!(EXTRA int=1)");
        assert_eq!(r("{{printf \"%*d\" 1000001 1}}"), "%!(BADWIDTH)1");
        assert_eq!(r("{{printf \"%5d\" 1}}").len(), 5);
    }

    /// xorshift64*: a small deterministic generator for the fuzz tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n).expect("small")).expect("small")
        }

        fn pick<'x>(&mut self, items: &[&'x str]) -> &'x str {
            items[self.below(items.len())]
        }
    }

    const FRAGMENTS: &[&str] = &[
        "{{",
        "}}",
        "{{- ",
        " -}}",
        "{{/*",
        "*/}}",
        "*/",
        " ",
        "\n",
        "\t",
        "-",
        ".",
        ".Name",
        ".Names",
        ".Labels",
        ".Mounts",
        ".Null",
        ".Size",
        ".Ratio",
        "$",
        "$x",
        "$i",
        "$e",
        "$x := ",
        "$x = ",
        "$i, $e := ",
        ":=",
        "=",
        ",",
        "(",
        ")",
        "|",
        "\"",
        "\"str\"",
        "\"\\x41\"",
        "\"\\",
        "`raw`",
        "`",
        "'a'",
        "'",
        "1",
        "-1",
        "0x3",
        "1.5",
        "1e3",
        "99999999999999999999",
        "true",
        "nil",
        "if ",
        "else",
        "else if ",
        "end",
        "range ",
        "with ",
        "break",
        "continue",
        "define",
        "template",
        "block",
        "and ",
        "or ",
        "not ",
        "len ",
        "index ",
        "slice ",
        "eq ",
        "ne ",
        "lt ",
        "le ",
        "gt ",
        "ge ",
        "print ",
        "printf ",
        "println ",
        "html ",
        "js ",
        "urlquery ",
        "json ",
        "upper ",
        "lower ",
        "title ",
        "split ",
        "join ",
        "truncate ",
        "contains ",
        "replace ",
        "trim ",
        "pad ",
        "\"%d\" ",
        "\"%-5s|%x%q%*d%.2f%!%\" ",
        "\"%v %T %[1]d\" ",
        "é",
        "😀",
        "\u{0}",
        "{",
        "}",
        "%",
        "\\",
        "text ",
        "{{.Name}}",
        "{{end}}",
        "{{else}}",
        "{{range .Nums}}",
        "{{if .Name}}",
        "{{with .Labels}}",
        "{{break}}",
        "{{continue}}",
        "{{$x := 1}}",
        "{{$x = 2}}",
        "{{range $i, $e := .}}",
    ];

    const SEEDS: &[&str] = &[
        "{{.ID}}\t{{.Names}}",
        "{{json .}}",
        "{{range .Mounts}}{{.Source}}{{end}}",
        "{{index .Labels \"com.example\"}}",
        "{{if eq .State \"running\"}}up{{else}}down{{end}}",
        "{{printf \"%-10s|%5.2f|%x\" .Name .Ratio .Size}}",
        "{{join .Names \",\"}}",
        "{{range $k, $v := .Labels}}{{$k}}={{$v}}{{else}}none{{end}}",
        "{{with $x := .Server}}{{$x.Version}}{{else with .Name}}{{.}}{{end}}",
        "{{- /* c */ -}} {{slice .Name 1 (len .Names)}} {{or .Missing `d`}}",
        "{{range .Nums}}{{if gt . 1}}{{continue}}{{end}}{{break}}{{end}}",
        "{{'x'}} {{0x_1f}} {{1e3}} {{\"\\u00e9\\n\"}} {{replace .Name \"n\" \"N\" -1}}",
    ];

    fn assert_one_line(r: &Result<Template, TemplateError>, data: &Value, src: &str) {
        match r {
            Ok(t) => {
                if let Err(e) = t.execute(data) {
                    let s = e.to_string();
                    assert!(!s.contains('\n') && !s.contains('\r'), "{src:?}: {s:?}");
                }
            }
            Err(e) => {
                let s = e.to_string();
                assert!(!s.contains('\n') && !s.contains('\r'), "{src:?}: {s:?}");
            }
        }
    }

    /// The sample data with small numbers, so that nested `range`s over
    /// integers stay cheap.
    fn fuzz_data() -> Value {
        let mut data = sample();
        data["Size"] = json!(3);
        data
    }

    #[test]
    fn fuzz_random_fragments_never_panic() {
        let data = fuzz_data();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut parsed = 0;
        for _ in 0..30_000 {
            let n = 1 + rng.below(24);
            let mut src = String::new();
            for _ in 0..n {
                src.push_str(rng.pick(FRAGMENTS));
            }
            let res = Template::parse(&src);
            if res.is_ok() {
                parsed += 1;
            }
            assert_one_line(&res, &data, &src);
        }
        // The generator must reach the executor, not only the parser.
        assert!(parsed > 300, "only {parsed} templates parsed");
    }

    #[test]
    fn fuzz_mutated_templates_never_panic() {
        let data = fuzz_data();
        let alphabet: Vec<char> = "{}()|$.-:=, \n\t\"'`\\/*%0123456789abcxyzé😀\u{0}"
            .chars()
            .collect();
        let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
        let mut parsed = 0;
        for round in 0..20_000 {
            let mut chars: Vec<char> = SEEDS[round % SEEDS.len()].chars().collect();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(chars.len() + 1);
                match rng.below(4) {
                    0 => chars.insert(at, alphabet[rng.below(alphabet.len())]),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    2 if at < chars.len() => chars[at] = alphabet[rng.below(alphabet.len())],
                    _ => {
                        let end = (at + rng.below(8)).min(chars.len());
                        let dup: Vec<char> = chars[at..end].to_vec();
                        chars.splice(at..at, dup);
                    }
                }
            }
            let src: String = chars.into_iter().collect();
            let res = Template::parse(&src);
            if res.is_ok() {
                parsed += 1;
            }
            assert_one_line(&res, &data, &src);
        }
        assert!(parsed > 1_000, "only {parsed} templates parsed");
    }

    #[test]
    fn fuzz_random_data_never_panics() {
        let mut rng = Rng(42);
        let templates: Vec<Template> = SEEDS
            .iter()
            .chain(
                [
                    "{{.}}",
                    "{{printf \"%v %d %s %q %x %e\" . . . . . .}}",
                    "{{len .}}{{index . 0}}{{slice . 1}}",
                ]
                .iter(),
            )
            .map(|s| Template::parse(s).expect("seed parses"))
            .collect();
        fn random_value(rng: &mut Rng, depth: usize) -> Value {
            match rng.below(if depth > 3 { 5 } else { 7 }) {
                0 => Value::Null,
                1 => Value::Bool(rng.below(2) == 1),
                2 => json!(i64::try_from(rng.next() >> 1).expect("fits") - i64::MAX / 2),
                3 => json!(f64::from(u32::try_from(rng.next() >> 40).expect("fits")) / 7.0),
                4 => Value::String(["", "a", "é😀", "running", "x y"][rng.below(5)].to_string()),
                5 => Value::Array(
                    (0..rng.below(4))
                        .map(|_| random_value(rng, depth + 1))
                        .collect(),
                ),
                _ => {
                    let keys = [
                        "Name", "Names", "ID", "Labels", "Mounts", "State", "Nums", "Server",
                        "Source",
                    ];
                    let mut m = serde_json::Map::new();
                    for _ in 0..rng.below(6) {
                        m.insert(
                            keys[rng.below(keys.len())].to_string(),
                            random_value(rng, depth + 1),
                        );
                    }
                    Value::Object(m)
                }
            }
        }
        for _ in 0..3_000 {
            let data = random_value(&mut rng, 0);
            for t in &templates {
                if let Err(e) = t.execute(&data) {
                    assert!(!e.to_string().contains('\n'));
                }
            }
        }
    }

    #[test]
    fn float_formatting_matches_go() {
        let cases: &[(f64, char, Option<usize>, &str)] = &[
            (1.0, 'g', None, "1"),
            (0.1, 'g', None, "0.1"),
            (123456.0, 'g', None, "123456"),
            (1234567.0, 'g', None, "1.234567e+06"),
            (1e-4, 'g', None, "0.0001"),
            (1e-5, 'g', None, "1e-05"),
            (1e100, 'g', None, "1e+100"),
            (5e-324, 'g', None, "5e-324"),
            (1.7976931348623157e308, 'g', None, "1.7976931348623157e+308"),
            (0.0, 'g', None, "0"),
            (1234.5678, 'e', Some(2), "1.23e+03"),
            (1234.5678, 'e', None, "1.2345678e+03"),
            (0.0, 'e', None, "0e+00"),
            (9.999, 'e', Some(2), "1.00e+01"),
            (9.999, 'g', Some(3), "10"),
            (0.0001234, 'g', Some(2), "0.00012"),
            (0.00001234, 'g', Some(2), "1.2e-05"),
            (123.0, 'g', Some(2), "1.2e+02"),
            (100.0, 'g', Some(3), "100"),
            (1.5, 'f', None, "1.5"),
            (1e21, 'f', None, "1000000000000000000000"),
            (0.000001, 'f', None, "0.000001"),
        ];
        for &(v, conv, prec, want) in cases {
            assert_eq!(format_float(v, conv, prec), want, "{v} {conv} {prec:?}");
        }
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("é{{x", 2), (1, 2));
        assert_eq!(line_col("a\nb\ncd", 5), (3, 2));
        assert_eq!(line_col("a", 99), (1, 2));
    }
}
