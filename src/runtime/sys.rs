//! The one place where rl uses `unsafe`: forking children that enter new namespaces.
//!
//! A child's work happens in a closure that returns `Result<String, String>`; whatever it returns,
//! and any failure of the setup steps before it, travels back to the parent over a pipe as text,
//! so the user sees "mount overlay: Operation not permitted", never "child exited with 1".

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

use nix::sched::CloneFlags;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};

/// Frame tags on the child-to-parent pipe.
const TAG_READY: u8 = b'R';
const TAG_OK: u8 = b'O';
const TAG_ERR: u8 = b'E';

/// A forked child that has entered its new namespaces and waits for [`NsChild::proceed`].
#[derive(Debug)]
pub struct NsChild {
    pid: Pid,
    /// Child-to-parent frames.
    from_child: std::fs::File,
    /// Parent-to-child "go" byte; dropping it without writing also releases the child.
    to_child: Option<std::fs::File>,
    reaped: bool,
}

/// Whether the calling process has exactly one thread (fork is only sound then, see below).
pub fn is_single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count() == 1)
        .unwrap_or(false)
}

/// Fork a child that calls `unshare(flags)`, reports that it is ready, waits for the parent's go,
/// then runs `work` and reports its result.
///
/// Between ready and go the parent can act on the child's namespaces from outside (for example
/// write its id maps with newuidmap). The process must be single-threaded: after `fork` the child
/// allocates, which is only safe when no other thread could have held the allocator's lock.
pub fn spawn_in_new_ns(
    flags: CloneFlags,
    work: impl FnOnce() -> Result<String, String>,
) -> io::Result<NsChild> {
    if !is_single_threaded() {
        return Err(io::Error::other(
            "internal error: namespace child forked from a multi-threaded process",
        ));
    }
    let (up_r, up_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let (down_r, down_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    // SAFETY: the process is single-threaded (checked above), so the child is a full copy with no
    // lock held by a vanished thread; the child never returns into the caller's frames: it runs
    // `child_main`, which ends in `_exit`.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            drop(up_r);
            drop(down_w);
            let code = child_main(flags, up_w, down_r, work);
            // SAFETY: `_exit` ends the child without running the parent's atexit handlers or
            // flushing stdio buffers that belong to the parent.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(up_w);
            drop(down_r);
            let mut me = NsChild {
                pid: child,
                from_child: std::fs::File::from(up_r),
                to_child: Some(std::fs::File::from(down_w)),
                reaped: false,
            };
            match me.read_frame()? {
                (TAG_READY, _) => Ok(me),
                (_, msg) => {
                    me.reap();
                    Err(io::Error::other(msg))
                }
            }
        }
    }
}

fn child_main(
    flags: CloneFlags,
    up: OwnedFd,
    down: OwnedFd,
    work: impl FnOnce() -> Result<String, String>,
) -> i32 {
    let mut up = std::fs::File::from(up);
    // Do not outlive the parent (the rl process) if it is killed.
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes plain integer arguments and touches no memory.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    if let Err(e) = nix::sched::unshare(flags) {
        let _ = write_frame(
            &mut up,
            TAG_ERR,
            &format!("unshare namespaces: {}", e.desc()),
        );
        return 1;
    }
    if write_frame(&mut up, TAG_READY, "").is_err() {
        return 1;
    }
    let mut go = [0u8; 1];
    let mut down = std::fs::File::from(down);
    // A byte or EOF both mean go; a read error means the parent is gone.
    if down.read(&mut go).is_err() {
        return 1;
    }
    let (tag, text) = match work() {
        Ok(s) => (TAG_OK, s),
        Err(s) => (TAG_ERR, s),
    };
    if write_frame(&mut up, tag, &text).is_err() {
        return 1;
    }
    0
}

fn write_frame(w: &mut impl Write, tag: u8, text: &str) -> io::Result<()> {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    let mut buf = Vec::with_capacity(5 + text.len());
    buf.push(tag);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&text.as_bytes()[..len as usize]);
    w.write_all(&buf)
}

impl NsChild {
    /// The child's pid (for /proc/PID/... and newuidmap PID ...).
    pub fn pid(&self) -> u32 {
        self.pid.as_raw().unsigned_abs()
    }

