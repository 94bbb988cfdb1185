//! Turning an OCI runtime spec and a layer stack into a running process, rootless.
//!
//! The calling process has already entered its user namespace (mapped through the subordinate
//! ids, see [`crate::userns::enter`]). [`run`] then:
//! 1. blocks the signals it will forward;
//! 2. clones the container's first process into the namespaces the spec asks for (uts, ipc,
//!    net, cgroup, pid: the caller keeps its own, so it can start the container again), pid 1
//!    of the new pid namespace;
//! 3. in that child: enters a mount namespace of its own, mounts the overlay root and the spec's mounts ([`mounts`]), pivots into it,
//!    applies hostname, rlimits, groups, ids, capabilities, no_new_privs and the seccomp filter
//!    ([`process`], [`seccomp`]), marks every other descriptor close-on-exec and execs. A failure at any step travels to the parent
//!    over a close-on-exec pipe as `<exit status> <message>`, so the user reads
//!    "mount /proc: Operation not permitted", never a bare status;
//! 4. in the parent: forwards signals to the container and returns its exit status (128+N when
//!    killed by signal N).
//!
//! All `unsafe` is in [`sys`].

pub mod console;
pub mod init;
pub mod mounts;
pub mod process;
pub mod seccomp;
#[allow(unsafe_code)]
pub mod sys;

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{EXIT_NOT_FOUND, EXIT_NOT_INVOCABLE, EXIT_RL, Error, Result};

/// What the runtime needs besides the spec (saved as `bundle.json` by `rl create`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Bundle {
    /// The container's directory: `rootfs/` (mount point), `upper/`, `work/`.
    pub dir: PathBuf,
    /// Extracted layers, top first (overlay lower directories).
    pub layers: Vec<PathBuf>,
    /// Files to bind into the container after its mounts: (host file, container path).
    pub binds: Vec<(PathBuf, String)>,
    /// Mount options the overlay probe found working (for example `userxattr`).
    pub overlay_options: String,
    /// Volumes to fill from the image before they are mounted, when empty (docker's copy-up):
    /// (volume directory on the host, container path).
    pub copy_up: Vec<(PathBuf, String)>,
    /// The compiled seccomp filter (classic BPF, see [`seccomp`]); None runs unconfined.
    pub seccomp: Option<Vec<u8>>,
    /// `--init`: rl's own reaper as pid 1 (see [`init`]).
    #[serde(default)]
    pub init: bool,
    /// `--userns=keep-id`, `--uidmap`/`--gidmap`: the container runs in a user namespace of its
    /// own, nested in rl's, with these maps (container id -> id in rl's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_userns: Option<NestedMaps>,
}

impl Bundle {
    /// The host paths the container's mounts take: the spec's bind sources (None for a bind
    /// that names none), then the files bound in, then the volumes filled from the image.
    pub fn host_sources<'a>(
        &'a self,
        spec: &'a Spec,
    ) -> impl Iterator<Item = Option<PathBuf>> + 'a {
        let binds = spec
            .mounts()
            .iter()
            .flatten()
            .filter(|m| {
                m.typ().as_deref() == Some("bind")
                    || m.options()
                        .iter()
                        .flatten()
                        .any(|o| o == "bind" || o == "rbind")
            })
            .map(|m| m.source().clone());
        binds
            .chain(self.binds.iter().map(|(p, _)| Some(p.clone())))
            .chain(self.copy_up.iter().map(|(p, _)| Some(p.clone())))
    }
}

/// The id maps of a nested user namespace, relative to rl's own namespace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NestedMaps {
    /// uid_map lines.
    pub uids: Vec<crate::userns::IdMapping>,
    /// gid_map lines.
    pub gids: Vec<crate::userns::IdMapping>,
}

/// Signals `rl run` passes on to the container (sig-proxy).
const FORWARDED: &[Signal] = &[
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
    Signal::SIGCONT,
];

