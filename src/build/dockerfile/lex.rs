//! Word expansion with the semantics of buildkit's `frontend/dockerfile/shell/lex.go`.
//!
//! Quotes are removed (single quotes: literal; double quotes: `$` expands, the escape character
//! escapes `"`, `$` and itself), the escape character escapes the next character outside quotes,
//! `$NAME`, `${NAME}` and the modifiers `:-` `-` `:+` `+` `:?` `?` `#` `##` `%` `%%` `/` `//`
//! are supported.

/// How the lexer treats quotes, escapes and unset variables.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Options {
    /// Keep quote characters in the output (buildkit's `RawQuotes`).
    pub raw_quotes: bool,
    /// Keep escape characters in the output (buildkit's `RawEscapes`).
    pub raw_escapes: bool,
    /// Leave references to unset variables as written (buildkit's `SkipUnsetEnv`).
    pub skip_unset: bool,
    /// Treat quotes as ordinary characters (buildkit's `SkipProcessQuotes`, for heredoc bodies).
    pub skip_quotes: bool,
}

/// A variable lookup: `None` means unset (different from set to the empty string).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Expands `word` as one word (buildkit's `ProcessWord`): quotes removed, variables substituted,
/// whitespace kept.
///
/// # Errors
/// A syntax error (unterminated quote, bad `${...}`) or a `${VAR?message}` on an unset variable;
/// the message reads like docker's (`failed to process "...": ...`).
pub fn expand(word: &str, escape: char, lookup: Lookup<'_>) -> Result<String, String> {
    process(word, escape, lookup, Options::default()).map(|(w, _)| w)
}

/// Expands `word` and splits the result on unquoted whitespace (buildkit's `ProcessWords`),
/// as docker does for EXPOSE. Whitespace inside a variable's value splits too; an empty quoted
/// string yields no word.
///
/// # Errors
/// As [`expand`].
pub fn expand_words(word: &str, escape: char, lookup: Lookup<'_>) -> Result<Vec<String>, String> {
    process(word, escape, lookup, Options::default()).map(|(_, w)| w)
}

/// Runs the lexer with explicit options; returns the single word and the split words.
pub(super) fn process(
    word: &str,
    escape: char,
    lookup: Lookup<'_>,
    opts: Options,
) -> Result<(String, Vec<String>), String> {
    let mut lexer = Lexer {
        chars: word.chars().collect(),
        pos: 0,
        escape,
        lookup,
        opts,
    };
    lexer
        .stop_on(&[], false)
        .map_err(|e| format!("failed to process {word:?}: {e}"))
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    lookup: Lookup<'a>,
    opts: Options,
}

