//! Registry configuration: a subset of containers-registries.conf(5) (version 2), plus rl's own
//! file in the same format.
//!
//! Supported keys:
//!
//! - `unqualified-search-registries = ["host[:port]", …]`: where short names are looked up, in
//!   order.
//! - `short-name-mode = "enforcing" | "permissive" | "disabled"`: parsed and exposed through
//!   [`RegistriesConf::short_name_mode`]; acting on it (for instance refusing to pick among
//!   several candidates when enforcing) is the caller's concern.
//! - `[[registry]]` tables with `prefix`, `location`, `insecure` and `blocked`. `prefix` defaults
//!   to `location`; `location` may be omitted only for a `*.domain` prefix (settings without
//!   rewriting). Within one file the first table for a prefix wins; a later file's table for the
//!   same prefix replaces it whole. A table's `[[registry.mirror]]` entries are type-checked and
//!   otherwise ignored: rl pulls from the primary location only. The consistency checks
//!   containers/image makes between tables sharing a location are not made.
//! - `[aliases]`: short name = fully qualified name without tag or digest. An empty value removes
//!   an alias set by an earlier file.
//!
//! Resolution ([`RegistriesConf::resolve`]): a qualified name stands for itself; a short name
//! goes to its alias if it has one, else to each search registry in order, and to `docker.io`
//! when no file sets `unqualified-search-registries` (docker's behaviour). Candidates are then
//! rewritten by the best-matching `[[registry]]` table's `location`.
//!
//! Unknown keys are ignored (containers' files carry many: `credential-helpers`, the version 1
//! `[registries.search]` tables, …), but a known key with a value of the wrong type is an error.
//!
//! Prefix matching follows registries.conf(5): a prefix matches an image name that starts with it
//! and continues with a separator (or ends there), and the longest matching prefix wins.
//! The separators are `/`, `:` and `@`, except that right after a prefix that is only a host a
//! `:` starts a port, so `example.com` does not match `example.com:5000/foo` (containers/image
//! documents its contrary behaviour as unintended). `*.example.com` matches any host under
//! `example.com` (not `example.com` itself), on any path, but not with a port. On a tie between
//! a wildcard and a plain prefix of the same length, the plain one wins.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::reference::{self, Parsed, Reference, ReferenceError};

/// The merged registry configuration.
#[derive(Debug, Clone, Default)]
pub struct RegistriesConf {
    /// `unqualified-search-registries`; `None` when no file sets it.
    search: Option<Vec<String>>,
    /// `short-name-mode`; `None` when no file sets it.
    short_name_mode: Option<ShortNameMode>,
    /// `[[registry]]` tables, one per prefix.
    registries: Vec<RegistryEntry>,
    /// `[aliases]`; `None` values are removals, kept so that they override earlier files.
    aliases: BTreeMap<String, Option<Reference>>,
}

/// One `[[registry]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegistryEntry {
    /// What user-specified names it applies to.
    prefix: String,
    /// Where those names actually live; empty for a wildcard prefix without rewriting.
    location: String,
    insecure: bool,
    blocked: bool,
}

/// `short-name-mode`: what to do when a short name resolves to several candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShortNameMode {
    /// Ask the user to choose (or fail without a terminal).
    Enforcing,
    /// Ask when there is a terminal, else try the candidates in order (containers' default).
    Permissive,
    /// Try the candidates in order.
    Disabled,
}

impl ShortNameMode {
    /// The configuration-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ShortNameMode::Enforcing => "enforcing",
            ShortNameMode::Permissive => "permissive",
            ShortNameMode::Disabled => "disabled",
        }
    }
}

impl fmt::Display for ShortNameMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reference to try for what the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The reference to pull: qualified, rewritten by `[[registry]]` locations, and tagged
    /// `latest` when it had neither tag nor digest.
    pub reference: Reference,
    /// Whether it came from an `[aliases]` entry.
    pub from_alias: bool,
}

/// How to talk to a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transport {
    /// Use plain HTTP, or HTTPS without certificate verification.
    pub insecure: bool,
    /// Refuse to pull from it.
    pub blocked: bool,
}

/// Errors reading registry configuration or resolving names with it. Each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// A configuration file or directory exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file is not valid TOML, or a value is of the wrong type or invalid.
    #[error("{}: {message}", position(origin, *line))]
    Invalid {
        /// Where the text came from (a path, usually).
        origin: String,
        /// The 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// What the user typed is not a valid reference.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A `[[registry]]` location turned a reference into an invalid one.
    #[error(
        "cannot rewrite {reference} with [[registry]] prefix {prefix:?} and location {location:?}: {reason}"
    )]
    Rewrite {
        /// The reference before rewriting.
        reference: String,
        /// The matching prefix.
        prefix: String,
        /// Its location.
        location: String,
        /// What is wrong with the result.
        reason: String,
    },
    /// A short name has no alias and the search list was configured empty.
    #[error(
        "short name {name:?} has no [aliases] entry and unqualified-search-registries is empty"
    )]
    NoSearchRegistries {
        /// The short name as typed.
        name: String,
    },
}

/// `origin:line` or `origin`.
fn position(origin: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{origin}:{line}"),
        None => origin.to_owned(),
    }
}

