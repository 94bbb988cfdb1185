//! The per-container monitor: what holds a detached container (`rl run -d`, `rl start`).
//!
//! No daemon: `rl` re-executes itself as `rl __monitor ID` for one container, already inside
//! the user namespace the CLI entered (exec keeps namespaces). The monitor starts a session of
//! its own (no terminal can hang it up), becomes the container's parent through
//! [`crate::runtime::spawn`], and then only waits: it writes the container's output to its log
//! (`ctr.log`, see [`crate::container::logs`]), passes on the signals it receives, and when the
//! container ends records the exit status and time (and removes it for `--rm`). It tells the CLI
//! that started it whether the command could be started, over a pipe whose descriptor number is
//! in `RL_MONITOR_FD`, so `rl run -d` reports 125/126/127 like a foreground run.
//!
//! It also listens on the container's attach socket ([`crate::container::attach`]): `rl attach`
//! clients get the output as it is logged and, for a container started with `-i`, write its
//! stdin (a pipe the monitor holds, or the pty). Clients never slow the container down: writes
//! to them do not block and one that falls too far behind is dropped. With nothing attached the
//! socket only adds one descriptor to the poll: no timer, no work.
//!
//! Killing the CLI does not matter to the monitor; killing the monitor makes the next rl
//! command mark the container exited (see [`crate::container::reconcile`]) and the container
//! is killed with it (its first process gets SIGKILL when its parent, the monitor, dies).

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::cli::run::Created;
use crate::config::Paths;
use crate::container::attach;
use crate::container::logs::{LogWriter, Stream};
use crate::container::{self, Record};
use crate::error::{Error, Result};

/// The environment variable that names the status pipe's descriptor.
pub const STATUS_FD: &str = "RL_MONITOR_FD";

/// `rl __monitor ID`: run one container to its end. Returns the monitor's exit status.
pub fn main(id: &str) -> i32 {
    let status_fd = std::env::var(STATUS_FD)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|fd| *fd > 2);
    let mut status = status_fd.and_then(owned_fd).map(std::fs::File::from);
    let _ = nix::unistd::setsid();
    match monitor(id, &mut status) {
        Ok(()) => 0,
        Err(e) => {
            if let Some(s) = status.as_mut() {
                let _ = write!(s, "{} {}", e.exit_code(), e.one_line());
            }
            1
        }
    }
}

/// Take the descriptor `fd` inherited from the CLI (if it is open).
fn owned_fd(fd: i32) -> Option<OwnedFd> {
    crate::runtime::sys::claim_inherited_fd(fd)
}

