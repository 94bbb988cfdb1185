//! `rl attach`: connect rl's stdio to a detached container through its monitor's attach
//! socket (the protocol is in [`crate::container::attach`]).
//!
//! Output is copied as it comes (stdout and stderr kept apart). Input goes to the container
//! when it was started with `-i` (and without `--no-stdin`): on a pty rl's terminal is put in
//! raw mode (restored on every way out) and its size is passed on at the start and on
//! SIGWINCH. The detach sequence (default ctrl-p,ctrl-q) ends the attach and leaves the
//! container running (exit 0, nothing printed, as podman). Without a pty, signals rl receives
//! are passed to the container (`--sig-proxy`). When the container ends, rl exits with its code.

use std::io::{Read, Write};
use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::config::Paths;
use crate::container::{self, attach};
use crate::error::{Error, Result};

/// Options of `rl attach`.
#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// Key sequence that detaches: comma-separated keys, each a character or ctrl-<value> with a
    /// letter or one of @ [ \ ] ^ _ ("" disables detaching)
    #[arg(long, value_name = "KEYS", default_value = attach::DEFAULT_DETACH_KEYS)]
    pub detach_keys: String,
    /// Do not pass standard input to the container (output only)
    #[arg(long)]
    pub no_stdin: bool,
    /// Pass signals received by rl to the container (without a pseudo-terminal)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub sig_proxy: bool,
}

/// The signals rl catches while attached (passed on with `--sig-proxy`).
const CAUGHT: &[Signal] = &[
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// How an attach ended.
enum End {
    /// The container ended (its code, if the monitor said).
    Exited(Option<i32>),
    /// The detach sequence.
    Detached,
    /// A signal not passed on: rl dies of it once its terminal is restored.
    Signal(Signal),
}

/// `rl attach CONTAINER`.
pub fn attach(a: &AttachArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let mut rec = super::run::find_container(&paths, &a.container)?;
    container::reconcile(&paths, &mut rec);
    let keys = attach::parse_detach_keys(&a.detach_keys).map_err(|e| {
        Error::Usage(format!(
            "attaching to container {}: {}",
            rec.id,
            e.one_line()
        ))
    })?;
    if !rec.is_running() {
        return Err(Error::Msg(
            "you can only attach to running containers".into(),
        ));
    }
    let sock = attach::connect(&paths, &rec.id).map_err(|e| {
        Error::Msg(format!(
            "container {} cannot be attached to (only containers run detached, under a monitor, can): {e}",
            rec.name
        ))
    })?;
    let mut dec = attach::Decoder::default();
    let flags = read_hello(&sock, &mut dec)?;
    let tty = flags & attach::HELLO_TTY != 0;
    let forward_stdin = flags & attach::HELLO_STDIN != 0 && !a.no_stdin;

    let mut caught = SigSet::empty();
    for s in CAUGHT {
        caught.add(*s);
    }
    if tty {
        caught.add(Signal::SIGWINCH);
    }
    let mut old = SigSet::empty();
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&caught), Some(&mut old))
        .map_err(|e| Error::Msg(format!("block signals: {}", e.desc())))?;
    let sfd = SignalFd::with_flags(&caught, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(|e| Error::Msg(format!("signalfd: {}", e.desc())))?;
    let raw = if tty && forward_stdin {
        RawMode::enter()?
    } else {
        None
    };
    let session = Session {
        sock: &sock,
        dec,
        tty,
        forward_stdin,
        sig_proxy: a.sig_proxy && !tty,
        detach: attach::DetachMatcher::new(keys),
    };
    let end = session.run(&sfd);
    drop(raw);
    let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    match end? {
        End::Detached => Ok(()),
        End::Signal(sig) => {
            drop(sock);
            let _ = nix::sys::signal::raise(sig);
            Err(Error::ContainerExit(128 + sig as i32))
        }
        End::Exited(code) => {
            drop(sock);
            let code = match code {
                Some(c) => c,
                None => recorded_exit(&paths, &rec.id),
            };
            match code {
                0 => Ok(()),
                c => Err(Error::ContainerExit(c)),
            }
        }
    }
}

/// The exit code the record holds once the container has ended (as `rl wait` reads it).
fn recorded_exit(paths: &Paths, id: &str) -> i32 {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < end
        && container::load(paths, id).is_ok_and(|f| f.is_running() && f.state != "restarting")
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    match container::load(paths, id) {
        Ok(mut r) => {
            container::reconcile(paths, &mut r);
            r.exit_code.unwrap_or(-1)
        }
        Err(_) => -1,
    }
}