impl RegistriesConf {
    /// Loads and merges, in this order (later wins per field, lists replace):
    ///
    /// 1. `/etc/containers/registries.conf`
    /// 2. `/etc/containers/registries.conf.d/*.conf`, sorted by name
    /// 3. `$XDG_CONFIG_HOME/containers/registries.conf` (`$HOME/.config` when unset)
    /// 4. `$XDG_CONFIG_HOME/rl/registries.conf`, rl's own file in the same format
    ///
    /// Unlike containers/image, the user's file is merged over the system's rather than replacing
    /// it, and the user's `registries.conf.d` is not read. A relative or empty `XDG_CONFIG_HOME`
    /// is ignored, as the XDG specification says. Missing files are fine; a malformed one is an
    /// error naming the file and line.
    pub fn load(env: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfError> {
        Self::load_rooted(Path::new("/"), &env)
    }

    /// [`RegistriesConf::load`] with the system files under `root` instead of `/`.
    fn load_rooted(root: &Path, env: &dyn Fn(&str) -> Option<OsString>) -> Result<Self, ConfError> {
        let mut conf = Self::default();
        for path in config_files(root, env)? {
            if let Some(text) = read_optional(&path)? {
                conf.merge(Self::parse(&text, &path.display().to_string())?);
            }
        }
        Ok(conf)
    }

    /// Parses one file's text; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfError> {
        let invalid = |span: Option<std::ops::Range<usize>>, message: String| ConfError::Invalid {
            origin: origin.to_owned(),
            line: span.map(|span| line_of(text, span.start)),
            message: one_line(&message),
        };
        let file: File = toml::from_str(text).map_err(|e| {
            let message = match e.span().and_then(|span| line_text(text, span.start)) {
                Some(source) => format!("{} (in `{source}`)", one_line(e.message())),
                None => e.message().to_owned(),
            };
            invalid(e.span(), message)
        })?;

        let search = match file.search {
            None => None,
            Some(entries) => {
                let mut search = Vec::with_capacity(entries.len());
                for entry in entries {
                    let value = trim_location(entry.get_ref());
                    if !(reference::looks_like_registry(value)
                        && reference::is_valid_registry(value))
                    {
                        return Err(invalid(
                            Some(entry.span()),
                            format!(
                                "invalid unqualified-search-registries entry {:?}: expected host[:port] with a '.' or ':' in it, or localhost",
                                entry.get_ref()
                            ),
                        ));
                    }
                    search.push(value.to_owned());
                }
                Some(search)
            }
        };

        let short_name_mode = match file.short_name_mode {
            None => None,
            Some(mode) => Some(match mode.get_ref().as_str() {
                "enforcing" => ShortNameMode::Enforcing,
                "permissive" => ShortNameMode::Permissive,
                "disabled" => ShortNameMode::Disabled,
                other => {
                    return Err(invalid(
                        Some(mode.span()),
                        format!(
                            "invalid short-name-mode {other:?}: expected \"enforcing\", \"permissive\" or \"disabled\""
                        ),
                    ));
                }
            }),
        };

        let mut registries: Vec<RegistryEntry> = Vec::new();
        for table in file.registry {
            let span = table.span();
            let table = table.into_inner();
            let entry = registry_entry(&table).map_err(|message| invalid(Some(span), message))?;
            // Within one file the first table for a prefix wins, as in containers/image.
            if !registries.iter().any(|e| e.prefix == entry.prefix) {
                registries.push(entry);
            }
        }

        let mut aliases = BTreeMap::new();
        for (name, value) in file.aliases {
            let alias = alias_entry(&name, value.get_ref())
                .map_err(|message| invalid(Some(value.span()), message))?;
            aliases.insert(name, alias);
        }

        Ok(RegistriesConf {
            search,
            short_name_mode,
            registries,
            aliases,
        })
    }

    /// Merges a later file over this one: `unqualified-search-registries` and `short-name-mode`
    /// are replaced when the later file sets them (an explicitly empty list included); a later
    /// `[[registry]]` table replaces the whole table with the same prefix; aliases are merged per
    /// name, an empty later value removing the alias.
    pub fn merge(&mut self, later: RegistriesConf) {
        if later.search.is_some() {
            self.search = later.search;
        }
        if later.short_name_mode.is_some() {
            self.short_name_mode = later.short_name_mode;
        }
        for entry in later.registries {
            match self
                .registries
                .iter_mut()
                .find(|e| e.prefix == entry.prefix)
            {
                Some(existing) => *existing = entry,
                None => self.registries.push(entry),
            }
        }
        self.aliases.extend(later.aliases);
    }

    /// The configured `unqualified-search-registries`, or `None` when no file sets it.
    pub fn unqualified_search_registries(&self) -> Option<&[String]> {
        self.search.as_deref()
    }

    /// The configured `short-name-mode`, or `None` when no file sets it (containers' tools then
    /// behave as `permissive`).
    pub fn short_name_mode(&self) -> Option<ShortNameMode> {
        self.short_name_mode
    }

    /// The `[aliases]` entry for a short name written without tag or digest.
    pub fn alias(&self, short_name: &str) -> Option<&Reference> {
        self.aliases.get(short_name).and_then(Option::as_ref)
    }

    /// What to try for what the user typed, in order.
    ///
    /// - A qualified reference gives itself.
    /// - A short name gives its `[aliases]` entry (looked up by the name as written, without
    ///   tag or digest, whose tag or digest is then applied) if there is one; else itself on each
    ///   `unqualified-search-registries` entry in order (duplicates dropped). When no file sets
    ///   `unqualified-search-registries` at all, short names go to `docker.io`, which is docker's
    ///   behaviour; when it is set to an empty list, resolution fails.
    ///
    /// Every candidate is given the tag `latest` if it has neither tag nor digest, then
    /// rewritten by the `[[registry]]` table whose prefix matches it longest (its `location`
    /// replacing the matched part; `latest` again if the tag was part of it), and validated.
    /// Blocked registries are not filtered out: check [`RegistriesConf::transport`] before
    /// pulling.
    pub fn resolve(&self, input: &str) -> Result<Vec<Candidate>, ConfError> {
        let short = match Reference::parse(input)? {
            Parsed::Qualified(reference) => {
                return Ok(vec![Candidate {
                    reference: self.finish(reference)?,
                    from_alias: false,
                }]);
            }
            Parsed::Short(short) => short,
        };

        if let Some(alias) = self.alias(short.repository()) {
            let mut reference = alias.clone();
            if let Some(tag) = short.tag() {
                reference = reference.with_tag(tag);
            }
            if let Some(digest) = short.digest() {
                reference = reference.with_digest(digest);
            }
            return Ok(vec![Candidate {
                reference: self.finish(reference)?,
                from_alias: true,
            }]);
        }

        let registries: Vec<&str> = match &self.search {
            None => vec![reference::DOCKER_HUB],
            Some(search) if search.is_empty() => {
                return Err(ConfError::NoSearchRegistries {
                    name: input.to_owned(),
                });
            }
            Some(search) => search.iter().map(String::as_str).collect(),
        };
        let mut candidates: Vec<Candidate> = Vec::with_capacity(registries.len());
        for registry in registries {
            let reference = self.finish(short.qualify(registry))?;
            if !candidates.iter().any(|c| c.reference == reference) {
                candidates.push(Candidate {
                    reference,
                    from_alias: false,
                });
            }
        }
        Ok(candidates)
    }

