//! `.containerignore` / `.dockerignore` with docker's semantics (`moby/patternmatcher` and its
//! `ignorefile.ReadAll`): the last matching pattern wins, `!` re-includes, a path is excluded
//! when it or one of its parent directories matches, `**` spans directories, and the rest is Go's
//! `filepath.Match` syntax (`*`, `?`, `[...]` with ranges and `^`, `\` escapes).
//!
//! The same matcher serves `COPY --exclude` ([`Ignore::new`]).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// An invalid pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// 1-based line in the ignore file (0 for patterns given with [`Ignore::new`]).
    pub line: usize,
    /// The pattern as cleaned.
    pub pattern: String,
    /// What is wrong (Go's `syntax error in pattern`, or `illegal exclusion pattern`).
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        write!(f, "invalid pattern {:?}: {}", self.pattern, self.message)
    }
}

impl std::error::Error for PatternError {}

/// A parsed ignore file: an ordered list of patterns.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// Cleaned, without the `!`.
    text: String,
    exclusion: bool,
    matcher: Matcher,
}

/// moby's match types: the regexp is only used when the pattern needs it.
#[derive(Debug, Clone)]
enum Matcher {
    Exact,
    /// `foo**`: the text before `**` is a prefix.
    Prefix(String),
    /// `**foo` (no other wildcard): the text after `**` (and `/`) is a suffix.
    Suffix(String),
    Tokens(Vec<Tok>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// `*`: any run of characters but `/`.
    Star,
    /// `?`: one character but `/`.
    One,
    /// `**` or `**/` inside a pattern: `(.*/)?`.
    Dirs,
    /// `**` ending a pattern that has other wildcards: `.*`.
    Rest,
    /// `[...]`: may match `/` too, as moby's regexp does.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Ignore {
    /// Parses the text of an ignore file: lines starting with `#` are comments, blank lines
    /// are skipped, patterns are trimmed, cleaned like Go's `filepath.Clean` and lose a leading
    /// `/`; `!` marks an exception.
    ///
    /// # Errors
    /// The first invalid pattern.
    pub fn parse(text: &str) -> Result<Ignore, PatternError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            let mut pattern = line.trim();
            if pattern.is_empty() {
                continue;
            }
            let invert = pattern.starts_with('!');
            if invert {
                pattern = pattern[1..].trim();
            }
            let mut cleaned = if pattern.is_empty() {
                String::new()
            } else {
                clean(pattern)
            };
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let full = if invert {
                format!("!{cleaned}")
            } else {
                cleaned
            };
            patterns.push(Pattern::new(&full).map_err(|mut e| {
                e.line = n + 1;
                e
            })?);
        }
        Ok(Ignore {
            patterns: patterns.into_iter().flatten().collect(),
        })
    }

    /// Builds a matcher from patterns as given (moby's `patternmatcher.New`: trimmed, cleaned,
    /// `!` for exceptions; no comment handling).
    ///
    /// # Errors
    /// The first invalid pattern.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Ignore, PatternError> {
        let parsed = patterns
            .iter()
            .map(|p| Pattern::new(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ignore {
            patterns: parsed.into_iter().flatten().collect(),
        })
    }

    /// Whether there are no patterns at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `rel_path` (relative to the context, `/`-separated, clean) is excluded: the last
    /// pattern matching the path or one of its parent directories decides (moby's
    /// `MatchesOrParentMatches`). Docker's rules do not depend on `_is_dir`; it is accepted so
    /// that callers need not care.
    pub fn excluded(&self, rel_path: &str, _is_dir: bool) -> bool {
        let parents: Vec<&str> = match rel_path.rfind('/') {
            Some(i) => rel_path[..i].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let hit = p.matches(rel_path)
                || (1..=parents.len()).any(|i| p.matches(&parents[..i].join("/")));
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// Whether something below the directory `dir` could be re-included by an exception
    /// pattern. When this is false an excluded directory can be skipped entirely in a walk.
    /// (Docker only checks whether an exception's text starts with `dir/`; this also accounts
    /// for wildcards, so it never skips a directory docker's matcher would re-include from.)
    pub fn may_include_under(&self, dir: &str) -> bool {
        let prefix: Vec<char> = format!("{dir}/").chars().collect();
        let ancestors: Vec<&str> = dir.split('/').collect();
        self.patterns.iter().filter(|p| p.exclusion).any(|p| {
            p.may_match_with_prefix(&prefix)
                || (1..=ancestors.len()).any(|i| p.matches(&ancestors[..i].join("/")))
        })
    }
}

impl Pattern {
    /// `Ok(None)` for a pattern that is empty after trimming.
    fn new(raw: &str) -> Result<Option<Pattern>, PatternError> {
        let mut p = raw.trim();
        if p.is_empty() {
            return Ok(None);
        }
        let exclusion = p.starts_with('!');
        if exclusion {
            if p.len() == 1 {
                return Err(PatternError {
                    line: 0,
                    pattern: p.into(),
                    message: "illegal exclusion pattern: \"!\"".into(),
                });
            }
            p = &p[1..];
        }
        let text = clean(p);
        let bad = || PatternError {
            line: 0,
            pattern: text.clone(),
            message: "syntax error in pattern".into(),
        };
        validate(&text).map_err(|()| bad())?;
        let matcher = compile(&text).map_err(|()| bad())?;
        Ok(Some(Pattern {
            text,
            exclusion,
            matcher,
        }))
    }

    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact => path == self.text,
            Matcher::Prefix(p) => path.starts_with(p.as_str()),
            Matcher::Suffix(s) => path.ends_with(s.as_str()),
            Matcher::Tokens(t) => {
                let chars: Vec<char> = path.chars().collect();
                match_toks(t, &chars)
            }
        }
    }

    /// Whether some path starting with `prefix` could match.
    fn may_match_with_prefix(&self, prefix: &[char]) -> bool {
        let prefix_str: String = prefix.iter().collect();
        match &self.matcher {
            Matcher::Exact => self.text.starts_with(&prefix_str),
            Matcher::Prefix(p) => p.starts_with(&prefix_str) || prefix_str.starts_with(p.as_str()),
            Matcher::Suffix(_) => true,
            Matcher::Tokens(t) => viable(t, prefix),
        }
    }
}

