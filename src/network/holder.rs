//! The netns holder: one process per user, `rl __netns-holder`, that owns the network
//! namespaces of the user-defined networks in use.
//!
//! A veth pair between two network namespaces needs CAP_NET_ADMIN over both, which an
//! unprivileged user has only when both belong to a user namespace of theirs. The holder lives
//! in rl's user namespace (entered with [`crate::userns::enter`]: the one the pause process
//! keeps, so containers started on no network share it too) and keeps one network
//! namespace per network (bridge [`BRIDGE`] up, `lo` up); containers on a network are created in
//! the holder's user namespace (`/proc/<holder pid>/ns/user`), so rl can wire them to it.
//!
//! Clients talk to it over a unix stream socket, `<runtime>/netns/holder.sock`, one line per
//! request:
//!
//! | request | answer |
//! |---|---|
//! | `NETNS <name>` | `OK` with the namespace's descriptor (SCM_RIGHTS), or `ERR <why>` |
//! | `HOLD <name> <pid>` | `OK`: the network (asked for on this connection) stays in use while process `pid` lives |
//!
//! A connection is a [`Lease`]: the networks it asked for stay in use until it closes (or, held
//! for a process, until that process ends). A network nobody uses is dropped (its namespace goes when no container holds it any
//! more); when the last connection closes the holder exits. Clients connect (and start a holder)
//! under an exclusive flock on `<runtime>/netns/lock`; a holder with no connection left exits
//! only if it gets that lock and finds no connection pending, so a client never connects to a
//! holder on its way out.

use std::fs::{self, File};
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags};

use crate::config::Paths;
use crate::error::{Error, Result};
use crate::network::netlink::{self, Netlink};

/// The bridge in every network's namespace.
pub const BRIDGE: &str = "rl-br0";
/// The environment variable naming the descriptor a new holder reports its start on.
const READY_FD: &str = "RL_HOLDER_READY_FD";
/// How long a client waits for a new holder to report.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest request line the holder accepts.
const MAX_LINE: usize = 512;

/// `<runtime>/netns`: the socket, the lock and the holder's log.
fn dir(paths: &Paths) -> PathBuf {
    paths.runtime.join("netns")
}

/// Whether `name` is a valid network name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (at most 200 bytes).
fn valid_name(name: &str) -> bool {
    name.len() <= 200 && super::store::valid_name(name)
}

fn check_name(name: &str) -> Result<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(Error::Msg(format!(
            "invalid network name {name:?}: want [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        )))
    }
}

fn open_lock(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::path("open lock", &path, e))
}

/// A connection to the holder: keep it for as long as a container uses its networks. Dropping
/// it (or the process dying) releases them.
#[derive(Debug)]
pub struct Lease {
    stream: UnixStream,
    pid: i32,
    log: PathBuf,
}

/// Connect to this user's holder, starting it if none runs.
///
/// A new holder is a process of its own: it reads the user's identity itself
/// ([`crate::userns::Identity::current`]) and enters its user namespace from the user namespace
/// it is started in, which must be the user's initial one (not rl's); `ident` is only used to
/// say so when it is not.
pub fn lease(paths: &Paths, ident: &crate::userns::Identity) -> Result<Lease> {
    paths.ensure_runtime()?;
    let dir = dir(paths);
    crate::config::ensure_private_dir(&dir)?;
    let lock_file = open_lock(&dir)?;
    lock_file
        .lock()
        .map_err(|e| Error::path("lock", dir.join("lock"), e))?;
    let sock = dir.join("holder.sock");
    let stream = match UnixStream::connect(&sock) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            // None runs (a holder that was killed leaves its socket behind).
            let _ = fs::remove_file(&sock);
            start_holder(&dir, ident)?;
            UnixStream::connect(&sock)
                .map_err(|e| Error::path("connect to the netns holder at", &sock, e))?
        }
        Err(e) => return Err(Error::path("connect to the netns holder at", &sock, e)),
    };
    // Connected: the holder sees this connection before it may decide to exit.
    drop(lock_file);
    let cred = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .map_err(|e| Error::Msg(format!("netns holder: peer credentials: {}", e.desc())))?;
    Ok(Lease {
        stream,
        pid: cred.pid(),
        log: dir.join("holder.log"),
    })
}

