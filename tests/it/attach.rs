//! `rl attach`: output, input (`run -di`, `run -dit` through a pty), detach keys, exit codes,
//! and that clients coming and going leave the monitor and the container alone.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, container_record as state, rl_binary, wait_until};

fn small() -> &'static str {
    &pushed().small.reference
}

/// What a reader thread has collected so far.
#[derive(Clone, Default)]
struct Collected(Arc<Mutex<Vec<u8>>>);

impl Collected {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Read `r` to its end in a thread.
    fn from(mut r: impl Read + Send + 'static) -> Collected {
        let c = Collected::default();
        let sink = c.0.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        c
    }

    #[track_caller]
    fn wait_for(&self, needle: &str) {
        assert!(
            wait_until(Duration::from_secs(20), || self.text().contains(needle)),
            "no {needle:?} in {:?}",
            self.text()
        );
    }
}

/// Wait up to 20 s for `child` to end; its exit code.
fn wait_child(child: &mut Child) -> i32 {
    let mut code = None;
    assert!(
        wait_until(Duration::from_secs(20), || {
            code = child.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
            code.is_some()
        }),
        "rl attach did not end"
    );
    code.unwrap()
}

/// `rl attach ARGS` with its stdio on a new pty of 33 rows and 99 columns; the master.
fn attach_on_pty(env: &TestEnv, args: &[&str]) -> (Child, OwnedFd) {
    let size = nix::pty::Winsize {
        ws_row: 33,
        ws_col: 99,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&size), None).unwrap();
    let mut c = env.command(rl_binary());
    c.arg("attach").args(args);
    c.stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave));
    (c.spawn().unwrap(), pty.master)
}

#[test]
fn attach_follows_output_and_a_killed_client_changes_nothing() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "ticker",
        small(),
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo tick-$i; echo err-$i >&2; sleep 0.2; done",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(10), || {
        env.rl(&["logs", "ticker"]).stdout.contains("tick-2")
    }));
    let mut c = env.command(rl_binary());
    c.args(["attach", "ticker"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let out = Collected::from(child.stdout.take().unwrap());
    let err = Collected::from(child.stderr.take().unwrap());
    // What it prints comes from after the attach: a later tick than the log had.
    let logged = env.rl(&["logs", "ticker"]).stdout.lines().count();
    out.wait_for(&format!("tick-{}\n", logged + 3));
    err.wait_for(&format!("err-{}\n", logged + 3));
    assert!(!out.text().contains("err-"), "{}", out.text());
    assert!(!out.text().starts_with("tick-1\n"), "{}", out.text());

    // A client killed mid-stream: the monitor drops it, the container runs on and logs.
    child.kill().unwrap();
    child.wait().unwrap();
    let before = env.rl(&["logs", "ticker"]).stdout.lines().count();
    assert!(wait_until(Duration::from_secs(10), || {
        env.rl(&["logs", "ticker"]).stdout.lines().count() > before + 2
    }));
    assert_eq!(state(&env, "ticker")["state"], "running");
    // Another client (and two at once) still gets output.
    let spawn = || {
        let mut c = env.command(rl_binary());
        c.args(["attach", "--no-stdin", "ticker"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let out = Collected::from(child.stdout.take().unwrap());
        (child, out)
    };
    let (mut a, a_out) = spawn();
    let (mut b, b_out) = spawn();
    let now = env.rl(&["logs", "ticker"]).stdout.lines().count();
    a_out.wait_for(&format!("tick-{}\n", now + 2));
    b_out.wait_for(&format!("tick-{}\n", now + 2));
    // The container ends: both clients end with its code (143: SIGTERM, no handler in sh).
    env.rl(&["stop", "-t", "1", "ticker"]).success();
    let (ca, cb) = (wait_child(&mut a), wait_child(&mut b));
    let code = env.rl(&["wait", "ticker"]).success().out().to_string();
    assert_eq!(ca.to_string(), code);
    assert_eq!(cb.to_string(), code);
    assert!(
        !env.runtime
            .join("rl/attach")
            .read_dir()
            .unwrap()
            .any(|_| true),
        "the attach socket outlived its container"
    );
}

#[test]
fn attach_exits_with_the_containers_code() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "seven",
        small(),
        "sh",
        "-c",
        "sleep 1; echo done; exit 7",
    ])
    .success();
    env.rl(&["attach", "seven"]).status_is(7).stdout_has("done");
    // With --rm the record is gone: the code comes from the monitor.
    env.rl(&[
        "run",
        "-d",
        "--rm",
        "--name",
        "three",
        small(),
        "sh",
        "-c",
        "sleep 1; exit 3",
    ])
    .success();
    env.rl(&["attach", "three"]).status_is(3);
    // Without a log, attach still shows the output.
    env.rl(&[
        "run",
        "-d",
        "--log-driver",
        "none",
        "--name",
        "quiet",
        small(),
        "sh",
        "-c",
        "sleep 1; echo quiet-out",
    ])
    .success();
    env.rl(&["attach", "quiet"])
        .success()
        .stdout_has("quiet-out");
    // A restart keeps the client attached: it sees every run and ends after the last.
    env.rl(&[
        "run",
        "-d",
        "--restart",
        "on-failure:2",
        "--name",
        "again",
        small(),
        "sh",
        "-c",
        "sleep 1; echo run; exit 1",
    ])
    .success();
    let out = env.rl(&["attach", "again"]);
    out.status_is(1);
    assert_eq!(out.stdout.matches("run\n").count(), 3, "{out:?}");
}

