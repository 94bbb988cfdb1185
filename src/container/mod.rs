//! Containers: records and directories under `$XDG_DATA_HOME/rl/containers/<id>/`, and what
//! running one needs besides its spec (generated /etc files, the image's users).

pub mod attach;
pub mod health;
pub mod logs;
pub mod tree_tar;

use std::fs;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::error::{Error, Result};
use crate::store_file::write_replace;

/// A container's record (`container.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// 64 hex digits.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Image id (config digest hex).
    pub image_id: String,
    /// The image as the user named it.
    pub image_name: String,
    /// Seconds since the epoch.
    pub created: u64,
    /// `created`, `running`, `exited`.
    pub state: String,
    /// Exit status once exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The command line it runs.
    pub command: Vec<String>,
    /// The container's first process (pid in rl's pid namespace) while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// That process's start time (clock ticks after boot, /proc/PID/stat), so that a reused pid is
    /// never taken for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
    /// The process that waits for the container and records its end: the monitor of a detached
    /// container, or the `rl run`/`rl start -a` that runs it in the foreground.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_pid: Option<i32>,
    /// Its start time (as `pid_start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_start: Option<u64>,
    /// When it last started, nanoseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// When it last ended, nanoseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// `--label`s.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// How it is networked: `none`, `host`, `slirp4netns[:opts]`, `pasta[:opts]`,
    /// `container:NAME`, or `bridge` for user-defined networks (see `networks`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub network_mode: String,
    /// The user-defined networks it is on, by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub networks: std::collections::BTreeMap<String, crate::network::Attachment>,
    /// Published ports (`-p`, `-P`), as assigned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<crate::network::PortMapping>,
    /// `--rm`: removed when it exits.
    #[serde(default)]
    pub rm: bool,
    /// `--log-driver`: `k8s-file` (the default) or `none`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_driver: String,
    /// `--log-opt max-size=` in bytes (None: no rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_max_size: Option<u64>,
    /// `--restart`: `no` (empty), `on-failure`, `always`, `unless-stopped`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub restart_policy: String,
    /// `--restart on-failure:N`: at most N restarts (0: no limit).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restart_max: u32,
    /// How many times the restart policy has brought it back since it was last started.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restart_count: u32,
    /// Its health check (`--health-*`, or the image's HEALTHCHECK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<health::HealthConfig>,
    /// The health status while it runs (`starting`, `healthy`, `unhealthy`), read from its
    /// state file by [`list_live`]; not stored in the record.
    #[serde(skip)]
    pub health_status: Option<String>,
    /// Its run-time config as an image would record it (the image's, with what `rl run` changed):
    /// what `rl commit` starts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<crate::image::manifest::ContainerConfig>,
    /// Why it ended, when rl knows better than an exit code (e.g. its monitor was killed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The start time of a process (field 22 of /proc/PID/stat), None when it does not exist.
pub fn process_start(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process `pid` that started at `start` still runs (a zombie counts as gone).
pub fn alive(pid: Option<i32>, start: Option<u64>) -> bool {
    let (Some(pid), Some(start)) = (pid, start) else {
        return false;
    };
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some(close) = stat.rfind(')') else {
        return false;
    };
    let mut f = stat[close + 1..].split_whitespace();
    let state = f.next();
    state != Some("Z") && f.nth(18).and_then(|s| s.parse::<u64>().ok()) == Some(start)
}

impl Record {
    /// Whether it runs: its state says so and the process watching it is still there.
    pub fn is_running(&self) -> bool {
        matches!(
            self.state.as_str(),
            "running" | "paused" | "stopping" | "restarting"
        ) && alive(self.monitor_pid, self.monitor_start)
    }

    /// The first 12 digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// An event about a container: its id, name, image and (as docker's events carry them) its
/// labels, which tools such as the devcontainers CLI match on.
pub fn event(rec: &Record, action: &str) -> crate::events::Event {
    let mut ev = crate::events::Event::new("container", action, &rec.id)
        .name(&rec.name)
        .image(&rec.image_name);
    for (k, v) in &rec.labels {
        if k != "name" && k != "image" {
            ev = ev.attr(k, v.clone());
        }
    }
    ev
}

/// The directory of a container.
pub fn dir(paths: &Paths, id: &str) -> PathBuf {
    paths.containers().join(id)
}

/// A held lock on one container (released when dropped).
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
}

/// Lock a container against concurrent changes (start, stop, remove, the monitor's updates).
pub fn lock(paths: &Paths, id: &str) -> Result<Lock> {
    lock_file(&dir(paths, id).join(".lock"))
}

fn lock_file(path: &Path) -> Result<Lock> {
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::path("open lock", path, e))?;
    f.lock().map_err(|e| Error::path("lock", path, e))?;
    Ok(Lock { _file: f })
}