/// Whether this process is inside a user namespace (its uid map is not the initial identity).
fn in_userns() -> bool {
    fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
        .unwrap_or(false)
}

/// Start a holder and wait until it listens (or says why it cannot). Called under the lock.
fn start_holder(dir: &Path, ident: &crate::userns::Identity) -> Result<()> {
    if in_userns() {
        return Err(Error::Msg(format!(
            "cannot start the netns holder from inside a user namespace (as {}): take the \
             lease before entering rl's",
            ident.user
        )));
    }
    let log_path = dir.join("holder.log");
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&log_path)
        .map_err(|e| Error::path("open", &log_path, e))?;
    // The write end goes to the holder across exec.
    let (r, w) = crate::runtime::pipe_for_child()?;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let mut child = Command::new(exe)
        .arg("__netns-holder")
        .env(READY_FD, w.as_raw_fd().to_string())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| Error::io("start the netns holder", e))?;
    drop(w);
    let answer = read_ready(r);
    // The process started forks the holder and exits at once (the holder is nobody's child).
    if answer.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    let text = answer?;
    match text.strip_prefix("error: ") {
        None if text == "ok" => Ok(()),
        Some(why) => Err(Error::Msg(format!("netns holder: {why}"))),
        None => Err(Error::Msg(format!(
            "the netns holder ended before it was ready (see {})",
            log_path.display()
        ))),
    }
}

/// Read the holder's one-line report (`ok` or `error: ...`); empty if it closed the pipe first.
fn read_ready(r: OwnedFd) -> Result<String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let mut pipe = File::from(r);
    let mut text = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(pipe.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => {
                return Err(Error::Msg(format!(
                    "the netns holder did not report within {} s",
                    START_TIMEOUT.as_secs()
                )));
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(Error::Msg(format!("poll: {}", e.desc()))),
        }
        if fds[0].revents().is_none_or(|r| r.is_empty()) {
            continue;
        }
        let mut buf = [0u8; 512];
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                text.extend_from_slice(&buf[..n]);
                if text.contains(&b'\n') {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("read the netns holder's report", e)),
        }
    }
    let text = String::from_utf8_lossy(&text);
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}

impl Lease {
    /// The holder's pid (its /proc/PID/ns/user is the user namespace to join).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The network namespace of network `name` (the holder creates it, with bridge `rl-br0` up
    /// and lo up, the first time it is asked); marks this connection as a user of it. Returns an
    /// fd to the netns (the caller must already be in the holder's user namespace to use it with
    /// setns).
    pub fn netns(&mut self, name: &str) -> Result<OwnedFd> {
        check_name(name)?;
        self.send(&format!("NETNS {name}\n"))?;
        let (line, mut fds) = self.receive()?;
        match line.strip_prefix("ERR ") {
            Some(why) => Err(Error::Msg(format!("netns holder: network {name}: {why}"))),
            None if line == "OK" && fds.len() == 1 => Ok(fds.remove(0)),
            None => Err(Error::Msg(format!(
                "netns holder: unexpected answer {line:?} with {} descriptors",
                fds.len()
            ))),
        }
    }

    /// Keep network `name` (which this connection uses, see [`Lease::netns`]) for as long as
    /// process `pid` lives, whatever becomes of this connection.
    pub fn hold(&mut self, name: &str, pid: i32) -> Result<()> {
        check_name(name)?;
        self.send(&format!("HOLD {name} {pid}\n"))?;
        self.expect_ok(name)
    }

    /// Read the answer to a request about network `name` that carries nothing but `OK`.
    fn expect_ok(&mut self, name: &str) -> Result<()> {
        let (line, _) = self.receive()?;
        match line.strip_prefix("ERR ") {
            Some(why) => Err(Error::Msg(format!("netns holder: network {name}: {why}"))),
            None if line == "OK" => Ok(()),
            None => Err(Error::Msg(format!(
                "netns holder: unexpected answer {line:?}"
            ))),
        }
    }

    fn send(&mut self, text: &str) -> Result<()> {
        let mut rest = text.as_bytes();
        while !rest.is_empty() {
            match nix::sys::socket::send(self.stream.as_raw_fd(), rest, MsgFlags::MSG_NOSIGNAL) {
                Ok(n) => rest = &rest[n..],
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => {
                    return Err(Error::Msg(format!(
                        "netns holder: send: {} (see {})",
                        e.desc(),
                        self.log.display()
                    )));
                }
            }
        }
        Ok(())
    }

