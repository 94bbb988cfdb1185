//! Image references as users write them, following docker's `distribution/reference` grammar.
//!
//! The parser is written by hand (no regex engine); the grammar it accepts is:
//!
//! ```text
//! reference       := name [ ":" tag ] [ "@" digest ]
//! name            := [ registry "/" ] path          (at most 255 characters in all)
//! registry        := host [ ":" port ]
//! host            := domain-name | "[" IPv6-address "]"
//! domain-name     := label ( "." label )*
//! label           := [A-Za-z0-9] | [A-Za-z0-9] [A-Za-z0-9-]* [A-Za-z0-9]
//! port            := [0-9]+
//! path            := path-component ( "/" path-component )*
//! path-component  := [a-z0-9]+ ( separator [a-z0-9]+ )*
//! separator       := "." | "_" | "__" | "-"+
//! tag             := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest          := "sha256:" 64 lowercase hex | "sha512:" 128 lowercase hex
//! ```
//!
//! As in docker, the first `/`-separated component of a name is a registry only when it contains
//! a `.` or a `:` or is exactly `localhost`; otherwise the whole name is a repository path on a
//! registry still to be chosen (a *short name*). [`Reference::parse`] keeps that distinction
//! ([`Parsed`]); [`Reference::parse_normalized`] applies docker's rules (short names live on
//! `docker.io`, single-component names there get `library/`, and a reference with neither tag nor
//! digest means `:latest`). `index.docker.io` is an alias of `docker.io` everywhere, and a
//! `docker.io` repository without a `/` always gets `library/`, so equal references compare equal.
//!
//! Unlike go-digest, only `sha256` and `sha512` digests are accepted (not `sha384`), and a name
//! that is exactly 64 lowercase hex characters is rejected as an image ID, as docker does.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The registry that short names resolve to by default, as docker does.
pub const DOCKER_HUB: &str = "docker.io";
/// The legacy name of Docker Hub, an alias of [`DOCKER_HUB`].
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
/// The host actually serving Docker Hub's registry API.
const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The namespace of Docker Hub's official images.
const OFFICIAL_NAMESPACE: &str = "library";
/// The longest a name (registry, `/` and repository) may be.
pub const NAME_MAX: usize = 255;
/// The longest a tag may be.
const TAG_MAX: usize = 128;

/// A fully qualified image reference: registry, repository, and optionally a tag and a digest.
///
/// Always valid and canonical: the registry is never `index.docker.io`, and a `docker.io`
/// repository always has a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// A reference without a registry, as written: `busybox`, `library/busybox:1`, `user/app@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShortName {
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// What [`Reference::parse`] found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parsed {
    /// The reference names its registry.
    Qualified(Reference),
    /// The reference does not name a registry; one must be chosen (short-name resolution).
    Short(ShortName),
}

/// Why a string is not a valid image reference. Every message quotes the input and is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The input is empty.
    #[error("invalid reference \"\": repository name must not be empty")]
    Empty,
    /// There is a tag or digest but no name before it.
    #[error("invalid reference {input:?}: repository name must not be empty")]
    MissingName {
        /// The input.
        input: String,
    },
    /// The repository path contains uppercase letters.
    #[error("invalid reference {input:?}: repository name must be lowercase")]
    Uppercase {
        /// The input.
        input: String,
    },
    /// The name is longer than [`NAME_MAX`].
    #[error("invalid reference {input:?}: repository name must not be more than 255 characters")]
    TooLong {
        /// The input.
        input: String,
    },
    /// The registry part is not `host[:port]`.
    #[error("invalid reference {input:?}: invalid registry {registry:?}")]
    Registry {
        /// The input.
        input: String,
        /// The registry part.
        registry: String,
    },
    /// A repository path component does not follow the grammar.
    #[error("invalid reference {input:?}: invalid repository path component {component:?}")]
    PathComponent {
        /// The input.
        input: String,
        /// The first offending component.
        component: String,
    },
    /// The tag does not follow the grammar.
    #[error("invalid reference {input:?}: invalid tag {tag:?}")]
    Tag {
        /// The input.
        input: String,
        /// The tag.
        tag: String,
    },
    /// The digest is malformed or uses an unsupported algorithm.
    #[error("invalid reference {input:?}: invalid digest {digest:?}: {reason}")]
    Digest {
        /// The input.
        input: String,
        /// The digest.
        digest: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The input is a 64-character hexadecimal string, which is an image ID, not a name.
    #[error(
        "invalid reference {input:?}: cannot use a 64-character hexadecimal string (an image ID) as a name"
    )]
    HexId {
        /// The input.
        input: String,
    },
}

