//! `rl unshare`: run a command in rl's user namespace (root = you, 1.. = your subordinate ids),
//! to inspect or delete files in the store that subordinate ids own.

use std::os::unix::process::CommandExt;

use clap::Args;

use crate::error::{Error, Result};
use crate::userns::{self, Identity};

/// Options of `rl unshare`.
#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// Command and arguments (default: your shell)
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

/// Enter the namespace and exec the command; returns only on failure.
pub fn run(a: &UnshareArgs) -> Result<()> {
    let id = Identity::current()?;
    userns::enter(&id, true)?;
    let (program, args) = match a.command.split_first() {
        Some((p, rest)) => (p.clone(), rest.to_vec()),
        None => (
            std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into()),
            Vec::new(),
        ),
    };
    let err = std::process::Command::new(&program)
        .args(&args)
        .env("CONTAINERS_UNSHARE", "1")
        .env("RL_UNSHARE", "1")
        .exec();
    Err(match err.kind() {
        std::io::ErrorKind::NotFound => {
            Error::CommandNotFound(format!("{program}: command not found"))
        }
        std::io::ErrorKind::PermissionDenied => {
            Error::NotInvocable(format!("{program}: permission denied"))
        }
        _ => Error::io(format!("exec {program}"), err),
    })
}