#[test]
fn attach_needs_a_running_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["run", "-d", "--name", "gone", small(), "true"])
        .success();
    env.rl(&["wait", "gone"]).success();
    env.rl(&["attach", "gone"])
        .fails_with(125, "you can only attach to running containers");
    env.rl(&["create", "--name", "made", small(), "true"])
        .success();
    env.rl(&["attach", "made"])
        .fails_with(125, "you can only attach to running containers");
    env.rl(&["attach", "nothing"])
        .fails_with(125, "no container with name or ID \"nothing\" found");
    env.rl(&["run", "-d", "--name", "up", small(), "sleep", "30"])
        .success();
    env.rl(&["attach", "--detach-keys", "ctrl-1", "up"])
        .fails_with(125, "invalid detach keys: Unknown character: 'ctrl-1'");
    env.rl(&["rm", "-f", "up"]).success();
}

#[test]
fn stdin_reaches_an_interactive_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-di",
        "--name",
        "reader",
        small(),
        "sh",
        "-c",
        "read line; echo \"got $line\"; exit 4",
    ])
    .success();
    // Nothing attached yet: stdin stays open, the container waits.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state(&env, "reader")["state"], "running");
    env.rl_with(&["attach", "reader"], Some(b"hello\n"))
        .status_is(4)
        .stdout_has("got hello");
    // The client's EOF closes the container's stdin.
    env.rl(&[
        "run",
        "-di",
        "--name",
        "cat",
        small(),
        "sh",
        "-c",
        "cat; echo eof-seen",
    ])
    .success();
    let out = env.rl_with(&["attach", "cat"], Some(b"abc"));
    out.success();
    assert_eq!(out.stdout, "abceof-seen\n");
    // A container that stops reading while a client floods its stdin: the monitor drops the
    // input, the container runs on.
    env.rl(&[
        "run",
        "-di",
        "--name",
        "picky",
        small(),
        "sh",
        "-c",
        "head -c 3; echo ' got'; sleep 1; echo end",
    ])
    .success();
    let flood = vec![b'x'; 3 << 20];
    let out = env.rl_with(&["attach", "picky"], Some(&flood));
    out.success();
    assert_eq!(out.stdout, "xxx got\nend\n");
    // `rl create -i` + `rl start` too.
    env.rl(&[
        "create",
        "-i",
        "--name",
        "later",
        small(),
        "sh",
        "-c",
        "read x; echo \"later $x\"",
    ])
    .success();
    env.rl(&["start", "later"]).success();
    env.rl_with(&["attach", "later"], Some(b"on\n"))
        .success()
        .stdout_has("later on");
    // Without -i the container's stdin is /dev/null and attach only shows output.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "deaf",
        small(),
        "sh",
        "-c",
        "read x; echo \"read=$? x=$x\"; sleep 1; echo end",
    ])
    .success();
    env.rl_with(&["attach", "deaf"], Some(b"ignored\n"))
        .success()
        .stdout_has("end");
    assert!(env.rl(&["logs", "deaf"]).stdout.contains("read=1 x=\n"));
    // --no-stdin: input stays with rl, the container keeps waiting.
    env.rl(&["run", "-di", "--name", "wait-in", small(), "cat"])
        .success();
    let mut c = env.command(rl_binary());
    c.args(["attach", "--no-stdin", "wait-in"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let out = Collected::from(child.stdout.take().unwrap());
    child.stdin.take().unwrap().write_all(b"nope\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(out.text(), "");
    assert_eq!(state(&env, "wait-in")["state"], "running");
    child.kill().unwrap();
    child.wait().unwrap();
    env.rl(&["rm", "-f", "wait-in"]).success();
}

#[test]
fn tty_attach_runs_commands_and_detaches() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["run", "-dit", "--name", "shell", small(), "sh"])
        .success();
    let (mut child, master) = attach_on_pty(&env, &["shell"]);
    let mut w = std::fs::File::from(master.try_clone().unwrap());
    let out = Collected::from(std::fs::File::from(master));
    // The pty's size reaches the container (sent at the start).
    std::thread::sleep(Duration::from_millis(300));
    w.write_all(b"stty size; echo hi-$((6*7))\r").unwrap();
    out.wait_for("hi-42");
    out.wait_for("33 99");
    // ctrl-p ctrl-q: rl leaves, quietly and with 0; the shell runs on.
    w.write_all(&[0x10, 0x11]).unwrap();
    assert_eq!(wait_child(&mut child), 0, "{:?}", out.text());
    assert_eq!(state(&env, "shell")["state"], "running");

    // Custom keys: a partial sequence followed by other input goes to the container.
    let (mut child, master) = attach_on_pty(&env, &["--detach-keys", "a,b", "shell"]);
    let mut w = std::fs::File::from(master.try_clone().unwrap());
    let out = Collected::from(std::fs::File::from(master));
    std::thread::sleep(Duration::from_millis(300));
    w.write_all(b"echo x").unwrap();
    w.write_all(b"a").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    w.write_all(b"z-$((2+3))\r").unwrap();
    out.wait_for("xaz-5");
    // ctrl-p ctrl-q are now plain input; "ab" detaches.
    w.write_all(&[0x10, 0x11]).unwrap();
    w.write_all(b"ab").unwrap();
    assert_eq!(wait_child(&mut child), 0, "{:?}", out.text());
    assert_eq!(state(&env, "shell")["state"], "running");

    // Detaching disabled: exit ends the shell, and attach with its code.
    let (mut child, master) = attach_on_pty(&env, &["--detach-keys=", "shell"]);
    let mut w = std::fs::File::from(master.try_clone().unwrap());
    let _out = Collected::from(std::fs::File::from(master));
    std::thread::sleep(Duration::from_millis(300));
    w.write_all(&[0x10, 0x11]).unwrap();
    w.write_all(b"\rexit 6\r").unwrap();
    assert_eq!(wait_child(&mut child), 6);
    assert_eq!(state(&env, "shell")["state"], "exited");
}

