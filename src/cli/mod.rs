//! The command line: clap definitions (one file per command group), turning arguments into calls,
//! and the single place where errors become exit statuses.

pub mod archive;
pub mod attach;
pub mod build;
pub mod commit;
pub mod completion;
pub mod container;
pub mod cp;
pub mod events;
pub mod exec;
pub mod health;
pub mod image;
pub mod info;
pub mod inspect;
pub mod lifecycle;
pub mod login;
pub mod logs;
pub mod network;
pub mod ops;
pub mod ps;
pub mod push;
pub mod run;
pub mod system;
pub mod system_ops;
pub mod unshare;
pub mod version;

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::error::{EXIT_RL, Error, Result};

use container::ContainerCommand;
use image::ImageCommand;
use network::NetworkCommand;
use system::SystemCommand;

/// rl: rootless, daemonless containers.
#[derive(Debug, Parser)]
#[command(
    name = "rl",
    version,
    about = "Rootless, daemonless containers",
    long_about = "rl runs OCI containers as an unprivileged user, with no daemon: each command \
                  enters a user namespace of its own, assembles the image with overlayfs and \
                  networks through a user-mode stack. Its commands and flags follow podman and \
                  docker.",
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every rl command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Attach to a running container's input and output (detached containers)
    Attach(attach::AttachArgs),
    /// Build an image from a Containerfile or Dockerfile
    Build(build::BuildArgs),
    /// Create a new image from a container's changes
    Commit(commit::CommitArgs),
    /// Print a shell completion script (bash, zsh, fish)
    Completion(completion::CompletionArgs),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Copy files between a container and the host
    Cp(cp::CpArgs),
    /// Create a container without starting it (prints its id)
    Create(Box<run::RunArgs>),
    /// Show the changes to a container's file system
    Diff(ops::DiffArgs),
    /// Show events from rl's event log
    Events(events::EventsArgs),
    /// Run a command in a running container
    Exec(exec::ExecArgs),
    /// Export a container's file system as a tar archive
    Export(cp::ExportArgs),
    /// Manage health checks
    #[command(subcommand)]
    Healthcheck(health::HealthcheckCommand),
    /// Show the history of an image
    History(image::HistoryArgs),
    /// Manage images
    #[command(subcommand)]
    Image(ImageCommand),
    /// List images
    Images(image::ImagesArgs),
    /// Create an image from a root file system tarball
    Import(archive::ImportArgs),
    /// Show what rl knows about this machine: ids, overlay, devices, network helpers, cgroups, store
    Info(info::InfoArgs),
    /// Display detailed information on containers, images, volumes or networks
    Inspect(inspect::InspectArgs),
    /// Kill running containers with a signal
    Kill(lifecycle::KillArgs),
    /// Load images from a docker-archive or oci-archive
    Load(archive::LoadArgs),
    /// Log in to a registry
    Login(login::LoginArgs),
    /// Log out of a registry
    Logout(login::LogoutArgs),
    /// Fetch the logs of a container
    Logs(logs::LogsArgs),
    /// Manage networks
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Pause all processes of containers (SIGSTOP: there is no freezer)
    Pause(ops::PauseArgs),
    /// List the published ports of a container
    Port(ops::PortArgs),
    /// List containers
    Ps(ps::PsArgs),
    /// Pull an image from a registry
    Pull(image::PullArgs),
    /// Push an image to a registry
    Push(push::PushArgs),
    /// Rename a container
    Rename(lifecycle::RenameArgs),
    /// Restart containers
    Restart(lifecycle::RestartArgs),
    /// Remove containers
    Rm(lifecycle::RmArgs),
    /// Remove images
    Rmi(image::RmiArgs),
    #[command(about = run::ABOUT)]
    Run(Box<run::RunArgs>),
    /// Save images to a docker-archive or oci-archive
    Save(archive::SaveArgs),
    /// Start containers (under their monitor; `-a` in the foreground)
    Start(run::StartArgs),
    /// Show resource usage of containers (summed from /proc: no cgroups)
    Stats(ops::StatsArgs),
    /// Stop running containers
    Stop(lifecycle::StopArgs),
    /// Manage rl itself
    #[command(subcommand)]
    System(SystemCommand),
    /// Add names to an image
    Tag(image::TagArgs),
    /// Show the processes of a container
    Top(ops::TopArgs),
    /// Run a command in rl's user namespace (default: your shell)
    Unshare(unshare::UnshareArgs),
    /// Unpause containers
    Unpause(ops::PauseArgs),
    /// Remove names from an image
    Untag(image::UntagArgs),
    /// Show rl's version
    Version(version::VersionArgs),
    /// Manage volumes
    #[command(subcommand)]
    Volume(volume::VolumeCommand),
    /// Wait for containers to stop and print their exit codes
    Wait(lifecycle::WaitArgs),
}