/// Wait for the monitor's first frame: its flags.
fn read_hello(mut sock: &std::os::unix::net::UnixStream, dec: &mut attach::Decoder) -> Result<u8> {
    let mut buf = [0u8; 512];
    loop {
        match dec.next_frame()? {
            Some((attach::HELLO, p)) => return Ok(p.first().copied().unwrap_or(0)),
            Some(_) => return Err(Error::Msg("attach: unexpected first frame".into())),
            None => {}
        }
        match sock.read(&mut buf) {
            Ok(0) => {
                return Err(Error::Msg(
                    "attach: the container's monitor closed the connection".into(),
                ));
            }
            Ok(n) => dec.feed(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("attach: read", e)),
        }
    }
}

/// rl's terminal in raw mode until dropped.
struct RawMode(rustix::termios::Termios);

impl RawMode {
    fn enter() -> Result<Option<RawMode>> {
        let stdin = std::io::stdin();
        if !rustix::termios::isatty(&stdin) {
            return Ok(None);
        }
        let saved = rustix::termios::tcgetattr(&stdin)
            .map_err(|e| Error::Msg(format!("read terminal settings: {e}")))?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw)
            .map_err(|e| Error::Msg(format!("set the terminal to raw mode: {e}")))?;
        Ok(Some(RawMode(saved)))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.0,
        );
    }
}

/// One attached connection.
struct Session<'a> {
    sock: &'a std::os::unix::net::UnixStream,
    dec: attach::Decoder,
    tty: bool,
    forward_stdin: bool,
    sig_proxy: bool,
    detach: attach::DetachMatcher,
}

impl Session<'_> {
    fn send(&self, kind: u8, payload: &[u8]) -> Result<()> {
        let mut s = self.sock;
        s.write_all(&attach::frame(kind, payload))
            .map_err(|e| Error::io("attach: write", e))
    }

    fn resize(&self) -> Result<()> {
        let size = rustix::termios::tcgetwinsize(std::io::stdout())
            .or_else(|_| rustix::termios::tcgetwinsize(std::io::stdin()));
        match size {
            Ok(w) if w.ws_row > 0 && w.ws_col > 0 => {
                self.send(attach::RESIZE, &attach::resize_payload(w.ws_row, w.ws_col))
            }
            _ => Ok(()),
        }
    }

    /// Copy until the container ends, the user detaches or a signal ends rl.
    fn run(mut self, sfd: &SignalFd) -> Result<End> {
        if self.tty {
            self.resize()?;
        }
        let stdin = std::io::stdin();
        let mut stdin_open = self.forward_stdin;
        let mut code = None;
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let mut fds = vec![
                PollFd::new(sfd.as_fd(), PollFlags::POLLIN),
                PollFd::new(self.sock.as_fd(), PollFlags::POLLIN),
            ];
            if stdin_open {
                fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::Msg(format!("poll: {}", e.desc()))),
            }
            let ready: Vec<bool> = fds
                .iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            if ready[0] {
                while let Ok(Some(info)) = sfd.read_signal() {
                    let Ok(sig) = Signal::try_from(i32::try_from(info.ssi_signo).unwrap_or(0))
                    else {
                        continue;
                    };
                    if sig == Signal::SIGWINCH {
                        let _ = self.resize();
                    } else if self.sig_proxy {
                        let _ = self.send(attach::SIGNAL, &(sig as i32).to_be_bytes());
                    } else {
                        return Ok(End::Signal(sig));
                    }
                }
            }
            if ready[1] {
                let mut sock = self.sock;
                let n = match sock.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => 0,
                };
                if n == 0 {
                    return Ok(End::Exited(code));
                }
                self.dec.feed(&buf[..n]);
                while let Some((kind, p)) = self.dec.next_frame()? {
                    match kind {
                        attach::STDOUT => {
                            let mut out = std::io::stdout().lock();
                            let _ = out.write_all(&p).and_then(|()| out.flush());
                        }
                        attach::STDERR => {
                            let _ = std::io::stderr().write_all(&p);
                        }
                        attach::EXIT => code = attach::parse_i32(&p),
                        _ => {}
                    }
                }
            }
            if stdin_open && ready.get(2).copied().unwrap_or(false) {
                let n = match nix::unistd::read(stdin.as_fd(), &mut buf) {
                    Ok(n) => n,
                    Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => continue,
                    Err(_) => 0,
                };
                if n == 0 {
                    stdin_open = false;
                    // The monitor may have gone already: its end still comes as EOF.
                    let _ = self.send(attach::STDIN_EOF, &[]);
                    continue;
                }
                let (pass, detached) = self.detach.feed(&buf[..n]);
                if !pass.is_empty() {
                    let _ = self.send(attach::STDIN, &pass);
                }
                if detached {
                    return Ok(End::Detached);
                }
            }
        }
    }
}