    /// One answer line and the descriptors that came with it.
    fn receive(&mut self) -> Result<(String, Vec<OwnedFd>)> {
        let mut line = Vec::new();
        let mut fds = Vec::new();
        loop {
            let mut buf = [0u8; 256];
            let mut space = nix::cmsg_space!([std::os::fd::RawFd; 4]);
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = match nix::sys::socket::recvmsg::<()>(
                self.stream.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::MSG_CMSG_CLOEXEC,
            ) {
                Ok(m) => m,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    return Err(Error::Msg(format!("netns holder: receive: {}", e.desc())));
                }
            };
            let n = msg.bytes;
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    if let ControlMessageOwned::ScmRights(raw) = c {
                        fds.extend(raw.into_iter().map(crate::runtime::sys::own_received_fd));
                    }
                }
            }
            if n == 0 {
                return Err(Error::Msg(format!(
                    "the netns holder closed the connection (see {})",
                    self.log.display()
                )));
            }
            line.extend_from_slice(&buf[..n]);
            if let Some(end) = line.iter().position(|b| *b == b'\n') {
                line.truncate(end);
                return Ok((String::from_utf8_lossy(&line).into_owned(), fds));
            }
            if line.len() > MAX_LINE {
                return Err(Error::Msg("netns holder: answer too long".into()));
            }
        }
    }
}

/// `rl __netns-holder`: the holder's main (dispatched from cli::main like __monitor). Returns an
/// exit status.
pub fn main() -> i32 {
    let ready = std::env::var(READY_FD)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
        .and_then(crate::runtime::sys::claim_inherited_fd);
    crate::runtime::sys::close_inherited(ready.as_ref().map(|f| f.as_raw_fd()));
    let mut ready = ready.map(File::from);
    let _ = nix::unistd::setsid();
    let _ = nix::unistd::chdir("/");
    // SIGHUP and SIGPIPE must not end it: blocked, they stay pending and harmless (replies are
    // sent with MSG_NOSIGNAL anyway, so a closed connection is an EPIPE, not a signal).
    let mut mask = nix::sys::signal::SigSet::empty();
    mask.add(nix::sys::signal::Signal::SIGHUP);
    mask.add(nix::sys::signal::Signal::SIGPIPE);
    let _ = mask.thread_block();
    let _ = nix::sys::prctl::set_name(c"rl-netns");
    // Leave the process that started us (it waits for this one to exit): the holder must be
    // nobody's child, or it would stay a zombie in a long-lived starter once it exits.
    match crate::runtime::sys::fork_continue() {
        Ok(Some(_)) => return 0,
        Ok(None) => {}
        Err(e) => {
            report(&mut ready, &format!("error: fork: {e}"));
            return 1;
        }
    }
    let mut holder = match Holder::start() {
        Ok(h) => h,
        Err(e) => {
            log(&format!("cannot start: {}", e.one_line()));
            report(&mut ready, &format!("error: {}", e.one_line()));
            return 1;
        }
    };
    report(&mut ready, "ok");
    drop(ready);
    log("started");
    match holder.run() {
        Ok(()) => {
            log("no user left, exiting");
            0
        }
        Err(e) => {
            log(&e.one_line());
            let _ = fs::remove_file(&holder.sock);
            1
        }
    }
}

fn report(ready: &mut Option<File>, text: &str) {
    if let Some(f) = ready.as_mut() {
        let _ = writeln!(f, "{text}");
    }
}

fn log(text: &str) {
    eprintln!("rl-netns[{}]: {text}", std::process::id());
}

/// One client connection and the networks it uses.
#[derive(Debug)]
struct Conn {
    stream: UnixStream,
    buf: Vec<u8>,
    names: std::collections::BTreeSet<String>,
}

/// A network's namespace and the number of connections using it.
#[derive(Debug)]
struct Network {
    ns: OwnedFd,
    users: usize,
}

#[derive(Debug)]
struct Holder {
    dir: PathBuf,
    sock: PathBuf,
    listener: UnixListener,
    conns: Vec<Conn>,
    networks: std::collections::BTreeMap<String, Network>,
    /// Networks kept for a process rather than a connection (`HOLD`): a container connected
    /// while it runs keeps its new network until it exits. (pidfd, network)
    holds: Vec<(OwnedFd, String)>,
    /// The clients' lock, taken on the way out.
    exit_lock: Option<File>,
}