pub mod volume;

/// Parse `args` and run the command; returns the process exit status.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    // `rl run` is the hot path: build only its part of the command tree (the whole tree of ~100
    // commands costs more than a millisecond to construct).
    // A container's monitor (see crate::monitor), started by rl itself.
    if args.get(1).is_some_and(|a| a == "__monitor") {
        let id = args.get(2).and_then(|s| s.to_str()).unwrap_or("");
        return crate::monitor::main(id);
    }
    // The process that keeps rl's user namespace (see crate::userns::pause).
    if args.get(1).is_some_and(|a| a == "__pause") {
        let Some(dir) = args.get(2) else { return 125 };
        return crate::userns::pause::main(std::path::Path::new(dir));
    }
    if args.get(1).is_some_and(|a| a == "__netns-holder") {
        return crate::network::holder::main();
    }
    if args.get(1).is_some_and(|a| a == "run") {
        let code = finish(run_only(args).and_then(|a| run::run(&a)));
        crate::timing::mark("done");
        crate::timing::memory();
        return code;
    }
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return clap_error(&e),
    };
    let path = command_path(&matches);
    let result = Cli::from_arg_matches(&matches)
        .map_err(|e| Error::Usage(first_line(&e.to_string())))
        .and_then(|cli| dispatch(cli, &path));
    finish(result)
}

/// Parse `rl run ...` with a tree that holds only `run` (same definitions, same errors).
fn run_only(args: Vec<OsString>) -> Result<run::RunArgs> {
    use clap::Args as _;
    let cmd = clap::Command::new("rl")
        .max_term_width(100)
        .subcommand(run::RunArgs::augment_args(
            clap::Command::new("run").about(run::ABOUT),
        ));
    let matches = match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return Err(Error::AlreadyReported(clap_error(&e))),
    };
    let sub = matches
        .subcommand_matches("run")
        .ok_or_else(|| Error::Usage("missing command 'rl run'".into()))?;
    run::RunArgs::from_arg_matches(sub).map_err(|e| Error::Usage(first_line(&e.to_string())))
}

/// Report an error (once) and turn the outcome into the exit status.
fn finish(result: Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            if e.is_reported() {
                report(&e.one_line());
            }
            e.exit_code()
        }
    }
}

