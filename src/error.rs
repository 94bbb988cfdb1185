//! The error model, in one place.
//!
//! Every module has its own typed error; they all convert into [`Error`], and [`Error::exit_code`]
//! is the single mapping from an error to the process exit status, following docker and podman:
//!
//! | status | meaning |
//! |---|---|
//! | 125 | rl itself failed (bad flags, bad input, a system call refused, ...) |
//! | 126 | the container command was found but cannot be invoked |
//! | 127 | the container command was not found |
//! | other | the container's own exit status |
//!
//! `main` prints `Error: <message>` on one line on stderr for every error except a container's own
//! exit status, which is passed through silently.

use std::io;
use std::path::PathBuf;

/// Exit status for rl's own failures.
pub const EXIT_RL: i32 = 125;
/// Exit status when the container command exists but cannot be invoked.
pub const EXIT_NOT_INVOCABLE: i32 = 126;
/// Exit status when the container command does not exist.
pub const EXIT_NOT_FOUND: i32 = 127;

/// The result type of rl's library functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can make an rl command fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line could not be understood.
    #[error("{0}")]
    Usage(String),
    /// A command that exists in the CLI but is not built yet.
    #[error("`rl {0}` is not implemented yet")]
    NotImplemented(String),
    /// A file-system or I/O operation on a named path failed.
    #[error("{context} {}: {source}", path.display())]
    Path {
        /// What rl was doing.
        context: &'static str,
        /// The path it was doing it to.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// An I/O failure with a description.
    #[error("{context}: {source}")]
    Io {
        /// What rl was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Paths and configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// User namespaces and id mappings.
    #[error(transparent)]
    Userns(#[from] crate::userns::UsernsError),
    /// Output formatting (`--format`).
    #[error(transparent)]
    Format(#[from] crate::format::FormatError),
    /// A failure described by one line (bad input, a damaged store, ...).
    #[error("{0}")]
    Msg(String),
    /// Image references.
    #[error(transparent)]
    Reference(#[from] crate::image::reference::ReferenceError),
    /// registries.conf.
    #[error(transparent)]
    RegistriesConf(#[from] crate::image::registries::ConfError),
    /// Manifests and configs.
    #[error(transparent)]
    Manifest(#[from] crate::image::manifest::ManifestError),
    /// Layer extraction.
    #[error(transparent)]
    Extract(#[from] crate::image::extract::ExtractError),
    /// Digests.
    #[error(transparent)]
    Digest(#[from] crate::image::digest::DigestError),
    /// Generating the runtime spec.
    #[error(transparent)]
    Spec(#[from] crate::specgen::SpecError),
    /// Seccomp profiles and filters.
    #[error(transparent)]
    Seccomp(#[from] crate::runtime::seccomp::SeccompError),
    /// Registries.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// A failure with a command-specific exit status (for example `rmi`: 1 unknown image, 2 in use).
    #[error("{1}")]
    Status(i32, String),
    /// The container command was found but could not be executed.
    #[error("{0}")]
    NotInvocable(String),
    /// The container command does not exist.
    #[error("{0}")]
    CommandNotFound(String),
    /// Already told to the user (for example by clap); exit with this status, print nothing.
    #[error("exit status {0}")]
    AlreadyReported(i32),
    /// The container ran and exited with this status; nothing is printed.
    #[error("container exited with status {0}")]
    ContainerExit(i32),
}

impl Error {
    /// The process exit status for this error (the one mapping, see the module docs).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotInvocable(_) => EXIT_NOT_INVOCABLE,
            Error::CommandNotFound(_) => EXIT_NOT_FOUND,
            Error::ContainerExit(code) | Error::Status(code, _) | Error::AlreadyReported(code) => {
                *code
            }
            _ => EXIT_RL,
        }
    }

    /// Whether `main` should print this error (a container's own status is passed through silently).
    pub fn is_reported(&self) -> bool {
        !matches!(self, Error::ContainerExit(_) | Error::AlreadyReported(_))
    }

    /// An I/O error on a path, with what rl was doing ("create directory", "open", ...).
    pub fn path(context: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Path {
            context,
            path: path.into(),
            source,
        }
    }

    /// An I/O error with a free-form description.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The message as one line: inner newlines are folded so the `Error: ...` line stays one line.
    pub fn one_line(&self) -> String {
        let text = self.to_string();
        let mut out = String::with_capacity(text.len());
        for (i, part) in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(part);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_docker() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 125);
        assert_eq!(Error::NotImplemented("run".into()).exit_code(), 125);
        assert_eq!(Error::NotInvocable("x".into()).exit_code(), 126);
        assert_eq!(Error::CommandNotFound("x".into()).exit_code(), 127);
        assert_eq!(Error::ContainerExit(42).exit_code(), 42);
        assert!(!Error::ContainerExit(1).is_reported());
        assert!(Error::Usage("x".into()).is_reported());
    }

    #[test]
    fn messages_are_one_line() {
        let e = Error::Usage("first\n\n  second  \nthird".into());
        assert_eq!(e.one_line(), "first; second; third");
        let e = Error::path("open", "/x/y", io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(e.one_line(), "open /x/y: Permission denied (os error 13)");
    }
}