#[test]
fn sig_proxy_passes_signals_on() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "trapper",
        small(),
        "sh",
        "-c",
        "trap 'echo got USR1' USR1; trap 'echo got INT; exit 9' INT; echo ready; while true; do sleep 0.05; done",
    ])
    .success();
    let mut c = env.command(rl_binary());
    c.args(["attach", "trapper"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let out = Collected::from(child.stdout.take().unwrap());
    std::thread::sleep(Duration::from_millis(500));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGUSR1).unwrap();
    out.wait_for("got USR1");
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    out.wait_for("got INT");
    assert_eq!(wait_child(&mut child), 9);

    // --sig-proxy=false: the signal is rl's own (it ends), the container runs on.
    env.rl(&["run", "-d", "--name", "calm", small(), "sleep", "30"])
        .success();
    let mut c = env.command(rl_binary());
    c.args(["attach", "--sig-proxy=false", "calm"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    wait_child(&mut child);
    assert_eq!(state(&env, "calm")["state"], "running");
    env.rl(&["rm", "-f", "calm"]).success();
}

#[test]
fn a_stalled_client_is_dropped_not_waited_for() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "loud",
        small(),
        "sh",
        "-c",
        "sleep 2; head -c 8000000 /dev/zero; echo finished",
    ])
    .success();
    let mut c = env.command(rl_binary());
    c.args(["attach", "loud"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut stalled = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(stalled.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    // The container writes megabytes the stopped client never reads, and still ends.
    assert_eq!(env.rl(&["wait", "loud"]).success().out(), "0");
    assert!(env.rl(&["logs", "loud"]).stdout.ends_with("finished\n"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
    // Dropped, it finds the container ended and reports its code.
    assert_eq!(wait_child(&mut stalled), 0);
}
