//! Detached containers and their lifecycle: the monitor, logs, stop, kill, wait, rm, events.

use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, container_record as state, wait_until};

fn small() -> &'static str {
    &pushed().small.reference
}

#[test]
fn detached_run_logs_stop_wait_rm() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let id = env
        .rl(&[
            "run",
            "-d",
            "--name",
            "web",
            small(),
            "sh",
            "-c",
            "echo out-line; echo err-line >&2; printf partial; trap 'echo bye; exit 3' TERM; trap 'exit 4' HUP; while true; do sleep 0.05; done",
        ])
        .success()
        .out()
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    assert!(wait_until(Duration::from_secs(5), || {
        env.rl(&["logs", "web"]).stdout.contains("partial")
    }));
    let logs = env.rl(&["logs", "web"]);
    assert_eq!(logs.success().stdout, "out-line\npartial");
    assert_eq!(logs.stderr, "err-line\n");
    // The two streams are read separately, so only each one's order is certain.
    let stamped = env.rl(&["logs", "-t", "--tail", "1", "web"]);
    let line = format!("{}{}", stamped.success().stdout, stamped.stderr);
    assert!(line.starts_with("20") && line.contains("Z "), "{line}");
    let rec = state(&env, "web");
    assert_eq!(rec["state"], "running");
    // inspect: docker/podman-shaped, templates over it, containers before images.
    let v = env.rl(&["inspect", "web"]).json();
    assert_eq!(v[0]["Id"], id.as_str());
    assert_eq!(v[0]["Name"], "web");
    assert_eq!(v[0]["State"]["Status"], "running");
    assert_eq!(v[0]["State"]["Running"], true);
    assert!(v[0]["State"]["Pid"].as_i64().unwrap() > 0);
    assert_eq!(v[0]["Config"]["Cmd"][0], "sh");
    assert_eq!(
        env.rl(&[
            "container",
            "inspect",
            "--format",
            "{{.State.Status}} {{.HostConfig.LogConfig.Type}}",
            "web"
        ])
        .success()
        .out(),
        "running k8s-file"
    );
    assert_eq!(
        env.rl(&["inspect", "--type", "image", "--format", "{{.Os}}", small()])
            .success()
            .out(),
        "linux"
    );
    env.rl(&["container", "inspect", small()])
        .fails_with(125, "no container");
    env.rl(&["inspect", "nothing"])
        .fails_with(125, "no such object");
    // ps: podman's columns and wording.
    let ps = env.rl(&["ps"]);
    let lines: Vec<&str> = ps.success().stdout.lines().collect();
    assert!(lines[0].starts_with("CONTAINER ID  IMAGE"), "{lines:?}");
    assert!(lines[0].ends_with("NAMES"), "{lines:?}");
    assert!(
        lines[1].starts_with(&id[..12]) && lines[1].contains(" Up ") && lines[1].ends_with("web"),
        "{lines:?}"
    );
    assert_eq!(env.rl(&["ps", "-q", "--no-trunc"]).success().out(), id);
    assert_eq!(
        env.rl(&["container", "ls", "--format", "{{.Names}} {{.State}}"])
            .success()
            .out(),
        "web running"
    );
    // Name in use, rm without -f of a running container: one-line errors, nothing changes.
    env.rl(&["run", "-d", "--name", "web", small(), "true"])
        .fails_with(125, "already in use");
    env.rl(&["rm", "web"]).fails_with(125, "is running");
    // stop: the stop signal (the trap answers it) and the exit code is recorded.
    assert_eq!(env.rl(&["stop", "web"]).success().out(), "web");
    assert_eq!(env.rl(&["wait", "web"]).success().out(), "3");
    let rec = state(&env, "web");
    assert_eq!(rec["state"], "exited");
    assert_eq!(rec["exitCode"], 3);
    assert!(env.rl(&["logs", "web"]).stdout.ends_with("bye\n"));
    env.rl(&["stop", "web"]).fails_with(125, "is not running");
    assert_eq!(env.rl(&["ps", "-q"]).success().out(), "");
    let ps = env.rl(&[
        "ps",
        "-a",
        "--filter",
        "status=exited",
        "--format",
        "{{.Status}}",
    ]);
    assert!(
        ps.success().out().starts_with("Exited (3) "),
        "{}",
        ps.stdout
    );
    let json = env.rl(&["ps", "-a", "--format", "json"]).json();
    assert_eq!(json[0]["Names"][0], "web");
    assert_eq!(json[0]["ExitCode"], 3);
    env.rl(&["kill", "web"]).fails_with(125, "is not running");
    // Started again, detached; then kill, then rm -f of a running one.
    env.rl(&["start", "web"]).success().stdout_has("web");
    assert_eq!(state(&env, "web")["state"], "running");
    // pid 1 gets only the signals it handles (the shell traps HUP).
    env.rl(&["kill", "-s", "HUP", "web"]).success();
    assert_eq!(env.rl(&["wait", "web"]).success().out(), "4");
    env.rl(&["start", "web"]).success();
    env.rl(&["rm", "-f", "web"]).success().stdout_has("web");
    assert!(!env.rl_data().join("containers").join(&id).exists());
    env.rl(&["logs", "web"])
        .fails_with(125, "no container with name or ID \"web\"");
    // The event log saw it all.
    let events = env.rl(&[
        "events",
        "--stream=false",
        "--filter",
        "container=web",
        "--format",
        "{{.Status}}",
    ]);
    let seen: Vec<&str> = events.success().stdout.lines().collect();
    for want in ["start", "died", "stop", "kill", "remove"] {
        assert!(seen.contains(&want), "missing {want} in {seen:?}");
    }
}