/// Lock container names (held while a name is chosen or changed: names stay unique).
pub fn lock_names(paths: &Paths) -> Result<Lock> {
    crate::config::ensure_dir(&paths.containers())?;
    lock_file(&paths.containers().join(".names.lock"))
}

/// Read one container's record.
pub fn load(paths: &Paths, id: &str) -> Result<Record> {
    let p = dir(paths, id).join("container.json");
    let b = fs::read(&p).map_err(|e| Error::path("read", &p, e))?;
    serde_json::from_slice(&b).map_err(|e| Error::Msg(format!("{}: {e}", p.display())))
}

/// Mark a container whose watcher vanished (killed monitor, reboot) as exited, honestly: rl does
/// not know its exit code. Returns whether the record changed. Takes the container's lock.
pub fn reconcile(paths: &Paths, rec: &mut Record) -> bool {
    let live_state = |r: &Record| {
        matches!(
            r.state.as_str(),
            "running" | "paused" | "stopping" | "restarting"
        )
    };
    if !live_state(rec) || rec.is_running() {
        return false;
    }
    let Ok(_lock) = lock(paths, &rec.id) else {
        return false;
    };
    // Re-read under the lock: the monitor may have just recorded the real end.
    if let Ok(fresh) = load(paths, &rec.id) {
        *rec = fresh;
        if !live_state(rec) || rec.is_running() {
            return false;
        }
    }
    // Whatever is left of the container dies with its pid namespace once nothing holds it; a
    // container process that outlived its watcher is killed so that the record stays true.
    if alive(rec.pid, rec.pid_start)
        && let Some(pid) = rec.pid
    {
        let _ = signal_process(pid, nix::sys::signal::Signal::SIGKILL);
    }
    rec.state = "exited".into();
    rec.exit_code = Some(rec.exit_code.unwrap_or(-1));
    rec.finished_at = Some(crate::format::time::now_nanos());
    rec.error = Some("the process watching the container ended without recording its exit (killed, or the machine restarted)".into());
    rec.pid = None;
    rec.pid_start = None;
    let _ = save(&dir(paths, &rec.id), rec);
    true
}

/// Send a signal to a process of a container, joining its user namespace first when rl is not
/// already in one (a container process may run as one of the user's subordinate ids, which the
/// user may signal only from inside). The caller must be single-threaded.
pub fn signal_process(pid: i32, sig: nix::sys::signal::Signal) -> Result<()> {
    let target = nix::unistd::Pid::from_raw(pid);
    match nix::sys::signal::kill(target, sig) {
        Ok(()) => return Ok(()),
        Err(nix::errno::Errno::ESRCH) => {
            return Err(Error::Msg(format!("process {pid} is gone")));
        }
        Err(_) => {}
    }
    let ns = fs::File::open(format!("/proc/{pid}/ns/user"))
        .map_err(|e| Error::io("open the container's user namespace", e))?;
    nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWUSER)
        .map_err(|e| Error::Msg(format!("join the container's user namespace: {}", e.desc())))?;
    nix::sys::signal::kill(target, sig)
        .map_err(|e| Error::Msg(format!("signal process {pid}: {}", e.desc())))
}

/// A new random container id: 64 lowercase hex digits, like podman's.
pub fn new_id() -> Result<String> {
    let mut b = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| Error::io("read /dev/urandom", e))?;
    Ok(crate::image::digest::hex(&b))
}

const ADJECTIVES: &[&str] = &[
    "brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry",
    "nifty", "proud", "quirky", "sharp", "tender", "vivid", "witty", "zealous", "bold", "clever",
];
const NOUNS: &[&str] = &[
    "turing", "hopper", "lovelace", "dijkstra", "knuth", "ritchie", "thompson", "liskov",
    "hamilton", "torvalds", "shannon", "noether", "curie", "euler", "gauss", "babbage", "kay",
    "lamport", "perlman", "wirth",
];