/// Go's `filepath.Clean` for `/`-separated paths.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Match` syntax check: classes closed and non-empty, no `-` or `]` where a
/// class character is expected, no trailing `\`.
fn validate(p: &str) -> Result<(), ()> {
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Err(());
                }
                i += 2;
            }
            '[' => i = class_end(&chars, i + 1)?,
            _ => i += 1,
        }
    }
    Ok(())
}

/// Validates a class starting after `[`; returns the index after its `]`.
fn class_end(chars: &[char], mut i: usize) -> Result<usize, ()> {
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    let mut n = 0;
    loop {
        match chars.get(i) {
            None => return Err(()),
            Some(']') if n > 0 => return Ok(i + 1),
            _ => {}
        }
        i = class_char(chars, i)?.1;
        if chars.get(i) == Some(&'-') {
            i = class_char(chars, i + 1)?.1;
        }
        n += 1;
    }
}

/// One class character (`\x` escapes); `-` and `]` are not allowed here.
fn class_char(chars: &[char], i: usize) -> Result<(char, usize), ()> {
    match chars.get(i) {
        None | Some('-' | ']') => Err(()),
        Some('\\') => chars.get(i + 1).map(|&c| (c, i + 2)).ok_or(()),
        Some(&c) => Ok((c, i + 1)),
    }
}

#[derive(PartialEq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regexp,
}

