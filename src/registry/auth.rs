//! Registry credentials in the containers auth.json format:
//! `$XDG_RUNTIME_DIR/containers/auth.json` (what `rl login` writes, as podman does), then
//! `$XDG_CONFIG_HOME/containers/auth.json`, then docker's `~/.docker/config.json`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Default, Serialize, Deserialize)]
struct AuthFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct AuthEntry {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    auth: String,
}

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

/// The auth files rl reads, in order; the first is the one it writes.
pub fn auth_files(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Vec<PathBuf> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let mut v = Vec::new();
    if let Some(p) = get("REGISTRY_AUTH_FILE") {
        v.push(p);
    }
    if let Some(r) = get("XDG_RUNTIME_DIR") {
        v.push(r.join("containers/auth.json"));
    }
    let config = get("XDG_CONFIG_HOME").or_else(|| get("HOME").map(|h| h.join(".config")));
    if let Some(c) = config {
        v.push(c.join("containers/auth.json"));
    }
    if let Some(h) = get("HOME") {
        v.push(h.join(".docker/config.json"));
    }
    v
}

fn read_file(p: &Path) -> Result<AuthFile> {
    match fs::read(p) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| Error::Msg(format!("{} is not a valid auth file: {e}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AuthFile::default()),
        Err(e) => Err(Error::path("read", p, e)),
    }
}

fn key_matches(key: &str, registry: &str) -> bool {
    let k = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let k = k
        .strip_suffix("/v1")
        .or_else(|| k.strip_suffix("/v2"))
        .unwrap_or(k);
    let k = k.split('/').next().unwrap_or(k);
    let norm = |h: &str| match h {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        other => other.to_string(),
    };
    norm(k) == norm(registry)
}

/// Credentials for `registry` (host[:port]) from the first file that has them.
pub fn lookup(files: &[PathBuf], registry: &str) -> Result<Option<Credentials>> {
    for f in files {
        let file = read_file(f)?;
        for (key, entry) in &file.auths {
            if key_matches(key, registry) && !entry.auth.is_empty() {
                return decode(&entry.auth).map(Some).ok_or_else(|| {
                    Error::Msg(format!("{}: bad credentials for {key}", f.display()))
                });
            }
        }
    }
    Ok(None)
}

fn decode(b64: &str) -> Option<Credentials> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some(Credentials {
        username: u.to_string(),
        password: p.to_string(),
    })
}

/// Store credentials for `registry` in `file` (created 0600, written atomically).
pub fn store(file: &Path, registry: &str, creds: &Credentials) -> Result<()> {
    let mut f = read_file(file)?;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", creds.username, creds.password));
    f.auths.retain(|k, _| !key_matches(k, registry));
    f.auths.insert(registry.to_string(), AuthEntry { auth });
    write(file, &f)
}

/// Remove credentials for `registry` (or all with `None`) from `file`; returns whether any were.
pub fn remove(file: &Path, registry: Option<&str>) -> Result<bool> {
    let mut f = read_file(file)?;
    let before = f.auths.len();
    match registry {
        Some(r) => f.auths.retain(|k, _| !key_matches(k, r)),
        None => f.auths.clear(),
    }
    let removed = f.auths.len() != before;
    if removed {
        write(file, &f)?;
    }
    Ok(removed)
}

fn write(file: &Path, f: &AuthFile) -> Result<()> {
    if let Some(dir) = file.parent() {
        crate::config::ensure_dir(dir)?;
    }
    let bytes =
        serde_json::to_vec_pretty(f).map_err(|e| Error::io("encode auth file", e.into()))?;
    crate::store_file::write_atomic(file, &bytes)?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(file, fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::path("chmod", file, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_lookup_remove() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("containers/auth.json");
        let docker = t.path().join("config.json");
        fs::write(
            &docker,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"ZDpw"}},"credsStore":"x"}"#,
        )
        .unwrap();
        let c = Credentials {
            username: "u".into(),
            password: "p:w".into(),
        };
        store(&f, "127.0.0.1:5000", &c).unwrap();
        let files = vec![f.clone(), docker.clone()];
        assert_eq!(lookup(&files, "127.0.0.1:5000").unwrap(), Some(c));
        assert_eq!(lookup(&files, "127.0.0.1:5001").unwrap(), None);
        assert_eq!(lookup(&files, "docker.io").unwrap().unwrap().username, "d");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(remove(&f, Some("127.0.0.1:5000")).unwrap());
        assert!(!remove(&f, Some("127.0.0.1:5000")).unwrap());
        assert_eq!(lookup(&[f], "127.0.0.1:5000").unwrap(), None);
    }
}