impl Holder {
    /// Enter the holder's user namespace and listen.
    fn start() -> Result<Holder> {
        let paths = Paths::from_env()?;
        let dir = dir(&paths);
        let ident = crate::userns::Identity::current()?;
        // Single-threaded here, as unshare(CLONE_NEWUSER) requires.
        crate::userns::enter(&ident, false)?;
        let sock = dir.join("holder.sock");
        let listener = UnixListener::bind(&sock).map_err(|e| Error::path("listen on", &sock, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::path("listen on", &sock, e))?;
        Ok(Holder {
            dir,
            sock,
            listener,
            conns: Vec::new(),
            networks: std::collections::BTreeMap::new(),
            holds: Vec::new(),
            exit_lock: None,
        })
    }

    /// Serve until no connection is left and no client is connecting.
    fn run(&mut self) -> Result<()> {
        loop {
            // With no connection (a starter that died before connecting), look again now and
            // then whether it is time to go.
            let timeout = if self.conns.is_empty() && self.holds.is_empty() {
                PollTimeout::from(2000u16)
            } else {
                PollTimeout::NONE
            };
            let (listen_ready, ready, ended): (bool, Vec<bool>, Vec<bool>) = {
                let mut fds = vec![PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
                fds.extend(
                    self.conns
                        .iter()
                        .map(|c| PollFd::new(c.stream.as_fd(), PollFlags::POLLIN)),
                );
                fds.extend(
                    self.holds
                        .iter()
                        .map(|(p, _)| PollFd::new(p.as_fd(), PollFlags::POLLIN)),
                );
                match poll(&mut fds, timeout) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(Error::Msg(format!("poll: {}", e.desc()))),
                }
                let is_ready = |f: &PollFd| f.revents().is_some_and(|r| !r.is_empty());
                let n = self.conns.len();
                (
                    is_ready(&fds[0]),
                    fds[1..=n].iter().map(is_ready).collect(),
                    fds[n + 1..].iter().map(is_ready).collect(),
                )
            };
            let mut closed = false;
            for i in (0..ended.len()).rev() {
                if ended[i] {
                    let (_, name) = self.holds.swap_remove(i);
                    self.unuse(&name);
                    closed = true;
                }
            }
            for i in (0..ready.len()).rev() {
                if ready[i] && !self.serve(i) {
                    let conn = self.conns.swap_remove(i);
                    for name in conn.names {
                        self.unuse(&name);
                    }
                    closed = true;
                }
            }
            if listen_ready {
                self.accept_all();
            }
            if self.conns.is_empty()
                && self.holds.is_empty()
                && (closed || !listen_ready)
                && self.may_exit()?
            {
                return Ok(());
            }
        }
    }

    /// Accept every pending connection; returns how many there were.
    fn accept_all(&mut self) -> usize {
        let mut n = 0;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if stream.set_nonblocking(true).is_ok() {
                        self.conns.push(Conn {
                            stream,
                            buf: Vec::new(),
                            names: Default::default(),
                        });
                        n += 1;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return n,
            }
        }
    }

