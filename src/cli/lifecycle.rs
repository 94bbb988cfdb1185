//! Detached containers and their lifecycle: `run -d`, `start`, `stop`, `kill`, `rm`, `wait`,
//! `logs`. A detached container belongs to its monitor (see [`crate::monitor`]); these commands
//! read and change its record under the container's lock and signal its processes.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};

/// Hand a created container to a new monitor and wait until its command runs (or failed to
/// start: the error, with the foreground run's exit code). The process must be in rl's user
/// namespace: the monitor inherits it.
pub fn start_monitor(id: &str) -> Result<()> {
    // The write end goes to the monitor across exec.
    let (r, w) = crate::runtime::pipe_for_child()?;
    let exe = std::env::current_exe().map_err(|e| Error::io("find the rl binary", e))?;
    let child = Command::new(exe)
        .arg("__monitor")
        .arg(id)
        .env(crate::monitor::STATUS_FD, w.as_raw_fd().to_string())
        // A long-lived process must not pin the caller's working directory (an unmountable disk).
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io("start the container's monitor", e))?;
    drop(w);
    let mut text = String::new();
    let _ = std::fs::File::from(r).read_to_string(&mut text);
    // The monitor lives on; its exit is not ours to wait for.
    drop(child);
    if text == "ok" {
        return Ok(());
    }
    let (code, msg) = text.split_once(' ').unwrap_or(("125", ""));
    let msg = if msg.is_empty() {
        "the container's monitor ended before starting it".to_string()
    } else {
        msg.to_string()
    };
    Err(match code.parse().unwrap_or(crate::error::EXIT_RL) {
        crate::error::EXIT_NOT_FOUND => Error::CommandNotFound(msg),
        crate::error::EXIT_NOT_INVOCABLE => Error::NotInvocable(msg),
        _ => Error::Msg(msg),
    })
}

/// Whether this process is already inside a user namespace (rl's own, or a container's).
pub(crate) fn in_userns() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
        .unwrap_or(false)
}

pub(crate) fn ensure_userns() -> Result<()> {
    if !in_userns() {
        super::image::enter_userns()?;
    }
    Ok(())
}

/// Find each named container, in order; the first unknown one is the error.
fn find_all(paths: &Paths, names: &[String]) -> Result<Vec<Record>> {
    names
        .iter()
        .map(|n| super::run::find_container(paths, n))
        .collect()
}

/// Options of `rl stop`.
#[derive(Debug, clap::Args)]
pub struct StopArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Seconds to wait for the stop signal to work before killing (default 10)
    #[arg(short = 't', long = "time", alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u64>,
    /// Stop every running container
    #[arg(short, long)]
    pub all: bool,
}

/// Options of `rl kill`.
#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Signal to send (name or number)
    #[arg(short, long, value_name = "SIGNAL", default_value = "KILL")]
    pub signal: String,
    /// Signal every running container
    #[arg(short, long)]
    pub all: bool,
}

/// Options of `rl rm`.
#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Kill a running container first
    #[arg(short, long)]
    pub force: bool,
    /// Remove the container's anonymous volumes too
    #[arg(short, long)]
    pub volumes: bool,
    /// Remove every container
    #[arg(short, long)]
    pub all: bool,
}

/// Options of `rl wait`.
#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER", required = true)]
    pub containers: Vec<String>,
}

/// Options of `rl start` (detached unless `-a`).
pub use super::run::StartArgs;

fn selected(paths: &Paths, names: &[String], all: bool, what: &str) -> Result<Vec<Record>> {
    if all {
        return Ok(container::list_live(paths));
    }
    if names.is_empty() {
        return Err(Error::Usage(format!(
            "{what} needs at least one container (or --all)"
        )));
    }
    find_all(paths, names)
}

fn stop_signal(paths: &Paths, rec: &Record) -> Signal {
    let spec = std::fs::read(container::dir(paths, &rec.id).join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<oci_spec::runtime::Spec>(&b).ok());
    spec.and_then(|s| {
        s.annotations()
            .as_ref()
            .and_then(|a| a.get(crate::specgen::ANNOTATION_STOP_SIGNAL).cloned())
    })
    .and_then(|n| n.parse::<i32>().ok())
    .and_then(|n| Signal::try_from(n).ok())
    .unwrap_or(Signal::SIGTERM)
}