fn ns_flags(spec: &Spec) -> CloneFlags {
    let mut flags = CloneFlags::empty();
    let Some(linux) = spec.linux() else {
        return flags;
    };
    for ns in linux.namespaces().iter().flatten() {
        if ns.path().is_some() {
            continue;
        }
        flags |= match ns.typ() {
            LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
            LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
            LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
            LinuxNamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
            LinuxNamespaceType::Pid => CloneFlags::CLONE_NEWPID,
            _ => CloneFlags::empty(),
        };
    }
    flags
}

/// The namespaces the spec gives a path for (`--network container:NAME`), opened now: the
/// container's first process joins them before anything else.
fn namespaces_to_join(spec: &Spec) -> Result<Vec<(std::fs::File, CloneFlags)>> {
    let mut out = Vec::new();
    let Some(linux) = spec.linux() else {
        return Ok(out);
    };
    for ns in linux.namespaces().iter().flatten() {
        let Some(path) = ns.path() else { continue };
        let flag = match ns.typ() {
            LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
            LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
            LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
            other => {
                return Err(Error::Msg(format!(
                    "joining an existing {other:?} namespace is not supported"
                )));
            }
        };
        let f = std::fs::File::open(path).map_err(|e| {
            Error::path(
                "open the namespace to share (has its container stopped?)",
                path,
                e,
            )
        })?;
        out.push((f, flag));
    }
    Ok(out)
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| Error::Msg(format!("pipe: {}", e.desc())))
}