#[test]
fn detached_start_errors_and_rm_cleanup() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["run", "-d", small(), "no-such-command"])
        .fails_with(127, "not found");
    env.rl(&["run", "-d", "--rm", small(), "/etc/passwd"])
        .fails_with(126, "permission denied");
    // --rm: the monitor removes the container when it exits, however it exits.
    env.rl(&["run", "-d", "--rm", "--name", "brief", small(), "true"])
        .success();
    assert!(wait_until(Duration::from_secs(5), || {
        env.rl(&["wait", "brief"]).status == 125
    }));
    // A log that rotates keeps the newest lines.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "chatty",
        "--log-opt",
        "max-size=2k",
        small(),
        "sh",
        "-c",
        "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done",
    ])
    .success();
    assert_eq!(env.rl(&["wait", "chatty"]).success().out(), "0");
    let logs = env.rl(&["logs", "chatty"]);
    assert!(logs.success().stdout.ends_with("line-399\n"));
    assert!(
        !logs.stdout.contains("line-0\n"),
        "rotation kept everything"
    );
    env.rl(&[
        "run",
        "-d",
        "--log-driver",
        "none",
        "--name",
        "quiet",
        small(),
        "echo",
        "x",
    ])
    .success();
    env.rl(&["wait", "quiet"]).success();
    env.rl(&["logs", "quiet"])
        .fails_with(125, "none log driver");
    env.rl(&["run", "--log-driver", "syslog", small(), "true"])
        .fails_with(125, "invalid --log-driver");
    env.rl(&["rm", "chatty", "quiet"]).success();
    env.rl(&["rm", "nope"]).fails_with(125, "no container");
}

#[test]
fn a_killed_monitor_is_noticed() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["run", "-d", "--name", "orphan", small(), "sleep", "1000"])
        .success();
    let rec = state(&env, "orphan");
    let monitor = rec["monitorPid"].as_i64().unwrap();
    let pid = rec["pid"].as_i64().unwrap();
    // The monitor runs as the test user; killing it is what an OOM killer or a reboot does.
    env.command("kill")
        .args(["-9", &monitor.to_string()])
        .status()
        .unwrap();
    assert!(wait_until(Duration::from_secs(5), || {
        !std::path::Path::new(&format!("/proc/{monitor}")).exists()
            || std::fs::read_to_string(format!("/proc/{monitor}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
    }));
    assert_eq!(env.rl(&["wait", "orphan"]).success().out(), "-1");
    let rec = state(&env, "orphan");
    assert_eq!(rec["state"], "exited");
    assert!(rec["error"].as_str().unwrap().contains("without recording"));
    // The container's process does not outlive the record.
    assert!(wait_until(Duration::from_secs(5), || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }));
    env.rl(&["rm", "orphan"]).success();
}

