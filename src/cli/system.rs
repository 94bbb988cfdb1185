//! `rl system ...`.

use clap::Subcommand;

use super::info::InfoArgs;

/// Manage rl itself.
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Show disk usage of images, containers and volumes
    Df(super::system_ops::DfArgs),
    /// Show events from rl's event log (same as `rl events`)
    Events(super::events::EventsArgs),
    /// Show what rl knows about this machine (same as `rl info`)
    Info(InfoArgs),
    /// Remove stopped containers, dangling images and (with --volumes) unused volumes
    Prune(super::system_ops::SystemPruneArgs),
}
