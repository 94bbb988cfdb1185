//! `--init`: rl's own tiny init as the container's pid 1 (the role catatonit and tini play).
//!
//! Without it the container's command is pid 1 of its pid namespace, which means two things
//! most programs are not written for: the kernel delivers it no signal it has no handler for
//! (so SIGTERM from `rl stop` or Ctrl-C may do nothing), and orphaned processes are reparented
//! to it and stay zombies unless it reaps them. With `--init`, pid 1 is the process that set the
//! container up: after the ids, capabilities, no_new_privs and seccomp filter are in place (so
//! it runs with exactly the container's security context and no more), it forks. The child goes
//! on to exec the command; pid 1 closes every descriptor it holds, then
//! - forwards every signal it receives to the command (which has a handler-less default again),
//! - reaps every child that exits, and
//! - exits with the command's status (128+N when a signal N ended it) once the command is gone,
//!   which ends the pid namespace and so every process left in it.
//!
//! The command runs in a process group of its own that owns the terminal, so keyboard signals
//! reach it once (not a second time through the forwarding).
//!
//! No exec is needed for pid 1: it is a fork of rl already in memory, so `--init` works in images
//! without any init binary and costs one fork.

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::SetupError;

/// Split into the reaper (pid 1, never returns) and the command's process, which returns here
/// with its signal mask as it was and goes on to exec.
pub fn split() -> Result<(), SetupError> {
    let all = SigSet::all();
    let mut old = SigSet::empty();
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&all), Some(&mut old))
        .map_err(|e| SetupError::rl(format!("init: block signals: {}", e.desc())))?;
    let forked = super::sys::fork_continue()
        .map_err(|e| SetupError::rl(format!("init: fork the command: {e}")))?;
    match forked {
        None => {
            // The command: a process group of its own, in the terminal's foreground (signals are
            // still blocked, so tcsetpgrp from the background raises no SIGTTOU).
            let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
            let stdin = std::io::stdin();
            if nix::unistd::isatty(&stdin).unwrap_or(false) {
                let _ = nix::unistd::tcsetpgrp(&stdin, nix::unistd::getpid());
            }
            nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None)
                .map_err(|e| SetupError::rl(format!("init: restore signals: {}", e.desc())))?;
            Ok(())
        }
        Some(child) => {
            let _ = nix::sys::prctl::set_name(c"rl-init");
            super::sys::close_from_and_run(0, || reap(child, &all))
        }
    }
}

/// pid 1's loop: forward signals to `child`, reap everything; the child's status at the end.
fn reap(child: Pid, set: &SigSet) -> i32 {
    loop {
        // Reap first: SIGCHLD may have come before this loop started.
        let mut status = None;
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => status = Some(code),
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == child => {
                    status = Some(128 + sig as i32);
                }
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => {}
            }
        }
        if let Some(code) = status {
            return code;
        }
        match set.wait() {
            Ok(Signal::SIGCHLD) | Err(_) => {}
            Ok(sig) => {
                let _ = nix::sys::signal::kill(child, sig);
            }
        }
    }
}