#[test]
fn exec_joins_the_container_with_its_security_context() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "box",
        "-e",
        "FROM_RUN=1",
        small(),
        "sleep",
        "1000",
    ])
    .success();
    let out = env.rl(&[
        "exec",
        "box",
        "sh",
        "-c",
        "echo $FROM_RUN; id -u; grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status; ls /proc | grep -c '^[0-9]'; hostname; exit 7",
    ]);
    out.status_is(7);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "1");
    assert_eq!(lines[1], "0");
    // The container's capabilities (podman's default set) and its seccomp filter.
    assert_eq!(lines[2], "CapEff:\t00000000800405fb");
    assert_eq!(lines[3], "NoNewPrivs:\t0");
    assert_eq!(lines[4], "Seccomp:\t2");
    // Its pid namespace: sleep, sh, ls and grep only.
    assert_eq!(lines[5], "4");
    let host = env.rl(&["run", "--rm", "--name", "other", small(), "hostname"]);
    assert_ne!(lines[6], host.success().out());
    // -u, -w, -e, -i, and the command's exit codes.
    assert_eq!(
        env.rl(&[
            "exec",
            "-u",
            "user",
            "-w",
            "/tmp",
            "-e",
            "X=y",
            "box",
            "sh",
            "-c",
            "id -un; pwd; echo $X"
        ])
        .success()
        .stdout,
        "user\n/tmp\ny\n"
    );
    let piped = env.rl_with(&["exec", "-i", "box", "cat"], Some(b"through stdin\n"));
    assert_eq!(piped.success().stdout, "through stdin\n");
    env.rl(&["exec", "box", "no-such-command"])
        .fails_with(127, "not found");
    env.rl(&["exec", "box", "/etc/passwd"])
        .fails_with(126, "permission denied");
    env.rl(&[
        "exec",
        "--privileged",
        "box",
        "grep",
        "CapEff",
        "/proc/self/status",
    ])
    .success()
    .stdout_has("000001ffffffffff");
    env.rl(&["exec", "-d", "box", "sh", "-c", "echo detached > /tmp/mark"])
        .success();
    assert!(wait_until(Duration::from_secs(5), || {
        env.rl(&["exec", "box", "cat", "/tmp/mark"]).stdout == "detached\n"
    }));
    env.rl(&["stop", "-t", "0", "box"]).success();
    env.rl(&["exec", "box", "true"])
        .fails_with(125, "is not running");
    env.rl(&["exec", "nothing-here", "true"])
        .fails_with(125, "no container");
    env.rl(&["rm", "box"]).success();
}

#[test]
fn rename_restart_and_prune() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "a",
        small(),
        "sh",
        "-c",
        "trap 'exit 0' TERM; echo started; while true; do sleep 0.05; done",
    ])
    .success();
    env.rl(&["create", "--name", "b", small(), "true"])
        .success();
    env.rl(&["rename", "a", "b"])
        .fails_with(125, "already in use");
    env.rl(&["rename", "a", "bad/name"])
        .fails_with(125, "invalid container name");
    env.rl(&["rename", "a", "renamed"]).success();
    assert_eq!(
        env.rl(&["ps", "--format", "{{.Names}}"]).success().out(),
        "renamed"
    );
    let started_at = state(&env, "renamed")["startedAt"].as_i64().unwrap();
    env.rl(&["restart", "-t", "5", "renamed"])
        .success()
        .stdout_has("renamed");
    let rec = state(&env, "renamed");
    assert_eq!(rec["state"], "running");
    assert!(rec["startedAt"].as_i64().unwrap() > started_at);
    assert!(wait_until(Duration::from_secs(5), || {
        env.rl(&["logs", "renamed"]).stdout == "started\nstarted\n"
    }));
    // prune takes the ones that are not running, and only those.
    env.rl(&["run", "--name", "done", small(), "true"])
        .success();
    let pruned = env.rl(&["container", "prune", "-f"]);
    let mut gone: Vec<&str> = pruned.success().stdout.lines().collect();
    gone.sort();
    assert_eq!(gone.len(), 2, "{gone:?}");
    let left = env.rl(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(left.success().out(), "renamed");
    env.rl(&["rm", "-f", "renamed"]).success();
}