/// A docker-style name (`happy_turing`) derived from the id, made unique against `taken`.
pub fn generate_name(id: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let n = usize::from_str_radix(&id[..8.min(id.len())], 16).unwrap_or(0);
    let base = format!(
        "{}_{}",
        ADJECTIVES[n % ADJECTIVES.len()],
        NOUNS[(n / 97) % NOUNS.len()]
    );
    if !taken(&base) {
        return base;
    }
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|c| !taken(c))
        .unwrap_or(base)
}

/// Whether a name is acceptable (docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
pub fn valid_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next().is_some_and(|f| f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || "_.-".contains(x))
}

/// Every container record, as stored (see [`list_live`] for states checked against reality).
pub fn list(paths: &Paths) -> Vec<Record> {
    let Ok(rd) = fs::read_dir(paths.containers()) else {
        return Vec::new();
    };
    rd.flatten()
        // Not `.names.lock`, nor a removed container's files on their way out.
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .filter_map(|e| fs::read(e.path().join("container.json")).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

/// Every container record, with containers whose watcher is gone marked exited.
pub fn list_live(paths: &Paths) -> Vec<Record> {
    let mut all = list(paths);
    for r in &mut all {
        reconcile(paths, r);
        if r.health.is_some() && r.is_running() {
            r.health_status = Some(health::load(&dir(paths, &r.id)).status);
        }
    }
    all
}

/// Prefix of a removed container's directory whose files are still being deleted.
const REMOVING: &str = ".removing-";

/// Remove a container's directory without making the caller wait for its files to be deleted.
///
/// The container is gone for everyone at once: one rename moves its directory to
/// `.removing-<id>`, which [`list`] skips (so its name is free again). Deleting the files, 1–2 ms
/// on a journaling file system, is left to a forked child in a session of its own, which holds
/// nothing of the caller's open (so a caller reading rl's output is not kept waiting) and also
/// deletes what a killed child left behind a minute or more ago. When the rename or the fork
/// fails, the directory is removed in place.
///
/// `mounts` is the ended container's mount namespace, kept open (see `runtime::run_with`): the
/// child waits for this process to exit, then closes it, so that the mounts are torn down after
/// rl has returned, and before their files are deleted.
pub fn remove_detached(dir: &Path, mounts: Option<std::os::fd::OwnedFd>) {
    use std::os::fd::AsRawFd;
    let in_place = |dir: &Path, mounts: Option<std::os::fd::OwnedFd>| {
        drop(mounts);
        crate::image::store::remove_any(dir)
    };
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return in_place(dir, mounts);
    };
    let trash = parent.join(format!("{REMOVING}{}", name.to_string_lossy()));
    if fs::rename(dir, &trash).is_err() {
        return in_place(dir, mounts);
    }
    // Its mtime says since when it waits (see sweep_removing).
    let _ = nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        &trash,
        &nix::sys::time::TimeSpec::UTIME_NOW,
        &nix::sys::time::TimeSpec::UTIME_NOW,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    );
    let me = rustix::process::getpid();
    match crate::runtime::sys::fork_continue() {
        // The child holds the mounts now; this copy goes without tearing anything down.
        Ok(Some(_)) => drop(mounts),
        Ok(None) => {
            let _ = nix::unistd::setsid();
            if let Ok(null) = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
            {
                let _ = nix::unistd::dup2_stdin(&null);
                let _ = nix::unistd::dup2_stdout(&null);
                let _ = nix::unistd::dup2_stderr(&null);
            }
            // rl's end, watched through a pidfd; when rl has ended already (its pid may be
            // reused), there is nothing to wait for.
            let rl = mounts.as_ref().and_then(|_| {
                let fd =
                    rustix::process::pidfd_open(me, rustix::process::PidfdFlags::empty()).ok()?;
                (rustix::process::getppid() == Some(me)).then_some(fd)
            });
            let keep: Vec<i32> = [mounts.as_ref(), rl.as_ref()]
                .into_iter()
                .flatten()
                .map(|f| f.as_raw_fd())
                .collect();
            let parent = parent.to_path_buf();
            crate::runtime::sys::close_others_and_run(&keep, move || {
                if let Some(rl) = &rl {
                    // Bounded: a caller that lingers does not keep the files forever.
                    let mut fds = [nix::poll::PollFd::new(
                        std::os::fd::AsFd::as_fd(rl),
                        nix::poll::PollFlags::POLLIN,
                    )];
                    let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(10_000u16));
                }
                drop(rl);
                drop(mounts);
                crate::image::store::remove_any(&trash);
                sweep_removing(&parent);
                0
            })
        }
        Err(_) => in_place(&trash, mounts),
    }
}

