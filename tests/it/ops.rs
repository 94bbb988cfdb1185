//! pause/unpause, top, port, diff, stats: the commands that look at a running container's
//! processes (from /proc) and its changes (its upper directory).

use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, container_record as state, wait_until};

fn small() -> &'static str {
    &pushed().small.reference
}

/// Start a detached container that keeps forking short-lived children.
fn start_box(env: &TestEnv, name: &str) -> i32 {
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        name,
        small(),
        "sh",
        "-c",
        "while true; do sleep 0.05; done",
    ])
    .success();
    let pid = state(env, name)["pid"].as_i64().unwrap();
    i32::try_from(pid).unwrap()
}

/// The host pids in the pid namespace of `pid` (the tests run as root: every link is readable).
fn members(pid: i32) -> Vec<i32> {
    let ns = std::fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|n| {
            std::fs::read_link(format!("/proc/{n}/ns/pid"))
                .ok()
                .as_ref()
                == Some(&ns)
        })
        .collect()
}

/// The state letter of a process (`R`, `S`, `T`, ...).
fn proc_state(pid: i32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(") ")
        .map(|(_, rest)| rest[..1].to_string())
        .unwrap_or_default()
}

#[test]
fn pause_unpause_stop_and_resume_every_process() {
    let env = TestEnv::new();
    let pid = start_box(&env, "box");
    env.rl(&["unpause", "box"])
        .fails_with(125, "container box is not paused");
    assert_eq!(env.rl(&["pause", "box"]).success().out(), "box");
    assert_eq!(state(&env, "box")["state"], "paused");
    let procs = members(pid);
    assert!(!procs.is_empty());
    for p in &procs {
        let s = proc_state(*p);
        assert!(s == "T" || s.is_empty(), "process {p} is in state {s}");
    }
    // Stopped: no new children appear while paused.
    std::thread::sleep(Duration::from_millis(200));
    let mut later = members(pid);
    later.sort_unstable();
    let mut before = procs.clone();
    before.sort_unstable();
    assert_eq!(before, later);
    env.rl(&["pause", "box"])
        .fails_with(125, "container box is already paused");
    assert_eq!(state(&env, "box")["state"], "paused");
    env.rl(&["ps", "--format", "{{.State}}"])
        .success()
        .stdout_has("paused");
    assert_eq!(
        env.rl(&["container", "unpause", "box"]).success().out(),
        "box"
    );
    assert_eq!(state(&env, "box")["state"], "running");
    assert_ne!(proc_state(pid), "T");
    // Running again: the loop forks new sleeps.
    assert!(wait_until(Duration::from_secs(5), || {
        members(pid).iter().any(|p| !procs.contains(p))
    }));
    let events = env.rl(&["events", "--stream=false", "--format", "{{.Status}}"]);
    let events = events.success().out();
    assert!(
        events.contains("pause") && events.contains("unpause"),
        "{events}"
    );
    env.rl(&["rm", "-f", "box"]).success();
    env.rl(&["pause", "box"]).fails_with(125, "no container");
}

#[test]
fn pause_needs_a_running_container_and_port_lists_nothing() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["create", "--name", "idle", small(), "true"])
        .success();
    env.rl(&["pause", "idle"])
        .fails_with(125, "container idle is not running");
    env.rl(&["unpause", "idle"])
        .fails_with(125, "container idle is not paused");
    assert_eq!(state(&env, "idle")["state"], "created");
    assert_eq!(env.rl(&["port", "idle"]).success().stdout, "");
    env.rl(&["port", "idle", "80"])
        .fails_with(125, "failed to find published port \"80/tcp\"");
    env.rl(&["port", "nothing"]).fails_with(125, "no container");
    env.rl(&["rm", "-f", "idle"]).success();
}