/// Accumulates the split words (buildkit's `wordsStruct`).
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }

    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Processes until one of `stops` (consumed) or, with no stops, the end of input.
    /// `raw_escapes` keeps escape characters (used for patterns).
    fn stop_on(
        &mut self,
        stops: &[char],
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stops.contains(&ch) {
                self.pos += 1;
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let value = self.dollar()?;
                    result.push_str(&value);
                    words.add_string(&value);
                }
                '\'' if !self.opts.skip_quotes => {
                    let value = self.single_quote()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                '"' if !self.opts.skip_quotes => {
                    let value = self.double_quote()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                _ => {
                    self.pos += 1;
                    if ch == self.escape {
                        if self.opts.raw_escapes || raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        let Some(escaped) = self.next() else { break };
                        words.add_raw_char(escaped);
                        result.push(escaped);
                    } else {
                        words.add_char(ch);
                        result.push(ch);
                    }
                }
            }
        }
        if let Some(stop) = stops.first() {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn single_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        self.pos += 1;
        if self.opts.raw_quotes {
            result.push('\'');
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    );
                }
                Some('\'') => {
                    if self.opts.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        self.pos += 1;
        if self.opts.raw_quotes {
            result.push('"');
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    );
                }
                Some('"') => {
                    self.pos += 1;
                    if self.opts.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.dollar()?;
                    result.push_str(&value);
                }
                Some(ch) => {
                    self.pos += 1;
                    if ch == self.escape {
                        if self.opts.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.escape => {
                                self.pos += 1;
                                result.push(n);
                                continue;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    fn dollar(&mut self) -> Result<String, String> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.get(&name) {
                Some(v) => v,
                None if self.opts.skip_unset => format!("${name}"),
                None => String::new(),
            });
        }
        self.pos += 1;
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.name();
        match self.next() {
            None => Err("syntax error: missing '}'".into()),
            Some('}') => Ok(match self.get(&name) {
                Some(v) => v,
                None if self.opts.skip_unset => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':') => {
                let modifier = self.next().ok_or("syntax error: missing '}'")?;
                self.modifier(&name, modifier, true)
            }
            Some(m @ ('+' | '-' | '?' | '#' | '%')) => self.modifier(&name, m, false),
            Some('/') => self.replace(&name),
            Some(m) => Err(format!("unsupported modifier ({m}) in substitution")),
        }
    }

    /// `${name:-word}` and friends; `colon` means an empty value counts as unset.
    fn modifier(&mut self, name: &str, m: char, colon: bool) -> Result<String, String> {
        let shown = if colon {
            format!(":{m}")
        } else {
            m.to_string()
        };
        let pattern = m == '#' || m == '%';
        if !matches!(m, '+' | '-' | '?' | '#' | '%') || (colon && pattern) {
            return Err(format!("unsupported modifier ({shown}) in substitution"));
        }
        let word = self.word_until('}', pattern, "syntax error: missing '}'")?;
        let value = self.get(name);
        if value.is_none() && self.opts.skip_unset {
            return Ok(format!("${{{name}{shown}{word}}}"));
        }
        let unset = value.is_none() || (colon && value.as_deref() == Some(""));
        match m {
            '-' => Ok(if unset {
                word
            } else {
                value.unwrap_or_default()
            }),
            '+' => Ok(if unset { String::new() } else { word }),
            '?' => {
                if unset {
                    let default = if value.is_none() {
                        "is not allowed to be unset"
                    } else {
                        "is not allowed to be empty"
                    };
                    let message = if word.is_empty() { default } else { &word };
                    return Err(format!("{name}: {message}"));
                }
                Ok(value.unwrap_or_default())
            }
            _ => {
                let value = value.unwrap_or_default();
                let (greedy, pat) = match word.strip_prefix(m) {
                    Some(rest) => (true, rest),
                    None => (false, word.as_str()),
                };
                let pat = Pattern::parse(pat)
                    .map_err(|e| format!("invalid pattern ({pat}) in substitution: {e}"))?;
                Ok(if m == '#' {
                    pat.trim_prefix(&value, greedy)
                } else {
                    pat.trim_suffix(&value, greedy)
                })
            }
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}`.
    fn replace(&mut self, name: &str) -> Result<String, String> {
        let all = self.peek() == Some('/');
        if all {
            self.pos += 1;
        }
        let pattern = self.word_until('/', true, "syntax error: missing '/' in ${}")?;
        let replacement = self.word_until('}', true, "syntax error: missing '}'")?;
        let value = self.get(name);
        let Some(value) = value else {
            if self.opts.skip_unset {
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
            }
            return Ok(String::new());
        };
        let pat = Pattern::parse(&pattern)
            .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
        Ok(pat.replace(&value, &replacement, all))
    }

    fn word_until(
        &mut self,
        stop: char,
        raw_escapes: bool,
        eof_message: &str,
    ) -> Result<String, String> {
        match self.stop_on(&[stop], raw_escapes) {
            Ok((w, _)) => Ok(w),
            Err(_) if self.peek().is_none() => Err(eof_message.into()),
            Err(e) => Err(e),
        }
    }

    /// A variable name: letters, digits and `_`; a run of digits; or one special parameter.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.pos += 1;
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.pos += 1;
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.pos += 1;
        }
        name
    }
}

/// One element of a shell pattern (`*`, `?`, `[...]`, literal).
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A shell pattern as used by `${VAR#pat}`, `${VAR%pat}` and `${VAR/pat/rep}`; `*` matches
/// any string, including `/`.
#[derive(Debug)]
struct Pattern(Vec<Tok>);

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '*' => toks.push(Tok::Star),
                '?' => toks.push(Tok::Any),
                '\\' => match chars.get(i) {
                    Some(&n) => {
                        toks.push(Tok::Lit(n));
                        i += 1;
                    }
                    None => toks.push(Tok::Lit('\\')),
                },
                '[' => {
                    let (tok, next) = parse_class(&chars, i)?;
                    toks.push(tok);
                    i = next;
                }
                _ => toks.push(Tok::Lit(c)),
            }
        }
        Ok(Pattern(toks))
    }

    /// Whether the pattern matches all of `s`.
    fn matches(&self, s: &[char]) -> bool {
        match_toks(&self.0, s)
    }

    fn trim_prefix(&self, value: &str, greedy: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut ends: Vec<usize> = (0..=chars.len()).collect();
        if greedy {
            ends.reverse();
        }
        match ends.into_iter().find(|&e| self.matches(&chars[..e])) {
            Some(e) => chars[e..].iter().collect(),
            None => value.to_string(),
        }
    }

    fn trim_suffix(&self, value: &str, greedy: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut starts: Vec<usize> = (0..=chars.len()).collect();
        if !greedy {
            starts.reverse();
        }
        match starts.into_iter().find(|&s| self.matches(&chars[s..])) {
            Some(s) => chars[..s].iter().collect(),
            None => value.to_string(),
        }
    }

    /// Leftmost, longest match at or after `from`: (start, end).
    fn find(&self, chars: &[char], from: usize) -> Option<(usize, usize)> {
        (from..=chars.len()).find_map(|s| {
            (s..=chars.len())
                .rev()
                .find(|&e| self.matches(&chars[s..e]))
                .map(|e| (s, e))
        })
    }

    fn replace(&self, value: &str, replacement: &str, all: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut pos = 0;
        while let Some((s, e)) = self.find(&chars, pos) {
            out.extend(&chars[pos..s]);
            out.push_str(replacement);
            if e == s {
                // An empty match: keep one character and move on, as Go's ReplaceAll does.
                if let Some(&c) = chars.get(s) {
                    out.push(c);
                }
                pos = s + 1;
            } else {
                pos = e;
            }
            if !all || pos > chars.len() {
                break;
            }
        }
        if pos <= chars.len() {
            out.extend(&chars[pos..]);
        }
        out
    }
}

