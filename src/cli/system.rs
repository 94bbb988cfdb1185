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
    /// Stop the pause process that keeps rl's user namespace between commands (after editing
    /// /etc/subuid, or to replace the rl binary); the next command starts a fresh one
    Migrate(MigrateArgs),
    /// Remove stopped containers, dangling images and (with --volumes) unused volumes
    Prune(super::system_ops::SystemPruneArgs),
}

/// `rl system migrate`: takes no options.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {}

/// Stop the pause process (see crate::userns::pause). Running containers are not touched: they
/// keep their namespace themselves.
pub fn migrate(_: &MigrateArgs) -> crate::error::Result<()> {
    let paths = crate::config::Paths::from_env()?;
    crate::userns::pause::stop(&paths.runtime);
    Ok(())
}
