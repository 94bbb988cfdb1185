//! `rl commit`: images made from containers' changes.

use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, wait_until};

fn small() -> &'static str {
    &pushed().small.reference
}

#[test]
fn commit_keeps_changes_deletions_owners_and_config() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "--name",
        "src",
        "-e",
        "GREETING=hello",
        "-w",
        "/work",
        small(),
        "sh",
        "-c",
        "echo made > /work/new; mkdir -p /opt/d; echo x > /opt/d/f; chown 1000:1000 /opt/d/f; \
         rm /etc/group; rm -r /home/user; mkfifo /opt/fifo",
    ])
    .success();
    let id = env
        .rl(&[
            "commit",
            "-q",
            "-a",
            "Someone <s@example.com>",
            "-m",
            "my message",
            "-c",
            "LABEL stage=one",
            "-c",
            "CMD [\"cat\", \"new\"]",
            "src",
            "committed:1",
        ])
        .success()
        .out()
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    // The new command runs in the recorded working directory, with the recorded environment.
    let out = env.rl(&["run", "--rm", "committed:1"]);
    assert_eq!(out.success().stdout, "made\n");
    let out = env.rl(&[
        "run",
        "--rm",
        "committed:1",
        "sh",
        "-c",
        "echo $GREETING; pwd",
    ]);
    assert_eq!(out.success().stdout, "hello\n/work\n");
    // Deletions are whiteouts in the new layer; owners are the container's.
    let out = env.rl(&[
        "run",
        "--rm",
        "committed:1",
        "sh",
        "-c",
        "test -e /etc/group && echo group; test -e /home/user && echo user; \
         stat -c '%u:%g %n' /opt/d/f; test -p /opt/fifo && echo fifo; cat /etc/passwd | wc -l",
    ]);
    let text = out.success().out().to_string();
    assert!(
        !text.contains("group\n") && !text.contains("user\n"),
        "{text}"
    );
    assert!(text.contains("1000:1000 /opt/d/f"), "{text}");
    assert!(text.contains("fifo"), "{text}");
    // Config, author, comment, history.
    let img = env
        .rl(&["image", "inspect", "committed:1"])
        .success()
        .json();
    let img = &img[0];
    assert_eq!(img["Author"], "Someone <s@example.com>", "{img}");
    assert_eq!(img["Config"]["Labels"]["stage"], "one", "{img}");
    assert_eq!(
        img["Config"]["Cmd"],
        serde_json::json!(["cat", "new"]),
        "{img}"
    );
    assert_eq!(img["Config"]["WorkingDir"], "/work", "{img}");
    let hist = env.rl(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}|{{.Comment}}",
        "committed:1",
    ]);
    let first = hist
        .success()
        .out()
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        first.contains("echo made") && first.ends_with("|my message"),
        "{first}"
    );
    // The image lists the base's layers and one more.
    let base = env.rl(&["image", "inspect", small()]).success().json();
    let n = |v: &serde_json::Value| v["RootFS"]["Layers"].as_array().map_or(0, Vec::len);
    assert_eq!(n(img), n(&base[0]) + 1, "{img}");
    // A committed image can be committed on again, and removed.
    env.rl(&[
        "run",
        "--name",
        "again",
        "committed:1",
        "sh",
        "-c",
        "echo more > /more",
    ])
    .success();
    env.rl(&["commit", "-q", "again", "committed:2"]).success();
    let out = env.rl(&["run", "--rm", "committed:2", "cat", "/more", "/work/new"]);
    assert_eq!(out.success().stdout, "more\nmade\n");
    env.rl(&["rm", "again", "src"]).success();
    env.rl(&["rmi", "committed:2", "committed:1"]).success();
}

#[test]
fn commit_of_a_running_container_with_pause() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "live",
        small(),
        "sh",
        "-c",
        "echo 1 > /state; while true; do sleep 0.05; done",
    ])
    .success();
    assert!(wait_until(Duration::from_secs(5), || {
        env.rl(&["exec", "live", "cat", "/state"]).stdout == "1\n"
    }));
    let out = env.rl(&["commit", "--pause", "live", "snap"]);
    let id = out.success().out().trim().to_string();
    assert_eq!(id.len(), 64, "{id}");
    // Still running, and no longer stopped.
    let state = env.rl(&["inspect", "--format", "{{.State.Status}}", "live"]);
    assert_eq!(state.success().stdout, "running\n");
    env.rl(&["exec", "live", "sh", "-c", "echo 2 > /state"])
        .success();
    let out = env.rl(&["run", "--rm", "snap", "cat", "/state"]);
    assert_eq!(out.success().stdout, "1\n");
    env.rl(&["rm", "-f", "live"]).success();
    let events = env.rl(&[
        "events",
        "--stream=false",
        "--filter",
        "event=commit",
        "--format",
        "{{.Status}} {{.Name}}",
    ]);
    assert!(
        events.success().out().contains("commit live"),
        "{}",
        events.out()
    );
}

#[test]
fn commit_bad_input() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["commit", "nosuch", "x"])
        .fails_with(125, "no container with name or ID \"nosuch\"");
    env.rl(&["create", "--name", "c", small(), "true"])
        .success();
    env.rl(&["commit", "-c", "FROB x", "c", "x"])
        .fails_with(125, "--change \"FROB x\"");
    env.rl(&["commit", "c", "Bad:Name"]).status_is(125);
    env.rl(&["commit", "--format", "tar", "c", "x"])
        .status_is(125);
    // Nothing was made.
    let images = env.rl(&["images", "-q"]);
    assert_eq!(
        images.success().out().lines().count(),
        1,
        "{}",
        images.out()
    );
}

#[test]
fn a_committed_image_pushes_and_pulls_back() {
    let env = TestEnv::new();
    let p = pushed();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "--name",
        "maker",
        small(),
        "sh",
        "-c",
        "echo pushed > /made; rm /etc/group",
    ])
    .success();
    env.rl(&[
        "commit",
        "-q",
        "-c",
        "CMD [\"cat\", \"/made\"]",
        "maker",
        "mine:1",
    ])
    .success();
    let dest = format!("{}/rl-test/committed:1", p.host);
    env.rl(&["push", "mine:1", &dest]).success();
    env.rl(&["rm", "maker"]).success();
    env.rl(&["rmi", "mine:1"]).success();
    env.rl(&["pull", "-q", &dest]).success();
    let out = env.rl(&["run", "--rm", &dest]);
    assert_eq!(out.success().stdout, "pushed\n");
    let out = env.rl(&[
        "run",
        "--rm",
        &dest,
        "sh",
        "-c",
        "test -e /etc/group || echo gone",
    ]);
    assert_eq!(out.success().stdout, "gone\n");
}
