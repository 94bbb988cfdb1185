//! `rl container ...`: the container commands, also reachable at the top level (`rl ps`, ...).

use clap::Subcommand;

/// Manage containers.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Attach to a running container's input and output (detached containers)
    Attach(super::attach::AttachArgs),
    /// Create a new image from a container's changes
    Commit(super::commit::CommitArgs),
    /// Copy files between a container and the host
    Cp(super::cp::CpArgs),
    /// Create a container without starting it (prints its id)
    Create(Box<super::run::RunArgs>),
    /// Show the changes to a container's file system
    Diff(super::ops::DiffArgs),
    /// Run a command in a running container
    Exec(super::exec::ExecArgs),
    /// Export a container's file system as a tar archive
    Export(super::cp::ExportArgs),
    /// Display detailed information on containers
    Inspect(super::inspect::InspectArgs),
    /// Kill running containers with a signal
    Kill(super::lifecycle::KillArgs),
    /// Fetch the logs of a container
    Logs(super::logs::LogsArgs),
    /// List containers
    #[command(visible_alias = "ps", visible_alias = "list")]
    Ls(super::ps::PsArgs),
    /// Pause all processes of containers (SIGSTOP: there is no freezer)
    Pause(super::ops::PauseArgs),
    /// List the published ports of a container
    Port(super::ops::PortArgs),
    /// Remove all stopped containers
    Prune(super::lifecycle::PruneArgs),
    /// Rename a container
    Rename(super::lifecycle::RenameArgs),
    /// Restart containers
    Restart(super::lifecycle::RestartArgs),
    /// Remove containers
    Rm(super::lifecycle::RmArgs),
    /// Run a command in a new container
    #[command(about = super::run::ABOUT)]
    Run(Box<super::run::RunArgs>),
    /// Start containers (under their monitor; `-a` in the foreground)
    Start(super::run::StartArgs),
    /// Show resource usage of containers (summed from /proc: no cgroups)
    Stats(super::ops::StatsArgs),
    /// Stop running containers
    Stop(super::lifecycle::StopArgs),
    /// Show the processes of a container
    Top(super::ops::TopArgs),
    /// Unpause containers
    Unpause(super::ops::PauseArgs),
    /// Wait for containers to stop and print their exit codes
    Wait(super::lifecycle::WaitArgs),
}
