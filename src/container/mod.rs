//! Containers: records and directories under `$XDG_DATA_HOME/rl/containers/<id>/`, and what
//! running one needs besides its spec (generated /etc files, the image's users).

pub mod logs;

use std::fs;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::error::{Error, Result};
use crate::store_file::write_replace;

/// A container's record (`container.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// 64 hex digits.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Image id (config digest hex).
    pub image_id: String,
    /// The image as the user named it.
    pub image_name: String,
    /// Seconds since the epoch.
    pub created: u64,
    /// `created`, `running`, `exited`.
    pub state: String,
    /// Exit status once exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The command line it runs.
    pub command: Vec<String>,
}

/// A new random container id: 64 lowercase hex digits, like podman's.
pub fn new_id() -> Result<String> {
    let mut b = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| Error::io("read /dev/urandom", e))?;
    Ok(crate::image::digest::hex(&b))
}

const ADJECTIVES: &[&str] = &[
    "brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry",
    "nifty", "proud", "quirky", "sharp", "tender", "vivid", "witty", "zealous", "bold", "clever",
];
const NOUNS: &[&str] = &[
    "turing", "hopper", "lovelace", "dijkstra", "knuth", "ritchie", "thompson", "liskov",
    "hamilton", "torvalds", "shannon", "noether", "curie", "euler", "gauss", "babbage", "kay",
    "lamport", "perlman", "wirth",
];

/// A docker-style name (`happy_turing`) derived from the id, made unique against `taken`.
pub fn generate_name(id: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let n = usize::from_str_radix(&id[..8.min(id.len())], 16).unwrap_or(0);
    let base = format!(
        "{}_{}",
        ADJECTIVES[n % ADJECTIVES.len()],
        NOUNS[(n / 97) % NOUNS.len()]
    );
    if !taken(&base) {
        return base;
    }
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|c| !taken(c))
        .unwrap_or(base)
}

/// Whether a name is acceptable (docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
pub fn valid_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next().is_some_and(|f| f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || "_.-".contains(x))
}

/// Every container record.
pub fn list(paths: &Paths) -> Vec<Record> {
    let Ok(rd) = fs::read_dir(paths.containers()) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| fs::read(e.path().join("container.json")).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

/// Write a record (replaced by rename; see [`write_replace`] for why not fsync'd).
pub fn save(dir: &Path, rec: &Record) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(rec)
        .map_err(|e| Error::io("encode container record", e.into()))?;
    write_replace(&dir.join("container.json"), &bytes)
}

/// Read a file of the image as the layers (top first) stack it; None when absent or whited out.
/// Used for /etc/passwd and /etc/group, which are world-readable in images.
pub fn read_image_file(layers_top_first: &[PathBuf], path: &str) -> Option<String> {
    let rel = path.trim_start_matches('/');
    for l in layers_top_first {
        let p = l.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_char_device() => return None,
            Ok(m) if m.is_file() => return fs::read_to_string(&p).ok(),
            Ok(_) => return None,
            Err(_) => {
                // A whiteout or opaque parent would hide lower copies; check the parent chain.
                let mut parent = p.parent();
                while let Some(d) = parent {
                    if d == l.as_path() {
                        break;
                    }
                    if fs::symlink_metadata(d).is_ok_and(|m| m.file_type().is_char_device()) {
                        return None;
                    }
                    parent = d.parent();
                }
            }
        }
    }
    None
}

/// Give a tree to `uid:gid` (ids of rl's user namespace), never following symlinks: the `U`
/// option of binds and volumes.
pub fn chown_tree(root: &Path, uid: u32, gid: u32) -> Result<()> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        std::os::unix::fs::lchown(&p, Some(uid), Some(gid))
            .map_err(|e| Error::path("chown", &p, e))?;
        let meta = fs::symlink_metadata(&p).map_err(|e| Error::path("stat", &p, e))?;
        if meta.is_dir() {
            for e in fs::read_dir(&p).map_err(|e| Error::path("read", &p, e))? {
                stack.push(e.map_err(|e| Error::path("read", &p, e))?.path());
            }
        }
    }
    Ok(())
}

/// The files rl generates for a container and binds into it: (host path, container path).
pub fn write_etc_files(
    dir: &Path,
    hostname: &str,
    id: &str,
    name: &str,
    image: &str,
) -> Result<Vec<(PathBuf, String)>> {
    let hosts = format!(
        "127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n127.0.1.1\t{hostname} {name}\n"
    );
    let resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let containerenv = format!(
        "engine=\"rl-{}\"\nname=\"{name}\"\nid=\"{id}\"\nimage=\"{image}\"\nrootless=1\n",
        crate::version::VERSION
    );
    let mut out = Vec::new();
    for (file, content, dest) in [
        ("hosts", hosts, "/etc/hosts"),
        ("hostname", format!("{hostname}\n"), "/etc/hostname"),
        ("resolv.conf", resolv, "/etc/resolv.conf"),
        ("containerenv", containerenv, "/run/.containerenv"),
    ] {
        let p = dir.join(file);
        fs::write(&p, content).map_err(|e| Error::path("write", &p, e))?;
        out.push((p, dest.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("web-1.a_b"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        let id = "0123456789abcdef";
        let first = generate_name(id, &|_| false);
        let second = generate_name(id, &|n| n == first);
        assert_ne!(first, second);
        assert!(second.starts_with(&first));
    }

    #[test]
    fn image_files_follow_whiteouts() {
        let t = tempfile::tempdir().unwrap();
        let lower = t.path().join("l1");
        let upper = t.path().join("l2");
        fs::create_dir_all(lower.join("etc")).unwrap();
        fs::create_dir_all(&upper).unwrap();
        fs::write(lower.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        let layers = vec![upper.clone(), lower.clone()];
        assert!(
            read_image_file(&layers, "/etc/passwd")
                .unwrap()
                .starts_with("root")
        );
        fs::create_dir_all(upper.join("etc")).unwrap();
        fs::write(upper.join("etc/passwd"), "new\n").unwrap();
        assert_eq!(read_image_file(&layers, "/etc/passwd").unwrap(), "new\n");
        assert!(read_image_file(&layers, "/etc/group").is_none());
    }
}