/// A pipe whose write end a program started next inherits across exec (for it to report
/// back: a monitor's or holder's "ready"); the read end stays close-on-exec.
pub fn pipe_for_child() -> Result<(OwnedFd, OwnedFd)> {
    let (r, w) = pipe()?;
    nix::fcntl::fcntl(
        &w,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .map_err(|e| Error::Msg(format!("fcntl: {}", e.desc())))?;
    Ok((r, w))
}

/// How the container's stdio is wired.
#[derive(Debug, Default)]
pub struct Stdio {
    /// `-t`: a pseudo-terminal.
    pub console: Option<console::Console>,
    /// `-i`: rl's stdin goes to the container.
    pub interactive: bool,
    /// `-a` left out stdout / stderr: the container gets /dev/null there (rl keeps its own).
    pub mute: (bool, bool),
}

/// Run the container to completion in the foreground; returns its exit status.
pub fn run(spec: &Spec, bundle: &Bundle, sig_proxy: bool, stdio: Stdio) -> Result<i32> {
    run_with(spec, bundle, sig_proxy, stdio, None, None, |_| Ok(()))
}

/// [`run`], calling `started` with the container's pid once it has exec'd its command (to
/// record it) before waiting for it.
///
/// With `keep_mounts`, the container's mount namespace is opened into it as soon as the command
/// has started (when the command has not already ended). Its mounts (the overlay, /proc, /dev,
/// the binds) then outlive the container's last process, whose exit no longer waits for them to
/// be torn down (an RCU grace period and every file system's shutdown, 0.5 ms and more); they go
/// when the descriptor is closed, by whoever holds it last.
pub fn run_with(
    spec: &Spec,
    bundle: &Bundle,
    sig_proxy: bool,
    stdio: Stdio,
    attach: Option<Attach<'_>>,
    keep_mounts: Option<&mut Option<OwnedFd>>,
    started: impl FnOnce(nix::unistd::Pid) -> Result<()>,
) -> Result<i32> {
    let interactive = stdio.interactive;
    let c = spawn_with(spec, bundle, sig_proxy, stdio.console, stdio.mute, attach)?;
    if let Some(slot) = keep_mounts {
        *slot = mount_ns_of(c.pid);
    }
    let noted = started(c.pid);
    let status = wait_running(c, interactive);
    noted?;
    status
}

/// Whether every bind mount of the container comes from under one of `own` (rl's directories:
/// the container's, the volumes) or is one of the standard device nodes. Only then may its
/// mounts outlive it (`keep_mounts` in [`run_with`]): a host directory bound in stays busy while
/// they live, and a user who unmounts it right after `rl run --rm` returns must not get EBUSY.
pub fn binds_are_rls_own(spec: &Spec, bundle: &Bundle, own: &[&std::path::Path]) -> bool {
    // A bind that names no source counts as the empty path, which is nobody's.
    bundle
        .host_sources(spec)
        .map(Option::unwrap_or_default)
        .all(|p| {
            // Compared by components: `..` would climb out, so it disqualifies.
            let plain = p
                .components()
                .all(|c| !matches!(c, std::path::Component::ParentDir));
            plain
                && (crate::specgen::DEFAULT_DEVICES
                    .iter()
                    .any(|d| p == std::path::Path::new(d))
                    || own.iter().any(|o| p.starts_with(o)))
        })
}

/// The mount namespace of process `pid`, opened; None when it has ended meanwhile.
fn mount_ns_of(pid: nix::unistd::Pid) -> Option<OwnedFd> {
    rustix::fs::open(
        format!("/proc/{pid}/ns/mnt").as_str(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()
}

/// Wait for a started process in the foreground: relay its terminal (with `-t`), pass the
/// blocked signals on, and return its exit status.
pub fn wait_running(mut c: Running, interactive: bool) -> Result<i32> {
    let mut relay = match c.master.take() {
        Some(m) => Some(console::Relay::start(m, interactive)?),
        None => None,
    };
    let status = wait_forwarding(c.pid, &c.signals, relay.as_mut());
    if let Some(r) = relay {
        r.finish();
    }
    c.restore_signals();
    status
}

/// Join the user namespace of process `pid` unless this process is in it already. The caller
/// must be single-threaded.
pub fn join_userns(pid: i32) -> Result<()> {
    let target = format!("/proc/{pid}/ns/user");
    let theirs = userns_of(Some(pid));
    if theirs.is_some() && theirs == userns_of(None) {
        return Ok(());
    }
    let ns = std::fs::File::open(&target)
        .map_err(|e| Error::io("open the container's user namespace", e))?;
    nix::sched::setns(ns, CloneFlags::CLONE_NEWUSER)
        .map_err(|e| Error::Msg(format!("join the container's user namespace: {}", e.desc())))
}

/// The user namespace of process `pid` (None: this one), as (device, inode); None if /proc
/// does not tell.
pub fn userns_of(pid: Option<i32>) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let path = match pid {
        Some(p) => format!("/proc/{p}/ns/user"),
        None => "/proc/self/ns/user".to_string(),
    };
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Start `process` in the running container whose first process is `pid`: join its
/// namespaces, then fork a process that applies `process` exactly as the container's own was
/// (ids, capabilities, no_new_privs, the `seccomp` filter) and execs. Returns once it has
/// exec'd, as [`spawn`] does.
pub fn exec_in(
    spec: &Spec,
    process: oci_spec::runtime::Process,
    seccomp: Option<&[u8]>,
    pid: i32,
    sig_proxy: bool,
    console: Option<console::Console>,
) -> Result<Running> {
    join_userns(pid)?;
    let open = |ns: &str| {
        std::fs::File::open(format!("/proc/{pid}/ns/{ns}"))
            .map_err(|e| Error::io("open the container's namespaces", e))
    };
    // Opened before any is joined: /proc is the host's until then.
    let joined: Vec<(std::fs::File, CloneFlags)> = vec![
        (open("mnt")?, CloneFlags::CLONE_NEWNS),
        (open("uts")?, CloneFlags::CLONE_NEWUTS),
        (open("ipc")?, CloneFlags::CLONE_NEWIPC),
        (open("net")?, CloneFlags::CLONE_NEWNET),
        (open("cgroup")?, CloneFlags::CLONE_NEWCGROUP),
    ];
    // The pid namespace applies to children: the process forked below.
    nix::sched::setns(open("pid")?, CloneFlags::CLONE_NEWPID)
        .map_err(|e| Error::Msg(format!("join the container's pid namespace: {}", e.desc())))?;
    let mut exec_spec = spec.clone();
    exec_spec.set_process(Some(process)).set_hostname(None);
    if let Some(mut linux) = exec_spec.linux().clone() {
        linux.set_sysctl(None);
        exec_spec.set_linux(Some(linux));
    }
    start_child(
        sig_proxy,
        console,
        CloneFlags::empty(),
        "fork the exec process",
        None,
        |slave, _| exec_main(&exec_spec, &joined, seccomp, slave),
    )
}

fn exec_main(
    spec: &Spec,
    joined: &[(std::fs::File, CloneFlags)],
    seccomp: Option<&[u8]>,
    console: Option<&OwnedFd>,
) -> SetupError {
    let _ = nix::unistd::setsid();
    if let Some(slave) = console
        && let Err(e) = console::attach_slave(slave)
    {
        return SetupError::rl(format!("attach the terminal: {e}"));
    }
    for (f, flag) in joined {
        if let Err(e) = nix::sched::setns(f, *flag) {
            return SetupError::rl(format!(
                "join the container's namespaces ({flag:?}): {}",
                e.desc()
            ));
        }
    }
    // Joining the mount namespace put this process at its root; start from there.
    if let Err(e) = nix::unistd::chdir("/") {
        return SetupError::rl(format!("chdir /: {}", e.desc()));
    }
    match process::finish_and_exec(spec, seccomp, false) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

/// A container whose command is running (see [`spawn`]).
#[derive(Debug)]
pub struct Running {
    /// Its first process (pid 1 of its pid namespace), as rl's pid namespace numbers it.
    pub pid: nix::unistd::Pid,
    /// The signals blocked for the caller to wait on (SIGCHLD, and those to forward).
    pub signals: SigSet,
    /// The pty master with `-t`.
    pub master: Option<OwnedFd>,
    old_mask: SigSet,
}

impl Running {
    /// Put back the signal mask the caller had before [`spawn`].
    pub fn restore_signals(&self) {
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.old_mask), None);
    }
}

/// Start the container: create its namespaces, fork its first process, and return once that
/// process has exec'd the command (or fail with its setup error: 125, 126 or 127). The
/// container's stdin, stdout and stderr are the caller's fds 0, 1 and 2 (or the pty's slave when
/// `console` is given). SIGCHLD and, with `sig_proxy`, the forwarded signals stay blocked for the
/// caller to wait on (see [`Running::signals`]).
pub fn spawn(
    spec: &Spec,
    bundle: &Bundle,
    sig_proxy: bool,
    console: Option<console::Console>,
) -> Result<Running> {
    spawn_muted(spec, bundle, sig_proxy, console, (false, false))
}

/// [`spawn`], giving the container /dev/null as stdout (`mute.0`) and/or stderr (`mute.1`).
pub fn spawn_muted(
    spec: &Spec,
    bundle: &Bundle,
    sig_proxy: bool,
    console: Option<console::Console>,
    mute: (bool, bool),
) -> Result<Running> {
    spawn_with(spec, bundle, sig_proxy, console, mute, None)
}

/// Work done for a container between the creation of its namespaces and the start of its
/// command (connecting its network namespace, say), given the container's pid: the container
/// waits for it, and does not start when it fails.
pub type Attach<'a> = &'a mut dyn FnMut(nix::unistd::Pid) -> Result<()>;

/// [`spawn_muted`], running `attach` (if any) while the container sets up its root: its
/// command starts only once `attach` has succeeded.
pub fn spawn_with(
    spec: &Spec,
    bundle: &Bundle,
    sig_proxy: bool,
    console: Option<console::Console>,
    mute: (bool, bool),
    attach: Option<Attach<'_>>,
) -> Result<Running> {
    if let Some(maps) = &bundle.nested_userns {
        enter_nested(maps)?;
    }
    let flags = ns_flags(spec);
    let joins = namespaces_to_join(spec)?;
    // The container's first process is born in its namespaces (uts, ipc, net, cgroup, pid):
    // the caller keeps its own and can start another container later (a restart policy).
    let what = format!("create the container's namespaces ({flags:?})");
    start_child(sig_proxy, console, flags, &what, attach, |slave, gate| {
        crate::timing::mark("container: forked");
        if (mute.0 || mute.1)
            && let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null")
        {
            if mute.0 {
                let _ = nix::unistd::dup2_stdout(&null);
            }
            if mute.1 {
                let _ = nix::unistd::dup2_stderr(&null);
            }
        }
        container_main(spec, bundle, slave, gate, &joins)
    })
}

/// What [`spawn`] and [`exec_in`] share: block SIGCHLD (and, with `sig_proxy`, the forwarded
/// signals) for the caller to wait on, clone a child into `flags` (none: a plain fork) that
/// restores the signal mask and runs `body` with the pty's slave, and return once the child has
/// exec'd, or fail with the setup error it reported over a close-on-exec pipe (reaping it).
/// With `attach`, `body` also gets the read end of a gate pipe: it must read one byte from it
/// before exec, and the byte comes once `attach` has succeeded (when it fails, the child is
/// killed and its error returned).
fn start_child(
    sig_proxy: bool,
    console: Option<console::Console>,
    flags: CloneFlags,
    what: &str,
    attach: Option<Attach<'_>>,
    body: impl FnOnce(Option<&OwnedFd>, Option<OwnedFd>) -> SetupError,
) -> Result<Running> {
    let mut forwarded = SigSet::empty();
    forwarded.add(Signal::SIGCHLD);
    if sig_proxy {
        for s in FORWARDED {
            forwarded.add(*s);
        }
    }
    if console.is_some() {
        forwarded.add(Signal::SIGWINCH);
    }
    let (master, slave) = match console {
        Some(c) => (Some(c.master), Some(c.slave)),
        None => (None, None),
    };
    let mut old = SigSet::empty();
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&forwarded), Some(&mut old))
        .map_err(|e| Error::Msg(format!("block signals: {}", e.desc())))?;
    let (err_r, err_w) = pipe()?;
    let (mut gate_r, mut gate_w) = match attach {
        Some(_) => {
            let (r, w) = pipe()?;
            (Some(r), Some(w))
        }
        None => (None, None),
    };
    // The closure runs only in the child; the parent keeps its ends through `pipe`.
    let mut pipe = (Some(err_r), Some(err_w));
    let child = sys::clone_into(flags, || {
        drop(pipe.0.take());
        drop(gate_w.take());
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
        let err = body(slave.as_ref(), gate_r.take());
        match pipe.1.take() {
            Some(w) => report(w, &err),
            None => err.code,
        }
    })
    .map_err(|e| {
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
        Error::Msg(format!("{what}: {e}"))
    })?;
    drop(pipe.1.take());
    drop(gate_r.take());
    drop(slave);
    let running = Running {
        pid: child,
        signals: forwarded,
        master,
        old_mask: old,
    };
    if let (Some(attach), Some(gate)) = (attach, gate_w.take()) {
        if let Err(e) = attach(child) {
            let _ = nix::sys::signal::kill(child, Signal::SIGKILL);
            let _ = waitpid(child, None);
            running.restore_signals();
            return Err(e);
        }
        // A child that failed meanwhile has closed its end: its error is read below.
        let _ = std::fs::File::from(gate).write_all(b"1");
    }
    if let Some((code, msg)) = pipe.0.take().and_then(read_error) {
        // The child has failed and exits: reap it.
        let _ = waitpid(child, None);
        running.restore_signals();
        return Err(match code {
            EXIT_NOT_FOUND => Error::CommandNotFound(msg),
            EXIT_NOT_INVOCABLE => Error::NotInvocable(msg),
            _ => Error::Msg(msg),
        });
    }
    Ok(running)
}