    fn read_frame(&mut self) -> io::Result<(u8, String)> {
        let mut head = [0u8; 5];
        if let Err(e) = self.from_child.read_exact(&mut head) {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                let status = self.reap();
                return Err(io::Error::other(format!(
                    "namespace child ended early ({status})"
                )));
            }
            return Err(e);
        }
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len.min(1 << 20)];
        self.from_child.read_exact(&mut body)?;
        Ok((head[0], String::from_utf8_lossy(&body).into_owned()))
    }

    /// Let the child run its work; wait for its result and reap it.
    pub fn proceed(mut self) -> io::Result<Result<String, String>> {
        if let Some(mut w) = self.to_child.take() {
            // The child treats EOF as go too, so a failed write is not fatal.
            let _ = w.write_all(b"g");
        }
        let frame = self.read_frame();
        self.reap();
        match frame? {
            (TAG_OK, s) => Ok(Ok(s)),
            (_, s) => Ok(Err(s)),
        }
    }

    fn reap(&mut self) -> String {
        if self.reaped {
            return "already reaped".into();
        }
        self.to_child = None;
        self.reaped = true;
        loop {
            match waitpid(self.pid, None) {
                Ok(WaitStatus::Exited(_, c)) => return format!("exit status {c}"),
                Ok(WaitStatus::Signaled(_, s, _)) => return format!("killed by {s}"),
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return format!("wait: {e}"),
            }
        }
    }
}

impl Drop for NsChild {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = nix::sys::signal::kill(self.pid, nix::sys::signal::Signal::SIGKILL);
            self.reap();
        }
    }
}