/// Delete `.removing-*` directories under `containers` that have waited a minute or more (their
/// deleting child was killed, or the machine stopped).
fn sweep_removing(containers: &Path) {
    let Ok(rd) = fs::read_dir(containers) else {
        return;
    };
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for e in rd.flatten() {
        let stale = e.file_name().to_string_lossy().starts_with(REMOVING)
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < old);
        if stale {
            crate::image::store::remove_any(&e.path());
        }
    }
}

/// Write a record (replaced by rename; see [`write_replace`] for why not fsync'd).
pub fn save(dir: &Path, rec: &Record) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(rec)
        .map_err(|e| Error::io("encode container record", e.into()))?;
    write_replace(&dir.join("container.json"), &bytes)
}

/// Read a file of the image as the layers (top first) stack it; None when absent or whited out.
/// Used for /etc/passwd and /etc/group, which are world-readable in images.
pub fn read_image_file(layers_top_first: &[PathBuf], path: &str) -> Option<String> {
    let rel = path.trim_start_matches('/');
    for l in layers_top_first {
        let p = l.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_char_device() => return None,
            Ok(m) if m.is_file() => return fs::read_to_string(&p).ok(),
            Ok(_) => return None,
            Err(_) => {
                // A whiteout or opaque parent would hide lower copies; check the parent chain.
                let mut parent = p.parent();
                while let Some(d) = parent {
                    if d == l.as_path() {
                        break;
                    }
                    if fs::symlink_metadata(d).is_ok_and(|m| m.file_type().is_char_device()) {
                        return None;
                    }
                    parent = d.parent();
                }
            }
        }
    }
    None
}

/// Give a tree to `uid:gid` (ids of rl's user namespace), never following symlinks: the `U`
/// option of binds and volumes.
pub fn chown_tree(root: &Path, uid: u32, gid: u32) -> Result<()> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        std::os::unix::fs::lchown(&p, Some(uid), Some(gid))
            .map_err(|e| Error::path("chown", &p, e))?;
        let meta = fs::symlink_metadata(&p).map_err(|e| Error::path("stat", &p, e))?;
        if meta.is_dir() {
            for e in fs::read_dir(&p).map_err(|e| Error::path("read", &p, e))? {
                stack.push(e.map_err(|e| Error::path("read", &p, e))?.path());
            }
        }
    }
    Ok(())
}

/// Where the runtime mounts in every container, relative to `/`: (path, is a directory).
pub(crate) const MOUNT_POINTS: &[(&str, bool)] = &[
    ("proc", true),
    ("sys", true),
    ("dev", true),
    ("etc/hosts", false),
    ("etc/hostname", false),
    ("etc/resolv.conf", false),
    ("run/.containerenv", false),
];

/// Whether `rel` (relative to `/`) in a container's upper directory `upper` is only a mount point
/// the runtime made: its own files (hosts, resolv.conf, ...), or an empty `proc`, `sys` or `dev`.
/// `diff` and `commit` leave these out.
pub fn is_own_mount_point(upper: &Path, rel: &str, m: &fs::Metadata) -> bool {
    MOUNT_POINTS.iter().any(|(p, is_dir)| {
        *p == rel
            && (!is_dir
                || (m.is_dir()
                    && fs::read_dir(upper.join(rel)).is_ok_and(|mut d| d.next().is_none())))
    })
}

/// What the merged view of layers (top first) has at a path.
#[derive(Debug)]
enum Merged {
    /// Nothing from component `k` on (0-based): components before it are directories.
    AbsentFrom(usize),
    /// The path is there (any kind).
    Present,
    /// A component before the last is not a directory (a symlink, a file): leave it alone.
    Blocked,
}

