//! `rl container ...`: the container commands, also reachable at the top level (`rl ps`, ...).

use clap::Subcommand;

use super::pending::Pending;

/// Manage containers.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Attach to a running container [not implemented yet]
    Attach(Pending),
    /// Create a new image from a container's changes [not implemented yet]
    Commit(Pending),
    /// Copy files between a container and the host [not implemented yet]
    Cp(Pending),
    /// Create a container without starting it [not implemented yet]
    Create(Pending),
    /// Show the changes to a container's file system [not implemented yet]
    Diff(Pending),
    /// Run a command in a running container [not implemented yet]
    Exec(Pending),
    /// Export a container's file system as a tar archive [not implemented yet]
    Export(Pending),
    /// Display detailed information on containers [not implemented yet]
    Inspect(Pending),
    /// Kill running containers with a signal [not implemented yet]
    Kill(Pending),
    /// Fetch the logs of a container [not implemented yet]
    Logs(Pending),
    /// List containers [not implemented yet]
    #[command(visible_alias = "ps", visible_alias = "list")]
    Ls(Pending),
    /// Pause all processes of containers [not implemented yet]
    Pause(Pending),
    /// List the published ports of a container [not implemented yet]
    Port(Pending),
    /// Remove all stopped containers [not implemented yet]
    Prune(Pending),
    /// Rename a container [not implemented yet]
    Rename(Pending),
    /// Restart containers [not implemented yet]
    Restart(Pending),
    /// Remove containers [not implemented yet]
    Rm(Pending),
    /// Run a command in a new container [not implemented yet]
    Run(Pending),
    /// Start containers [not implemented yet]
    Start(Pending),
    /// Show resource usage of containers [not implemented yet]
    Stats(Pending),
    /// Stop running containers [not implemented yet]
    Stop(Pending),
    /// Show the processes of a container [not implemented yet]
    Top(Pending),
    /// Unpause containers [not implemented yet]
    Unpause(Pending),
    /// Wait for containers to stop and print their exit codes [not implemented yet]
    Wait(Pending),
}