/// Move into a user namespace nested in rl's, with `maps` relative to rl's (still as the user:
/// the container's process becomes its root later, see [`become_nested_root`]). A helper forked beforehand writes the maps: only a process in the parent
/// namespace, holding CAP_SETUID and CAP_SETGID there, may write arbitrary ones, and rl's own
/// namespace gives this process exactly that. The namespaces created afterwards (mount, pid,
/// net, ...) belong to the nested one, so the container's root is privileged over them.
fn enter_nested(maps: &NestedMaps) -> Result<()> {
    let (go_r, go_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let target = nix::unistd::getpid();
    let mut ends = (Some(go_r), Some(err_w));
    let helper = sys::fork_into(|| {
        let (Some(go), Some(err)) = (ends.0.take(), ends.1.take()) else {
            return 1;
        };
        let mut byte = [0u8; 1];
        if std::fs::File::from(go).read(&mut byte).ok() != Some(1) {
            return 1;
        }
        match write_nested_maps(target, maps) {
            Ok(()) => 0,
            Err(msg) => {
                let _ = std::fs::File::from(err).write_all(msg.as_bytes());
                1
            }
        }
    })
    .map_err(|e| Error::io("fork the id map helper", e))?;
    drop(ends);
    let unshared = nix::sched::unshare(CloneFlags::CLONE_NEWUSER);
    let mut go = std::fs::File::from(go_w);
    if unshared.is_ok() {
        let _ = go.write_all(b"1");
    }
    drop(go);
    let status = waitpid(helper, None);
    let mut why = String::new();
    let _ = std::fs::File::from(err_r).read_to_string(&mut why);
    unshared.map_err(|e| {
        Error::Msg(format!(
            "create the container's user namespace: {}",
            e.desc()
        ))
    })?;
    if !matches!(status, Ok(WaitStatus::Exited(_, 0))) {
        return Err(Error::Msg(if why.is_empty() {
            "write the container's id maps: the helper failed".into()
        } else {
            why
        }));
    }
    Ok(())
}

/// Become root of the nested user namespace (when 0 is mapped there): done by the container's
/// process once it has mounted the overlay and opened its mount sources as the user (see
/// [`mounts`]), so that everything after (mount points, copy-up, ...) is owned by the
/// container's root.
pub(crate) fn become_nested_root(maps: &NestedMaps) -> std::result::Result<(), SetupError> {
    let covers =
        |m: &[crate::userns::IdMapping]| m.iter().any(|r| r.container_id == 0 && r.size > 0);
    if covers(&maps.gids) {
        let root = nix::unistd::Gid::from_raw(0);
        nix::unistd::setresgid(root, root, root).map_err(|e| {
            SetupError::rl(format!(
                "become gid 0 in the container's user namespace: {}",
                e.desc()
            ))
        })?;
    }
    if covers(&maps.uids) {
        let root = nix::unistd::Uid::from_raw(0);
        nix::unistd::setresuid(root, root, root).map_err(|e| {
            SetupError::rl(format!(
                "become uid 0 in the container's user namespace: {}",
                e.desc()
            ))
        })?;
    }
    // Changing ids made this process undumpable: rl (in the parent namespace, as the user)
    // must still open its /proc/PID/ns/net to connect it while it finishes its setup.
    let _ = nix::sys::prctl::set_dumpable(true);
    Ok(())
}

fn write_nested_maps(pid: nix::unistd::Pid, maps: &NestedMaps) -> std::result::Result<(), String> {
    let text = |m: &[crate::userns::IdMapping]| {
        m.iter()
            .map(|r| format!("{} {} {}\n", r.container_id, r.host_id, r.size))
            .collect::<String>()
    };
    for (file, m) in [("uid_map", &maps.uids), ("gid_map", &maps.gids)] {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, text(m)).map_err(|e| {
            format!(
                "write the container's {file} ({}): {e}",
                text(m).trim().replace('\n', ", ")
            )
        })?;
    }
    Ok(())
}

