//! `rl exec`: a command in a running container, with the container's security context.

use crate::config::Paths;
use crate::container;
use crate::error::{Error, Result};
use crate::specgen::{ExecOptions, ImageUsers};

/// Run a command in a running container
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// The command and its arguments
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
    /// Keep standard input open (pipe it to the command)
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Run the command in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Set an environment variable: KEY=VALUE, or KEY to pass the host's value
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<std::path::PathBuf>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User to run as: USER[:GROUP], names or numbers (default: the container's)
    #[arg(short, long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Give the command every capability
    #[arg(long)]
    pub privileged: bool,
    /// Pass signals received by rl to the command
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub sig_proxy: bool,
}

/// Read a file of the running container `pid` without following its symlinks out of it.
pub(crate) fn container_file(pid: i32, path: &str) -> Option<String> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let root = rustix::fs::open(
        format!("/proc/{pid}/root"),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let fd = rustix::fs::openat2(
        &root,
        path.trim_start_matches('/'),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut text).ok()?;
    Some(text)
}

/// A running container as a process started in it needs it: its spec, its seccomp filter, its
/// users, and the pid of its first process. Loading it joins the container's user namespace.
pub(crate) struct Running {
    /// The container's runtime spec (`config.json`).
    pub spec: oci_spec::runtime::Spec,
    /// Its first process.
    pub pid: i32,
    /// The compiled seccomp filter the container got (kept in its bundle).
    pub seccomp: Option<Vec<u8>>,
    base: oci_spec::runtime::Process,
    users: ImageUsers,
}

impl Running {
    /// Load what starting a process in `rec` needs; `why_not` ends the error when it does not
    /// run ("container X is not running (state S): WHY_NOT").
    pub fn load(paths: &Paths, rec: &container::Record, why_not: &str) -> Result<Running> {
        let pid = match rec.pid {
            Some(p) if rec.is_running() && container::alive(rec.pid, rec.pid_start) => p,
            _ => {
                return Err(Error::Msg(format!(
                    "container {} is not running (state {}): {why_not}",
                    rec.name, rec.state
                )));
            }
        };
        let dir = container::dir(paths, &rec.id);
        let spec: oci_spec::runtime::Spec = std::fs::read(dir.join("config.json"))
            .map_err(|e| Error::path("read", dir.join("config.json"), e))
            .and_then(|b| {
                serde_json::from_slice(&b)
                    .map_err(|e| Error::Msg(format!("container {}: config.json: {e}", rec.name)))
            })?;
        let base = spec.process().clone().ok_or_else(|| {
            Error::Msg(format!("container {}: its spec has no process", rec.name))
        })?;
        let seccomp = std::fs::read(dir.join("bundle.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<super::run::Created>(&b).ok())
            .and_then(|c| c.bundle.seccomp);
        crate::runtime::join_userns(pid)?;
        let users = ImageUsers {
            passwd: container_file(pid, "/etc/passwd"),
            group: container_file(pid, "/etc/group"),
        };
        Ok(Running {
            spec,
            pid,
            seccomp,
            base,
            users,
        })
    }

    /// The process to start: the container's own, changed by `opts`.
    pub fn process(
        &self,
        opts: &ExecOptions,
        host_env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<oci_spec::runtime::Process> {
        crate::specgen::exec_process(&self.base, opts, &self.users, host_env)
            .map_err(|e| Error::Msg(e.to_string()))
    }
}

/// `rl exec`.
pub fn exec(a: &ExecArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let rec = super::run::find_container(&paths, &a.container)?;
    let running = Running::load(&paths, &rec, "it cannot exec")?;
    let opts = ExecOptions {
        command: a.command.clone(),
        env: a.env.clone(),
        env_files: a
            .env_file
            .iter()
            .map(|f| std::fs::read_to_string(f).map_err(|e| Error::path("read env file", f, e)))
            .collect::<Result<_>>()?,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        tty: a.tty,
        privileged: a.privileged,
    };
    let host_env = |k: &str| std::env::var(k).ok();
    let process = running.process(&opts, &host_env)?;
    let console = if a.tty && !a.detach {
        Some(crate::runtime::console::Console::new()?)
    } else {
        None
    };
    if !a.interactive || a.detach {
        let null = std::fs::File::open("/dev/null").map_err(|e| Error::io("open /dev/null", e))?;
        nix::unistd::dup2_stdin(&null)
            .map_err(|e| Error::Msg(format!("redirect stdin: {}", e.desc())))?;
    }
    let started = crate::runtime::exec_in(
        &running.spec,
        process,
        running.seccomp.as_deref(),
        running.pid,
        a.sig_proxy && !a.detach,
        console,
    )?;
    crate::events::record(
        &paths,
        &crate::container::event(&rec, "exec").attr("execCommand", a.command.join(" ")),
    );
    if a.detach {
        started.restore_signals();
        return Ok(());
    }
    match crate::runtime::wait_running(started, a.interactive)? {
        0 => Ok(()),
        code => Err(Error::ContainerExit(code)),
    }
}
