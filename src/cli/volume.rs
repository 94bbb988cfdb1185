//! `rl volume ...`.

use clap::Subcommand;

use super::pending::Pending;

/// Manage volumes.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume [not implemented yet]
    Create(Pending),
    /// Display detailed information on volumes [not implemented yet]
    Inspect(Pending),
    /// List volumes [not implemented yet]
    #[command(visible_alias = "list")]
    Ls(Pending),
    /// Remove unused volumes [not implemented yet]
    Prune(Pending),
    /// Remove volumes [not implemented yet]
    Rm(Pending),
}
