//! Commands that look at or act on a container's processes and changes: `pause`, `unpause`,
//! `top`, `port`, `diff`, `stats`.
//!
//! rl has no cgroups to work with (nothing is delegated to unprivileged users on cgroup v1), so
//! these work from /proc: a container's processes are the ones in its pid namespace (the
//! `ns/pid` link of its first process). Reading another process's namespace links needs ptrace
//! access, which rl has only inside the container's user namespace: joining it happens in a
//! forked child when several containers are involved (their namespaces may differ).

use std::io::{Read, Write};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};

/// Containers (names or id prefixes), for `pause` and `unpause`.
#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Every running container (`pause`) or every paused one (`unpause`)
    #[arg(short, long)]
    pub all: bool,
}

/// Options of `rl port`.
#[derive(Debug, clap::Args)]
pub struct PortArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER", required_unless_present = "all")]
    pub container: Option<String>,
    /// Only this private port (PORT[/PROTOCOL])
    #[arg(value_name = "PORT")]
    pub port: Option<String>,
    /// Every container
    #[arg(short, long, conflicts_with = "container")]
    pub all: bool,
}

fn not_running(rec: &Record) -> Error {
    Error::Msg(format!(
        "container {} is not running (state {})",
        rec.name, rec.state
    ))
}

/// The host pid of a running container's first process.
fn live_pid(rec: &Record) -> Result<i32> {
    match rec.pid {
        Some(p) if rec.is_running() && container::alive(rec.pid, rec.pid_start) => Ok(p),
        _ => Err(not_running(rec)),
    }
}

/// The text of `/proc/PID/ns/pid` (`pid:[4026532...]`).
fn pid_ns(pid: i32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

/// Every process (host pids, ascending) in the pid namespace of `pid`. Needs ptrace access to
/// them: run it inside the container's user namespace.
fn ns_members(pid: i32) -> Vec<i32> {
    let Some(ns) = pid_ns(pid) else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&n| pid_ns(n).as_ref() == Some(&ns))
        .collect();
    pids.sort_unstable();
    pids
}

/// Run `f` in a forked child that joined the user namespace of the container process `pid`,
/// and return what it returned. rl is single-threaded here, so forking is safe.
fn in_userns_of<T, F>(pid: i32, f: F) -> Result<T>
where
    T: Serialize + for<'de> Deserialize<'de>,
    F: FnOnce() -> std::result::Result<T, String>,
{
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| Error::Msg(format!("pipe: {}", e.desc())))?;
    // The parent's copy of `w` goes with the closure when fork_into returns.
    let child = crate::runtime::sys::fork_into(move || {
        let out: std::result::Result<T, String> = crate::runtime::join_userns(pid)
            .map_err(|e| e.one_line())
            .and_then(|()| f());
        let bytes = serde_json::to_vec(&out).unwrap_or_default();
        let _ = std::fs::File::from(w).write_all(&bytes);
        0
    })
    .map_err(|e| Error::io("fork", e))?;
    let mut bytes = Vec::new();
    let _ = std::fs::File::from(r).read_to_end(&mut bytes);
    let _ = nix::sys::wait::waitpid(child, None);
    let out: std::result::Result<T, String> = serde_json::from_slice(&bytes).map_err(|_| {
        Error::Msg("the helper that joins the container's user namespace failed".into())
    })?;
    out.map_err(Error::Msg)
}

/// Field `i` (0-based, counted from the state, field 3) of /proc/PID/stat.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Send `sig` to every process of the pid namespace of `pid` until each one is (or is no
/// longer) in state `T` as `want_stopped` asks; new processes found on a rescan get it too.
fn signal_all(pid: i32, sig: Signal, want_stopped: bool) -> std::result::Result<(), String> {
    for _ in 0..200 {
        let pending: Vec<i32> = ns_members(pid)
            .into_iter()
            .filter(|&p| {
                stat_fields(p)
                    .and_then(|f| f.first().cloned())
                    .is_some_and(|s| s != "Z" && s != "X" && (s == "T") != want_stopped)
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        for p in pending {
            match nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), sig) {
                Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => return Err(format!("signal process {p}: {}", e.desc())),
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Err("the container's processes did not all change state in time".into())
}

/// Run `f` on each container under its lock, printing the names as given (as `stop` does).
fn each_locked(
    paths: &Paths,
    names: &[String],
    recs: Vec<Record>,
    f: impl Fn(&mut Record) -> Result<()>,
) -> Result<()> {
    let mut first_err = None;
    for (i, rec) in recs.iter().enumerate() {
        let res = container::lock(paths, &rec.id).and_then(|_lock| {
            let mut fresh = container::load(paths, &rec.id)?;
            f(&mut fresh)
        });
        match res {
            Ok(()) => {
                let shown = names.get(i).cloned().unwrap_or_else(|| rec.id.clone());
                super::print_stdout(&format!("{shown}\n"))?;
            }
            Err(e) if first_err.is_none() => first_err = Some(e),
            Err(e) => super::report(&e.one_line()),
        }
    }
    first_err.map_or(Ok(()), Err)
}

fn targets(paths: &Paths, a: &PauseArgs, what: &str, state: &str) -> Result<Vec<Record>> {
    if a.all {
        return Ok(container::list_live(paths)
            .into_iter()
            .filter(|r| r.is_running() && r.state == state)
            .collect());
    }
    if a.containers.is_empty() {
        return Err(Error::Usage(format!(
            "{what} needs at least one container (or --all)"
        )));
    }
    a.containers
        .iter()
        .map(|n| super::run::find_container(paths, n))
        .collect()
}

fn event(paths: &Paths, rec: &Record, action: &str) {
    crate::events::record(
        paths,
        &crate::events::Event::new("container", action, &rec.id)
            .name(&rec.name)
            .image(&rec.image_name),
    );
}

/// `rl pause`: SIGSTOP every process of the container (there is no freezer to use).
pub fn pause(a: &PauseArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = targets(&paths, a, "pause", "running")?;
    each_locked(&paths, &a.containers, recs, |r| {
        if r.state == "paused" && r.is_running() {
            return Err(Error::Msg(format!(
                "container {} is already paused",
                r.name
            )));
        }
        if r.state != "running" {
            return Err(not_running(r));
        }
        let pid = live_pid(r)?;
        in_userns_of(pid, || signal_all(pid, Signal::SIGSTOP, true))?;
        r.state = "paused".into();
        container::save(&container::dir(&paths, &r.id), r)?;
        event(&paths, r, "pause");
        Ok(())
    })
}

/// `rl unpause`: SIGCONT every process of a paused container.
pub fn unpause(a: &PauseArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = targets(&paths, a, "unpause", "paused")?;
    each_locked(&paths, &a.containers, recs, |r| {
        if r.state != "paused" || !r.is_running() {
            return Err(Error::Msg(format!(
                "container {} is not paused (state {})",
                r.name, r.state
            )));
        }
        let pid = live_pid(r)?;
        in_userns_of(pid, || signal_all(pid, Signal::SIGCONT, false))?;
        r.state = "running".into();
        container::save(&container::dir(&paths, &r.id), r)?;
        event(&paths, r, "unpause");
        Ok(())
    })
}

/// `rl port`: containers publish no ports yet (rl has no port forwarding), so there is nothing
/// to list; an unknown container is still an error.
pub fn port(a: &PortArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    if let Some(c) = &a.container {
        super::run::find_container(&paths, c)?;
    }
    Ok(())
}