impl Reference {
    /// Parses a fully or partly qualified reference without applying short-name resolution.
    ///
    /// Returns [`Parsed::Qualified`] when the first component is a registry (contains `.` or `:`,
    /// or is exactly `localhost`), else [`Parsed::Short`]. No default tag is added.
    pub fn parse(s: &str) -> Result<Parsed, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let input = || s.to_owned();
        if s.len() == 64 && s.bytes().all(is_lower_hex) {
            return Err(ReferenceError::HexId { input: input() });
        }

        let (rest, digest) = match s.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (s, None),
        };
        if let Some(digest) = digest {
            check_digest(digest).map_err(|reason| ReferenceError::Digest {
                input: input(),
                digest: digest.to_owned(),
                reason,
            })?;
        }
        let (name, tag) = split_tag(rest);
        if let Some(tag) = tag
            && !is_valid_tag(tag)
        {
            return Err(ReferenceError::Tag {
                input: input(),
                tag: tag.to_owned(),
            });
        }
        if name.is_empty() {
            return Err(ReferenceError::MissingName { input: input() });
        }

        let (registry, path) = split_registry(name);
        if let Some(registry) = registry
            && !is_valid_registry(registry)
        {
            return Err(ReferenceError::Registry {
                input: input(),
                registry: registry.to_owned(),
            });
        }
        check_path(path, s)?;

        let tag = tag.map(str::to_owned);
        let digest = digest.map(str::to_owned);
        match registry {
            Some(registry) => {
                let reference = Reference::canonical(registry, path, tag, digest);
                reference.check_length(s)?;
                Ok(Parsed::Qualified(reference))
            }
            None => {
                if path.len() > NAME_MAX {
                    return Err(ReferenceError::TooLong { input: input() });
                }
                Ok(Parsed::Short(ShortName {
                    repository: path.to_owned(),
                    tag,
                    digest,
                }))
            }
        }
    }

    /// Parses a reference the way docker does: short names go to `docker.io`, single-component
    /// names there get `library/`, and no tag and no digest means `:latest`.
    ///
    /// `"busybox"` becomes `docker.io/library/busybox:latest`.
    pub fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
        let reference = match Self::parse(s)? {
            Parsed::Qualified(reference) => reference,
            Parsed::Short(short) => {
                let reference = short.qualify(DOCKER_HUB);
                reference.check_length(s)?;
                reference
            }
        };
        Ok(reference.or_latest())
    }

    /// The registry, as `host[:port]`: `docker.io`, `127.0.0.1:5000`, `localhost`, `[::1]:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path within the registry: `library/busybox`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:<64 hex>`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The name without tag or digest: `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same reference with `tag` as its tag; a digest is kept, as docker does.
    ///
    /// The tag is not validated; check untrusted input with [`is_valid_tag`] first.
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_owned()),
            ..self.clone()
        }
    }

    /// The same reference with `digest` as its digest; a tag is kept, as docker does.
    ///
    /// The digest is not validated; check untrusted input with [`is_valid_digest`] first.
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference {
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }

    /// The registry host to connect to: `docker.io` is served by `registry-1.docker.io`; every
    /// other registry by itself.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// Whether the registry is on loopback (`localhost`, `127.0.0.0/8`, `[::1]`, with any port).
    /// Such registries are spoken to over plain HTTP by default, as docker does.
    pub fn is_loopback(&self) -> bool {
        is_loopback_registry(&self.registry)
    }

    /// This reference, with the tag `latest` if it has neither tag nor digest.
    pub(crate) fn or_latest(self) -> Reference {
        if self.tag.is_none() && self.digest.is_none() {
            Reference {
                tag: Some("latest".to_owned()),
                ..self
            }
        } else {
            self
        }
    }

    /// Builds a reference from valid parts, applying docker.io's canonical form.
    fn canonical(
        registry: &str,
        repository: &str,
        tag: Option<String>,
        digest: Option<String>,
    ) -> Reference {
        let registry = if registry == DOCKER_HUB_LEGACY {
            DOCKER_HUB
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("{OFFICIAL_NAMESPACE}/{repository}")
        } else {
            repository.to_owned()
        };
        Reference {
            registry: registry.to_owned(),
            repository,
            tag,
            digest,
        }
    }

    /// Fails if the name is longer than [`NAME_MAX`].
    fn check_length(&self, input: &str) -> Result<(), ReferenceError> {
        if self.registry.len() + 1 + self.repository.len() > NAME_MAX {
            return Err(ReferenceError::TooLong {
                input: input.to_owned(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Reference {
    /// `registry/repository[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        write_suffix(f, self.tag.as_deref(), self.digest.as_deref())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    /// The same as [`Reference::parse_normalized`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_normalized(s)
    }
}

impl ShortName {
    /// The repository path as written: `busybox`, `library/busybox`, `user/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// This name on `registry`, keeping tag and digest (no default tag is added). `library/` is
    /// added to single-component names only on `docker.io` (or its alias `index.docker.io`).
    ///
    /// `registry` is trusted to be a valid `host[:port]`, and the result's length is not checked;
    /// re-parse its string form to validate it.
    pub fn qualify(&self, registry: &str) -> Reference {
        Reference::canonical(
            registry,
            &self.repository,
            self.tag.clone(),
            self.digest.clone(),
        )
    }
}

impl fmt::Display for ShortName {
    /// `repository[:tag][@digest]`, as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository)?;
        write_suffix(f, self.tag.as_deref(), self.digest.as_deref())
    }
}

/// Writes `[:tag][@digest]`.
fn write_suffix(
    f: &mut fmt::Formatter<'_>,
    tag: Option<&str>,
    digest: Option<&str>,
) -> fmt::Result {
    if let Some(tag) = tag {
        write!(f, ":{tag}")?;
    }
    if let Some(digest) = digest {
        write!(f, "@{digest}")?;
    }
    Ok(())
}

/// Whether `tag` is a valid tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    tag.len() <= TAG_MAX && is_word(first) && bytes.all(|b| is_word(b) || b == b'.' || b == b'-')
}

/// Whether `digest` is a supported digest: `sha256:` and 64, or `sha512:` and 128, lowercase hex.
pub fn is_valid_digest(digest: &str) -> bool {
    check_digest(digest).is_ok()
}

/// Whether a registry (`host[:port]`, optionally followed by `/path…`) is on loopback:
/// `localhost`, `127.0.0.0/8` or `[::1]`, with any port.
pub fn is_loopback_registry(registry: &str) -> bool {
    let registry = registry.split_once('/').map_or(registry, |(host, _)| host);
    if let Some(rest) = registry.strip_prefix('[') {
        return rest
            .split_once(']')
            .and_then(|(host, _)| host.parse::<Ipv6Addr>().ok())
            .is_some_and(|addr| addr.is_loopback());
    }
    let host = registry.split_once(':').map_or(registry, |(host, _)| host);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<Ipv4Addr>()
            .is_ok_and(|addr| addr.is_loopback())
}

/// Whether the first component of a name is a registry rather than part of the repository path:
/// it contains a `.` or a `:`, or is exactly `localhost`.
pub(crate) fn looks_like_registry(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost"
}

/// Whether `s` is a valid `host[:port]`, with the host a domain name, an IPv4 address or an IPv6
/// address in brackets.
pub(crate) fn is_valid_registry(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix('[') {
        let Some((inner, after)) = rest.split_once(']') else {
            return false;
        };
        let ipv6 = !inner.is_empty()
            && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
            && inner.parse::<Ipv6Addr>().is_ok();
        return ipv6 && (after.is_empty() || after.strip_prefix(':').is_some_and(is_port));
    }
    let (host, port) = match s.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    host.split('.').all(is_domain_label) && port.is_none_or(is_port)
}

/// Whether `path` is a valid repository path: lowercase components separated by `/`.
pub(crate) fn is_valid_path(path: &str) -> bool {
    path.split('/').all(is_path_component)
}

/// Splits `name[:tag]`; a `:` before the last `/` belongs to a registry port, not a tag.
fn split_tag(s: &str) -> (&str, Option<&str>) {
    match s.rfind(':') {
        Some(colon) if s.rfind('/').is_none_or(|slash| slash < colon) => {
            (&s[..colon], Some(&s[colon + 1..]))
        }
        _ => (s, None),
    }
}

/// Splits `[registry/]path`.
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if looks_like_registry(first) => (Some(first), rest),
        _ => (None, name),
    }
}