/// A setup failure in the child: the exit status it should map to, and why.
#[derive(Debug)]
pub struct SetupError {
    /// 125, 126 or 127.
    pub code: i32,
    /// One line.
    pub message: String,
}

impl SetupError {
    /// An rl failure (125).
    pub fn rl(message: impl Into<String>) -> Self {
        SetupError {
            code: EXIT_RL,
            message: message.into(),
        }
    }
}

fn report(w: OwnedFd, err: &SetupError) -> i32 {
    let mut f = std::fs::File::from(w);
    let _ = write!(f, "{} {}", err.code, err.message);
    err.code
}

fn read_error(r: OwnedFd) -> Option<(i32, String)> {
    let mut text = String::new();
    let _ = std::fs::File::from(r).read_to_string(&mut text);
    if text.is_empty() {
        return None;
    }
    let (code, msg) = text.split_once(' ').unwrap_or(("125", text.as_str()));
    Some((code.parse().unwrap_or(EXIT_RL), msg.to_string()))
}

/// Wait for the container, passing forwarded signals on; returns its exit status.
fn wait_forwarding(
    child: nix::unistd::Pid,
    set: &SigSet,
    relay: Option<&mut console::Relay>,
) -> Result<i32> {
    match relay {
        None => wait_plain(child, set),
        Some(r) => wait_relaying(child, set, r),
    }
}