/// Whether the image the layers (top first) stack has `rel` (a path relative to `/`), of any
/// kind; a path under a non-directory counts as absent.
pub fn image_has(layers_top_first: &[PathBuf], rel: &str) -> bool {
    let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
    !comps.is_empty() && matches!(merged(layers_top_first, &comps), Merged::Present)
}

fn merged(layers_top_first: &[PathBuf], comps: &[&str]) -> Merged {
    use std::os::unix::fs::MetadataExt;
    let mut visible = layers_top_first.len();
    for k in 0..comps.len() {
        let prefix = comps[..=k].join("/");
        let mut found = None;
        for (i, l) in layers_top_first[..visible].iter().enumerate() {
            let p = l.join(&prefix);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_char_device() && m.rdev() == 0 => {
                    found = Some(None);
                    break;
                }
                Ok(m) if m.is_dir() => {
                    if crate::runtime::sys::xattr_len(&p, "user.overlay.opaque").is_some() {
                        visible = i + 1;
                    }
                    found = Some(Some(true));
                    break;
                }
                Ok(_) => {
                    found = Some(Some(false));
                    break;
                }
                Err(_) => {}
            }
        }
        match found.flatten() {
            None => return Merged::AbsentFrom(k),
            Some(false) if k + 1 < comps.len() => return Merged::Blocked,
            Some(_) if k + 1 == comps.len() => return Merged::Present,
            Some(_) => {}
        }
    }
    Merged::Present
}

