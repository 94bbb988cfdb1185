//! The pause process: keeps rl's user namespace alive between invocations, so that the next
//! `rl` joins it with one setns(2) (about 0.1 ms) instead of creating a new one and mapping it
//! through the setuid helpers newuidmap and newgidmap (3–4 ms, most of an `rl run`). Podman
//! keeps its rootless user namespace the same way (`catatonit -P`).
//!
//! - The process, `rl __pause RUNTIME_DIR` (named `rl-pause`), is started by the first `rl` that
//!   creates a user namespace with the full subordinate maps. It holds nothing but that namespace:
//!   no descriptor of rl's, its working directory is `/`, it is in the host's mount namespace,
//!   and it sleeps in nanosleep(2).
//! - It records itself in `RUNTIME_DIR/pause.pid` as `PID INODE` (the inode of its user
//!   namespace). A joiner opens `/proc/PID/ns/user` first (which pins the namespace), then checks
//!   the inode, and that the namespace's maps are the ones /etc/subuid and /etc/subgid give now
//!   (so a changed range is never joined); anything unexpected and it creates a namespace as
//!   before. A successful join touches the file.
//! - It is not a daemon: it serves nothing, and ends on its own once the file has not been
//!   touched for [`IDLE`], or when the file is gone or names another process (two first
//!   invocations raced; the later one's pause stays). Containers still running in its namespace
//!   keep the namespace alive without it. `rl system migrate` ends it at once.

use std::fs;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::sched::CloneFlags;

use super::IdMapping;

/// How long the pause process outlives the last `rl` that joined its namespace.
pub const IDLE: Duration = Duration::from_secs(15 * 60);

/// The record: `<runtime dir>/pause.pid`.
pub fn record_path(runtime: &Path) -> PathBuf {
    runtime.join("pause.pid")
}

/// `PID INODE` from a record's text.
fn parse_record(text: &str) -> Option<(i32, u64)> {
    let mut f = text.split_whitespace();
    let pid = f.next()?.parse::<i32>().ok().filter(|p| *p > 0)?;
    let ino = f.next()?.parse::<u64>().ok()?;
    f.next().is_none().then_some((pid, ino))
}

/// The lines of a `/proc/PID/uid_map` (as this process's namespace sees them).
fn parse_map(text: &str) -> Option<Vec<IdMapping>> {
    text.lines()
        .map(|l| {
            let mut f = l.split_whitespace().map(|x| x.parse::<u32>().ok());
            let m = IdMapping {
                container_id: f.next()??,
                host_id: f.next()??,
                size: f.next()??,
            };
            f.next().is_none().then_some(m)
        })
        .collect()
}

/// Join the namespace the pause process recorded in `runtime` holds, if it is mapped exactly
/// as `uids` and `gids`. Returns whether this process is now in it; on false nothing changed.
/// Must be called while single-threaded (setns(2) into a user namespace requires it).
pub fn join(runtime: &Path, uids: &[IdMapping], gids: &[IdMapping]) -> bool {
    let record = record_path(runtime);
    let Some((pid, ino)) = fs::read_to_string(&record)
        .ok()
        .and_then(|t| parse_record(&t))
    else {
        return false;
    };
    // Opened first: from here the namespace lives as long as this descriptor, whatever the pause
    // process does.
    let Ok(ns) = fs::File::open(format!("/proc/{pid}/ns/user")) else {
        return false;
    };
    if ns.metadata().map(|m| m.ino()).ok() != Some(ino) {
        return false;
    }
    let map_is = |file: &str, want: &[IdMapping]| {
        fs::read_to_string(format!("/proc/{pid}/{file}"))
            .ok()
            .and_then(|t| parse_map(&t))
            .is_some_and(|m| m == want)
    };
    if !map_is("uid_map", uids) || !map_is("gid_map", gids) {
        return false;
    }
    if nix::sched::setns(ns.as_fd(), CloneFlags::CLONE_NEWUSER).is_err() {
        return false;
    }
    // In use: the idle clock starts again.
    let _ = nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        &record,
        &nix::sys::time::TimeSpec::UTIME_NOW,
        &nix::sys::time::TimeSpec::UTIME_NOW,
        nix::sys::stat::UtimensatFlags::FollowSymlink,
    );
    true
}