    /// With no connection left: exit if no client is connecting. Clients connect only while
    /// holding the lock, so with the lock held and nothing pending none can come any more.
    fn may_exit(&mut self) -> Result<bool> {
        let lock = open_lock(&self.dir)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(false),
            Err(fs::TryLockError::Error(e)) => {
                return Err(Error::path("lock", self.dir.join("lock"), e));
            }
        }
        if self.accept_all() > 0 {
            return Ok(false);
        }
        let _ = fs::remove_file(&self.sock);
        // The lock is released by the exit itself; keep it until then.
        self.exit_lock = Some(lock);
        Ok(true)
    }

    /// Read and answer what connection `i` sent; false when it is closed (or misbehaved).
    fn serve(&mut self, i: usize) -> bool {
        let mut buf = [0u8; 512];
        let n = match (&self.conns[i].stream).read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                return true;
            }
            Err(_) => return false,
        };
        self.conns[i].buf.extend_from_slice(&buf[..n]);
        while let Some(end) = self.conns[i].buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.conns[i].buf.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            if !self.answer(i, line.trim_end_matches('\r')) {
                return false;
            }
        }
        self.conns[i].buf.len() <= MAX_LINE
    }

    /// Answer one request of connection `i`; false when the answer could not be sent.
    fn answer(&mut self, i: usize, line: &str) -> bool {
        let (verb, name) = line.split_once(' ').unwrap_or((line, ""));
        if verb == "HOLD" {
            return self.hold(i, name);
        }
        if verb != "NETNS" {
            return self.reply(i, &format!("ERR unknown request {verb:?}\n"), None);
        }
        if !valid_name(name) {
            return self.reply(i, &format!("ERR invalid network name {name:?}\n"), None);
        }
        if !self.networks.contains_key(name) {
            match create_netns() {
                Ok(ns) => {
                    log(&format!("network {name}: namespace created"));
                    self.networks
                        .insert(name.to_string(), Network { ns, users: 0 });
                }
                Err(e) => {
                    let why = e.one_line();
                    log(&format!("network {name}: {why}"));
                    return self.reply(i, &format!("ERR {why}\n"), None);
                }
            }
        }
        if self.conns[i].names.insert(name.to_string())
            && let Some(net) = self.networks.get_mut(name)
        {
            net.users += 1;
        }
        let fd = self.networks.get(name).map(|n| n.ns.as_raw_fd());
        self.reply(i, "OK\n", fd)
    }

    /// `HOLD <name> <pid>`: keep network `name` (which connection `i` uses) for as long as
    /// process `pid` lives.
    fn hold(&mut self, i: usize, args: &str) -> bool {
        let (name, pid) = args.split_once(' ').unwrap_or((args, ""));
        let pid = pid
            .parse::<i32>()
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        let (Some(pid), true) = (pid, self.conns[i].names.contains(name)) else {
            return self.reply(i, &format!("ERR bad hold {args:?}\n"), None);
        };
        match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => {
                if let Some(net) = self.networks.get_mut(name) {
                    net.users += 1;
                }
                self.holds.push((fd, name.to_string()));
                log(&format!(
                    "network {name}: held for process {}",
                    pid.as_raw_nonzero()
                ));
                self.reply(i, "OK\n", None)
            }
            Err(e) => self.reply(
                i,
                &format!("ERR process {}: {e}\n", pid.as_raw_nonzero()),
                None,
            ),
        }
    }

    /// Send `text` (and descriptor `fd`) on connection `i`; false when that failed.
    fn reply(&self, i: usize, text: &str, fd: Option<std::os::fd::RawFd>) -> bool {
        let fds = fd.map(|f| [f]);
        let cmsgs: Vec<ControlMessage> = fds
            .as_ref()
            .map(|f| ControlMessage::ScmRights(f))
            .into_iter()
            .collect();
        let iov = [IoSlice::new(text.as_bytes())];
        loop {
            match nix::sys::socket::sendmsg::<()>(
                self.conns[i].stream.as_raw_fd(),
                &iov,
                &cmsgs,
                MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(n) => return n == text.len(),
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return false,
            }
        }
    }

    /// One connection less uses network `name`; the last one drops its namespace.
    fn unuse(&mut self, name: &str) {
        let Some(net) = self.networks.get_mut(name) else {
            return;
        };
        net.users = net.users.saturating_sub(1);
        if net.users == 0 {
            self.networks.remove(name);
            log(&format!("network {name}: no user left, namespace dropped"));
        }
    }
}

/// A new network namespace with `lo` and bridge [`BRIDGE`] up, made on a thread of its own
/// (unshare(CLONE_NEWNET) moves only the calling thread).
fn create_netns() -> Result<OwnedFd> {
    netlink::on_thread(|| {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| Error::Msg(format!("create a network namespace: {}", e.desc())))?;
        let ns = File::open("/proc/thread-self/ns/net")
            .map_err(|e| Error::path("open", "/proc/thread-self/ns/net", e))?;
        netlink::loopback_up()?;
        let mut nl = Netlink::open()?;
        nl.create_bridge(BRIDGE)?;
        nl.set_up(BRIDGE)?;
        Ok(OwnedFd::from(ns))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "net1", "my_net.v2-x", "0"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-a", ".a", "_a", "a b", "a/b", "a\n", "é"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(!valid_name(&"a".repeat(201)));
        assert_eq!(
            check_name("a b").unwrap_err().to_string(),
            "invalid network name \"a b\": want [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        );
    }
}