fn monitor(id: &str, status: &mut Option<std::fs::File>) -> Result<()> {
    let paths = Paths::from_env()?;
    let dir = container::dir(&paths, id);
    let read =
        |f: &str| std::fs::read(dir.join(f)).map_err(|e| Error::path("read", dir.join(f), e));
    let spec: oci_spec::runtime::Spec = serde_json::from_slice(&read("config.json")?)
        .map_err(|e| Error::Msg(format!("container {id}: config.json: {e}")))?;
    let created: Created = serde_json::from_slice(&read("bundle.json")?)
        .map_err(|e| Error::Msg(format!("container {id}: bundle.json: {e}")))?;
    let mut record = container::load(&paths, id)?;

    // The container's stdio: nothing in; out and err into pipes this process reads (or a pty).
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| Error::io("open /dev/null", e))?;
    nix::unistd::dup2_stdin(&null).map_err(|e| Error::Msg(format!("stdin: {}", e.desc())))?;
    let logging = record.log_driver != "none";
    let mut log = if logging {
        Some(
            LogWriter::open(&dir.join("ctr.log"), record.log_max_size)
                .map_err(|e| Error::path("open the log", dir.join("ctr.log"), e))?,
        )
    } else {
        None
    };
    // A container in a user namespace nested in rl's is started from inside that namespace,
    // which this process cannot leave: its restarts are a fresh monitor's (see Restarter).
    let mut restarter =
        if created.bundle.nested_userns.is_some() && !record.restart_policy.is_empty() {
            Some(Restarter::fork(id, status)?)
        } else {
            None
        };
    // `rl attach` connects here; a monitor that cannot offer it still runs the container.
    let mut hub = Hub::new(attach::listen(&paths, id).ok(), &created, &paths, id);
    let mut restarts = std::env::var(RESTARTS)
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    loop {
        let console = if created.tty {
            Some(crate::runtime::console::Console::new()?)
        } else {
            None
        };
        // Output goes through pipes even without a log: an attached client may want it.
        let mut pipes: Vec<(OwnedFd, Stream)> = Vec::new();
        if console.is_none() {
            for (target, stream) in [(1, Stream::Stdout), (2, Stream::Stderr)] {
                let (r, w) = crate::runtime::pipe()?;
                dup_onto(&w, target)?;
                pipes.push((r, stream));
            }
        } else {
            dup_onto(&null, 1)?;
            dup_onto(&null, 2)?;
        }
        // `-i` without a pty: the container reads a pipe whose write end attached clients feed.
        let mut stdin_w = None;
        if console.is_none() && created.interactive {
            let (r, w) = crate::runtime::pipe()?;
            dup_onto(&r, 0)?;
            rustix::io::ioctl_fionbio(&w, true)
                .map_err(|e| Error::Msg(format!("make the stdin pipe non-blocking: {e}")))?;
            stdin_w = Some(w);
        }

        let lock = container::lock(&paths, id)?;
        record = container::load(&paths, id)?;
        let mut attached = None;
        let mut attach = |pid| {
            attached = Some(crate::network::attach(&created.network, pid, &paths, id)?);
            Ok(())
        };
        let mut running = crate::runtime::spawn_with(
            &spec,
            &created.bundle,
            true,
            console,
            (false, false),
            if created.network.needs_attach() {
                Some(&mut attach)
            } else {
                None
            },
        );
        // Our own copies of the pipes' ends must go, or the reads never see EOF (and writes to
        // stdin never fail once the container has closed it).
        dup_onto(&null, 0)?;
        dup_onto(&null, 1)?;
        dup_onto(&null, 2)?;
        let running = match running.as_mut() {
            Ok(r) => r,
            Err(_) => {
                let e = running.err().unwrap_or(Error::Msg("start failed".into()));
                drop(lock);
                finish(
                    &paths,
                    &created,
                    &mut record,
                    Some(e.exit_code()),
                    Some(e.one_line()),
                );
                hub.close(e.exit_code());
                return Err(e);
            }
        };
        let mut pty = None;
        if let Some(m) = running.master.take() {
            // Client input is written without blocking (reads handle EAGAIN).
            rustix::io::ioctl_fionbio(&m, true)
                .map_err(|e| Error::Msg(format!("make the pty master non-blocking: {e}")))?;
            pty = m.try_clone().ok();
            if created.interactive {
                stdin_w = m.try_clone().ok();
            }
            pipes.push((m, Stream::Stdout));
        }
        hub.set_run(stdin_w, pty);
        let me = nix::unistd::getpid().as_raw();
        if created.network.user_networks
            && let Ok(fresh) = container::load(&paths, id)
        {
            // The addresses its networks gave it.
            record.networks = fresh.networks;
        }
        record.state = "running".into();
        record.pid = Some(running.pid.as_raw());
        record.pid_start = container::process_start(running.pid.as_raw());
        record.monitor_pid = Some(me);
        record.monitor_start = container::process_start(me);
        record.started_at = Some(crate::format::time::now_nanos());
        record.finished_at = None;
        record.exit_code = None;
        record.error = None;
        record.restart_count = restarts;
        container::save(&dir, &record)?;
        drop(lock);
        crate::events::record(&paths, &container::event(&record, "start"));
        if let Some(mut s) = status.take() {
            let _ = s.write_all(b"ok");
        }

        // From here on the monitor only waits: give back the start-up code's pages.
        crate::runtime::sys::drop_clean_file_pages();
        let _ = std::fs::remove_file(container::health::state_path(&dir));
        let mut checks = record.health.clone().map(|cfg| Checks::new(id, cfg, &spec));
        let code = wait(running, &mut pipes, log.as_mut(), checks.as_mut(), &mut hub);
        hub.set_run(None, None);
        // The stack's helper ends with the container, which also leaves its networks.
        drop(attached);
        if created.network.user_networks
            && let Ok(fresh) = container::load(&paths, id)
        {
            record.networks = fresh.networks;
        }
        let forced = checks.as_ref().is_some_and(|c| c.restart_requested);
        if !forced && !should_restart(&paths, &mut record, code, restarts) {
            finish(&paths, &created, &mut record, Some(code), None);
            hub.close(code);
            return Ok(());
        }
        // Back off as docker does: 100 ms, doubling, at most a minute; `rl stop`/`rm` during the
        // wait end it.
        record_exit(&paths, &mut record, code, "restarting");
        let delay = Duration::from_millis(100u64.saturating_mul(1 << restarts.min(10)))
            .min(Duration::from_secs(60));
        if !sleep_unless_stopped(&paths, id, delay) {
            let mut fresh = container::load(&paths, id).unwrap_or(record.clone());
            finish(&paths, &created, &mut fresh, Some(code), None);
            hub.close(code);
            return Ok(());
        }
        restarts = restarts.saturating_add(1);
        if let Some(r) = restarter.take() {
            hub.close(code);
            return r.hand_over(&paths, id, restarts);
        }
    }
}