/// Start a pause process in the user namespace this process has just created and mapped. It is
/// nobody's child (a forked child starts it and exits at once). Errors are ignored: without a
/// pause process the next `rl` creates a namespace of its own, as this one did.
pub fn start(runtime: &Path) {
    use std::os::unix::process::CommandExt;
    if crate::config::ensure_private_dir(runtime).is_err() {
        return;
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("__pause")
        .arg(runtime)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let Ok(child) = crate::runtime::sys::fork_into(move || {
        let _ = nix::unistd::setsid();
        match crate::runtime::sys::fork_continue() {
            // exec only returns on failure.
            Ok(None) => {
                let _ = cmd.exec();
                1
            }
            Ok(Some(_)) => 0,
            Err(_) => 1,
        }
    }) else {
        return;
    };
    let _ = nix::sys::wait::waitpid(child, None);
}

/// `rl __pause RUNTIME_DIR`: record this process, then sleep until idle. Returns an exit status.
pub fn main(runtime: &Path) -> i32 {
    // Nothing of the starter's stays open (stdio is /dev/null already).
    crate::runtime::sys::close_inherited(None);
    let _ = nix::sys::prctl::set_name(c"rl-pause");
    let mut mask = nix::sys::signal::SigSet::empty();
    mask.add(nix::sys::signal::Signal::SIGHUP);
    mask.add(nix::sys::signal::Signal::SIGPIPE);
    mask.add(nix::sys::signal::Signal::SIGINT);
    let _ = mask.thread_block();
    let me = std::process::id().cast_signed();
    let Ok(ns) = fs::metadata("/proc/self/ns/user") else {
        return 1;
    };
    let record = record_path(runtime);
    if write_record(&record, me, ns.ino()).is_err() {
        return 1;
    }
    // Woken when the record changes (a later pause process replaced it, `rl system migrate`
    // removed it) or the runtime directory goes; otherwise asleep until the idle deadline.
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let watch = Inotify::init(InitFlags::IN_CLOEXEC).and_then(|i| {
        i.add_watch(
            runtime,
            AddWatchFlags::IN_CLOSE_WRITE
                | AddWatchFlags::IN_MOVED_TO
                | AddWatchFlags::IN_MOVED_FROM
                | AddWatchFlags::IN_DELETE
                | AddWatchFlags::IN_DELETE_SELF
                | AddWatchFlags::IN_MOVE_SELF,
        )?;
        Ok(i)
    });
    crate::runtime::sys::drop_clean_file_pages();
    loop {
        let Ok(meta) = fs::symlink_metadata(&record) else {
            return 0;
        };
        let ours = fs::read_to_string(&record)
            .ok()
            .and_then(|t| parse_record(&t))
            .is_some_and(|(pid, _)| pid == me);
        if !ours {
            return 0;
        }
        let touched = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let idle = SystemTime::now()
            .duration_since(touched)
            .unwrap_or(Duration::ZERO);
        if idle >= IDLE {
            // A joiner that read the record just now has the namespace open already or fails to
            // open it and makes its own: either way removing is safe.
            let _ = fs::remove_file(&record);
            return 0;
        }
        let wait = IDLE - idle + Duration::from_secs(1);
        match &watch {
            Ok(i) => {
                use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
                let ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
                let mut fds = [PollFd::new(i.as_fd(), PollFlags::POLLIN)];
                if let Ok(n) = poll(
                    &mut fds,
                    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
                ) && n > 0
                {
                    // Drained; what changed is read from the file itself above.
                    let _ = i.read_events();
                }
            }
            Err(_) => std::thread::sleep(wait),
        }
    }
}

fn write_record(record: &Path, pid: i32, ino: u64) -> std::io::Result<()> {
    let tmp = record.with_file_name(format!("pause.pid.{pid}"));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(format!("{pid} {ino}\n").as_bytes())?;
    drop(f);
    fs::rename(&tmp, record)
}

/// End the pause process recorded in `runtime`, if any (`rl system migrate`). Returns its pid.
pub fn stop(runtime: &Path) -> Option<i32> {
    let record = record_path(runtime);
    let (pid, ino) = parse_record(&fs::read_to_string(&record).ok()?)?;
    // Only the process that holds the recorded namespace, and is a pause process.
    let ns = fs::metadata(format!("/proc/{pid}/ns/user")).ok()?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let _ = fs::remove_file(&record);
    if ns.ino() != ino || comm.trim() != "rl-pause" {
        return None;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .ok()?;
    // Gone (and reaped by whoever adopted it) before this returns, so that its binary is free.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < deadline
        && fs::metadata(format!("/proc/{pid}/ns/user")).is_ok_and(|m| m.ino() == ino)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    Some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_maps_parse_strictly() {
        assert_eq!(parse_record("123 4026531837\n"), Some((123, 4026531837)));
        assert_eq!(parse_record("123"), None);
        assert_eq!(parse_record("0 5"), None);
        assert_eq!(parse_record("-4 5"), None);
        assert_eq!(parse_record("1 2 3"), None);
        assert_eq!(parse_record(""), None);
        let m = |c, h, s| IdMapping {
            container_id: c,
            host_id: h,
            size: s,
        };
        assert_eq!(
            parse_map("         0       1000          1\n         1     100000      65536\n"),
            Some(vec![m(0, 1000, 1), m(1, 100000, 65536)])
        );
        assert_eq!(parse_map("0 1000\n"), None);
        assert_eq!(parse_map("0 1000 1 2\n"), None);
        assert_eq!(parse_map("0 x 1\n"), None);
    }
}
