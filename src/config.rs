//! Where rl keeps things: the data directory (persistent store) and the runtime directory (what
//! does not survive a reboot), resolved from the XDG variables the way podman resolves them.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors about rl's own directories.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither XDG_DATA_HOME nor HOME is set.
    #[error("cannot find a data directory: set HOME or XDG_DATA_HOME")]
    NoHome,
    /// A path in the environment is relative.
    #[error("{var} must be an absolute path, not {value:?}")]
    Relative {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// The runtime directory belongs to someone else or is open to others.
    #[error("runtime directory {} is not safe: {why}", path.display())]
    UnsafeRuntimeDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Creating or inspecting a directory failed.
    #[error("{context} {}: {source}", path.display())]
    Io {
        /// What rl was doing.
        context: &'static str,
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// The directories of one rl user. Plain paths: nothing is created until asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `$XDG_DATA_HOME/rl` (default `~/.local/share/rl`).
    pub data: PathBuf,
    /// `$XDG_RUNTIME_DIR/rl` (fallback `/tmp/rl-run-<uid>`).
    pub runtime: PathBuf,
    /// `$XDG_CONFIG_HOME/rl` (default `~/.config/rl`).
    pub config: PathBuf,
}

impl Paths {
    /// Resolve the paths from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::resolve(|k| std::env::var_os(k), nix::unistd::getuid().as_raw())
    }

    /// Resolve the paths from an environment lookup (pure; unit-tested).
    pub fn resolve(env: impl Fn(&str) -> Option<OsString>, uid: u32) -> Result<Self, ConfigError> {
        let abs = |var: &'static str| -> Result<Option<PathBuf>, ConfigError> {
            match env(var).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => {
                    let p = PathBuf::from(&v);
                    if p.is_absolute() {
                        Ok(Some(p))
                    } else {
                        Err(ConfigError::Relative {
                            var,
                            value: v.to_string_lossy().into_owned(),
                        })
                    }
                }
            }
        };
        let home = abs("HOME")?;
        let under_home = |rel: &str| {
            home.as_ref()
                .map(|h| h.join(rel))
                .ok_or(ConfigError::NoHome)
        };
        let data = match abs("XDG_DATA_HOME")? {
            Some(p) => p,
            None => under_home(".local/share")?,
        }
        .join("rl");
        let config = match abs("XDG_CONFIG_HOME")? {
            Some(p) => p,
            None => under_home(".config")?,
        }
        .join("rl");
        let runtime = match abs("XDG_RUNTIME_DIR")? {
            Some(p) => p.join("rl"),
            None => PathBuf::from(format!("/tmp/rl-run-{uid}")),
        };
        Ok(Paths {
            data,
            runtime,
            config,
        })
    }

    /// The image store: blobs, extracted layers, image records, tags.
    pub fn storage(&self) -> PathBuf {
        self.data.join("storage")
    }

    /// Container records, logs, upper and work directories.
    pub fn containers(&self) -> PathBuf {
        self.data.join("containers")
    }

    /// Named volumes.
    pub fn volumes(&self) -> PathBuf {
        self.data.join("volumes")
    }

    /// Create the runtime directory (0700) if needed and check that it is ours and private.
    pub fn ensure_runtime(&self) -> Result<&Path, ConfigError> {
        ensure_private_dir(&self.runtime)?;
        Ok(&self.runtime)
    }
}

/// Create `dir` and its parents; the last component with mode 0700.
pub fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| ConfigError::Io {
            context: "create directory",
            path: dir.to_path_buf(),
            source,
        })
}

/// Create `dir` (0700) and refuse it unless it belongs to us and no one else may write in it.
pub fn ensure_private_dir(dir: &Path) -> Result<(), ConfigError> {
    ensure_dir(dir)?;
    let meta = fs::symlink_metadata(dir).map_err(|source| ConfigError::Io {
        context: "inspect directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let uid = nix::unistd::getuid().as_raw();
    let unsafe_dir = |why: String| ConfigError::UnsafeRuntimeDir {
        path: dir.to_path_buf(),
        why,
    };
    if !meta.is_dir() {
        return Err(unsafe_dir("not a directory".into()));
    }
    if meta.uid() != uid {
        return Err(unsafe_dir(format!(
            "owned by uid {}, not {uid}",
            meta.uid()
        )));
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return Err(unsafe_dir(format!(
            "writable by others (mode {:o})",
            meta.permissions().mode() & 0o7777
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn xdg_variables_win() {
        let p = Paths::resolve(
            env(&[
                ("HOME", "/home/u"),
                ("XDG_DATA_HOME", "/d"),
                ("XDG_RUNTIME_DIR", "/run/user/1000"),
                ("XDG_CONFIG_HOME", "/c"),
            ]),
            1000,
        )
        .unwrap();
        assert_eq!(p.data, PathBuf::from("/d/rl"));
        assert_eq!(p.runtime, PathBuf::from("/run/user/1000/rl"));
        assert_eq!(p.config, PathBuf::from("/c/rl"));
        assert_eq!(p.storage(), PathBuf::from("/d/rl/storage"));
    }

    #[test]
    fn home_fallbacks() {
        let p = Paths::resolve(env(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "")]), 1000).unwrap();
        assert_eq!(p.data, PathBuf::from("/home/u/.local/share/rl"));
        assert_eq!(p.config, PathBuf::from("/home/u/.config/rl"));
        assert_eq!(p.runtime, PathBuf::from("/tmp/rl-run-1000"));
    }

    #[test]
    fn relative_and_missing_are_errors() {
        assert!(matches!(
            Paths::resolve(env(&[("HOME", "rel")]), 1),
            Err(ConfigError::Relative { var: "HOME", .. })
        ));
        assert!(matches!(
            Paths::resolve(env(&[]), 1),
            Err(ConfigError::NoHome)
        ));
    }

    #[test]
    fn private_dir_is_checked() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b");
        ensure_private_dir(&d).unwrap();
        assert_eq!(
            fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            ensure_private_dir(&d),
            Err(ConfigError::UnsafeRuntimeDir { .. })
        ));
    }
}