/// The environment variable that tells a monitor how many restarts came before it.
const RESTARTS: &str = "RL_MONITOR_RESTARTS";

/// A child of the monitor that stays in rl's user namespace, blocked on a pipe: asked to, it
/// executes a new monitor for the container (same pid, so the record names a live monitor
/// throughout); when the monitor ends without asking, it ends too.
struct Restarter {
    pid: nix::unistd::Pid,
    ask: std::fs::File,
}

impl Restarter {
    fn fork(id: &str, status: &mut Option<std::fs::File>) -> Result<Restarter> {
        use std::io::Read;
        use std::os::unix::process::CommandExt;
        let (r, w) = crate::runtime::pipe()?;
        let exe = std::env::current_exe().map_err(|e| Error::io("find the rl binary", e))?;
        let mut ends = (Some(r), Some(w));
        let pid = crate::runtime::sys::fork_into(|| {
            // The CLI waits for the end of the status pipe: this process must not hold it.
            drop(status.take());
            drop(ends.1.take());
            let Some(r) = ends.0.take() else {
                return 1;
            };
            let mut text = String::new();
            let _ = std::fs::File::from(r).read_to_string(&mut text);
            if text.is_empty() {
                return 0;
            }
            let e = std::process::Command::new(&exe)
                .arg("__monitor")
                .arg(id)
                .env(RESTARTS, text.trim())
                .env_remove(STATUS_FD)
                .exec();
            eprintln!("rl: restart the monitor: {e}");
            1
        })
        .map_err(|e| Error::io("fork the restarter", e))?;
        drop(ends.0.take());
        let ask = ends
            .1
            .take()
            .map(std::fs::File::from)
            .ok_or_else(|| Error::Msg("the restarter's pipe is gone".into()))?;
        Ok(Restarter { pid, ask })
    }

    /// Make the restarter the container's monitor, and let it start the container again.
    fn hand_over(mut self, paths: &Paths, id: &str, restarts: u32) -> Result<()> {
        {
            let _lock = container::lock(paths, id)?;
            let mut rec = container::load(paths, id)?;
            rec.monitor_pid = Some(self.pid.as_raw());
            rec.monitor_start = container::process_start(self.pid.as_raw());
            container::save(&container::dir(paths, id), &rec)?;
        }
        self.ask
            .write_all(restarts.to_string().as_bytes())
            .map_err(|e| Error::io("ask for a restart", e))
    }
}

/// The health checks of a running container, run by the monitor as `rl healthcheck run ID`
/// children (one at a time) on the configured interval, and the action an unhealthy result
/// asks for (`--health-on-failure`).
struct Checks {
    id: String,
    cfg: container::health::HealthConfig,
    next: std::time::Instant,
    child: Option<std::process::Child>,
    stop_signal: Signal,
    kill_at: Option<std::time::Instant>,
    restart_requested: bool,
}

impl Checks {
    fn new(
        id: &str,
        cfg: container::health::HealthConfig,
        spec: &oci_spec::runtime::Spec,
    ) -> Checks {
        let stop_signal = spec
            .annotations()
            .as_ref()
            .and_then(|a| a.get(crate::specgen::ANNOTATION_STOP_SIGNAL))
            .and_then(|n| n.parse::<i32>().ok())
            .and_then(|n| Signal::try_from(n).ok())
            .unwrap_or(Signal::SIGTERM);
        let first = Duration::from_nanos(u64::try_from(cfg.interval).unwrap_or(0));
        Checks {
            id: id.to_string(),
            cfg,
            next: std::time::Instant::now() + first,
            child: None,
            stop_signal,
            kill_at: None,
            restart_requested: false,
        }
    }

