//! `rl healthcheck run`: one health check of a running container (the monitor runs it on the
//! container's schedule; users and scripts may run it by hand).

use std::io::Read;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use crate::config::Paths;
use crate::container::{self, health};
use crate::error::{Error, Result};
use crate::specgen::ExecOptions;

/// Manage health checks
#[derive(Debug, clap::Subcommand)]
pub enum HealthcheckCommand {
    /// Run a container's health check once (exit 0: it passed, 1: it failed)
    Run(HealthcheckRunArgs),
}

/// Options of `rl healthcheck run`.
#[derive(Debug, clap::Args)]
pub struct HealthcheckRunArgs {
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

/// `rl healthcheck ...`.
pub fn run(c: &HealthcheckCommand) -> Result<()> {
    let HealthcheckCommand::Run(a) = c;
    let paths = Paths::from_env()?;
    let rec = super::run::find_container(&paths, &a.container)?;
    let cfg = rec
        .health
        .clone()
        .ok_or_else(|| Error::Msg(format!("container {} has no health check", rec.name)))?;
    let target = super::exec::Running::load(&paths, &rec, "its health cannot be checked")?;
    let start = crate::format::time::now_nanos();
    let (code, output) = check(&target, &cfg)?;
    let end = crate::format::time::now_nanos();
    let dir = container::dir(&paths, &rec.id);
    let in_start = rec.started_at.is_some_and(|s| start - s < cfg.start_period);
    let state = {
        let _lock = container::lock(&paths, &rec.id)?;
        let before = health::load(&dir);
        let after = health::apply(
            before.clone(),
            &cfg,
            in_start,
            health::HealthLog {
                start: crate::format::time::rfc3339_nanos(start),
                end: crate::format::time::rfc3339_nanos(end),
                exit_code: code,
                output,
            },
        );
        health::save(&dir, &after)?;
        if after.status != before.status {
            crate::events::record(
                &paths,
                &crate::container::event(&rec, "health_status")
                    .attr("health_status", after.status.clone()),
            );
        }
        after
    };
    super::print_stdout(&format!("{}\n", state.status))?;
    if code == 0 {
        Ok(())
    } else {
        Err(Error::ContainerExit(1))
    }
}

/// Run the check's command in the container; its exit code (-1 past the timeout) and output.
fn check(target: &super::exec::Running, cfg: &health::HealthConfig) -> Result<(i32, String)> {
    let opts = ExecOptions {
        command: cfg.test.clone(),
        ..ExecOptions::default()
    };
    let process = target.process(&opts, &|_| None)?;
    // The check's stdout and stderr go to a pipe read here (rl's own are kept aside).
    let (r, w) = crate::runtime::pipe()?;
    let keep_out = nix::unistd::dup(std::io::stdout().as_fd())
        .map_err(|e| Error::Msg(format!("dup: {}", e.desc())))?;
    let keep_err = nix::unistd::dup(std::io::stderr().as_fd())
        .map_err(|e| Error::Msg(format!("dup: {}", e.desc())))?;
    let null = std::fs::File::open("/dev/null").map_err(|e| Error::io("open /dev/null", e))?;
    let redirect = |out: &dyn AsFd, err: &dyn AsFd| {
        let _ = nix::unistd::dup2_stdout(out.as_fd());
        let _ = nix::unistd::dup2_stderr(err.as_fd());
    };
    let _ = nix::unistd::dup2_stdin(&null);
    redirect(&w, &w);
    let started = crate::runtime::exec_in(
        &target.spec,
        process,
        target.seccomp.as_deref(),
        target.pid,
        false,
        None,
    );
    redirect(&keep_out, &keep_err);
    drop(w);
    let running = match started {
        Ok(r) => r,
        // The command could not even start (126/127): a failed check, not an rl error.
        Err(e) => return Ok((e.exit_code(), e.one_line())),
    };
    let deadline = Instant::now() + Duration::from_nanos(u64::try_from(cfg.timeout).unwrap_or(0));
    let mut output = Vec::new();
    let mut pipe = std::fs::File::from(r);
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            timed_out = true;
            break;
        }
        let mut fds = [nix::poll::PollFd::new(
            pipe.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        let ms = u16::try_from(left.as_millis().min(1000)).unwrap_or(1000);
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
            Ok(_) => {}
        }
        let mut buf = [0u8; 4096];
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                output.extend_from_slice(&buf[..n]);
                let extra = output.len().saturating_sub(4096);
                output.drain(..extra);
            }
        }
    }
    if timed_out {
        let _ = nix::sys::signal::kill(running.pid, nix::sys::signal::Signal::SIGKILL);
    }
    let code = loop {
        match nix::sys::wait::waitpid(running.pid, None) {
            Ok(nix::sys::wait::WaitStatus::Exited(_, c)) => break c,
            Ok(nix::sys::wait::WaitStatus::Signaled(_, s, _)) => break 128 + s as i32,
            Err(nix::errno::Errno::EINTR) | Ok(_) => {}
            Err(_) => break -1,
        }
    };
    running.restore_signals();
    let mut text = String::from_utf8_lossy(&output).into_owned();
    if timed_out {
        text = format!(
            "Health check exceeded timeout ({}s)",
            cfg.timeout / 1_000_000_000
        );
        return Ok((-1, text));
    }
    if text.ends_with('\n') {
        text.pop();
    }
    Ok((code, text))
}