    /// Transport settings for a registry: insecure when its `[[registry]]` table says
    /// `insecure = true` or it is on loopback (see [`Reference::is_loopback`]); blocked when the
    /// table says `blocked = true`.
    ///
    /// `registry` is a `host[:port]`, or a whole reference (`reference.to_string()`) to honour
    /// tables whose prefix names a namespace or repository. The table is the one whose prefix or
    /// location matches longest, so the settings of a table also apply where it rewrites names to.
    pub fn transport(&self, registry: &str) -> Transport {
        let entry = self
            .registries
            .iter()
            .filter_map(|e| {
                let by_prefix = match_prefix(registry, &e.prefix).map(|len| rank(e, len, true));
                let by_location = if e.location.is_empty() {
                    None
                } else {
                    match_prefix(registry, &e.location).map(|len| rank(e, len, false))
                };
                by_prefix.max(by_location).map(|rank| (rank, e))
            })
            .max_by_key(|&(rank, _)| rank)
            .map(|(_, e)| e);
        Transport {
            insecure: entry.is_some_and(|e| e.insecure)
                || reference::is_loopback_registry(registry),
            blocked: entry.is_some_and(|e| e.blocked),
        }
    }

    /// Rewrites a candidate by the longest matching prefix and defaults its tag, re-validating
    /// the result (which also checks its length).
    fn finish(&self, reference: Reference) -> Result<Reference, ConfError> {
        let reference = reference.or_latest();
        let text = reference.to_string();
        let rule = self
            .registries
            .iter()
            .filter_map(|e| match_prefix(&text, &e.prefix).map(|len| (rank(e, len, true), e)))
            .max_by_key(|&(rank, _)| rank)
            .map(|((len, ..), e)| (len, e))
            .filter(|(_, e)| !e.location.is_empty());
        let Some((len, entry)) = rule else {
            // Re-parsing validates what qualification built (its length, mostly).
            return match Reference::parse(&text)? {
                Parsed::Qualified(checked) => Ok(checked),
                Parsed::Short(_) => Ok(reference),
            };
        };
        let rewritten = format!("{}{}", entry.location, text.get(len..).unwrap_or_default());
        let error = |reason: String| ConfError::Rewrite {
            reference: text.clone(),
            prefix: entry.prefix.clone(),
            location: entry.location.clone(),
            reason,
        };
        match Reference::parse(&rewritten) {
            Ok(Parsed::Qualified(result)) => Ok(result.or_latest()),
            Ok(Parsed::Short(_)) => Err(error(format!("{rewritten:?} names no registry"))),
            Err(e) => Err(error(e.to_string())),
        }
    }
}

/// How well a `[[registry]]` table matches, for picking the best: the matched length, then plain
/// prefixes over wildcards, then prefix matches over location matches, then the longer prefix.
fn rank(entry: &RegistryEntry, len: usize, by_prefix: bool) -> (usize, bool, bool, usize) {
    (
        len,
        !entry.prefix.starts_with('*'),
        by_prefix,
        entry.prefix.len(),
    )
}

/// The length of the part of `name` that `prefix` matches, if it matches (see the module docs).
fn match_prefix(name: &str, prefix: &str) -> Option<usize> {
    if let Some(domain) = prefix.strip_prefix('*') {
        // `*.example.com`: the host (up to the first '/') ends with `.example.com`.
        let host_end = name.find('/').unwrap_or(name.len());
        let host = &name[..host_end];
        return (host.len() > domain.len() && host.ends_with(domain)).then_some(host_end);
    }
    let rest = name.strip_prefix(prefix)?;
    match rest.as_bytes().first() {
        None | Some(b'/' | b'@') => Some(prefix.len()),
        Some(b':') if prefix.contains('/') => Some(prefix.len()),
        _ => None,
    }
}

/// Builds a `[[registry]]` entry, validating it like containers/image does.
fn registry_entry(table: &FileRegistry) -> Result<RegistryEntry, String> {
    let location = match &table.location {
        Some(location) => {
            let value = trim_location(location);
            if !value.is_empty() && !is_valid_pattern(value) {
                return Err(format!(
                    "invalid [[registry]] location {location:?}: expected host[:port][/namespace…][/repo[:tag|@digest]]"
                ));
            }
            value.to_owned()
        }
        None => String::new(),
    };
    let prefix = match &table.prefix {
        Some(prefix) => {
            let value = trim_location(prefix);
            if !is_valid_prefix(value) {
                return Err(format!(
                    "invalid [[registry]] prefix {prefix:?}: expected host[:port][/namespace…][/repo[:tag|@digest]] or *.domain"
                ));
            }
            if location.is_empty() && !value.starts_with('*') {
                return Err(format!(
                    "[[registry]] prefix {prefix:?} has no location; only a *.domain prefix may omit it"
                ));
            }
            value.to_owned()
        }
        None if location.is_empty() => {
            return Err("[[registry]] needs a prefix or a location".to_owned());
        }
        None => location.clone(),
    };
    Ok(RegistryEntry {
        prefix,
        location,
        insecure: table.insecure.unwrap_or(false),
        blocked: table.blocked.unwrap_or(false),
    })
}

/// Builds an alias: `None` for an empty value (a removal).
fn alias_entry(name: &str, value: &str) -> Result<Option<Reference>, String> {
    match Reference::parse(name) {
        Ok(Parsed::Short(short)) if short.tag().is_none() && short.digest().is_none() => {}
        Ok(_) => {
            return Err(format!(
                "invalid [aliases] name {name:?}: must be a short name without registry, tag or digest"
            ));
        }
        Err(e) => return Err(format!("invalid [aliases] name: {e}")),
    }
    if value.is_empty() {
        return Ok(None);
    }
    match Reference::parse(value) {
        Ok(Parsed::Qualified(reference))
            if reference.tag().is_none() && reference.digest().is_none() =>
        {
            Ok(Some(reference))
        }
        Ok(_) => Err(format!(
            "invalid [aliases] value {value:?} for {name:?}: must be registry/repository without tag or digest"
        )),
        Err(e) => Err(format!("invalid [aliases] value for {name:?}: {e}")),
    }
}

/// Strips trailing slashes, as containers/image does.
fn trim_location(value: &str) -> &str {
    value.trim_end_matches('/')
}

/// `host[:port][/path]` with a host that reads as a registry (no tag or digest).
fn is_valid_location(value: &str) -> bool {
    let (host, path) = match value.split_once('/') {
        Some((host, path)) => (host, Some(path)),
        None => (value, None),
    };
    reference::looks_like_registry(host)
        && reference::is_valid_registry(host)
        && path.is_none_or(reference::is_valid_path)
}