/// The parent of the user namespace open as `ns` (`NS_GET_PARENT`), as a new descriptor.
pub fn userns_parent(ns: std::os::fd::BorrowedFd<'_>) -> io::Result<OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // NS_GET_PARENT is _IO(0xb7, 0x2).
    const NS_GET_PARENT: libc::c_ulong = 0xb702;
    // SAFETY: `ns` is an open descriptor for the whole call; this ioctl takes no argument and
    // returns a new descriptor or -1.
    let fd = unsafe { libc::ioctl(ns.as_raw_fd(), NS_GET_PARENT as _) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the ioctl returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The length of extended attribute `name` of `path` (following symlinks), or None when it is
/// absent or unreadable.
pub fn xattr_len(path: &std::path::Path, name: &str) -> Option<usize> {
    let path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call; a null
    // buffer of size 0 asks only for the value's length, so nothing is written.
    let n = unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
    usize::try_from(n).ok()
}

/// Fork; the child runs `child` (which must end by exec or `_exit`, never return into the
/// caller). Returns the child's pid in the parent.
///
/// Used by the container runtime after the process has entered its namespaces; the caller
/// guarantees the process is single-threaded (the child allocates).
pub fn fork_into(child: impl FnOnce() -> i32) -> io::Result<Pid> {
    if !is_single_threaded() {
        return Err(io::Error::other(
            "internal error: container forked from a multi-threaded process",
        ));
    }
    // SAFETY: single-threaded (checked above), so the child is a complete copy with no lock held
    // by another thread; the child never returns from this function: it ends in `_exit` (or
    // `child` execs).
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            let code = child();
            // SAFETY: `_exit` skips the parent's atexit handlers and stdio buffers, which the
            // child shares by copy and must not flush.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// Like [`fork_into`], with the child created in new namespaces (`flags`: CLONE_NEW*) while
/// the caller keeps its own. Unlike unshare(2) in the parent, this can be repeated: a process
/// may unshare a pid namespace only once, and a monitor that restarts its container needs a
/// fresh one each time.
pub fn clone_into(flags: CloneFlags, child: impl FnOnce() -> i32) -> io::Result<Pid> {
    if !is_single_threaded() {
        return Err(io::Error::other(
            "internal error: container cloned from a multi-threaded process",
        ));
    }
    let bits = u64::from(flags.bits().unsigned_abs()) | libc::SIGCHLD as u64;
    // SAFETY: clone(2) with a null stack pointer behaves as fork(2): the child runs on a copy of
    // the caller's stack. The process is single-threaded (checked above), so the child is a
    // complete copy with no lock held by another thread; glibc keeps no pid cache since 2.25, and
    // the child never returns into the caller's frames: it ends in `_exit`.
    let r = unsafe { libc::syscall(libc::SYS_clone, bits, 0usize, 0usize, 0usize, 0usize) };
    match r {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            let code = child();
            // SAFETY: as in `fork_into`.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(Pid::from_raw(i32::try_from(pid).unwrap_or(-1))),
    }
}

/// Fork, both processes continuing from here: `None` in the child, the child's pid in the
/// parent. For `--init`, where the container's pid 1 stays behind as the reaper and the child
/// goes on to exec; the caller guarantees the process is single-threaded.
pub fn fork_continue() -> io::Result<Option<Pid>> {
    if !is_single_threaded() {
        return Err(io::Error::other(
            "internal error: init forked from a multi-threaded process",
        ));
    }
    // SAFETY: single-threaded (checked above), so the child is a complete copy with no lock held
    // by another thread and may go on running ordinary Rust code up to its exec.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => Ok(None),
        ForkResult::Parent { child } => Ok(Some(child)),
    }
}

/// Close every descriptor from `first` up and end the process with `code` once `wait` returns
/// it; for `--init`'s reaper, which must hold nothing of the container's open (the setup error
/// pipe above all, whose end tells rl that exec happened).
pub fn close_from_and_run(first: u32, wait: impl FnOnce() -> i32) -> ! {
    // SAFETY: close_range takes plain integers. It closes descriptors that Rust objects of this
    // process may still own, but this function never returns: no code that could use those
    // objects runs again, and `wait` is written to use none of them.
    unsafe {
        libc::syscall(libc::SYS_close_range, first, u32::MAX, 0u32);
    }
    let code = wait();
    // SAFETY: `_exit` ends the process without running destructors or flushing stdio buffers
    // shared with the parent by copy.
    unsafe { libc::_exit(code) }
}

/// [`close_from_and_run`], keeping the descriptors in `keep` (numbers of 3 and up) open for
/// `wait`, which takes them over by number.
pub fn close_others_and_run(keep: &[std::os::fd::RawFd], wait: impl FnOnce() -> i32) -> ! {
    // SAFETY: this function never returns to code that could use the descriptors closed (see
    // close_from_and_run), and `wait` uses only those in `keep`.
    let first = unsafe { close_below_kept(keep) };
    close_from_and_run(first, wait)
}

/// Close every descriptor from 3 up to the last one in `keep`, except those in `keep`; returns
/// the number after the last one kept (3 when none is), where the caller closes the rest.
///
/// # Safety
/// It closes descriptors that Rust objects of this process may own: the caller must use none of
/// them afterwards (nor drop them, which would close a number that may have been reused).
unsafe fn close_below_kept(keep: &[std::os::fd::RawFd]) -> u32 {
    let mut keep: Vec<u32> = keep.iter().filter_map(|&f| u32::try_from(f).ok()).collect();
    keep.sort_unstable();
    let mut first = 3u32;
    for k in keep.into_iter().filter(|&k| k >= 3) {
        if k > first {
            // SAFETY: plain integers; the caller answers for the descriptors (see above).
            unsafe {
                libc::syscall(libc::SYS_close_range, first, k - 1, 0u32);
            }
        }
        first = k.saturating_add(1);
    }
    first
}

/// Take ownership of descriptor `fd`, inherited across exec from the process that started this
/// one (the monitor's status pipe), if it is open; marks it close-on-exec.
pub fn claim_inherited_fd(fd: i32) -> Option<OwnedFd> {
    use std::os::fd::FromRawFd;
    if fd <= 2 || !std::path::Path::new(&format!("/proc/self/fd/{fd}")).exists() {
        return None;
    }
    // SAFETY: the descriptor is open (checked above), was inherited from the parent for this
    // purpose, and nothing else in this process owns it: it is claimed once, at start-up.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let _ = nix::fcntl::fcntl(
        &owned,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    Some(owned)
}

/// Close every descriptor above stderr except `keep`: for processes that outlive their starter
/// (the netns holder, the pause process) and must hold nothing of it open. Called first thing in
/// their `main`, before anything of theirs owns a descriptor.
pub fn close_inherited(keep: Option<i32>) {
    // SAFETY: at this point nothing of this process owns a descriptor above stderr but `keep`,
    // which stays open; the rest were inherited and are closed unused.
    unsafe {
        let first = close_below_kept(keep.as_slice());
        libc::syscall(libc::SYS_close_range, first, u32::MAX, 0u32);
    }
}

/// Drop this process's resident pages of read-only file mappings that it never wrote (code and
/// constant data of rl and its libraries); the kernel faults them back in from the page cache
/// on the next use. A monitor runs rl's start-up code (JSON, the runtime) once, then waits for
/// months in a small loop: without this its RSS keeps every page it ever touched. A mapping
/// with any anonymous (copy-on-write) page, such as relocated tables, is left alone.
pub fn drop_clean_file_pages() {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let Some(first) = f.next() else { continue };
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            let perms = f.next().unwrap_or("");
            let path = f.nth(3).unwrap_or("");
            current = ((perms == "r-xp" || perms == "r--p") && path.starts_with('/'))
                .then_some((start, end));
            continue;
        }
        if first == "Anonymous:"
            && let Some((start, end)) = current.take()
            && f.next() == Some("0")
        {
            // SAFETY: the range is a whole private, read-only mapping of a file that holds no
            // anonymous page, so nothing in it was ever written: MADV_DONTNEED only drops
            // page-table entries, and the next access faults the same bytes back in from the
            // file. No Rust reference can observe a difference.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

/// Mark every file descriptor from `first` up close-on-exec (close_range(2) with
/// CLOSE_RANGE_CLOEXEC, Linux 5.11+), so nothing rl holds leaks into the container
/// (CVE-2024-21626 was a leaked directory fd).
pub fn cloexec_from(first: u32) -> io::Result<()> {
    // SAFETY: close_range takes plain integers; with CLOSE_RANGE_CLOEXEC it only sets a flag on
    // descriptors and closes nothing, so no Rust-owned descriptor is invalidated.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Make `fd` the controlling terminal of the calling session (TIOCSCTTY).
pub fn set_controlling_tty(fd: i32) -> io::Result<()> {
    // SAFETY: TIOCSCTTY takes an integer argument and reads no memory.
    let r = unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Install a seccomp filter on the calling process: `bpf` is a classic BPF program as libseccomp
/// exports it (8-byte `struct sock_filter` records in native byte order, see
/// [`super::seccomp`]).
///
/// The kernel takes it only when no_new_privs is set or the caller has CAP_SYS_ADMIN in its user
/// namespace (seccomp(2)); [`super::process`] orders its steps for that. The process is
/// single-threaded, so no TSYNC is needed: the filter covers the one thread, and is inherited
/// across fork and kept across execve.
pub fn install_seccomp(bpf: &[u8]) -> io::Result<()> {
    if bpf.is_empty() || !bpf.len().is_multiple_of(8) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a seccomp program of {} bytes", bpf.len()),
        ));
    }
    // Copy into properly aligned records rather than casting the byte buffer.
    let insns: Vec<libc::sock_filter> = bpf
        .chunks_exact(8)
        .map(|c| libc::sock_filter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    let len = u16::try_from(insns.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a seccomp program of {} instructions", insns.len()),
        )
    })?;
    let prog = libc::sock_fprog {
        len,
        filter: insns.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` is a valid `sock_fprog` whose `filter` points to `len` initialised records
    // owned by `insns`, which lives until after the call. The kernel only reads them (the pointer
    // is `*mut` in the C declaration alone), copies the program during the call and keeps no
    // pointer to our memory; it validates every instruction itself, so a bad program is EINVAL,
    // not undefined behaviour. The remaining arguments are plain integers.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::c_ulong::from(libc::SECCOMP_MODE_FILTER),
            &raw const prog,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Let `cmd`'s program inherit the descriptors `keep` (rl opens everything close-on-exec), and
/// have the kernel kill it when the thread that spawns it dies (`PR_SET_PDEATHSIG`): a helper
/// such as slirp4netns must not outlive the process that waits for its container, even one
/// killed with SIGKILL.
pub fn inherit_fds_and_die_with_parent(cmd: &mut std::process::Command, keep: Vec<i32>) {
    use std::os::unix::process::CommandExt;
    let parent = nix::unistd::getpid();
    // SAFETY: between fork and exec the closure calls only async-signal-safe functions (fcntl,
    // prctl, getppid, kill) and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &keep {
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            raise_ambient(HELPER_CAPS)?;
            // The parent may have died before the prctl: then nobody would kill this one.
            if libc::getppid() != parent.as_raw() {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            Ok(())
        });
    }
}

/// What a network helper needs over the container's namespaces: join them (SYS_ADMIN), open
/// /proc/PID/ns of a process with other ids (SYS_PTRACE), create and configure the tap device
/// (NET_ADMIN), and drop its own ids and groups when it isolates itself (SETUID, SETGID).
const HELPER_CAPS: &[u32] = &[
    21, // CAP_SYS_ADMIN
    19, // CAP_SYS_PTRACE
    12, // CAP_NET_ADMIN
    7,  // CAP_SETUID
    6,  // CAP_SETGID
];

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Make `caps` (those the process holds) ambient, so that they survive exec even when the
/// process is not uid 0 of its user namespace: rl's process in a nested user namespace
/// (`--userns=keep-id`) holds every capability there, but as the user's id. Only raw syscalls:
/// this runs between fork and exec.
fn raise_ambient(caps: &[u32]) -> io::Result<()> {
    const VERSION_3: u32 = 0x2008_0522;
    let mut header = CapHeader {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capget/capset with a v3 header and two data words, as the kernel ABI defines.
    unsafe {
        if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) == -1 {
            return Err(io::Error::last_os_error());
        }
        for &c in caps {
            let (word, bit) = ((c / 32) as usize, 1u32 << (c % 32));
            if let Some(d) = data.get_mut(word)
                && d.permitted & bit != 0
            {
                d.inheritable |= bit;
            }
        }
        if libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) == -1 {
            return Err(io::Error::last_os_error());
        }
        for &c in caps {
            let (word, bit) = ((c / 32) as usize, 1u32 << (c % 32));
            if data.get(word).is_some_and(|d| d.permitted & bit != 0) {
                libc::prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_RAISE,
                    libc::c_ulong::from(c),
                    0,
                    0,
                );
            }
        }
    }
    Ok(())
}
/// Set IFF_UP on network interface `name` of the network namespace `sock` belongs to
/// (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP added); `sock` is any AF_INET datagram socket.
pub fn interface_up(sock: std::os::fd::BorrowedFd<'_>, name: &str) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad interface name {name:?}"),
        ));
    }
    // SAFETY: `ifreq` is plain old data (a byte array and a union of integers and plain
    // structs); all zeroes is a valid value of it.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
        *d = libc::c_char::from_ne_bytes([*s]);
    }
    // SAFETY: `req` is a valid, initialised `ifreq` with a NUL-terminated name that lives
    // across the call; SIOCGIFFLAGS writes only `ifr_flags` within it.
    if unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &raw mut req) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let up = libc::c_short::try_from(libc::IFF_UP).unwrap_or(1);
    // SAFETY: the kernel has just filled `ifru_flags`, the union member SIOCGIFFLAGS sets, so
    // reading and updating that member is reading initialised integers.
    unsafe {
        req.ifr_ifru.ifru_flags |= up;
    }
    // SAFETY: as above; SIOCSIFFLAGS only reads `req`.
    if unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &raw mut req) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Take ownership of a descriptor this process has just received with SCM_RIGHTS (recvmsg):
/// the kernel installed it for us and nothing else in the process knows its number.
pub fn own_received_fd(fd: std::os::fd::RawFd) -> OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: `fd` was installed in this process's table by the recvmsg that returned it; no
    // other object owns it, and the caller hands it over here exactly once.
    unsafe { OwnedFd::from_raw_fd(fd) }
}