/// Parses a `[...]` class starting after the `[` at `i`; returns the token and the index after `]`.
fn parse_class(chars: &[char], mut i: usize) -> Result<(Tok, usize), String> {
    let negated = matches!(chars.get(i), Some('^' | '!'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("missing closing ]".into());
        };
        if c == ']' && !ranges.is_empty() {
            return Ok((Tok::Class { negated, ranges }, i + 1));
        }
        let (lo, next) = class_char(chars, i)?;
        i = next;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
            let (hi, next) = class_char(chars, i + 1)?;
            i = next;
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
}

fn class_char(chars: &[char], i: usize) -> Result<(char, usize), String> {
    match chars.get(i) {
        Some('\\') => chars
            .get(i + 1)
            .map(|&c| (c, i + 2))
            .ok_or_else(|| "trailing backslash".to_string()),
        Some(&c) => Ok((c, i + 1)),
        None => Err("missing closing ]".into()),
    }
}

fn tok_matches(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Lit(l) => *l == c,
        Tok::Any => true,
        Tok::Star => true,
        Tok::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
    }
}

/// Backtracking match of the whole of `s` against `toks`.
fn match_toks(toks: &[Tok], s: &[char]) -> bool {
    match toks.split_first() {
        None => s.is_empty(),
        Some((Tok::Star, rest)) => (0..=s.len()).any(|k| match_toks(rest, &s[k..])),
        Some((tok, rest)) => s
            .split_first()
            .is_some_and(|(&c, tail)| tok_matches(tok, c) && match_toks(rest, tail)),
    }
}