/// Wait until the container's watcher has recorded its end (or `limit` passes).
fn wait_gone(paths: &Paths, rec: &Record, limit: Duration) -> bool {
    let t0 = Instant::now();
    loop {
        let fresh = container::load(paths, &rec.id).ok();
        let running = fresh.as_ref().is_some_and(Record::is_running);
        if !running {
            return true;
        }
        if t0.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Note in the record that the user is stopping it, so its restart policy does not bring it back.
fn mark_stopping(paths: &Paths, rec: &Record) -> Result<Record> {
    let _lock = container::lock(paths, &rec.id)?;
    let mut fresh = container::load(paths, &rec.id)?;
    if fresh.is_running() {
        fresh.state = "stopping".into();
        container::save(&container::dir(paths, &rec.id), &fresh)?;
    }
    Ok(fresh)
}

fn not_running(rec: &Record) -> Error {
    Error::Msg(format!(
        "container {} is not running (state {})",
        rec.name, rec.state
    ))
}

fn signal_container(rec: &Record, sig: Signal) -> Result<()> {
    let pid = rec
        .pid
        .filter(|_| container::alive(rec.pid, rec.pid_start))
        .ok_or_else(|| not_running(rec))?;
    container::signal_process(pid, sig)
}

/// Stop one running container: its stop signal, then SIGKILL after `timeout`.
pub(crate) fn stop_one(paths: &Paths, rec: &Record, timeout: Duration) -> Result<()> {
    if !rec.is_running() {
        return Err(not_running(rec));
    }
    let was_paused = rec.state == "paused";
    let rec = &mark_stopping(paths, rec)?;
    if rec.pid.is_none() {
        // Between two runs of its restart policy: the monitor sees "stopping" and ends.
        return if wait_gone(paths, rec, timeout) {
            Ok(())
        } else {
            Err(Error::Msg(format!("container {} did not stop", rec.name)))
        };
    }
    let sig = stop_signal(paths, rec);
    signal_container(rec, sig)?;
    if was_paused && let Some(pid) = rec.pid {
        super::ops::resume_all(pid)?;
    }
    if !wait_gone(paths, rec, timeout) {
        let _ = signal_container(rec, Signal::SIGKILL);
        if !wait_gone(paths, rec, Duration::from_secs(10)) {
            return Err(Error::Msg(format!(
                "container {} did not stop after SIGKILL",
                rec.name
            )));
        }
    }
    crate::events::record(paths, &crate::container::event(rec, "stop"));
    Ok(())
}

/// Run `f` on each container, printing what the user named on success (as docker does) and
/// reporting every failure; the first failure decides the exit status.
fn each(
    names: &[String],
    recs: Vec<Record>,
    mut f: impl FnMut(&Record) -> Result<()>,
) -> Result<()> {
    let mut first_err = None;
    for (i, rec) in recs.iter().enumerate() {
        match f(rec) {
            Ok(()) => {
                let shown = names.get(i).cloned().unwrap_or_else(|| rec.id.clone());
                super::print_stdout(&format!("{shown}\n"))?;
            }
            Err(e) => {
                if first_err.is_some() {
                    super::report(&e.one_line());
                } else {
                    first_err = Some(e);
                }
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// `rl stop`.
pub fn stop(a: &StopArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let mut recs = selected(&paths, &a.containers, a.all, "stop")?;
    if a.all {
        recs.retain(Record::is_running);
    }
    let timeout = Duration::from_secs(a.time.unwrap_or(10));
    each(&a.containers, recs, |r| stop_one(&paths, r, timeout))
}

/// `rl kill`.
pub fn kill(a: &KillArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let sig = crate::specgen::parse_signal(&a.signal)
        .ok()
        .and_then(|n| Signal::try_from(n).ok())
        .ok_or_else(|| Error::Usage(format!("invalid signal {:?}", a.signal)))?;
    let mut recs = selected(&paths, &a.containers, a.all, "kill")?;
    if a.all {
        recs.retain(Record::is_running);
    }
    each(&a.containers, recs, |r| {
        if !r.is_running() {
            return Err(not_running(r));
        }
        signal_container(r, sig)?;
        crate::events::record(
            &paths,
            &crate::container::event(r, "kill").attr("signal", (sig as i32).to_string()),
        );
        Ok(())
    })
}

/// Remove a stopped container's directory (and, with `volumes`, its anonymous volumes).
pub(crate) fn remove(paths: &Paths, rec: &Record, volumes: bool) -> Result<()> {
    let _lock = container::lock(paths, &rec.id)?;
    let dir = container::dir(paths, &rec.id);
    if volumes {
        for v in anonymous_volumes(paths, &dir) {
            crate::image::store::remove_any(&v);
        }
    }
    crate::image::store::remove_any(&dir);
    if dir.exists() {
        return Err(Error::Msg(format!(
            "could not remove all of {}",
            dir.display()
        )));
    }
    crate::events::record(paths, &crate::container::event(rec, "remove"));
    Ok(())
}

/// A container's anonymous volumes: from its saved bundle, or (a container run in the
/// foreground has none) the volumes its spec mounts whose names are 64-hex ids.
fn anonymous_volumes(paths: &Paths, dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    if let Ok(b) = std::fs::read(dir.join("bundle.json"))
        && let Ok(c) = serde_json::from_slice::<super::run::Created>(&b)
    {
        return c.anonymous;
    }
    let root = paths.volumes();
    let spec: Option<oci_spec::runtime::Spec> = std::fs::read(dir.join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    spec.and_then(|s| s.mounts().clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.source().as_ref())
        .filter_map(|src| src.strip_prefix(&root).ok())
        .filter_map(|rel| rel.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|n| root.join(n))
        .collect()
}

/// `rl rm`.
pub fn rm(a: &RmArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = selected(&paths, &a.containers, a.all, "rm")?;
    each(&a.containers, recs, |r| {
        if r.is_running() {
            if !a.force {
                return Err(Error::Msg(format!(
                    "cannot remove container {} as it is running; stop it first or use rm --force",
                    r.name
                )));
            }
            let r = &mark_stopping(&paths, r)?;
            let _ = signal_container(r, Signal::SIGKILL);
            if !wait_gone(&paths, r, Duration::from_secs(10)) {
                return Err(Error::Msg(format!("container {} did not die", r.name)));
            }
        }
        ensure_userns()?;
        remove(&paths, r, a.volumes)
    })
}

/// `rl wait`: block until each container has exited; print its exit code.
pub fn wait(a: &WaitArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = find_all(&paths, &a.containers)?;
    for r in recs {
        // Until it ends (a restart policy's back-off counts as an end, as in docker).
        while container::load(&paths, &r.id)
            .is_ok_and(|f| f.is_running() && f.state != "restarting")
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut fresh = container::load(&paths, &r.id).unwrap_or(r);
        container::reconcile(&paths, &mut fresh);
        super::print_stdout(&format!("{}\n", fresh.exit_code.unwrap_or(-1)))?;
    }
    Ok(())
}

/// Start a container that is not running under a new monitor: it needs its saved bundle, and
/// this process in rl's user namespace (stopping one may have joined the container's own,
/// whose map is rl's).
fn start_again(paths: &Paths, r: &Record) -> Result<()> {
    if !container::dir(paths, &r.id).join("bundle.json").exists() {
        return Err(Error::Msg(format!(
            "container {} cannot be started again (it was run in the foreground without a saved bundle)",
            r.name
        )));
    }
    // The monitor inherits the user namespace: the one the container must run in.
    let _lease = super::run::enter_userns_for(paths, r)?;
    start_monitor(&r.id)
}

/// `rl start` without `-a`: start each container detached, under a monitor.
pub fn start_detached(a: &StartArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = if a.all {
        let mut all = container::list_live(&paths);
        for f in &a.filter {
            match f.split_once('=') {
                Some(("restart-policy", v)) => all.retain(|r| {
                    r.restart_policy == v || (v == "no" && r.restart_policy.is_empty())
                }),
                Some(("status", v)) => all.retain(|r| r.state == v),
                Some(("name", v)) => all.retain(|r| r.name.contains(v)),
                Some(("label", v)) => all.retain(|r| super::ps::label_matches(&r.labels, v)),
                _ => {
                    return Err(Error::Usage(format!(
                        "invalid --filter {f:?}: want restart-policy=, status=, name= or label="
                    )));
                }
            }
        }
        all.retain(|r| !r.is_running());
        all
    } else {
        if a.containers.is_empty() {
            return Err(Error::Usage(
                "start needs at least one container (or --all)".into(),
            ));
        }
        find_all(&paths, &a.containers)?
    };
    each(&a.containers, recs, |r| {
        if r.is_running() {
            // docker and podman: starting a running container is not an error.
            return Ok(());
        }
        start_again(&paths, r)
    })
}

/// `rl logs`.
pub fn logs(a: &super::logs::LogsArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let recs = if a.latest {
        let mut all = container::list(&paths);
        all.sort_by_key(|r| r.created);
        vec![
            all.pop()
                .ok_or_else(|| Error::Msg("no containers".into()))?,
        ]
    } else {
        find_all(&paths, &a.containers)?
    };
    for r in recs {
        if r.log_driver == "none" {
            return Err(Error::Msg(format!(
                "container {} uses the none log driver: it has no logs",
                r.name
            )));
        }
        let log = container::dir(&paths, &r.id).join("ctr.log");
        let name = r.name.clone();
        let id = r.id.clone();
        let p = paths.clone();
        let running = move || container::load(&p, &id).is_ok_and(|f| f.is_running());
        super::logs::show(a, &log, &name, &running)?;
    }
    Ok(())
}

/// Options of `rl rename`.
#[derive(Debug, clap::Args)]
pub struct RenameArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// Its new name
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// `rl rename`: under the global name lock, so two containers never end up with one name.
pub fn rename(a: &RenameArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    if !container::valid_name(&a.name) {
        return Err(Error::Usage(format!(
            "invalid container name {:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
            a.name
        )));
    }
    let names = container::lock_names(&paths)?;
    let rec = super::run::find_container(&paths, &a.container)?;
    if let Some(other) = container::list(&paths)
        .iter()
        .find(|r| r.name == a.name && r.id != rec.id)
    {
        return Err(Error::Msg(format!(
            "the container name \"{}\" is already in use by {}",
            a.name,
            other.short_id()
        )));
    }
    let _lock = container::lock(&paths, &rec.id)?;
    let mut fresh = container::load(&paths, &rec.id)?;
    let old = std::mem::replace(&mut fresh.name, a.name.clone());
    container::save(&container::dir(&paths, &rec.id), &fresh)?;
    drop(names);
    crate::events::record(
        &paths,
        &crate::events::Event::new("container", "rename", &rec.id)
            .name(&fresh.name)
            .image(&fresh.image_name)
            .attr("oldName", old),
    );
    Ok(())
}

/// Options of `rl restart`.
#[derive(Debug, clap::Args)]
pub struct RestartArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Seconds to wait for the stop signal to work before killing (default 10)
    #[arg(short = 't', long = "time", alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u64>,
    /// Restart every running container
    #[arg(short, long)]
    pub all: bool,
}

/// `rl restart`: stop (when running), then start under a new monitor.
pub fn restart(a: &RestartArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let mut recs = selected(&paths, &a.containers, a.all, "restart")?;
    if a.all {
        recs.retain(Record::is_running);
    }
    let timeout = Duration::from_secs(a.time.unwrap_or(10));
    each(&a.containers, recs, |r| {
        if r.is_running() {
            stop_one(&paths, r, timeout)?;
        }
        start_again(&paths, r)?;
        crate::events::record(&paths, &crate::container::event(r, "restart"));
        Ok(())
    })
}

/// Options of `rl container prune`.
#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Only containers matching: label=KEY[=VALUE], until=TIME
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// `rl container prune`: remove every container that is not running.
pub fn prune(a: &PruneArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let now = crate::format::time::now_nanos();
    let mut until = None;
    let mut labels = Vec::new();
    for f in &a.filter {
        match f.split_once('=') {
            Some(("until", v)) => {
                until =
                    Some(crate::format::time::parse_since(v, now).ok_or_else(|| {
                        Error::Usage(format!("invalid --filter {f:?}: bad time"))
                    })?);
            }
            Some(("label", v)) => labels.push(v.to_string()),
            _ => {
                return Err(Error::Usage(format!(
                    "invalid --filter {f:?}: want label=KEY[=VALUE] or until=TIME"
                )));
            }
        }
    }
    if !a.force
        && !super::image::confirm(
            "WARNING! This will remove all non running containers.\nAre you sure you want to continue?",
        )
    {
        return Ok(());
    }
    let victims: Vec<Record> = container::list_live(&paths)
        .into_iter()
        .filter(|r| !r.is_running())
        .filter(|r| until.is_none_or(|u| i64::try_from(r.created).unwrap_or(0) * 1_000_000_000 < u))
        .filter(|r| {
            labels
                .iter()
                .all(|l| super::ps::label_matches(&r.labels, l))
        })
        .collect();
    if victims.is_empty() {
        return Ok(());
    }
    ensure_userns()?;
    let mut first_err = None;
    for r in &victims {
        match remove(&paths, r, false) {
            Ok(()) => super::print_stdout(&format!("{}\n", r.id))?,
            Err(e) => {
                super::report(&e.one_line());
                first_err.get_or_insert(e);
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}