/// The exit status of `child` if it has ended (128+N when killed by signal N), without blocking.
pub fn reaped(child: nix::unistd::Pid) -> Result<Option<i32>> {
    loop {
        return match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => Ok(Some(code)),
            Ok(WaitStatus::Signaled(_, sig, _)) => Ok(Some(128 + sig as i32)),
            Ok(_) => Ok(None),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => Err(Error::Msg(format!("wait for the container: {}", e.desc()))),
        };
    }
}

fn wait_plain(child: nix::unistd::Pid, set: &SigSet) -> Result<i32> {
    loop {
        // Reap first: the child may already be gone.
        if let Some(code) = reaped(child)? {
            return Ok(code);
        }
        match set.wait() {
            Ok(Signal::SIGCHLD) | Err(_) => {}
            Ok(sig) => {
                let _ = nix::sys::signal::kill(child, sig);
            }
        }
    }
}

/// With a terminal: poll the signals, the pty master and stdin together.
fn wait_relaying(child: nix::unistd::Pid, set: &SigSet, relay: &mut console::Relay) -> Result<i32> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    use std::os::fd::AsFd;
    let sfd = SignalFd::with_flags(set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(|e| Error::Msg(format!("signalfd: {}", e.desc())))?;
    let mut output_open = true;
    loop {
        if let Some(code) = reaped(child)? {
            // The last output may still be in the pty.
            if output_open {
                relay.pump_output();
            }
            return Ok(code);
        }
        let stdin = std::io::stdin();
        let mut fds = vec![PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
        if output_open {
            fds.push(PollFd::new(relay.master().as_fd(), PollFlags::POLLIN));
        }
        let want_stdin = relay.wants_stdin();
        if want_stdin {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(Error::Msg(format!("poll: {}", e.desc()))),
        }
        let ready = |i: usize| {
            fds.get(i)
                .and_then(PollFd::revents)
                .is_some_and(|r| !r.is_empty())
        };
        let (sig_ready, out_ready) = (ready(0), output_open && ready(1));
        let in_ready = want_stdin && ready(if output_open { 2 } else { 1 });
        drop(fds);
        if out_ready {
            output_open = relay.pump_output();
        }
        if in_ready {
            relay.pump_input();
        }
        if sig_ready {
            while let Ok(Some(info)) = sfd.read_signal() {
                match Signal::try_from(i32::try_from(info.ssi_signo).unwrap_or(0)) {
                    Ok(Signal::SIGCHLD) | Err(_) => {}
                    Ok(Signal::SIGWINCH) => relay.resize(),
                    Ok(sig) => {
                        let _ = nix::sys::signal::kill(child, sig);
                    }
                }
            }
        }
    }
}

/// The container's first process, before exec. Returns only on failure.
fn container_main(
    spec: &Spec,
    bundle: &Bundle,
    console: Option<&OwnedFd>,
    gate: Option<OwnedFd>,
    joins: &[(std::fs::File, CloneFlags)],
) -> SetupError {
    for (f, flag) in joins {
        if let Err(e) = nix::sched::setns(f, *flag) {
            return SetupError::rl(format!(
                "join the shared namespace ({flag:?}): {}",
                e.desc()
            ));
        }
    }
    if ns_flags(spec).contains(CloneFlags::CLONE_NEWNET)
        && let Err(e) = crate::network::netlink::loopback_up()
    {
        return SetupError::rl(e.to_string());
    }
    match setup_and_exec(spec, bundle, console, gate) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn setup_and_exec(
    spec: &Spec,
    bundle: &Bundle,
    console: Option<&OwnedFd>,
    gate: Option<OwnedFd>,
) -> std::result::Result<std::convert::Infallible, SetupError> {
    let _ = nix::unistd::setsid();
    if let Some(slave) = console {
        console::attach_slave(slave)
            .map_err(|e| SetupError::rl(format!("attach the terminal: {e}")))?;
    }
    // A mount namespace of the container's own: pivot_root moves the root of every process in
    // the namespace it runs in, and rl itself must keep the host's.
    nix::sched::unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| SetupError::rl(format!("create the mount namespace: {}", e.desc())))?;
    mounts::prepare_root(spec, bundle, console)?;
    crate::timing::mark("container: root file system ready");
    if let Some(gate) = gate {
        // Wait for what the parent connects meanwhile (the network).
        let mut byte = [0u8; 1];
        if !matches!(std::fs::File::from(gate).read(&mut byte), Ok(1)) {
            return Err(SetupError::rl("the container's setup was abandoned"));
        }
        crate::timing::mark("container: attached");
    }
    process::finish_and_exec(spec, bundle.seccomp.as_deref(), bundle.init)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{MountBuilder, SpecBuilder};
    use std::path::Path;

    fn bundle(binds: &[&str], copy_up: &[&str]) -> Bundle {
        Bundle {
            dir: "/d/containers/c".into(),
            layers: vec![],
            binds: binds.iter().map(|b| (b.into(), "/x".into())).collect(),
            overlay_options: String::new(),
            copy_up: copy_up.iter().map(|b| (b.into(), "/y".into())).collect(),
            seccomp: None,
            init: false,
            nested_userns: None,
        }
    }

    fn spec(mounts: &[(&str, &str, &[&str])]) -> Spec {
        let mounts = mounts
            .iter()
            .map(|(typ, src, opts)| {
                MountBuilder::default()
                    .typ(*typ)
                    .source(*src)
                    .destination("/m")
                    .options(opts.iter().map(|o| o.to_string()).collect::<Vec<_>>())
                    .build()
                    .unwrap()
            })
            .collect::<Vec<_>>();
        SpecBuilder::default().mounts(mounts).build().unwrap()
    }

    #[test]
    fn only_rls_own_binds_let_mounts_outlive_the_container() {
        let own = [Path::new("/d/containers/c"), Path::new("/d/volumes")];
        let ok = |s: &Spec, b: &Bundle| binds_are_rls_own(s, b, &own);
        let base: &[(&str, &str, &[&str])] = &[
            ("proc", "proc", &["nosuid"]),
            ("tmpfs", "tmpfs", &["mode=755"]),
            ("bind", "/dev/null", &["rbind", "nosuid"]),
            ("bind", "/dev/tty", &["rbind"]),
            ("bind", "/d/volumes/v/_data", &["rbind"]),
        ];
        let b = bundle(&["/d/containers/c/hosts"], &["/d/volumes/v/_data"]);
        assert!(ok(&spec(base), &b));
        // A host directory, by type or by option, keeps them from outliving it.
        let mut with_host = base.to_vec();
        with_host.push(("bind", "/mnt/usb", &["rbind"]));
        assert!(!ok(&spec(&with_host), &b));
        let mut by_option = base.to_vec();
        by_option.push(("none", "/srv", &["bind", "ro"]));
        assert!(!ok(&spec(&by_option), &b));
        // `..` climbing out of rl's directories, other devices, other files of rl's.
        let mut climbing = base.to_vec();
        climbing.push(("bind", "/d/volumes/../../etc", &["rbind"]));
        assert!(!ok(&spec(&climbing), &b));
        let mut device = base.to_vec();
        device.push(("bind", "/dev/sda", &["rbind"]));
        assert!(!ok(&spec(&device), &b));
        assert!(!ok(&spec(base), &bundle(&["/etc/hosts"], &[])));
        assert!(!ok(&spec(base), &bundle(&[], &["/d/other"])));
        // Prefixes are by component: /d/volumesX is not under /d/volumes.
        let mut sibling = base.to_vec();
        sibling.push(("bind", "/d/volumesX/v", &["rbind"]));
        assert!(!ok(&spec(&sibling), &b));
    }
}
