//! `rl system ...`.

use clap::Subcommand;

use super::info::InfoArgs;
use super::pending::Pending;

/// Manage rl itself.
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Show disk usage of images, containers and volumes [not implemented yet]
    Df(Pending),
    /// Show events from rl's event log (same as `rl events`)
    Events(super::events::EventsArgs),
    /// Show what rl knows about this machine (same as `rl info`)
    Info(InfoArgs),
    /// Remove unused data [not implemented yet]
    Prune(Pending),
}