/// A lower layer, kept per image next to its layers (`layers/mp-<image id>`), that holds the
/// mount points the image lacks (`/proc`, `/etc/hosts`, `/run/.containerenv`, ...), so that a
/// container start creates nothing in its upper directory and its removal has nothing to delete
/// there. Directories of the image on the way keep their owner and mode. Built once, inside
/// rl's user namespace; None when nothing is missing.
pub fn mount_point_layer(
    layers_dir: &Path,
    image_hex: &str,
    layers_top_first: &[PathBuf],
) -> Result<Option<PathBuf>> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dst = layers_dir.join(format!("mp-{image_hex}"));
    if dst.is_dir() {
        return Ok(Some(dst));
    }
    let mut wanted = Vec::new();
    for (path, is_dir) in MOUNT_POINTS {
        let comps: Vec<&str> = path.split('/').collect();
        if let Merged::AbsentFrom(k) = merged(layers_top_first, &comps) {
            wanted.push((comps, k, *is_dir));
        }
    }
    if wanted.is_empty() {
        return Ok(None);
    }
    let staged = layers_dir.join(format!(".mp-{image_hex}-{}", std::process::id()));
    crate::image::store::remove_any(&staged);
    let made = (|| -> std::io::Result<()> {
        fs::create_dir(&staged)?;
        fs::set_permissions(&staged, fs::Permissions::from_mode(0o755))?;
        for (comps, k, is_dir) in &wanted {
            // The image's directories on the way, with their owner and mode.
            for j in 0..*k {
                let rel = comps[..=j].join("/");
                let here = staged.join(&rel);
                if here.exists() {
                    continue;
                }
                let meta = layers_top_first.iter().find_map(|l| {
                    fs::symlink_metadata(l.join(&rel))
                        .ok()
                        .filter(|m| m.is_dir())
                });
                fs::create_dir(&here)?;
                if let Some(m) = meta {
                    std::os::unix::fs::lchown(&here, Some(m.uid()), Some(m.gid()))?;
                    fs::set_permissions(&here, fs::Permissions::from_mode(m.mode() & 0o7777))?;
                }
            }
            for j in *k..comps.len() {
                let here = staged.join(comps[..=j].join("/"));
                if here.exists() {
                    continue;
                }
                if j + 1 < comps.len() || *is_dir {
                    fs::create_dir(&here)?;
                    fs::set_permissions(&here, fs::Permissions::from_mode(0o755))?;
                } else {
                    fs::File::create(&here)?;
                    fs::set_permissions(&here, fs::Permissions::from_mode(0o644))?;
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = made {
        crate::image::store::remove_any(&staged);
        return Err(Error::path("prepare the mount point layer", &staged, e));
    }
    // Another rl may have made it meanwhile: either copy is the same.
    if fs::rename(&staged, &dst).is_err() {
        crate::image::store::remove_any(&staged);
    }
    Ok(Some(dst))
}

/// The files rl generates for a container and binds into it: (host path, container path).
/// `hosts` None (`--no-hosts`) leaves the image's /etc/hosts.
pub fn write_etc_files(
    dir: &Path,
    hostname: &str,
    id: &str,
    name: &str,
    image: &str,
    hosts: Option<&str>,
    resolv: &str,
) -> Result<Vec<(PathBuf, String)>> {
    let containerenv = format!(
        "engine=\"rl-{}\"\nname=\"{name}\"\nid=\"{id}\"\nimage=\"{image}\"\nrootless=1\n",
        crate::version::VERSION
    );
    let mut out = Vec::new();
    let hostname = format!("{hostname}\n");
    for (file, content, dest) in [
        ("hosts", hosts, "/etc/hosts"),
        ("hostname", Some(hostname.as_str()), "/etc/hostname"),
        ("resolv.conf", Some(resolv), "/etc/resolv.conf"),
        (
            "containerenv",
            Some(containerenv.as_str()),
            "/run/.containerenv",
        ),
    ] {
        let Some(content) = content else { continue };
        let p = dir.join(file);
        fs::write(&p, content).map_err(|e| Error::path("write", &p, e))?;
        out.push((p, dest.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("web-1.a_b"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        let id = "0123456789abcdef";
        let first = generate_name(id, &|_| false);
        let second = generate_name(id, &|n| n == first);
        assert_ne!(first, second);
        assert!(second.starts_with(&first));
    }

    #[test]
    fn mount_point_layer_fills_only_what_the_image_lacks() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let (top, base) = (t.path().join("top"), t.path().join("base"));
        fs::create_dir_all(base.join("etc")).unwrap();
        fs::set_permissions(base.join("etc"), fs::Permissions::from_mode(0o750)).unwrap();
        fs::write(base.join("etc/hostname"), "img\n").unwrap();
        fs::create_dir_all(base.join("proc")).unwrap();
        fs::create_dir_all(&top).unwrap();
        // /run is a symlink in the image: its mount point is left to the runtime.
        std::os::unix::fs::symlink("/var/run", top.join("run")).unwrap();
        let layers = vec![top.clone(), base.clone()];
        let mp = mount_point_layer(t.path(), "abc", &layers)
            .unwrap()
            .unwrap();
        assert_eq!(mp, t.path().join("mp-abc"));
        let mut got: Vec<String> = Vec::new();
        let mut stack = vec![mp.clone()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap().flatten() {
                got.push(e.path().strip_prefix(&mp).unwrap().display().to_string());
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                }
            }
        }
        got.sort();
        assert_eq!(
            got,
            vec!["dev", "etc", "etc/hosts", "etc/resolv.conf", "sys"]
        );
        // The image's /etc keeps its mode in the merged view.
        let mode = fs::metadata(mp.join("etc")).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o750);
        // Made once, then reused; nothing to add gives no layer.
        assert_eq!(
            mount_point_layer(t.path(), "abc", &layers).unwrap(),
            Some(mp.clone())
        );
        assert_eq!(
            mount_point_layer(t.path(), "def", &[mp.clone(), top, base]).unwrap(),
            None
        );
    }

    #[test]
    fn image_files_follow_whiteouts() {
        let t = tempfile::tempdir().unwrap();
        let lower = t.path().join("l1");
        let upper = t.path().join("l2");
        fs::create_dir_all(lower.join("etc")).unwrap();
        fs::create_dir_all(&upper).unwrap();
        fs::write(lower.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        let layers = vec![upper.clone(), lower.clone()];
        assert!(
            read_image_file(&layers, "/etc/passwd")
                .unwrap()
                .starts_with("root")
        );
        fs::create_dir_all(upper.join("etc")).unwrap();
        fs::write(upper.join("etc/passwd"), "new\n").unwrap();
        assert_eq!(read_image_file(&layers, "/etc/passwd").unwrap(), "new\n");
        assert!(read_image_file(&layers, "/etc/group").is_none());
    }
}