fn dispatch(cli: Cli, path: &str) -> Result<()> {
    let Some(command) = cli.command else {
        let mut help = Cli::command().render_help().to_string();
        help.push('\n');
        let _ = std::io::stderr().write_all(help.as_bytes());
        return Err(Error::Usage("missing command 'rl COMMAND'".into()));
    };
    match command {
        Command::Info(a) | Command::System(SystemCommand::Info(a)) => info::run(&a),
        Command::Version(a) => version::run(&a),
        Command::Completion(a) => completion::run(&a),
        Command::Pull(a) => image::run(ImageCommand::Pull(a)).unwrap_or(Ok(())),
        Command::Images(a) => image::run(ImageCommand::Ls(a)).unwrap_or(Ok(())),
        Command::Rmi(a) => image::run(ImageCommand::Rm(a)).unwrap_or(Ok(())),
        Command::Tag(a) => image::run(ImageCommand::Tag(a)).unwrap_or(Ok(())),
        Command::Untag(a) => image::run(ImageCommand::Untag(a)).unwrap_or(Ok(())),
        Command::History(a) => image::run(ImageCommand::History(a)).unwrap_or(Ok(())),
        Command::Push(a) => image::run(ImageCommand::Push(a)).unwrap_or(Ok(())),
        Command::Run(a) => run::run(&a),
        Command::Attach(a) | Command::Container(ContainerCommand::Attach(a)) => attach::attach(&a),
        Command::Create(a) => run::create_cmd(&a),
        Command::Start(a) | Command::Container(ContainerCommand::Start(a)) => {
            if a.attach {
                run::start(&a)
            } else {
                lifecycle::start_detached(&a)
            }
        }
        Command::Stop(a) | Command::Container(ContainerCommand::Stop(a)) => lifecycle::stop(&a),
        Command::Ps(a) | Command::Container(ContainerCommand::Ls(a)) => ps::ps(&a),
        Command::Exec(a) | Command::Container(ContainerCommand::Exec(a)) => exec::exec(&a),
        Command::Inspect(a) => inspect::inspect(&a),
        Command::Healthcheck(c) => health::run(&c),
        Command::System(SystemCommand::Df(a)) => system_ops::df(&a),
        Command::System(SystemCommand::Prune(a)) => system_ops::prune(&a),
        Command::System(SystemCommand::Migrate(a)) => system::migrate(&a),
        Command::Rename(a) | Command::Container(ContainerCommand::Rename(a)) => {
            lifecycle::rename(&a)
        }
        Command::Restart(a) | Command::Container(ContainerCommand::Restart(a)) => {
            lifecycle::restart(&a)
        }
        Command::Container(ContainerCommand::Prune(a)) => lifecycle::prune(&a),
        Command::Container(ContainerCommand::Inspect(a)) => inspect::inspect_as(&a, "container"),
        Command::Kill(a) | Command::Container(ContainerCommand::Kill(a)) => lifecycle::kill(&a),
        Command::Rm(a) | Command::Container(ContainerCommand::Rm(a)) => lifecycle::rm(&a),
        Command::Wait(a) | Command::Container(ContainerCommand::Wait(a)) => lifecycle::wait(&a),
        Command::Logs(a) | Command::Container(ContainerCommand::Logs(a)) => lifecycle::logs(&a),
        Command::Events(a) | Command::System(SystemCommand::Events(a)) => events::events(&a),
        Command::Container(ContainerCommand::Run(a)) => run::run(&a),
        Command::Container(ContainerCommand::Create(a)) => run::create_cmd(&a),
        Command::Pause(a) | Command::Container(ContainerCommand::Pause(a)) => ops::pause(&a),
        Command::Unpause(a) | Command::Container(ContainerCommand::Unpause(a)) => ops::unpause(&a),
        Command::Port(a) | Command::Container(ContainerCommand::Port(a)) => ops::port(&a),
        Command::Top(a) | Command::Container(ContainerCommand::Top(a)) => ops::top(&a),
        Command::Diff(a) | Command::Container(ContainerCommand::Diff(a)) => ops::diff(&a),
        Command::Build(a) | Command::Image(ImageCommand::Build(a)) => build::build(&a),
        Command::Commit(a) | Command::Container(ContainerCommand::Commit(a)) => commit::commit(&a),
        Command::Stats(a) | Command::Container(ContainerCommand::Stats(a)) => ops::stats(&a),
        Command::Unshare(a) => unshare::run(&a),
        Command::Cp(a) | Command::Container(ContainerCommand::Cp(a)) => cp::cp(&a),
        Command::Export(a) | Command::Container(ContainerCommand::Export(a)) => cp::export(&a),
        Command::Save(a) => image::run(ImageCommand::Save(a)).unwrap_or(Ok(())),
        Command::Load(a) => image::run(ImageCommand::Load(a)).unwrap_or(Ok(())),
        Command::Import(a) => image::run(ImageCommand::Import(a)).unwrap_or(Ok(())),
        Command::Login(a) => login::login(&a),
        Command::Logout(a) => login::logout(&a),
        Command::Network(c) => {
            network::run(&c).unwrap_or_else(|| Err(Error::NotImplemented(path.to_string())))
        }
        Command::Volume(c) => volume::run(&c),
        Command::Image(c) => {
            image::run(c).unwrap_or_else(|| Err(Error::NotImplemented(path.to_string())))
        }
    }
}

/// "image ls" for `rl image ls ...`.
fn command_path(m: &clap::ArgMatches) -> String {
    let mut parts = Vec::new();
    let mut cur = m;
    while let Some((name, sub)) = cur.subcommand() {
        parts.push(name.to_string());
        cur = sub;
    }
    parts.join(" ")
}

fn clap_error(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        _ => {
            let rendered = e.render().to_string();
            let usage = rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("Usage: "))
                .map(|u| {
                    u.split_whitespace()
                        .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "rl".into());
            report(&format!("{}; see '{usage} --help'", first_line(&rendered)));
            EXIT_RL
        }
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().trim_start_matches("error: ").to_string()
}

pub(crate) fn report(msg: &str) {
    let _ = writeln!(std::io::stderr(), "Error: {msg}");
}

/// Write command output; a closed pipe (`rl info | head -1`) is not an error.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("write output", e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn paths_of_nested_commands() {
        let m = Cli::command()
            .try_get_matches_from(["rl", "image", "ls", "-a"])
            .unwrap();
        assert_eq!(command_path(&m), "image ls");
        let m = Cli::command()
            .try_get_matches_from(["rl", "run", "-it", "--rm", "debian", "bash"])
            .unwrap();
        assert_eq!(command_path(&m), "run");
    }

    #[test]
    fn clap_errors_become_one_line() {
        assert_eq!(
            first_line("error: unexpected argument '--x' found\n\nUsage: rl info\n"),
            "unexpected argument '--x' found"
        );
    }
}
