//! `-t`: a pseudo-terminal for the container. The parent allocates it (its window size copied
//! from rl's own terminal), the container's first process makes the slave its controlling
//! terminal and stdio, and the parent relays bytes between its own stdio and the master, with its
//! terminal in raw mode for `-i`, and passes window size changes on (SIGWINCH).
//!
//! The relay is a poll loop in rl's own thread: after unsharing a pid namespace a process can
//! no longer create threads.

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};

use crate::error::{Error, Result};

/// An allocated pseudo-terminal.
#[derive(Debug)]
pub struct Console {
    /// rl's side.
    pub master: OwnedFd,
    /// The container's side.
    pub slave: OwnedFd,
}

impl Console {
    /// Allocate a pty sized like rl's terminal (if it has one).
    pub fn new() -> Result<Console> {
        let size = rustix::termios::tcgetwinsize(std::io::stdout())
            .or_else(|_| rustix::termios::tcgetwinsize(std::io::stdin()))
            .ok()
            .map(|w| nix::pty::Winsize {
                ws_row: w.ws_row,
                ws_col: w.ws_col,
                ws_xpixel: w.ws_xpixel,
                ws_ypixel: w.ws_ypixel,
            });
        let pty = nix::pty::openpty(size.as_ref(), None)
            .map_err(|e| Error::Msg(format!("allocate a pseudo-terminal: {}", e.desc())))?;
        Ok(Console {
            master: pty.master,
            slave: pty.slave,
        })
    }
}

/// The container's side, in the child: the slave becomes stdin, stdout, stderr and the
/// controlling terminal of the new session.
pub fn attach_slave(slave: &OwnedFd) -> std::io::Result<()> {
    nix::unistd::dup2_stdin(slave)?;
    nix::unistd::dup2_stdout(slave)?;
    nix::unistd::dup2_stderr(slave)?;
    super::sys::set_controlling_tty(0)
}

/// The parent's relay, driven by [`super::run`]'s poll loop (no threads: a process that has
/// unshared a pid namespace cannot create them).
#[derive(Debug)]
pub struct Relay {
    master: OwnedFd,
    interactive: bool,
    stdin_open: bool,
    saved: Option<rustix::termios::Termios>,
}

impl Relay {
    /// Take over the master: raw mode on rl's terminal for `-i`.
    pub fn start(master: OwnedFd, interactive: bool) -> Result<Relay> {
        let stdin = std::io::stdin();
        let saved = if interactive && rustix::termios::isatty(&stdin) {
            let t = rustix::termios::tcgetattr(&stdin)
                .map_err(|e| Error::Msg(format!("read terminal settings: {e}")))?;
            let mut raw = t.clone();
            raw.make_raw();
            rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw)
                .map_err(|e| Error::Msg(format!("set the terminal to raw mode: {e}")))?;
            Some(t)
        } else {
            None
        };
        rustix::io::ioctl_fionbio(&master, true)
            .map_err(|e| Error::Msg(format!("make the pty master non-blocking: {e}")))?;
        Ok(Relay {
            master,
            interactive,
            stdin_open: interactive,
            saved,
        })
    }

    /// The master, for poll.
    pub fn master(&self) -> &OwnedFd {
        &self.master
    }

    /// Whether stdin should still be polled.
    pub fn wants_stdin(&self) -> bool {
        self.interactive && self.stdin_open
    }

    /// Copy what the container wrote to rl's stdout; false once its side is closed.
    pub fn pump_output(&self) -> bool {
        let mut buf = [0u8; 16 * 1024];
        let mut out = std::io::stdout();
        loop {
            match rustix::io::read(&self.master, &mut buf) {
                Ok(0) => return false,
                Ok(n) => {
                    if out.write_all(&buf[..n]).and_then(|()| out.flush()).is_err() {
                        return false;
                    }
                }
                Err(rustix::io::Errno::AGAIN) => return true,
                Err(rustix::io::Errno::INTR) => {}
                // EIO: every slave descriptor is closed.
                Err(_) => return false,
            }
        }
    }

    /// Copy what rl's stdin has to the container.
    pub fn pump_input(&mut self) {
        let mut buf = [0u8; 4096];
        match std::io::stdin().read(&mut buf) {
            Ok(0) | Err(_) => self.stdin_open = false,
            Ok(n) => {
                let mut left = &buf[..n];
                while !left.is_empty() {
                    match rustix::io::write(&self.master, left) {
                        Ok(k) => left = &left[k..],
                        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        Err(_) => {
                            self.stdin_open = false;
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Copy rl's terminal size to the container's (on SIGWINCH).
    pub fn resize(&self) {
        if let Ok(w) = rustix::termios::tcgetwinsize(std::io::stdout()) {
            let _ = rustix::termios::tcsetwinsize(self.master.as_fd(), w);
        }
    }

    /// Restore rl's terminal.
    pub fn finish(mut self) {
        self.restore();
    }

    fn restore(&mut self) {
        if let Some(t) = self.saved.take() {
            let _ = rustix::termios::tcsetattr(
                std::io::stdin(),
                rustix::termios::OptionalActions::Now,
                &t,
            );
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.restore();
    }
}