/// Checks a repository path, reporting uppercase letters specifically.
fn check_path(path: &str, input: &str) -> Result<(), ReferenceError> {
    let Some(bad) = path.split('/').find(|c| !is_path_component(c)) else {
        return Ok(());
    };
    if is_valid_path(&path.to_ascii_lowercase()) {
        Err(ReferenceError::Uppercase {
            input: input.to_owned(),
        })
    } else {
        Err(ReferenceError::PathComponent {
            input: input.to_owned(),
            component: bad.to_owned(),
        })
    }
}

/// `[a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )*`
fn is_path_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while bytes.get(i).is_some_and(|&b| is_lower_alnum(b)) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        let start = i;
        while bytes.get(i).is_some_and(|&b| !is_lower_alnum(b)) {
            i += 1;
        }
        let separator = &bytes[start..i];
        let valid =
            matches!(separator, b"." | b"_" | b"__") || separator.iter().all(|&b| b == b'-');
        if !valid {
            return false;
        }
    }
}

/// `[A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]`
fn is_domain_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        }
        _ => false,
    }
}

/// `[0-9]+`
fn is_port(port: &str) -> bool {
    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
}

/// Checks `algorithm:hex`.
fn check_digest(digest: &str) -> Result<(), &'static str> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err("expected algorithm:hex");
    };
    let (len, reason) = match algorithm {
        "sha256" => (64, "a sha256 digest is 64 lowercase hex characters"),
        "sha512" => (128, "a sha512 digest is 128 lowercase hex characters"),
        _ => return Err("unsupported digest algorithm (expected sha256 or sha512)"),
    };
    if hex.len() == len && hex.bytes().all(is_lower_hex) {
        Ok(())
    } else {
        Err(reason)
    }
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn qualified(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(Parsed::Qualified(r)) => r,
            other => panic!("{s}: expected qualified, got {other:?}"),
        }
    }

    fn short(s: &str) -> ShortName {
        match Reference::parse(s) {
            Ok(Parsed::Short(n)) => n,
            other => panic!("{s}: expected short, got {other:?}"),
        }
    }

    fn norm(s: &str) -> String {
        Reference::parse_normalized(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .to_string()
    }

    fn err(s: &str) -> ReferenceError {
        match Reference::parse(s) {
            Err(e) => e,
            Ok(p) => panic!("{s}: expected an error, got {p:?}"),
        }
    }

    #[test]
    fn normalizes_like_docker() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(norm("library/busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("user/app"), "docker.io/user/app:latest");
        assert_eq!(
            norm("docker.io/busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            norm("docker.io/library/busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            norm("index.docker.io/busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(norm("index.docker.io/user/app:v1"), "docker.io/user/app:v1");
        assert_eq!(norm("a/b/c/d"), "docker.io/a/b/c/d:latest");
        assert_eq!(
            norm(&format!("busybox@{SHA256}")),
            format!("docker.io/library/busybox@{SHA256}")
        );
        assert_eq!(
            norm(&format!("busybox:1@{SHA256}")),
            format!("docker.io/library/busybox:1@{SHA256}")
        );
        // A bare host:port is a name with a tag, as in docker.
        assert_eq!(norm("localhost:5000"), "docker.io/library/localhost:5000");
        assert_eq!(norm("localhost"), "docker.io/library/localhost:latest");
    }

    #[test]
    fn from_str_is_parse_normalized() {
        let r: Reference = "busybox".parse().unwrap();
        assert_eq!(r, Reference::parse_normalized("busybox").unwrap());
        assert_eq!(r.registry(), "docker.io");
        assert_eq!(r.repository(), "library/busybox");
        assert_eq!(r.tag(), Some("latest"));
        assert_eq!(r.digest(), None);
        assert!("Busybox".parse::<Reference>().is_err());
    }

    #[test]
    fn short_names_are_not_resolved_by_parse() {
        let n = short("busybox");
        assert_eq!(
            (n.repository(), n.tag(), n.digest()),
            ("busybox", None, None)
        );
        let n = short("library/busybox:1");
        assert_eq!(
            (n.repository(), n.tag(), n.digest()),
            ("library/busybox", Some("1"), None)
        );
        let n = short(&format!("user/app@{SHA256}"));
        assert_eq!(
            (n.repository(), n.tag(), n.digest()),
            ("user/app", None, Some(SHA256))
        );
        assert_eq!(n.to_string(), format!("user/app@{SHA256}"));
        assert_eq!(short("a:b").to_string(), "a:b");
        // Not registries: no '.' or ':', and not exactly "localhost".
        short("localhostx/foo");
        short("registry/foo");
        short("local-host/foo");
    }

    #[test]
    fn qualified_references_are_kept() {
        let r = qualified("localhost/foo");
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("localhost", "foo", None)
        );
        let r = qualified("localhost:5000/foo");
        assert_eq!((r.registry(), r.repository()), ("localhost:5000", "foo"));
        let r = qualified("127.0.0.1:5000/rl-test/small:docker");
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "rl-test/small");
        assert_eq!(r.tag(), Some("docker"));
        assert_eq!(r.to_string(), "127.0.0.1:5000/rl-test/small:docker");
        let r = qualified("[::1]:5000/foo/bar:v2");
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("[::1]:5000", "foo/bar", Some("v2"))
        );
        let r = qualified("[2001:db8::1]/foo");
        assert_eq!(r.registry(), "[2001:db8::1]");
        let r = qualified("quay.io/podman/hello");
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("quay.io", "podman/hello", None)
        );
        // Qualified but not docker.io: no library/.
        assert_eq!(qualified("example.com/foo").repository(), "foo");
        assert_eq!(norm("example.com/foo"), "example.com/foo:latest");
        // Hosts may have uppercase letters and dashes inside labels.
        assert_eq!(
            qualified("My-Registry.Example.com/foo").registry(),
            "My-Registry.Example.com"
        );
        // docker.io is canonicalized even without normalization.
        let r = qualified("index.docker.io/busybox");
        assert_eq!(
            (r.registry(), r.repository()),
            ("docker.io", "library/busybox")
        );
        assert_eq!(r, qualified("docker.io/library/busybox"));
    }

    #[test]
    fn tag_and_digest_together() {
        let r = qualified(&format!("example.com/a/b:v1.0@{SHA256}"));
        assert_eq!(r.tag(), Some("v1.0"));
        assert_eq!(r.digest(), Some(SHA256));
        assert_eq!(r.to_string(), format!("example.com/a/b:v1.0@{SHA256}"));
        let r = qualified(&format!("example.com:443/a@{SHA256}"));
        assert_eq!(
            (r.registry(), r.tag(), r.digest()),
            ("example.com:443", None, Some(SHA256))
        );
        assert_eq!(r.to_string(), format!("example.com:443/a@{SHA256}"));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "docker.io/library/busybox:latest",
            "localhost/foo",
            "[::1]:5000/a/b:c",
            "127.0.0.1:5000/rl-test/small:docker",
        ] {
            assert_eq!(qualified(s).to_string(), s);
            assert_eq!(qualified(&qualified(s).to_string()), qualified(s));
        }
    }

    #[test]
    fn path_components() {
        for ok in [
            "a",
            "a0",
            "0",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a--b",
            "a---b",
            "a.b_c-d__e",
            "a/b/c",
            "abc123/x-y",
        ] {
            short(ok);
        }
        for bad in [
            "a..b", "a___b", "a._b", "a-_b", "-a", "a-", ".a", "a.", "_a", "a_", "a//b", "/a",
            "a/", "a b", "a+b", "a~b", "é",
        ] {
            assert!(
                matches!(err(bad), ReferenceError::PathComponent { .. }),
                "{bad}: {:?}",
                Reference::parse(bad)
            );
        }
        assert_eq!(
            err("foo/a..b/c").to_string(),
            r#"invalid reference "foo/a..b/c": invalid repository path component "a..b""#
        );
        assert!(matches!(
            err("example.com/a..b"),
            ReferenceError::PathComponent { .. }
        ));
    }

    #[test]
    fn uppercase_repository_is_a_specific_error() {
        assert_eq!(
            err("Foo").to_string(),
            r#"invalid reference "Foo": repository name must be lowercase"#
        );
        assert!(matches!(
            err("foo/Bar:tag"),
            ReferenceError::Uppercase { .. }
        ));
        assert!(matches!(
            err("example.com/Foo"),
            ReferenceError::Uppercase { .. }
        ));
        assert!(matches!(
            err("docker.io/library/BusyBox"),
            ReferenceError::Uppercase { .. }
        ));
        // A first component with uppercase is not a registry (no '.', ':' or "localhost").
        assert!(matches!(
            err("Registry/foo"),
            ReferenceError::Uppercase { .. }
        ));
        // Uppercase that would still be invalid once lowercased is a component error.
        assert!(matches!(
            err("Foo..bar"),
            ReferenceError::PathComponent { .. }
        ));
        // Uppercase in tags is fine.
        assert_eq!(short("foo:V1").tag(), Some("V1"));
    }

    #[test]
    fn registries() {
        for ok in [
            "localhost/a",
            "localhost:1/a",
            "a.b/c",
            "a-b.c/d",
            "1.2.3.4/a",
            "1.2.3.4:65535/a",
            "[::1]/a",
            "[::]/a",
            "[fe80::1:2]:5000/a",
            "xn--bcher-kva.example/a",
        ] {
            qualified(ok);
        }
        for bad in [
            "-a.b/c",
            "a-.b/c",
            "a..b/c",
            ".a/c",
            "a./c",
            "a_b.c/d",
            "localhost:/a",
            "localhost:x/a",
            "a.b:1:2/c",
            "[::1/a",
            "[::1]x/a",
            "[::1]:/a",
            "[:]/a",
            "[zz::1]/a",
            "[1.2.3.4]/a",
            "[::1]:50x/a",
        ] {
            assert!(
                matches!(err(bad), ReferenceError::Registry { .. }),
                "{bad}: {:?}",
                Reference::parse(bad)
            );
        }
        // Brackets without an address do not read as a registry at all.
        assert!(Reference::parse("[]/a").is_err());
        assert_eq!(
            err("a..b/c").to_string(),
            r#"invalid reference "a..b/c": invalid registry "a..b""#
        );
    }

    #[test]
    fn tags() {
        assert_eq!(short("a:_").tag(), Some("_"));
        assert_eq!(short("a:v1.2-rc_3").tag(), Some("v1.2-rc_3"));
        let longest = "t".repeat(128);
        assert_eq!(short(&format!("a:{longest}")).tag(), Some(longest.as_str()));
        for bad in ["a:", "a:.v", "a:-v", "a:v+1", "a:v/1x:y", "a:v@"] {
            let e = Reference::parse(bad);
            assert!(e.is_err(), "{bad}: {e:?}");
        }
        assert!(matches!(
            err(&format!("a:{}", "t".repeat(129))),
            ReferenceError::Tag { .. }
        ));
        assert!(matches!(err("a:.v"), ReferenceError::Tag { .. }));
        assert_eq!(
            err("a:").to_string(),
            r#"invalid reference "a:": invalid tag """#
        );
        assert!(is_valid_tag("latest"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag("a b"));
    }

    #[test]
    fn digests() {
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        assert_eq!(
            short(&format!("a@{sha512}")).digest(),
            Some(sha512.as_str())
        );
        for bad in [
            format!("a@sha256:{}", "a".repeat(63)),
            format!("a@sha256:{}", "a".repeat(65)),
            format!("a@sha256:{}", "A".repeat(64)),
            format!("a@sha256:{}", "g".repeat(64)),
            format!("a@sha512:{}", "a".repeat(64)),
            format!("a@sha384:{}", "a".repeat(96)),
            format!("a@md5:{}", "a".repeat(32)),
            "a@sha256".to_owned(),
            "a@".to_owned(),
            format!("a@{SHA256}@{SHA256}"),
        ] {
            assert!(matches!(err(&bad), ReferenceError::Digest { .. }), "{bad}");
        }
        assert_eq!(
            err("a@sha256:00").to_string(),
            r#"invalid reference "a@sha256:00": invalid digest "sha256:00": a sha256 digest is 64 lowercase hex characters"#
        );
        assert!(is_valid_digest(SHA256));
        assert!(!is_valid_digest("sha256:"));
    }

    #[test]
    fn missing_or_empty_names() {
        assert_eq!(err(""), ReferenceError::Empty);
        assert_eq!(
            err("").to_string(),
            r#"invalid reference "": repository name must not be empty"#
        );
        assert!(matches!(err(":tag"), ReferenceError::MissingName { .. }));
        assert!(matches!(
            err(&format!("@{SHA256}")),
            ReferenceError::MissingName { .. }
        ));
        assert!(matches!(
            err("example.com/"),
            ReferenceError::PathComponent { .. }
        ));
    }

    #[test]
    fn image_ids_are_not_names() {
        let id = "0123456789abcdef".repeat(4);
        assert!(matches!(err(&id), ReferenceError::HexId { .. }));
        assert!(Reference::parse_normalized(&id).is_err());
        // Shorter, longer, or with a tag: ordinary names.
        short(&id[..63]);
        short(&format!("{id}0"));
        short(&format!("{id}:1"));
    }

    #[test]
    fn length_limit() {
        // Qualified: registry + '/' + repository counts.
        let repo = "a".repeat(255 - "example.com/".len());
        qualified(&format!("example.com/{repo}:tag"));
        assert!(matches!(
            err(&format!("example.com/{repo}a")),
            ReferenceError::TooLong { .. }
        ));
        // Short: the written path counts for parse, the normalized name for parse_normalized.
        let path = "a".repeat(255);
        short(&path);
        assert!(matches!(
            err(&format!("{path}a")),
            ReferenceError::TooLong { .. }
        ));
        assert!(matches!(
            Reference::parse_normalized(&path),
            Err(ReferenceError::TooLong { .. })
        ));
        let fits = "a".repeat(255 - "docker.io/library/".len());
        assert!(Reference::parse_normalized(&fits).is_ok());
        assert!(Reference::parse_normalized(&format!("{fits}a")).is_err());
        // docker.io canonicalization counts too.
        let long = "a".repeat(255 - "docker.io/".len());
        assert!(matches!(
            err(&format!("docker.io/{long}")),
            ReferenceError::TooLong { .. }
        ));
        assert_eq!(
            err(&format!("docker.io/{long}")).to_string(),
            format!(
                "invalid reference \"docker.io/{long}\": repository name must not be more than 255 characters"
            )
        );
    }

    #[test]
    fn qualify_short_names() {
        let n = short("busybox:1");
        assert_eq!(
            n.qualify("docker.io").to_string(),
            "docker.io/library/busybox:1"
        );
        assert_eq!(
            n.qualify("index.docker.io").to_string(),
            "docker.io/library/busybox:1"
        );
        assert_eq!(n.qualify("quay.io").to_string(), "quay.io/busybox:1");
        assert_eq!(
            short("user/app").qualify("docker.io").to_string(),
            "docker.io/user/app"
        );
        assert_eq!(
            short("library/busybox").qualify("docker.io").to_string(),
            "docker.io/library/busybox"
        );
        let n = short(&format!("a:t@{SHA256}"));
        assert_eq!(
            n.qualify("localhost:5000").to_string(),
            format!("localhost:5000/a:t@{SHA256}")
        );
    }

    #[test]
    fn with_tag_and_digest_keep_the_other() {
        let r = Reference::parse_normalized("busybox:1").unwrap();
        let d = r.with_digest(SHA256);
        assert_eq!(
            d.to_string(),
            format!("docker.io/library/busybox:1@{SHA256}")
        );
        let t = d.with_tag("2");
        assert_eq!((t.tag(), t.digest()), (Some("2"), Some(SHA256)));
        assert_eq!(r.name(), "docker.io/library/busybox");
        assert_eq!(qualified("localhost/x").or_latest().tag(), Some("latest"));
        assert_eq!(
            qualified(&format!("localhost/x@{SHA256}"))
                .or_latest()
                .tag(),
            None
        );
    }

    #[test]
    fn api_host() {
        assert_eq!(
            Reference::parse_normalized("busybox").unwrap().api_host(),
            "registry-1.docker.io"
        );
        assert_eq!(
            qualified("index.docker.io/a/b").api_host(),
            "registry-1.docker.io"
        );
        assert_eq!(qualified("quay.io/a/b").api_host(), "quay.io");
        assert_eq!(qualified("127.0.0.1:5000/a").api_host(), "127.0.0.1:5000");
    }

    #[test]
    fn loopback() {
        for yes in [
            "localhost/a",
            "localhost:5000/a",
            "127.0.0.1/a",
            "127.0.0.1:5000/a",
            "127.1.2.3:80/a",
            "[::1]/a",
            "[::1]:5000/a",
            "[0:0:0:0:0:0:0:1]:5000/a",
        ] {
            assert!(qualified(yes).is_loopback(), "{yes}");
        }
        for no in [
            "docker.io/a",
            "128.0.0.1/a",
            "10.0.0.1:5000/a",
            "localhost.example.com/a",
            "[::2]/a",
            "[::]:5000/a",
            "127.0.0.1.example.com/a",
        ] {
            assert!(!qualified(no).is_loopback(), "{no}");
        }
        assert!(is_loopback_registry("LOCALHOST:5000"));
        assert!(is_loopback_registry("127.0.0.1:5000/a/b:c"));
        assert!(!is_loopback_registry("[::1"));
        assert!(
            !Reference::parse_normalized("busybox")
                .unwrap()
                .is_loopback()
        );
    }

    #[test]
    fn errors_are_one_line() {
        let e = err("a\nb");
        assert!(!e.to_string().contains('\n'), "{e}");
        assert!(
            e.to_string().starts_with(r#"invalid reference "a\nb""#),
            "{e}"
        );
    }
}