#[test]
fn restart_policies() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["run", "-d", "--restart", "sometimes", small(), "true"])
        .fails_with(125, "invalid --restart");
    env.rl(&["run", "-d", "--rm", "--restart", "always", small(), "true"])
        .fails_with(125, "cannot be combined");
    // on-failure:2: the first run and two restarts, then it stays down.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "flaky",
        "--restart",
        "on-failure:2",
        small(),
        "sh",
        "-c",
        "echo run; exit 3",
    ])
    .success();
    assert!(
        wait_until(Duration::from_secs(10), || {
            let r = state(&env, "flaky");
            r["state"] == "exited" && r["restartCount"] == 2
        }),
        "{}",
        state(&env, "flaky")
    );
    assert_eq!(
        env.rl(&["logs", "flaky"]).success().stdout,
        "run\nrun\nrun\n"
    );
    assert_eq!(
        env.rl(&[
            "inspect",
            "--format",
            "{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}} {{.State.ExitCode}}",
            "flaky"
        ])
        .success()
        .out(),
        "2 on-failure 3"
    );
    // always: it comes back after exiting 0, until rl stop, which it does not undo.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "loop",
        "--restart",
        "always",
        small(),
        "sh",
        "-c",
        "sleep 0.2",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(10), || {
        state(&env, "loop")["restartCount"].as_u64().unwrap_or(0) >= 2
    }));
    env.rl(&["stop", "-t", "1", "loop"]).success();
    std::thread::sleep(Duration::from_millis(800));
    let r = state(&env, "loop");
    assert_eq!(r["state"], "exited", "{r}");
    // What a user unit runs at boot brings back the containers that should run.
    env.rl(&["start", "--all", "--filter", "restart-policy=always"])
        .success()
        .stdout_has(r["id"].as_str().unwrap());
    assert!(
        state(&env, "loop")["state"] == "running" || state(&env, "loop")["state"] == "restarting"
    );
    assert_eq!(state(&env, "flaky")["state"], "exited");
    env.rl(&["rm", "-f", "loop", "flaky"]).success();
}

#[test]
fn concurrent_lifecycles_leave_consistent_records() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    // 20 processes race for one name: exactly one gets it.
    let winners: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    env.rl(&["create", "--name", "race", small(), "true"])
                        .status
                        == 0
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    });
    assert_eq!(winners, 1);
    // 20 workers each create, start, stop and remove containers, 5 times over (100 lifecycles).
    std::thread::scope(|s| {
        for w in 0..20 {
            let env = &env;
            s.spawn(move || {
                for i in 0..5 {
                    let name = format!("w{w}-{i}");
                    env.rl(&["create", "--name", &name, small(), "sleep", "100"])
                        .success();
                    env.rl(&["start", &name]).success();
                    env.rl(&["stop", "-t", "0", &name]).success();
                    env.rl(&["rm", &name]).success();
                }
            });
        }
    });
    // Nothing lost, duplicated or corrupted: only the race winner is left, and it reads back.
    let all = env.rl(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    assert_eq!(all.success().out(), "race created");
    let dirs = crate::support::container_dirs(&env);
    assert_eq!(dirs.len(), 1);
    env.rl(&["rm", "race"]).success();
}

#[test]
fn image_changes_are_events_too() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["tag", small(), "localhost/copy:1"]).success();
    env.rl(&["rmi", "localhost/copy:1"]).success();
    let out = env.rl(&[
        "events",
        "--stream=false",
        "--filter",
        "type=image",
        "--format",
        "{{.Status}} {{.Name}}",
    ]);
    let lines: Vec<&str> = out.success().stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("pull "), "{lines:?}");
    assert_eq!(lines[1], "tag localhost/copy:1");
    assert_eq!(lines[2], "remove localhost/copy:1");
}

#[test]
fn health_checks_without_systemd() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    // Healthy while /tmp/ok exists; the monitor checks every 200 ms.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "doc",
        "--health-cmd",
        "test -e /tmp/ok",
        "--health-interval",
        "200ms",
        "--health-retries",
        "2",
        small(),
        "sh",
        "-c",
        "touch /tmp/ok; while true; do sleep 0.05; done",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(10), || {
        env.rl(&["ps", "--format", "{{.Status}}"])
            .stdout
            .contains("(healthy)")
    }));
    assert_eq!(
        env.rl(&["ps", "--filter", "health=healthy", "--format", "{{.Names}}"])
            .success()
            .out(),
        "doc"
    );
    assert_eq!(
        env.rl(&["healthcheck", "run", "doc"]).success().out(),
        "healthy"
    );
    env.rl(&["exec", "doc", "rm", "/tmp/ok"]).success();
    assert!(wait_until(Duration::from_secs(10), || {
        env.rl(&["inspect", "--format", "{{.State.Health.Status}}", "doc"])
            .stdout
            == "unhealthy\n"
    }));
    let out = env.rl(&["healthcheck", "run", "doc"]);
    out.status_is(1);
    assert_eq!(out.out(), "unhealthy");
    let v = env.rl(&["inspect", "doc"]).json();
    assert!(v[0]["State"]["Health"]["FailingStreak"].as_u64().unwrap() >= 2);
    assert_eq!(
        v[0]["State"]["Health"]["Log"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["ExitCode"],
        1
    );
    env.rl(&["rm", "-f", "doc"]).success();
    // --health-on-failure=kill: an unhealthy container is killed by its monitor.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "sick",
        "--health-cmd",
        "false",
        "--health-interval",
        "100ms",
        "--health-retries",
        "1",
        "--health-on-failure",
        "kill",
        small(),
        "sleep",
        "1000",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(10), || state(&env, "sick")
        ["state"]
        == "exited"));
    assert_eq!(state(&env, "sick")["exitCode"], 137);
    env.rl(&["healthcheck", "run", "sick"])
        .fails_with(125, "is not running");
    env.rl(&[
        "run",
        "--health-interval",
        "soon",
        "--health-cmd",
        "true",
        small(),
        "true",
    ])
    .fails_with(125, "invalid --health-interval");
    env.rl(&["create", "--name", "plain", small(), "true"])
        .success();
    env.rl(&["healthcheck", "run", "plain"])
        .fails_with(125, "has no health check");
    env.rl(&["rm", "sick", "plain"]).success();
}