/// A location, a qualified reference, or `*.domain`.
fn is_valid_prefix(value: &str) -> bool {
    if let Some(domain) = value.strip_prefix("*.") {
        return !domain.contains(':') && reference::is_valid_registry(domain);
    }
    is_valid_pattern(value)
}

/// `host[:port][/namespace…][/repo[:tag|@digest]]`, the non-wildcard form of prefixes and
/// locations.
fn is_valid_pattern(value: &str) -> bool {
    is_valid_location(value) || matches!(Reference::parse(value), Ok(Parsed::Qualified(_)))
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

/// The trimmed text of the line holding a byte offset, if short enough to quote.
fn line_text(text: &str, offset: usize) -> Option<&str> {
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..)?.lines().next()?.trim();
    (!line.is_empty() && line.chars().count() <= 100).then_some(line)
}

/// Joins a possibly multi-line message into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The files to read, in merge order.
fn config_files(
    root: &Path,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Vec<PathBuf>, ConfError> {
    let system = root.join("etc/containers");
    let mut files = vec![system.join("registries.conf")];
    files.extend(drop_ins(&system.join("registries.conf.d"))?);
    if let Some(config) = config_home(env) {
        files.push(config.join("containers/registries.conf"));
        files.push(config.join("rl/registries.conf"));
    }
    Ok(files)
}

/// `dir/*.conf`, sorted by name; none if `dir` does not exist.
fn drop_ins(dir: &Path) -> Result<Vec<PathBuf>, ConfError> {
    let read_error = |source| ConfError::Read {
        path: dir.to_owned(),
        source,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if is_absent(&e) => return Ok(Vec::new()),
        Err(e) => return Err(read_error(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(read_error)?.path();
        if path.extension().is_some_and(|ext| ext == "conf") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `$XDG_CONFIG_HOME`, or `$HOME/.config`; only absolute paths count.
fn config_home(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |var: &str| {
        env(var)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CONFIG_HOME").or_else(|| absolute("HOME").map(|home| home.join(".config")))
}

/// A file's text, or `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, ConfError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(source) => Err(ConfError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// A file, as written.
#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "unqualified-search-registries")]
    search: Option<Vec<Spanned<String>>>,
    #[serde(rename = "short-name-mode")]
    short_name_mode: Option<Spanned<String>>,
    #[serde(default)]
    registry: Vec<Spanned<FileRegistry>>,
    #[serde(default)]
    aliases: BTreeMap<String, Spanned<String>>,
}

/// A `[[registry]]` table, as written.
#[derive(Debug, Deserialize)]
struct FileRegistry {
    prefix: Option<String>,
    location: Option<String>,
    insecure: Option<bool>,
    blocked: Option<bool>,
    /// Type-checked, then ignored: rl does not use mirrors.
    #[serde(default, rename = "mirror")]
    _mirror: Vec<FileMirror>,
}

/// A `[[registry.mirror]]` table, as written; ignored.
#[derive(Debug, Deserialize)]
struct FileMirror {
    #[serde(rename = "location")]
    _location: Option<String>,
    #[serde(rename = "insecure")]
    _insecure: Option<bool>,
    #[serde(rename = "pull-from-mirror")]
    _pull_from_mirror: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(text: &str) -> RegistriesConf {
        RegistriesConf::parse(text, "test.conf").unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> String {
        match RegistriesConf::parse(text, "test.conf") {
            Err(e) => e.to_string(),
            Ok(conf) => panic!("expected an error, got {conf:?}"),
        }
    }

    fn resolve(conf: &RegistriesConf, input: &str) -> Vec<String> {
        conf.resolve(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .into_iter()
            .map(|c| c.reference.to_string())
            .collect()
    }

    #[test]
    fn empty_config_resolves_like_docker() {
        let conf = RegistriesConf::default();
        assert_eq!(
            resolve(&conf, "busybox"),
            ["docker.io/library/busybox:latest"]
        );
        assert_eq!(resolve(&conf, "user/app:1"), ["docker.io/user/app:1"]);
        assert_eq!(resolve(&conf, "quay.io/a/b"), ["quay.io/a/b:latest"]);
        assert_eq!(
            resolve(&conf, "127.0.0.1:5000/rl-test/small:docker"),
            ["127.0.0.1:5000/rl-test/small:docker"]
        );
        let candidates = conf.resolve("busybox").unwrap();
        assert!(!candidates[0].from_alias);
        assert_eq!(conf.short_name_mode(), None);
        assert_eq!(conf.unqualified_search_registries(), None);
        // Same config via an empty file.
        assert_eq!(
            resolve(&parse(""), "busybox"),
            ["docker.io/library/busybox:latest"]
        );
    }

    #[test]
    fn search_registries_in_order() {
        let conf = parse(
            r#"
            unqualified-search-registries = ["registry.fedoraproject.org", "quay.io/", "docker.io", "quay.io"]
            "#,
        );
        assert_eq!(
            conf.unqualified_search_registries().unwrap(),
            [
                "registry.fedoraproject.org",
                "quay.io",
                "docker.io",
                "quay.io"
            ]
        );
        assert_eq!(
            resolve(&conf, "busybox:1"),
            [
                "registry.fedoraproject.org/busybox:1",
                "quay.io/busybox:1",
                "docker.io/library/busybox:1",
            ]
        );
        // Qualified names ignore the search list.
        assert_eq!(resolve(&conf, "localhost/foo"), ["localhost/foo:latest"]);
        assert_eq!(
            resolve(&conf, "docker.io/busybox"),
            ["docker.io/library/busybox:latest"]
        );
    }

    #[test]
    fn explicitly_empty_search_list_fails_short_names() {
        let conf = parse("unqualified-search-registries = []");
        assert_eq!(conf.unqualified_search_registries(), Some(&[][..]));
        let e = conf.resolve("busybox").unwrap_err();
        assert!(matches!(e, ConfError::NoSearchRegistries { .. }));
        assert_eq!(
            e.to_string(),
            r#"short name "busybox" has no [aliases] entry and unqualified-search-registries is empty"#
        );
        assert_eq!(
            resolve(&conf, "docker.io/busybox"),
            ["docker.io/library/busybox:latest"]
        );
    }

    #[test]
    fn invalid_input_is_a_reference_error() {
        let e = RegistriesConf::default().resolve("Foo").unwrap_err();
        assert!(matches!(
            e,
            ConfError::Reference(ReferenceError::Uppercase { .. })
        ));
        assert_eq!(
            e.to_string(),
            r#"invalid reference "Foo": repository name must be lowercase"#
        );
    }

    #[test]
    fn search_qualification_is_length_checked() {
        let name = "a".repeat(250);
        assert!(Reference::parse(&name).is_ok());
        let e = RegistriesConf::default().resolve(&name).unwrap_err();
        assert!(
            matches!(e, ConfError::Reference(ReferenceError::TooLong { .. })),
            "{e}"
        );
    }

    #[test]
    fn aliases() {
        let sha = format!("sha256:{}", "ab".repeat(32));
        let conf = parse(
            r#"
            unqualified-search-registries = ["quay.io"]
            [aliases]
            "fedora" = "registry.fedoraproject.org/fedora"
            "library/alpine" = "docker.io/alpine"
            "#,
        );
        let candidates = conf.resolve("fedora").unwrap();
        assert_eq!(
            candidates,
            [Candidate {
                reference: Reference::parse_normalized("registry.fedoraproject.org/fedora")
                    .unwrap(),
                from_alias: true,
            }]
        );
        assert_eq!(
            resolve(&conf, "fedora:39"),
            ["registry.fedoraproject.org/fedora:39"]
        );
        assert_eq!(
            resolve(&conf, &format!("fedora@{sha}")),
            [format!("registry.fedoraproject.org/fedora@{sha}")]
        );
        assert_eq!(
            resolve(&conf, &format!("fedora:39@{sha}")),
            [format!("registry.fedoraproject.org/fedora:39@{sha}")]
        );
        // Looked up as written: "alpine" is not "library/alpine".
        assert_eq!(
            resolve(&conf, "library/alpine"),
            ["docker.io/library/alpine:latest"]
        );
        assert_eq!(resolve(&conf, "alpine"), ["quay.io/alpine:latest"]);
        // Qualified input never uses aliases.
        assert_eq!(resolve(&conf, "quay.io/fedora"), ["quay.io/fedora:latest"]);
        assert_eq!(
            conf.alias("fedora").map(Reference::to_string).as_deref(),
            Some("registry.fedoraproject.org/fedora")
        );
        assert_eq!(conf.alias("nope"), None);
    }

    #[test]
    fn invalid_aliases() {
        for (text, expected) in [
            (
                r#"[aliases]
"quay.io/x" = "quay.io/x""#,
                "test.conf:2: invalid [aliases] name \"quay.io/x\": must be a short name without registry, tag or digest",
            ),
            (
                r#"[aliases]
"x:1" = "quay.io/x""#,
                "must be a short name",
            ),
            (
                r#"[aliases]
"X" = "quay.io/x""#,
                "invalid [aliases] name: invalid reference \"X\": repository name must be lowercase",
            ),
            (
                r#"[aliases]
"x" = "x""#,
                "test.conf:2: invalid [aliases] value \"x\" for \"x\": must be registry/repository without tag or digest",
            ),
            (
                r#"[aliases]
"x" = "quay.io/x:1""#,
                "without tag or digest",
            ),
            (
                r#"[aliases]
"x" = "quay.io/X""#,
                "repository name must be lowercase",
            ),
            (
                r#"[aliases]
"x" = 1"#,
                "test.conf:2:",
            ),
        ] {
            let e = parse_err(text);
            assert!(e.contains(expected), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn short_name_mode() {
        assert_eq!(
            parse(r#"short-name-mode = "enforcing""#).short_name_mode(),
            Some(ShortNameMode::Enforcing)
        );
        assert_eq!(
            parse(r#"short-name-mode = "permissive""#).short_name_mode(),
            Some(ShortNameMode::Permissive)
        );
        assert_eq!(
            parse(r#"short-name-mode = "disabled""#).short_name_mode(),
            Some(ShortNameMode::Disabled)
        );
        assert_eq!(ShortNameMode::Enforcing.to_string(), "enforcing");
        assert_eq!(
            parse_err("\n\nshort-name-mode = \"strict\""),
            r#"test.conf:3: invalid short-name-mode "strict": expected "enforcing", "permissive" or "disabled""#
        );
        // Enforcing does not change resolution; several candidates are the caller's concern.
        let conf = parse(
            r#"
            short-name-mode = "enforcing"
            unqualified-search-registries = ["quay.io", "docker.io"]
            "#,
        );
        assert_eq!(conf.resolve("busybox").unwrap().len(), 2);
    }

    #[test]
    fn wrong_types_are_errors_with_lines() {
        for (text, line) in [
            ("unqualified-search-registries = \"docker.io\"", 1),
            ("\nunqualified-search-registries = [1]", 2),
            ("short-name-mode = true", 1),
            ("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"", 3),
            ("[[registry]]\nprefix = 5", 2),
            ("[registry]\nlocation = \"a.io\"", 1),
            ("aliases = 3", 1),
            (
                "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = 7",
                4,
            ),
        ] {
            let e = parse_err(text);
            assert!(
                e.starts_with(&format!("test.conf:{line}: ")),
                "{text:?}: {e}"
            );
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e =
            RegistriesConf::parse("a = 1\nb = [\n", "/etc/containers/registries.conf").unwrap_err();
        assert!(matches!(e, ConfError::Invalid { line: Some(_), .. }));
        let text = e.to_string();
        assert!(
            text.starts_with("/etc/containers/registries.conf:"),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");
        let e = parse_err("x = 1\ny = 2\nthis is not toml\n");
        assert!(e.starts_with("test.conf:3: "), "{e}");
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let conf = parse(
            r#"
            credential-helpers = ["containers-auth.json"]
            additional-layer-store-auth-helper = "x"
            [registries.search]
            registries = ["quay.io"]
            [[registry]]
            location = "example.com"
            something-new = { a = 1 }
            [[registry.mirror]]
            location = "mirror.example.com"
            insecure = true
            pull-from-mirror = "all"
            other = 1
            "#,
        );
        assert_eq!(conf.unqualified_search_registries(), None);
        assert_eq!(conf.registries.len(), 1);
        // Mirrors are ignored: their insecure flag applies to nothing.
        assert!(!conf.transport("mirror.example.com").insecure);
    }

    #[test]
    fn invalid_search_entries() {
        for entry in [
            "http://quay.io",
            "quay.io/ns",
            "-bad.io",
            "a b",
            "",
            "myhost",
        ] {
            let e = parse_err(&format!(
                "unqualified-search-registries = [\"quay.io\", {entry:?}]"
            ));
            assert!(
                e.starts_with("test.conf:1: invalid unqualified-search-registries entry"),
                "{entry}: {e}"
            );
        }
        // A host without a dot needs a port (or to be localhost) to read as a registry.
        assert_eq!(
            resolve(
                &parse(r#"unqualified-search-registries = ["myhost:5000"]"#),
                "a"
            ),
            ["myhost:5000/a:latest"]
        );
    }

    #[test]
    fn invalid_registry_tables() {
        for (text, expected) in [
            (
                "[[registry]]\ninsecure = true",
                "test.conf:1: [[registry]] needs a prefix or a location",
            ),
            ("[[registry]]\nprefix = \"example.com\"", "has no location"),
            (
                "[[registry]]\nlocation = \"https://example.com\"",
                "invalid [[registry]] location",
            ),
            (
                "[[registry]]\nlocation = \"example\"",
                "invalid [[registry]] location",
            ),
            (
                "[[registry]]\nlocation = \"example.com/A\"",
                "invalid [[registry]] location",
            ),
            (
                "[[registry]]\nprefix = \"*.example.com/foo\"",
                "invalid [[registry]] prefix",
            ),
            (
                "[[registry]]\nprefix = \"*.example.com:5000\"",
                "invalid [[registry]] prefix",
            ),
            (
                "[[registry]]\nprefix = \"example.*.com\"\nlocation = \"a.io\"",
                "invalid [[registry]] prefix",
            ),
            (
                "[[registry]]\nprefix = \"busybox\"\nlocation = \"a.io\"",
                "invalid [[registry]] prefix",
            ),
        ] {
            let e = parse_err(text);
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        // The line of the offending table.
        let e = parse_err(
            "short-name-mode = \"enforcing\"\n\n[[registry]]\nlocation = \"a.io\"\n\n[[registry]]\nblocked = true\n",
        );
        assert_eq!(e, "test.conf:6: [[registry]] needs a prefix or a location");
        let e =
            parse_err("[[registry]]\nlocation = \"a.io\"\n[[registry]]\n\nprefix = \"b.io/x\"\n");
        assert_eq!(
            e,
            "test.conf:3: [[registry]] prefix \"b.io/x\" has no location; only a *.domain prefix may omit it"
        );
        // Valid forms.
        parse(
            r#"
            [[registry]]
            prefix = "*.example.com"
            [[registry]]
            prefix = "example.com/ns/repo:tag"
            location = "mirror.example.com/x"
            [[registry]]
            location = "localhost:5000/"
            [[registry]]
            prefix = "[::1]:5000"
            location = "[::1]:5001"
            "#,
        );
    }

    #[test]
    fn prefix_matching() {
        assert_eq!(match_prefix("example.com/foo:1", "example.com"), Some(11));
        assert_eq!(match_prefix("example.com", "example.com"), Some(11));
        assert_eq!(
            match_prefix("example.com/foo:1", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            match_prefix("example.com/foo@sha256:x", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            match_prefix("example.com/foo/bar:1", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            match_prefix("example.com/foobar:1", "example.com/foo"),
            None
        );
        assert_eq!(match_prefix("example.com.evil/x", "example.com"), None);
        assert_eq!(match_prefix("example.co/x", "example.com"), None);
        // A ':' right after a host is a port: a different registry.
        assert_eq!(match_prefix("example.com:5000/x", "example.com"), None);
        assert_eq!(
            match_prefix("example.com:5000/x", "example.com:5000"),
            Some(16)
        );
        assert_eq!(
            match_prefix("example.com/foo:tag@sha256:x", "example.com/foo:tag"),
            Some(19)
        );
        assert_eq!(
            match_prefix("example.com/foo:tagx", "example.com/foo:tag"),
            None
        );
        // Wildcards.
        assert_eq!(match_prefix("a.example.com/x:1", "*.example.com"), Some(13));
        assert_eq!(match_prefix("a.b.example.com/x", "*.example.com"), Some(15));
        assert_eq!(match_prefix("example.com/x", "*.example.com"), None);
        assert_eq!(match_prefix("aexample.com/x", "*.example.com"), None);
        assert_eq!(match_prefix("a.example.com:5000/x", "*.example.com"), None);
        assert_eq!(
            match_prefix("quay.io/a.example.com/x", "*.example.com"),
            None
        );
        assert_eq!(match_prefix("a.example.com", "*.example.com"), Some(13));
    }

    #[test]
    fn rewriting_longest_prefix_wins() {
        let conf = parse(
            r#"
            unqualified-search-registries = ["example.com"]
            [[registry]]
            prefix = "example.com"
            location = "mirror.internal:5000"
            [[registry]]
            prefix = "example.com/foo"
            location = "internal.example.net/bar"
            [[registry]]
            prefix = "example.com/foo/special:v1"
            location = "special.example.net/s"
            [[registry]]
            prefix = "example.com/foo/pinned:v1"
            location = "pinned.example.net/p@sha256:0000000000000000000000000000000000000000000000000000000000000000"
            [[registry]]
            location = "plain.example.org"
            [[registry]]
            prefix = "*.wild.example"
            [[registry]]
            prefix = "*.rewritten.example"
            location = "central.example"
            [[registry]]
            prefix = "docker.io/library"
            location = "hub-mirror.example/official"
            "#,
        );
        assert_eq!(
            resolve(&conf, "example.com/foo/app:1"),
            ["internal.example.net/bar/app:1"]
        );
        assert_eq!(
            resolve(&conf, "example.com/foo"),
            ["internal.example.net/bar:latest"]
        );
        assert_eq!(
            resolve(&conf, "example.com/other"),
            ["mirror.internal:5000/other:latest"]
        );
        assert_eq!(
            resolve(&conf, "example.com/foobar"),
            ["mirror.internal:5000/foobar:latest"]
        );
        // The tag is part of the matched prefix; the result gets the default tag.
        assert_eq!(
            resolve(&conf, "example.com/foo/special:v1"),
            ["special.example.net/s:latest"]
        );
        assert_eq!(
            resolve(&conf, "example.com/foo/pinned:v1"),
            [format!("pinned.example.net/p@sha256:{}", "0".repeat(64))]
        );
        assert_eq!(
            resolve(&conf, "example.com/foo/special:v2"),
            ["internal.example.net/bar/special:v2"]
        );
        assert_eq!(
            resolve(&conf, "example.com:5000/foo"),
            ["example.com:5000/foo:latest"]
        );
        // Short names are rewritten after qualification.
        assert_eq!(
            resolve(&conf, "foo/app"),
            ["internal.example.net/bar/app:latest"]
        );
        // location-only tables do not rewrite.
        assert_eq!(
            resolve(&conf, "plain.example.org/x"),
            ["plain.example.org/x:latest"]
        );
        // A wildcard without location applies settings only; with one, it rewrites the host.
        assert_eq!(
            resolve(&conf, "a.wild.example/x"),
            ["a.wild.example/x:latest"]
        );
        assert_eq!(
            resolve(&conf, "a.b.rewritten.example/x:2"),
            ["central.example/x:2"]
        );
        // docker.io names are matched in their canonical form.
        assert_eq!(
            resolve(&conf, "docker.io/busybox"),
            ["hub-mirror.example/official/busybox:latest"]
        );
        assert_eq!(
            resolve(&conf, "docker.io/user/x"),
            ["docker.io/user/x:latest"]
        );
    }

    #[test]
    fn rewriting_to_an_invalid_reference_is_an_error() {
        let conf = parse(&format!(
            r#"
            [[registry]]
            prefix = "example.com/foo"
            location = "internal.example.net"
            [[registry]]
            prefix = "long.example.com"
            location = "long.example.com/{}"
            "#,
            "a".repeat(235)
        ));
        assert_eq!(
            resolve(&conf, "long.example.com/x"),
            [format!("long.example.com/{}/x:latest", "a".repeat(235))]
        );
        // "example.com/foo:1" becomes "internal.example.net:1", a short name with a tag.
        let e = conf.resolve("example.com/foo:1").unwrap_err();
        assert!(matches!(e, ConfError::Rewrite { .. }), "{e}");
        assert!(e.to_string().starts_with(
            r#"cannot rewrite example.com/foo:1 with [[registry]] prefix "example.com/foo" and location "internal.example.net": "#
        ), "{e}");
        let e = conf.resolve("long.example.com/x/y/z").unwrap_err();
        assert!(e.to_string().contains("more than 255 characters"), "{e}");
    }

    #[test]
    fn transport() {
        let conf = parse(
            r#"
            [[registry]]
            location = "insecure.example.com:5000"
            insecure = true
            [[registry]]
            prefix = "docker.io/evil"
            location = "docker.io/evil"
            blocked = true
            [[registry]]
            prefix = "*.corp.example"
            insecure = true
            [[registry]]
            prefix = "secure.corp.example"
            location = "secure.corp.example"
            [[registry]]
            prefix = "alias.example.com"
            location = "backend.example.com:444/ns"
            insecure = true
            blocked = false
            [[registry]]
            location = "localhost:5000"
            insecure = false
            "#,
        );
        let t = |s: &str| conf.transport(s);
        assert_eq!(
            t("insecure.example.com:5000"),
            Transport {
                insecure: true,
                blocked: false
            }
        );
        assert_eq!(t("insecure.example.com"), Transport::default());
        assert_eq!(t("quay.io"), Transport::default());
        // Namespace-level tables apply to whole references only.
        assert_eq!(t("docker.io"), Transport::default());
        assert_eq!(
            t("docker.io/evil/app:1"),
            Transport {
                insecure: false,
                blocked: true
            }
        );
        assert_eq!(t("docker.io/library/busybox:latest"), Transport::default());
        // Wildcards, and a plain table of the same length winning the tie.
        assert!(t("a.corp.example").insecure);
        assert!(t("a.b.corp.example/x:1").insecure);
        assert!(!t("secure.corp.example").insecure);
        // A table's settings follow its location.
        assert!(t("alias.example.com").insecure);
        assert!(t("backend.example.com:444/ns/app:1").insecure);
        assert!(!t("backend.example.com:444/other").insecure);
        // Loopback is always insecure.
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.9.9.9",
            "[::1]:5000",
            "127.0.0.1:5000/rl-test/small:docker",
        ] {
            assert_eq!(
                t(host),
                Transport {
                    insecure: true,
                    blocked: false
                },
                "{host}"
            );
        }
        assert_eq!(
            RegistriesConf::default().transport("[::1]"),
            Transport {
                insecure: true,
                blocked: false
            }
        );
        assert_eq!(
            RegistriesConf::default().transport("docker.io"),
            Transport::default()
        );
    }

    #[test]
    fn resolve_then_transport() {
        let conf = parse(
            r#"
            unqualified-search-registries = ["blocked.example", "localhost:5000"]
            [[registry]]
            location = "blocked.example"
            blocked = true
            "#,
        );
        let candidates = conf.resolve("app").unwrap();
        let transports: Vec<Transport> = candidates
            .iter()
            .map(|c| conf.transport(&c.reference.to_string()))
            .collect();
        assert_eq!(
            transports,
            [
                Transport {
                    insecure: false,
                    blocked: true
                },
                Transport {
                    insecure: true,
                    blocked: false
                }
            ]
        );
    }

    #[test]
    fn first_table_per_prefix_wins_within_a_file() {
        let conf = parse(
            r#"
            [[registry]]
            location = "a.example"
            insecure = true
            [[registry]]
            location = "a.example"
            blocked = true
            "#,
        );
        assert_eq!(
            conf.transport("a.example"),
            Transport {
                insecure: true,
                blocked: false
            }
        );
    }

    #[test]
    fn merge_rules() {
        let mut conf = parse(
            r#"
            unqualified-search-registries = ["a.example", "b.example"]
            short-name-mode = "enforcing"
            [[registry]]
            location = "a.example"
            insecure = true
            [[registry]]
            location = "b.example"
            blocked = true
            [aliases]
            "one" = "a.example/one"
            "two" = "a.example/two"
            "#,
        );
        conf.merge(parse(
            r#"
            [[registry]]
            location = "a.example"
            blocked = true
            [aliases]
            "two" = "b.example/two"
            "three" = "b.example/three"
            "#,
        ));
        // Unset fields keep earlier values; a table for the same prefix is replaced whole.
        assert_eq!(
            conf.unqualified_search_registries().unwrap(),
            ["a.example", "b.example"]
        );
        assert_eq!(conf.short_name_mode(), Some(ShortNameMode::Enforcing));
        assert_eq!(
            conf.transport("a.example"),
            Transport {
                insecure: false,
                blocked: true
            }
        );
        assert_eq!(
            conf.transport("b.example"),
            Transport {
                insecure: false,
                blocked: true
            }
        );
        assert_eq!(resolve(&conf, "one"), ["a.example/one:latest"]);
        assert_eq!(resolve(&conf, "two"), ["b.example/two:latest"]);
        assert_eq!(resolve(&conf, "three"), ["b.example/three:latest"]);

        conf.merge(parse(
            r#"
            unqualified-search-registries = ["c.example"]
            short-name-mode = "disabled"
            [aliases]
            "one" = ""
            "#,
        ));
        // Lists replace; an empty alias removes.
        assert_eq!(conf.unqualified_search_registries().unwrap(), ["c.example"]);
        assert_eq!(conf.short_name_mode(), Some(ShortNameMode::Disabled));
        assert_eq!(resolve(&conf, "one"), ["c.example/one:latest"]);
        assert_eq!(conf.alias("one"), None);

        conf.merge(parse(
            r#"[aliases]
"one" = "d.example/one""#,
        ));
        assert_eq!(resolve(&conf, "one"), ["d.example/one:latest"]);
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn env_of(vars: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_os_str().to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn load_merges_files_in_order() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let config = root.join("home/user/.xdg");
        write(
            &root.join("etc/containers/registries.conf"),
            r#"
            unqualified-search-registries = ["sys.example"]
            short-name-mode = "enforcing"
            [aliases]
            "a" = "sys.example/a"
            "b" = "sys.example/b"
            "c" = "sys.example/c"
            "d" = "sys.example/d"
            "#,
        );
        // Drop-ins in name order: 10 then 20; not-.conf files and directories are skipped.
        write(
            &root.join("etc/containers/registries.conf.d/20-second.conf"),
            "[aliases]\n\"b\" = \"second.example/b\"\n",
        );
        write(
            &root.join("etc/containers/registries.conf.d/10-first.conf"),
            "[aliases]\n\"b\" = \"first.example/b\"\n\"c\" = \"first.example/c\"\n",
        );
        write(
            &root.join("etc/containers/registries.conf.d/30-ignored.txt"),
            "not toml [",
        );
        fs::create_dir_all(root.join("etc/containers/registries.conf.d/40-dir.conf")).unwrap();
        write(
            &config.join("containers/registries.conf"),
            "[aliases]\n\"c\" = \"user.example/c\"\n\"d\" = \"user.example/d\"\n",
        );
        write(
            &config.join("rl/registries.conf"),
            "unqualified-search-registries = [\"rl.example\"]\n[aliases]\n\"d\" = \"rl.example/d\"\n",
        );

        let env = env_of(&[
            ("XDG_CONFIG_HOME", &config),
            ("HOME", &root.join("elsewhere")),
        ]);
        let conf = RegistriesConf::load_rooted(root, &env).unwrap();
        assert_eq!(
            conf.unqualified_search_registries().unwrap(),
            ["rl.example"]
        );
        assert_eq!(conf.short_name_mode(), Some(ShortNameMode::Enforcing));
        let alias = |name: &str| {
            conf.alias(name)
                .map(Reference::to_string)
                .unwrap_or_default()
        };
        assert_eq!(alias("a"), "sys.example/a");
        assert_eq!(alias("b"), "second.example/b");
        assert_eq!(alias("c"), "user.example/c");
        assert_eq!(alias("d"), "rl.example/d");
        assert_eq!(resolve(&conf, "x"), ["rl.example/x:latest"]);
    }

    #[test]
    fn load_falls_back_to_home_and_tolerates_missing_files() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let home = root.join("home");
        write(
            &home.join(".config/rl/registries.conf"),
            "unqualified-search-registries = [\"home.example\"]\n",
        );
        // No /etc files at all; XDG_CONFIG_HOME unset.
        let conf = RegistriesConf::load_rooted(root, &env_of(&[("HOME", &home)])).unwrap();
        assert_eq!(
            conf.unqualified_search_registries().unwrap(),
            ["home.example"]
        );
        // A relative XDG_CONFIG_HOME is ignored in favour of HOME.
        let conf = RegistriesConf::load_rooted(
            root,
            &env_of(&[("XDG_CONFIG_HOME", Path::new("relative")), ("HOME", &home)]),
        )
        .unwrap();
        assert_eq!(
            conf.unqualified_search_registries().unwrap(),
            ["home.example"]
        );
        // No environment, no files: the default.
        let conf = RegistriesConf::load_rooted(root, &env_of(&[])).unwrap();
        assert_eq!(conf.unqualified_search_registries(), None);
        assert_eq!(
            resolve(&conf, "busybox"),
            ["docker.io/library/busybox:latest"]
        );
        // HOME that is a file is as good as missing.
        write(&root.join("file"), "");
        let conf =
            RegistriesConf::load_rooted(root, &env_of(&[("HOME", &root.join("file"))])).unwrap();
        assert_eq!(conf.unqualified_search_registries(), None);
    }

    #[test]
    fn load_reports_the_malformed_file_and_line() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let bad = root.join("etc/containers/registries.conf.d/50-bad.conf");
        write(
            &root.join("etc/containers/registries.conf"),
            "unqualified-search-registries = [\"a.example\"]\n",
        );
        write(
            &bad,
            "# comment\n[aliases]\n\"x\" = \"a.example/x\"\n\"y\" = nope\n",
        );
        let e = RegistriesConf::load_rooted(root, &env_of(&[])).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("{}:4: ", bad.display())),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");

        write(
            &bad,
            "[[registry]]\nlocation = \"a.example\"\ninsecure = 1\n",
        );
        let text = RegistriesConf::load_rooted(root, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with(&format!("{}:3: ", bad.display())),
            "{text}"
        );
    }

    #[test]
    fn load_reports_unreadable_files() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        // A directory where a file is expected cannot be read.
        fs::create_dir_all(root.join("etc/containers/registries.conf")).unwrap();
        let e = RegistriesConf::load_rooted(root, &env_of(&[])).unwrap_err();
        assert!(matches!(e, ConfError::Read { .. }), "{e}");
        assert!(e.to_string().starts_with("cannot read "), "{e}");
    }

    #[test]
    fn load_uses_the_real_paths() {
        // Only checks that loading with the real root and an empty environment does not fail on
        // a missing user configuration; system files, if any, must be valid for this to pass.
        let home = tempfile::tempdir().unwrap();
        let env = env_of(&[("HOME", home.path())]);
        let files = config_files(Path::new("/"), &env).unwrap();
        assert_eq!(
            files.first().map(PathBuf::as_path),
            Some(Path::new("/etc/containers/registries.conf"))
        );
        assert_eq!(
            files.last(),
            Some(&home.path().join(".config/rl/registries.conf"))
        );
        let _ = RegistriesConf::load(env);
    }
}