/// moby's `Pattern.compile`, producing tokens instead of a regexp.
fn compile(p: &str) -> Result<Matcher, ()> {
    let chars: Vec<char> = p.chars().collect();
    let mut toks = Vec::new();
    let mut kind = Kind::Exact;
    let mut i = 0;
    while i < chars.len() {
        let first = i == 0;
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        toks.push(Tok::Rest);
                        kind = Kind::Regexp;
                    }
                } else {
                    toks.push(Tok::Dirs);
                    kind = Kind::Regexp;
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                toks.push(Tok::Star);
                kind = Kind::Regexp;
            }
            '?' => {
                toks.push(Tok::One);
                kind = Kind::Regexp;
            }
            '\\' => match chars.get(i) {
                Some(&n) => {
                    toks.push(Tok::Lit(n));
                    i += 1;
                    kind = Kind::Regexp;
                }
                None => toks.push(Tok::Lit('\\')),
            },
            '[' => {
                let (tok, next) = parse_class(&chars, i)?;
                toks.push(tok);
                i = next;
                kind = Kind::Regexp;
            }
            ']' => {
                toks.push(Tok::Lit(']'));
                kind = Kind::Regexp;
            }
            _ => toks.push(Tok::Lit(c)),
        }
    }
    Ok(match kind {
        Kind::Exact => Matcher::Exact,
        Kind::Prefix => Matcher::Prefix(p[..p.len() - 2].to_string()),
        Kind::Suffix => {
            let s = &p[2..];
            Matcher::Suffix(s.strip_prefix('/').unwrap_or(s).to_string())
        }
        Kind::Regexp => Matcher::Tokens(toks),
    })
}

/// A class after `[` (already validated): tokens and the index after `]`.
fn parse_class(chars: &[char], mut i: usize) -> Result<(Tok, usize), ()> {
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    loop {
        if chars.get(i) == Some(&']') && !ranges.is_empty() {
            return Ok((Tok::Class { negated, ranges }, i + 1));
        }
        let (lo, next) = class_char(chars, i)?;
        i = next;
        if chars.get(i) == Some(&'-') {
            let (hi, next) = class_char(chars, i + 1)?;
            i = next;
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
}

fn single(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Lit(l) => *l == c,
        Tok::One => c != '/',
        Tok::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
        Tok::Star | Tok::Dirs | Tok::Rest => false,
    }
}

/// Whether the whole of `s` matches.
fn match_toks(toks: &[Tok], s: &[char]) -> bool {
    let Some((tok, rest)) = toks.split_first() else {
        return s.is_empty();
    };
    match tok {
        Tok::Star => {
            let run = s.iter().take_while(|&&c| c != '/').count();
            (0..=run).any(|k| match_toks(rest, &s[k..]))
        }
        Tok::Rest => (0..=s.len()).any(|k| match_toks(rest, &s[k..])),
        Tok::Dirs => {
            match_toks(rest, s)
                || (0..s.len()).any(|k| s[k] == '/' && match_toks(rest, &s[k + 1..]))
        }
        _ => s
            .split_first()
            .is_some_and(|(&c, tail)| single(tok, c) && match_toks(rest, tail)),
    }
}

/// Whether some string that starts with `prefix` matches.
fn viable(toks: &[Tok], prefix: &[char]) -> bool {
    if prefix.is_empty() {
        return true;
    }
    let Some((tok, rest)) = toks.split_first() else {
        return false;
    };
    match tok {
        Tok::Dirs | Tok::Rest => true,
        Tok::Star => viable(rest, prefix) || (prefix[0] != '/' && viable(toks, &prefix[1..])),
        _ => single(tok, prefix[0]) && viable(rest, &prefix[1..]),
    }
}

/// The files, directories and symlinks of `context` that `ignore` keeps, relative to it and
/// sorted. Symlinks are listed, not followed. An excluded directory is skipped unless an
/// exception may re-include something below it; then it is listed only if something below is.
///
/// # Errors
/// Reading a directory fails.
pub fn walk(context: &Path, ignore: &Ignore) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk_dir(context, Path::new(""), ignore, &mut out)?;
    Ok(out)
}

fn walk_dir(root: &Path, rel: &Path, ignore: &Ignore, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries = fs::read_dir(root.join(rel))?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let child = rel.join(entry.file_name());
        let name = child.to_string_lossy();
        let is_dir = entry.file_type()?.is_dir();
        let excluded = ignore.excluded(&name, is_dir);
        if !is_dir {
            if !excluded {
                out.push(child);
            }
            continue;
        }
        if !excluded {
            out.push(child.clone());
            walk_dir(root, &child, ignore, out)?;
        } else if ignore.may_include_under(&name) {
            let mut below = Vec::new();
            walk_dir(root, &child, ignore, &mut below)?;
            if !below.is_empty() {
                out.push(child);
                out.append(&mut below);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