#[test]
fn system_df_and_prune() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "--name",
        "done",
        "-v",
        "keep:/data",
        small(),
        "sh",
        "-c",
        "echo x > /data/f; echo y > /f",
    ])
    .success();
    env.rl(&["run", "-d", "--name", "up", small(), "sleep", "1000"])
        .success();
    env.rl(&["run", "--rm", "-v", "loose:/data", small(), "true"])
        .success();
    let df = env.rl(&["system", "df"]);
    let lines: Vec<&str> = df.success().stdout.lines().collect();
    assert!(
        lines[0].starts_with("TYPE") && lines[0].contains("RECLAIMABLE"),
        "{lines:?}"
    );
    let v = env.rl(&["system", "df", "--format", "json"]).json();
    assert_eq!(
        (
            v[0]["Type"].as_str(),
            v[0]["Total"].as_u64(),
            v[0]["Active"].as_u64()
        ),
        (Some("Images"), Some(1), Some(1))
    );
    assert_eq!(
        (v[1]["Total"].as_u64(), v[1]["Active"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(v[1]["RawSize"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(
        (v[2]["Total"].as_u64(), v[2]["Active"].as_u64()),
        (Some(2), Some(1))
    );
    // prune: the stopped container, then unused volumes; the running one and its image stay.
    env.rl(&["system", "prune", "-f", "--volumes"]).success();
    assert_eq!(
        env.rl(&["ps", "-a", "--format", "{{.Names}}"])
            .success()
            .out(),
        "up"
    );
    let vols: Vec<String> = std::fs::read_dir(env.rl_data().join("volumes"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(vols.is_empty(), "{vols:?}");
    assert_eq!(env.rl(&["images", "-q"]).success().out().lines().count(), 1);
    env.rl(&["rm", "-f", "up"]).success();
    env.rl(&["system", "prune", "-f", "-a"]).success();
    assert_eq!(env.rl(&["images", "-q"]).success().out(), "");
}

#[test]
fn restart_policies_in_a_nested_user_namespace() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "nested",
        "--userns=keep-id",
        "--restart",
        "on-failure:2",
        small(),
        "sh",
        "-c",
        "id -u; exit 1",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(10), || {
        state(&env, "nested")["state"] == "exited"
    }));
    let rec = state(&env, "nested");
    assert_eq!(rec["restartCount"], 2, "{rec}");
    assert_eq!(rec["exitCode"], 1, "{rec}");
    let logs = env.rl(&["logs", "nested"]);
    let uid = env.user.uid.to_string();
    assert_eq!(logs.success().stdout, format!("{uid}\n{uid}\n{uid}\n"));
    // `always` keeps it running until it is stopped; the stop is not undone.
    env.rl(&[
        "run",
        "-d",
        "--name",
        "always",
        "--userns=keep-id",
        "--restart",
        "always",
        small(),
        "sh",
        "-c",
        "sleep 0.2; exit 3",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(10), || {
        state(&env, "always")["restartCount"].as_u64().unwrap_or(0) >= 2
    }));
    env.rl(&["stop", "-t", "0", "always"]).success();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(state(&env, "always")["state"], "exited");
    env.rl(&["rm", "-f", "nested", "always"]).success();
}
