//! `rl network ...`.

use clap::Subcommand;

use super::pending::Pending;

/// Manage networks.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Connect a container to a network [not implemented yet]
    Connect(Pending),
    /// Create a network [not implemented yet]
    Create(Pending),
    /// Disconnect a container from a network [not implemented yet]
    Disconnect(Pending),
    /// Display detailed information on networks [not implemented yet]
    Inspect(Pending),
    /// List networks [not implemented yet]
    #[command(visible_alias = "list")]
    Ls(Pending),
    /// Remove unused networks [not implemented yet]
    Prune(Pending),
    /// Remove networks [not implemented yet]
    Rm(Pending),
}