    fn until_next(&self) -> Duration {
        let now = std::time::Instant::now();
        let mut t = self.next.saturating_duration_since(now);
        if self.child.is_some() {
            t = t.min(Duration::from_millis(100));
        }
        if let Some(k) = self.kill_at {
            t = t.min(k.saturating_duration_since(now));
        }
        t.max(Duration::from_millis(1))
    }

    /// Start a due check, collect a finished one, act on an unhealthy result.
    fn tick(&mut self, container: nix::unistd::Pid) {
        let now = std::time::Instant::now();
        if self.kill_at.is_some_and(|k| now >= k) {
            let _ = nix::sys::signal::kill(container, Signal::SIGKILL);
            self.kill_at = None;
        }
        if let Some(c) = self.child.as_mut() {
            match c.try_wait() {
                Ok(None) => return,
                Ok(Some(_)) | Err(_) => self.child = None,
            }
            self.after_check(container);
        }
        if now >= self.next && self.kill_at.is_none() {
            self.next = now + Duration::from_nanos(u64::try_from(self.cfg.interval).unwrap_or(0));
            self.child = std::env::current_exe().ok().and_then(|exe| {
                std::process::Command::new(exe)
                    .args(["healthcheck", "run", &self.id])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .ok()
            });
        }
    }

    fn after_check(&mut self, container: nix::unistd::Pid) {
        let Ok(paths) = Paths::from_env() else { return };
        let state = container::health::load(&container::dir(&paths, &self.id));
        if state.status != "unhealthy" {
            return;
        }
        match self.cfg.on_failure.as_str() {
            "kill" => {
                let _ = nix::sys::signal::kill(container, Signal::SIGKILL);
            }
            "restart" => {
                self.restart_requested = true;
                let _ = nix::sys::signal::kill(container, Signal::SIGKILL);
            }
            "stop" => {
                if let Ok(_lock) = container::lock(&paths, &self.id)
                    && let Ok(mut r) = container::load(&paths, &self.id)
                {
                    r.state = "stopping".into();
                    let _ = container::save(&container::dir(&paths, &self.id), &r);
                }
                let _ = nix::sys::signal::kill(container, self.stop_signal);
                self.kill_at = Some(std::time::Instant::now() + Duration::from_secs(10));
            }
            _ => {}
        }
    }
}

/// Whether the restart policy wants the container back after it ended with `code`: not when
/// `rl stop` (or `rm -f`) ended it, nor when the policy says no.
fn should_restart(paths: &Paths, record: &mut Record, code: i32, restarts: u32) -> bool {
    if let Ok(fresh) = container::load(paths, &record.id) {
        *record = fresh;
    }
    if record.state == "stopping" || record.restart_policy.is_empty() {
        return false;
    }
    match record.restart_policy.as_str() {
        "always" | "unless-stopped" => true,
        "on-failure" => code != 0 && (record.restart_max == 0 || restarts < record.restart_max),
        _ => false,
    }
}

/// Record an end that is not the last (the restart policy brings it back).
fn record_exit(paths: &Paths, record: &mut Record, code: i32, state: &str) {
    let _lock = container::lock(paths, &record.id);
    if let Ok(fresh) = container::load(paths, &record.id) {
        *record = fresh;
    }
    record.state = state.into();
    record.exit_code = Some(code);
    record.finished_at = Some(crate::format::time::now_nanos());
    record.pid = None;
    record.pid_start = None;
    let _ = container::save(&container::dir(paths, &record.id), record);
    crate::events::record(
        paths,
        &crate::container::event(record, "died").attr("exitCode", code.to_string()),
    );
}

