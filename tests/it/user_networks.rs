//! User-defined networks: containers reach each other by name and alias, not across networks;
//! `--internal` has no way out; connect/disconnect; the netns holder goes with the last user.

use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, wait_until};

fn small() -> &'static str {
    &pushed().small.reference
}

fn holder_socket(env: &TestEnv) -> std::path::PathBuf {
    env.runtime.join("rl/netns/holder.sock")
}

#[test]
fn names_isolation_internal_and_holder_lifetime() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    for args in [
        &["network", "create", "front"][..],
        &["network", "create", "back"],
        &["network", "create", "--internal", "priv"],
    ] {
        env.rl(args).success();
    }
    env.rl(&[
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "front",
        "--network-alias",
        "site",
        small(),
        "sh",
        "-c",
        "echo hello-net > /i.html; exec httpd -f -p 80 -h /",
    ])
    .success();
    assert!(
        holder_socket(&env).exists(),
        "no netns holder while a container uses a network"
    );
    let ip = env
        .rl(&[
            "inspect",
            "web",
            "--format",
            "{{.NetworkSettings.IPAddress}}",
        ])
        .success()
        .out()
        .trim()
        .to_string();
    assert!(ip.starts_with("10.89."), "web's address on front: {ip:?}");
    // By name, by alias and by address, from another container on the same network.
    let fetch = "wget -qO- http://web/i.html && wget -qO- http://site/i.html";
    let out = env
        .rl(&[
            "run",
            "--rm",
            "--network",
            "front",
            small(),
            "sh",
            "-c",
            fetch,
        ])
        .success()
        .out()
        .to_string();
    assert_eq!(out.trim_end(), "hello-net\nhello-net");
    // Its /etc/hosts lists web; web's lists nobody else once it has gone.
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "front",
        small(),
        "grep",
        "-w",
        "web",
        "/etc/hosts",
    ])
    .success()
    .stdout_has(&ip);
    // Not from another network: neither the name nor the address.
    // (slirp4netns answers a connection to any address itself: only content proves a path.)
    let probe = format!(
        "grep -qw web /etc/hosts && exit 10; out=$(timeout 5 wget -qO- http://{ip}/i.html 2>/dev/null); [ \"$out\" = hello-net ] && exit 11; exit 0"
    );
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "back",
        small(),
        "sh",
        "-c",
        &probe,
    ])
    .success();
    // An internal network: its interface, and no user-mode stack (no tap0, no default route).
    let dev = env
        .rl(&[
            "run",
            "--rm",
            "--network",
            "priv",
            small(),
            "cat",
            "/proc/net/dev",
        ])
        .success()
        .out()
        .to_string();
    assert!(dev.contains("eth0:") && !dev.contains("tap0:"), "{dev}");
    env.rl(&[
        "run",
        "--rm",
        "--network",
        "priv",
        "-p",
        "8080:80",
        small(),
        "true",
    ])
    .fails_with(125, "internal");
    // A network in use cannot go; an unknown one is named.
    env.rl(&["network", "rm", "front"]).status_is(2);
    env.rl(&["run", "--rm", "--network", "nowhere", small(), "true"])
        .fails_with(125, "nowhere");
    // Published ports work for a container on a user-defined network (through its stack).
    let port = crate::support::free_port();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "pub",
        "--network",
        "front",
        "-p",
        &format!("127.0.0.1:{port}:80"),
        small(),
        "sh",
        "-c",
        "echo published > /i.html; exec httpd -f -p 80 -h /",
    ])
    .success();
    let mut body = String::new();
    let got = wait_until(Duration::from_secs(8), || {
        body = crate::support::http_get(port, "/i.html").unwrap_or_default();
        body.contains("published")
    });
    assert!(
        got,
        "GET from the host through -p on a user network: {body:?}"
    );
    env.rl(&["rm", "-f", "web", "pub"]).success();
    assert!(
        wait_until(Duration::from_secs(10), || !holder_socket(&env).exists()),
        "the netns holder outlived the last container on a network"
    );
    env.rl(&["network", "rm", "front", "back", "priv"])
        .success();
}

#[test]
fn connect_and_disconnect_stopped_and_running_containers() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["network", "create", "--subnet", "10.89.77.0/24", "lan"])
        .success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "srv",
        "--network",
        "lan:ip=10.89.77.50",
        small(),
        "sh",
        "-c",
        "echo from-srv > /i.html; exec httpd -f -p 80 -h /",
    ])
    .success();
    env.rl(&[
        "create",
        "--name",
        "cli",
        small(),
        "sh",
        "-c",
        "wget -qO- http://srv/i.html",
    ])
    .success();
    env.rl(&["network", "connect", "--alias", "client", "lan", "cli"])
        .success();
    env.rl(&["network", "connect", "lan", "cli"])
        .fails_with(125, "already connected");
    env.rl(&["start", "-a", "cli"])
        .success()
        .stdout_has("from-srv");
    // A running container that started on a network joins another one live, and leaves it.
    env.rl(&["network", "create", "other"]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "app",
        "--network",
        "other",
        small(),
        "sleep",
        "60",
    ])
    .success();
    env.rl(&["network", "connect", "lan", "app"]).success();
    env.rl(&["exec", "app", "wget", "-qO-", "http://srv/i.html"])
        .success()
        .stdout_has("from-srv");
    env.rl(&["exec", "srv", "grep", "-w", "app", "/etc/hosts"])
        .success();
    env.rl(&["network", "disconnect", "lan", "app"]).success();
    env.rl(&["exec", "app", "grep", "-w", "srv", "/etc/hosts"])
        .status_is(1);
    env.rl(&["exec", "srv", "grep", "-w", "app", "/etc/hosts"])
        .status_is(1);
    let dev = env
        .rl(&["exec", "app", "cat", "/proc/net/dev"])
        .success()
        .out()
        .to_string();
    assert!(dev.contains("eth0:") && !dev.contains("eth1:"), "{dev}");
    // One started on no user-defined network, in rl's user namespace (which the pause process
    // keeps, and the networks' holder shares), joins one while it runs.
    env.rl(&["run", "-d", "--name", "joined", small(), "sleep", "60"])
        .success();
    env.rl(&["network", "connect", "lan", "joined"]).success();
    env.rl(&["exec", "joined", "wget", "-qO-", "http://srv/i.html"])
        .success()
        .stdout_has("from-srv");
    // One running in a user namespace of its own (RL_PAUSE=0) cannot.
    let mut lone = env.command(crate::support::rl_binary());
    lone.env("RL_PAUSE", "0")
        .args(["run", "-d", "--name", "lone", small(), "sleep", "60"]);
    crate::support::run_command(lone, None, "rl run lone").success();
    env.rl(&["network", "connect", "lan", "lone"])
        .fails_with(125, "runs in a user namespace of its own");
    env.rl(&["rm", "-f", "app", "lone", "joined"]).success();
    env.rl(&["network", "disconnect", "lan", "cli"]).success();
    let rec = crate::support::container_record(&env, "cli");
    assert!(rec["networks"].is_null(), "{rec}");
    env.rl(&[
        "inspect",
        "srv",
        "--format",
        "{{.NetworkSettings.IPAddress}}",
    ])
    .success()
    .stdout_has("10.89.77.50");
    env.rl(&["rm", "-f", "srv", "cli"]).success();
}