#[test]
fn top_shows_the_container_side_processes() {
    let env = TestEnv::new();
    start_box(&env, "box");
    let out = env.rl(&["top", "box"]);
    let lines: Vec<&str> = out.success().stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"
        ]
    );
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(first[0], "root", "{lines:?}");
    assert_eq!(&first[1..3], ["1", "0"], "{lines:?}");
    assert_eq!(first[5], "?", "{lines:?}");
    assert_eq!(
        first[7..],
        ["sh", "-c", "while", "true;", "do", "sleep", "0.05;", "done"]
    );
    // ps options are accepted.
    env.rl(&["container", "top", "box", "-ef"])
        .success()
        .stdout_has("sh -c");
    // podman's descriptors: the container's pid 1 is the user's own uid on the host.
    let out = env
        .rl(&["top", "box", "pid,huser,comm", "seccomp", "capeff"])
        .success()
        .out()
        .to_string();
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["PID", "HUSER", "COMMAND", "SECCOMP", "EFFECTIVE", "CAPS"]
    );
    assert_eq!(
        rows[1][..4],
        ["1", &env.user.uid.to_string(), "sh", "filter"],
        "{out}"
    );
    assert!(
        rows[1][4].len() == 16 && rows[1][4] != "0000000000000000",
        "{out}"
    );
    env.rl(&["top", "box", "-eo", "pid,nosuch"])
        .fails_with(125, "nosuch");
    env.rl(&["rm", "-f", "box"]).success();
    env.rl(&["top", "box"]).fails_with(125, "no container");
}

#[test]
fn diff_lists_added_changed_and_deleted_paths() {
    let env = TestEnv::new();
    start_box(&env, "box");
    assert_eq!(env.rl(&["diff", "box"]).success().stdout, "");
    env.rl(&[
        "exec",
        "box",
        "sh",
        "-c",
        "echo x > /etc/newfile; rm /etc/group; mkdir -p /new/dir",
    ])
    .success();
    assert_eq!(
        env.rl(&["diff", "box"]).success().stdout,
        "C /etc\nD /etc/group\nA /etc/newfile\nA /new\nA /new/dir\n"
    );
    let v = env
        .rl(&["container", "diff", "--format", "json", "box"])
        .json();
    assert_eq!(v["changed"], serde_json::json!(["/etc"]));
    assert_eq!(
        v["added"],
        serde_json::json!(["/etc/newfile", "/new", "/new/dir"])
    );
    assert_eq!(v["deleted"], serde_json::json!(["/etc/group"]));
    // A stopped container keeps its changes.
    env.rl(&["kill", "box"]).success();
    env.rl(&["wait", "box"]).success();
    env.rl(&["diff", "box"])
        .success()
        .stdout_has("A /etc/newfile");
    env.rl(&["rm", "-f", "box"]).success();
    env.rl(&["diff", "box"]).fails_with(125, "no container");
}

#[test]
fn stats_sums_the_container_processes() {
    let env = TestEnv::new();
    start_box(&env, "box");
    let out = env.rl(&["stats", "--no-stream", "--format", "json", "box"]);
    out.success()
        .stderr_has("Note: cgroups are not delegated to this user");
    let v = out.json();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["name"], "box");
    let pids: u64 = v[0]["pids"].as_str().unwrap().parse().unwrap();
    assert!(pids >= 1, "{v}");
    assert!(v[0]["mem_usage"].as_str().unwrap().contains(" / "), "{v}");
    let table = env.rl(&["container", "stats", "--no-stream"]);
    let lines: Vec<&str> = table.success().stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("MEM USAGE / LIMIT"),
        "{lines:?}"
    );
    assert!(lines[0].ends_with("AVG CPU %"), "{lines:?}");
    assert!(
        lines[1].contains("box") && lines[1].contains("-- / --"),
        "{lines:?}"
    );
    assert_eq!(
        env.rl(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.NetIO}}",
            "box"
        ])
        .success()
        .out(),
        "box -- / --"
    );
    env.rl(&["kill", "box"]).success();
    env.rl(&["wait", "box"]).success();
    env.rl(&["stats", "--no-stream", "box"])
        .fails_with(125, "is not running");
    env.rl(&["rm", "-f", "box"]).success();
}

#[test]
fn stopping_a_paused_container_lets_it_handle_the_signal() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "held",
        small(),
        "sh",
        "-c",
        "trap 'exit 9' TERM; while true; do sleep 0.05; done",
    ])
    .success();
    env.rl(&["pause", "held"]).success();
    let t0 = std::time::Instant::now();
    env.rl(&["stop", "-t", "30", "held"]).success();
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "stop waited for the kill timeout"
    );
    assert_eq!(env.rl(&["wait", "held"]).success().out(), "9");
    env.rl(&["rm", "held"]).success();
}