/// Sleep for `d` in short steps; false as soon as the container is being stopped or removed.
fn sleep_unless_stopped(paths: &Paths, id: &str, d: Duration) -> bool {
    let end = std::time::Instant::now() + d;
    loop {
        match container::load(paths, id) {
            Ok(r) if r.state == "restarting" => {}
            _ => return false,
        }
        let now = std::time::Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

fn dup_onto(fd: &impl AsFd, target: i32) -> Result<()> {
    let r = match target {
        0 => nix::unistd::dup2_stdin(fd),
        1 => nix::unistd::dup2_stdout(fd),
        _ => nix::unistd::dup2_stderr(fd),
    };
    r.map_err(|e| Error::Msg(format!("redirect fd {target}: {}", e.desc())))
}

/// Log the output and pass signals on until the container's first process ends; its status.
fn wait(
    running: &crate::runtime::Running,
    pipes: &mut Vec<(OwnedFd, Stream)>,
    mut log: Option<&mut LogWriter>,
    mut health: Option<&mut Checks>,
    hub: &mut Hub,
) -> i32 {
    let Ok(sfd) = SignalFd::with_flags(
        &running.signals,
        SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK,
    ) else {
        return wait_blocking(running);
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut status = None;
    let mut settled = false;
    loop {
        if status.is_none() {
            status = crate::runtime::reaped(running.pid).ok().flatten();
        }
        if status.is_some() && pipes.is_empty() {
            break;
        }
        let mut fds = vec![PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
        for (p, _) in pipes.iter() {
            fds.push(PollFd::new(p.as_fd(), PollFlags::POLLIN));
        }
        // Then the attach socket, the container's stdin (when input waits for it), the clients.
        let base = fds.len();
        if let Some(l) = hub.listener.as_ref() {
            fds.push(PollFd::new(l.as_fd(), PollFlags::POLLIN));
        }
        if let (Some(s), false) = (hub.stdin.as_ref(), hub.stdin_buf.is_empty()) {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLOUT));
        }
        let clients_at = fds.len();
        let want_input = hub.wants_input();
        for c in &hub.clients {
            let mut ev = PollFlags::empty();
            if want_input {
                ev |= PollFlags::POLLIN;
            }
            if !c.out.is_empty() {
                ev |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(c.sock.as_fd(), ev));
        }
        // Once the container is gone, its output is drained without waiting for more than a
        // moment (a process that escaped into the host could hold a pipe open). While it runs,
        // the next health check (if any) bounds the wait.
        let timeout = if status.is_some() {
            PollTimeout::from(200u16)
        } else if let Some(h) = health.as_deref_mut() {
            h.tick(running.pid);
            PollTimeout::from(
                u16::try_from(h.until_next().as_millis().min(60_000)).unwrap_or(60_000),
            )
        } else {
            // The first wait with nothing scheduled: give back the file pages touched since
            // the start (fault-around maps them 64 KiB at a time), once, so an idle monitor
            // keeps only what its loop touches again.
            if !settled {
                settled = true;
                crate::runtime::sys::drop_clean_file_pages();
            }
            PollTimeout::NONE
        };
        let n = match poll(&mut fds, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => 0,
        };
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if n == 0 && status.is_some() {
            break;
        }
        if ready[0] {
            while let Ok(Some(info)) = sfd.read_signal() {
                match Signal::try_from(i32::try_from(info.ssi_signo).unwrap_or(0)) {
                    Ok(Signal::SIGCHLD | Signal::SIGWINCH) | Err(_) => {}
                    Ok(sig) => {
                        let _ = nix::sys::signal::kill(running.pid, sig);
                    }
                }
            }
        }
        // Clients first, while their indices still match the poll's: output may drop some.
        // The clients polled are the first `polled` ones (new ones are appended after them).
        let polled = ready.len().saturating_sub(clients_at);
        let mut gone = Vec::new();
        for i in 0..polled.min(hub.clients.len()) {
            if !ready[clients_at + i] {
                continue;
            }
            if !hub.read_client(i, running.pid) || !hub.clients[i].flush() {
                gone.push(i);
            }
        }
        for i in gone.into_iter().rev() {
            hub.clients.remove(i);
        }
        let mut closed = Vec::new();
        for (i, (p, stream)) in pipes.iter().enumerate() {
            if !ready[i + 1] {
                continue;
            }
            match nix::unistd::read(p.as_fd(), &mut buf) {
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
                Ok(0) | Err(_) => closed.push(i),
                Ok(n) => {
                    if let Some(l) = log.as_deref_mut() {
                        let _ = l.write(*stream, &buf[..n]);
                    }
                    if !hub.clients.is_empty() {
                        hub.broadcast(*stream, &buf[..n]);
                    }
                }
            }
        }
        for i in closed.into_iter().rev() {
            pipes.remove(i);
        }
        if hub.listener.is_some() && ready.get(base).copied().unwrap_or(false) {
            hub.accept();
        }
        if !hub.stdin_buf.is_empty() || hub.stdin_eof {
            hub.flush_stdin();
        }
    }
    running.restore_signals();
    status.unwrap_or_else(|| wait_blocking(running))
}

fn wait_blocking(running: &crate::runtime::Running) -> i32 {
    loop {
        match nix::sys::wait::waitpid(running.pid, None) {
            Ok(nix::sys::wait::WaitStatus::Exited(_, c)) => return c,
            Ok(nix::sys::wait::WaitStatus::Signaled(_, s, _)) => return 128 + s as i32,
            Err(nix::errno::Errno::EINTR) | Ok(_) => {}
            Err(_) => return -1,
        }
    }
}

/// Record the end (or remove the container with `--rm`).
fn finish(
    paths: &Paths,
    created: &Created,
    record: &mut Record,
    code: Option<i32>,
    error: Option<String>,
) {
    let _lock = container::lock(paths, &record.id);
    let dir = container::dir(paths, &record.id);
    crate::events::record(
        paths,
        &crate::container::event(record, "died").attr("exitCode", code.unwrap_or(-1).to_string()),
    );
    if record.rm {
        remove_dir(&dir, &created.anonymous);
        crate::events::record(paths, &crate::container::event(record, "remove"));
        return;
    }
    // Others may have changed the record meanwhile (rename): start from what is stored. A newer
    // start (restart) owns it now: leave it.
    if let Ok(fresh) = container::load(paths, &record.id) {
        if fresh.monitor_pid.is_some() && fresh.monitor_pid != record.monitor_pid {
            return;
        }
        *record = fresh;
    }
    record.state = "exited".into();
    record.exit_code = Some(code.unwrap_or(crate::error::EXIT_RL));
    record.error = error;
    record.finished_at = Some(crate::format::time::now_nanos());
    record.pid = None;
    record.pid_start = None;
    let _ = container::save(&dir, record);
}

fn remove_dir(dir: &Path, anonymous: &[std::path::PathBuf]) {
    crate::image::store::remove_any(dir);
    for v in anonymous {
        crate::image::store::remove_any(v);
    }
}

/// The attach socket and the clients connected to it (see [`crate::container::attach`]); it
/// outlives restarts, so clients stay attached across them.
struct Hub {
    listener: Option<std::os::unix::net::UnixListener>,
    clients: Vec<Client>,
    tty: bool,
    interactive: bool,
    /// The current run's stdin: the write end of its pipe (`-i`), or the pty master (`-it`).
    stdin: Option<OwnedFd>,
    /// Client input the container has not read yet.
    stdin_buf: Vec<u8>,
    /// A client ended its input: close the pipe once `stdin_buf` is written.
    stdin_eof: bool,
    /// The current run's pty master, for resizes.
    pty: Option<OwnedFd>,
    /// The socket's path, removed when the monitor ends.
    path: std::path::PathBuf,
}

/// One `rl attach` connection.
struct Client {
    sock: std::os::unix::net::UnixStream,
    /// Frames it has not read yet.
    out: Vec<u8>,
    input: attach::Decoder,
}

impl Client {
    /// Write what it can without blocking; false when the client is gone or too far behind.
    fn flush(&mut self) -> bool {
        use std::io::Write as _;
        while !self.out.is_empty() {
            match (&self.sock).write(&self.out) {
                Ok(0) => return false,
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.out.len() <= attach::CLIENT_BUFFER
    }
}

impl Hub {
    fn new(
        listener: Option<std::os::unix::net::UnixListener>,
        created: &Created,
        paths: &Paths,
        id: &str,
    ) -> Hub {
        Hub {
            path: attach::socket_dir(paths).join(attach::socket_name(id)),
            listener,
            clients: Vec::new(),
            tty: created.tty,
            interactive: created.interactive,
            stdin: None,
            stdin_buf: Vec::new(),
            stdin_eof: false,
            pty: None,
        }
    }

    /// A new run: its stdin and pty (input meant for the last one is dropped).
    fn set_run(&mut self, stdin: Option<OwnedFd>, pty: Option<OwnedFd>) {
        self.stdin = stdin;
        self.pty = pty;
        self.stdin_buf.clear();
        self.stdin_eof = false;
    }

    /// Whether client input should be read now (not while the container is behind on stdin).
    fn wants_input(&self) -> bool {
        self.stdin_buf.len() < attach::CLIENT_BUFFER
    }

    /// Take the connections waiting on the socket.
    fn accept(&mut self) {
        let Some(l) = self.listener.as_ref() else {
            return;
        };
        while let Ok((sock, _)) = l.accept() {
            if sock.set_nonblocking(true).is_err() {
                continue;
            }
            let mut flags = 0;
            if self.tty {
                flags |= attach::HELLO_TTY;
            }
            if self.interactive {
                flags |= attach::HELLO_STDIN;
            }
            let mut c = Client {
                sock,
                out: attach::frame(attach::HELLO, &[flags]),
                input: attach::Decoder::default(),
            };
            if c.flush() {
                self.clients.push(c);
            }
        }
    }

    /// Send the container's output to every client; drop those that cannot keep up.
    fn broadcast(&mut self, stream: Stream, bytes: &[u8]) {
        let kind = match stream {
            Stream::Stdout => attach::STDOUT,
            Stream::Stderr => attach::STDERR,
        };
        self.clients.retain_mut(|c| {
            attach::encode(&mut c.out, kind, bytes);
            c.flush()
        });
    }

    /// Read what client `i` sent and act on it; false when it is gone (or broke the protocol).
    fn read_client(&mut self, i: usize, container: nix::unistd::Pid) -> bool {
        use std::io::Read as _;
        let mut buf = [0u8; 16 * 1024];
        let n = match (&self.clients[i].sock).read(&mut buf) {
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
        self.clients[i].input.feed(&buf[..n]);
        loop {
            let frame = match self.clients[i].input.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return true,
                Err(_) => return false,
            };
            match frame {
                (attach::STDIN, bytes)
                    if self.interactive && self.stdin.is_some() && !self.stdin_eof =>
                {
                    self.stdin_buf.extend_from_slice(&bytes);
                }
                (attach::STDIN_EOF, _) if self.interactive && !self.tty => self.stdin_eof = true,
                (attach::RESIZE, p) => {
                    if let (Some(pty), Some((rows, cols))) =
                        (self.pty.as_ref(), attach::parse_resize(&p))
                    {
                        let w = rustix::termios::Winsize {
                            ws_row: rows,
                            ws_col: cols,
                            ws_xpixel: 0,
                            ws_ypixel: 0,
                        };
                        let _ = rustix::termios::tcsetwinsize(pty, w);
                    }
                }
                (attach::SIGNAL, p) => {
                    if let Some(sig) = attach::parse_i32(&p).and_then(|n| Signal::try_from(n).ok())
                    {
                        let _ = nix::sys::signal::kill(container, sig);
                    }
                }
                _ => {}
            }
        }
    }

    /// Write client input to the container's stdin without blocking; close the pipe after a
    /// client's EOF.
    fn flush_stdin(&mut self) {
        let Some(fd) = self.stdin.as_ref() else {
            self.stdin_buf = Vec::new();
            return;
        };
        while !self.stdin_buf.is_empty() {
            match nix::unistd::write(fd, &self.stdin_buf) {
                Ok(n) => {
                    self.stdin_buf.drain(..n);
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::EAGAIN) => return,
                // The container closed its stdin: what is left cannot go anywhere.
                Err(_) => {
                    self.stdin_buf.clear();
                    self.stdin = None;
                    break;
                }
            }
        }
        // All written: give the memory back (a long-lived monitor keeps what it holds).
        self.stdin_buf = Vec::new();
        if self.stdin_eof && !self.tty {
            self.stdin = None;
        }
    }

    /// The container has ended for good: tell every client its exit code (waiting a moment
    /// for slow readers), close the connections and remove the socket.
    fn close(&mut self, code: i32) {
        if self.listener.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        for c in &mut self.clients {
            attach::encode(&mut c.out, attach::EXIT, &code.to_be_bytes());
        }
        while !self.clients.is_empty() && std::time::Instant::now() < deadline {
            self.clients.retain_mut(|c| c.flush() && !c.out.is_empty());
            if self.clients.is_empty() {
                break;
            }
            let mut fds: Vec<PollFd> = self
                .clients
                .iter()
                .map(|c| PollFd::new(c.sock.as_fd(), PollFlags::POLLOUT))
                .collect();
            let _ = poll(&mut fds, PollTimeout::from(100u16));
        }
        self.clients.clear();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if self.listener.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
