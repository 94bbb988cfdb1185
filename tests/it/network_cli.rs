//! `rl network create|ls|inspect|rm|prune`: the records and how they show.

use std::fs;
use std::time::Duration;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, chown_to_user, container_record, wait_until};

/// A stopped container record on `networks`, written as rl writes one (no bundle: enough for
/// `network rm --force`, which removes its directory).
fn fake_container(env: &TestEnv, name: &str, networks: &[&str]) -> String {
    let id = format!(
        "{:0>64}",
        format!("{:x}", name.len() * 7919 + name.as_bytes()[0] as usize)
    );
    let nets: serde_json::Map<String, serde_json::Value> = networks
        .iter()
        .map(|n| (n.to_string(), serde_json::json!({})))
        .collect();
    let rec = serde_json::json!({
        "id": id, "name": name, "imageId": "", "imageName": "example", "created": 1,
        "state": "created", "command": ["true"], "networkMode": "bridge", "networks": nets,
    });
    let containers = env.rl_data().join("containers");
    let dir = containers.join(&id);
    for d in [env.rl_data(), containers, dir.clone()] {
        fs::create_dir_all(&d).unwrap();
        chown_to_user(env, &d);
    }
    let file = dir.join("container.json");
    fs::write(&file, serde_json::to_vec(&rec).unwrap()).unwrap();
    chown_to_user(env, &file);
    id
}

#[test]
fn create_list_inspect_remove() {
    let env = TestEnv::new();
    env.rl(&["network", "ls"])
        .success()
        .stdout_has("NETWORK ID  NAME        DRIVER\n");
    assert_eq!(env.rl(&["network", "create"]).success().out(), "rl1");
    assert_eq!(
        env.rl(&["network", "create", "front"]).success().out(),
        "front"
    );
    env.rl(&[
        "network",
        "create",
        "--subnet",
        "172.20.9.7/16",
        "--gateway",
        "172.20.0.254",
        "--label",
        "env=prod",
        "--label",
        "team",
        "-o",
        "mtu=1400",
        "--internal",
        "--disable-dns",
        "back",
    ])
    .success();

    // ls: podman's table, sorted by name, 12-digit ids.
    let ls = env.rl(&["network", "ls"]);
    let lines: Vec<&str> = ls.success().stdout.lines().collect();
    assert_eq!(lines[0], "NETWORK ID    NAME        DRIVER");
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(names, ["back", "front", "rl1"]);
    assert_eq!(lines[1].split_whitespace().next().unwrap().len(), 12);
    assert_eq!(
        env.rl(&["network", "list", "-q"]).success().out(),
        "back\nfront\nrl1"
    );
    let long = env.rl(&["network", "ls", "--no-trunc", "--noheading"]);
    assert_eq!(long.success().stdout.lines().count(), 3);
    assert_eq!(
        long.stdout.split_whitespace().next().unwrap().len(),
        64,
        "{}",
        long.stdout
    );
    assert_eq!(
        env.rl(&[
            "network",
            "ls",
            "--format",
            "{{.Name}} {{.Driver}} {{.Labels}} {{.Internal}} {{.DNSEnabled}} {{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}}"
        ])
        .success()
        .out(),
        "back bridge env=prod,team= true false 172.20.0.0/16 172.20.0.254\n\
         front bridge  false true 10.89.1.0/24 10.89.1.1\n\
         rl1 bridge  false true 10.89.0.0/24 10.89.0.1"
    );
    let table = env.rl(&[
        "network",
        "ls",
        "--format",
        "table {{.Name}}\t{{.NetworkInterface}}",
    ]);
    assert_eq!(
        table.success().out(),
        "NAME        NETWORK INTERFACE\nback        rl-br0\nfront       rl-br0\nrl1         rl-br0"
    );
    let json = env.rl(&["network", "ls", "--format", "json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[0]["name"], "back");
    assert_eq!(json[0]["options"]["mtu"], "1400");

    // inspect: podman's shape, by name or id prefix.
    let v = env.rl(&["network", "inspect", "back"]).json();
    let back = &v[0];
    assert_eq!(back["name"], "back");
    assert_eq!(back["driver"], "bridge");
    assert_eq!(back["network_interface"], "rl-br0");
    assert_eq!(back["id"].as_str().unwrap().len(), 64);
    assert!(back["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        back["subnets"],
        serde_json::json!([{"subnet": "172.20.0.0/16", "gateway": "172.20.0.254"}])
    );
    assert_eq!(back["internal"], true);
    assert_eq!(back["dns_enabled"], false);
    assert_eq!(back["ipv6_enabled"], false);
    assert_eq!(
        back["labels"],
        serde_json::json!({"env": "prod", "team": ""})
    );
    assert_eq!(back["options"], serde_json::json!({"mtu": "1400"}));
    assert_eq!(back["ipam_options"]["driver"], "host-local");
    assert_eq!(back["containers"], serde_json::json!({}));
    let id = back["id"].as_str().unwrap().to_string();
    assert_eq!(
        env.rl(&[
            "network",
            "inspect",
            "--format",
            "{{.name}} {{.internal}}",
            &id[..8],
            "rl1"
        ])
        .success()
        .out(),
        "back true\nrl1 false"
    );
    // A missing one: the others are printed, the exit status is 125.
    let out = env.rl(&["network", "inspect", "front", "nope"]);
    out.fails_with(125, "no network with name or ID \"nope\" found");
    assert_eq!(out.json()[0]["name"], "front");

    // Events.
    let ev = env.rl(&[
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "--filter",
        "type=network",
        "--format",
        "{{.Action}} {{.Name}}",
    ]);
    assert_eq!(ev.success().out(), "create rl1\ncreate front\ncreate back");

    // rm: prints what was named; a missing network is exit status 1, the rest still go.
    env.rl(&["network", "rm", "rl1", "nope", "front"])
        .fails_with(1, "no network with name or ID \"nope\" found");
    assert_eq!(env.rl(&["network", "ls", "-q"]).success().out(), "back");
    assert_eq!(
        env.rl(&["network", "rm", &id[..12]]).success().out(),
        &id[..12]
    );
    assert_eq!(env.rl(&["network", "ls", "-q"]).success().out(), "");
    // The subnet is free again.
    assert_eq!(
        env.rl(&["network", "create", "again"]).success().out(),
        "again"
    );
    assert_eq!(
        env.rl(&[
            "network",
            "inspect",
            "-f",
            "{{range .subnets}}{{.subnet}}{{end}}",
            "again"
        ])
        .success()
        .out(),
        "10.89.0.0/24"
    );
}

#[test]
fn create_errors() {
    let env = TestEnv::new();
    env.rl(&["network", "create", "a"]).success();
    env.rl(&["network", "create", "a"])
        .fails_with(125, "network name a already used: network already exists");
    assert_eq!(
        env.rl(&["network", "create", "--ignore", "a"])
            .success()
            .out(),
        "a"
    );
    for reserved in [
        "none",
        "host",
        "bridge",
        "slirp4netns",
        "pasta",
        "container",
    ] {
        env.rl(&["network", "create", reserved])
            .fails_with(125, &format!("{reserved} is a reserved network name"));
    }
    env.rl(&["network", "create", "bad/name"])
        .fails_with(125, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    env.rl(&["network", "create", "--subnet", "bogus", "b"])
        .fails_with(125, "invalid CIDR address: bogus");
    env.rl(&["network", "create", "--subnet", "10.0.0.0/31", "b"])
        .fails_with(125, "prefix length must be 8 to 30");
    env.rl(&["network", "create", "--subnet", "fd00::/64", "b"])
        .fails_with(125, "not supported yet");
    env.rl(&["network", "create", "--ipv6", "b"])
        .fails_with(125, "not supported yet");
    env.rl(&["network", "create", "--subnet", "10.89.0.0/16", "b"])
        .fails_with(125, "subnet 10.89.0.0/16 is already used by network a");
    env.rl(&["network", "create", "--subnet", "10.0.2.0/24", "b"])
        .fails_with(125, "slirp4netns");
    env.rl(&[
        "network",
        "create",
        "--subnet",
        "10.7.0.0/24",
        "--gateway",
        "10.8.0.1",
        "b",
    ])
    .fails_with(125, "gateway 10.8.0.1 not in subnet 10.7.0.0/24");
    env.rl(&["network", "create", "--gateway", "10.8.0.1", "b"])
        .fails_with(125, "cannot set gateway or range without subnet");
    env.rl(&["network", "create", "-d", "macvlan", "b"])
        .fails_with(
            125,
            "driver macvlan is not supported: rl networks are bridges in a user namespace",
        );
    env.rl(&["network", "create", "-o", "isolate=1", "b"])
        .fails_with(125, "unsupported bridge network option isolate");
    env.rl(&["network", "create", "-o", "mtu=abc", "b"])
        .fails_with(125, "invalid mtu");
    env.rl(&["network", "inspect", "b"])
        .fails_with(125, "no network with name or ID \"b\" found");
    env.rl(&["network", "ls", "--filter", "color=red"])
        .fails_with(125, "unknown key color");
    assert_eq!(env.rl(&["network", "ls", "-q"]).success().out(), "a");
}

#[test]
fn filters_users_and_prune() {
    let env = TestEnv::new();
    for n in ["used", "idle", "other"] {
        env.rl(&["network", "create", "--label", &format!("role={n}"), n])
            .success();
    }
    env.rl(&["network", "create", "--label", "keep", "kept"])
        .success();
    let web = fake_container(&env, "web", &["used"]);
    let q = |f: &[&str]| {
        let mut args = vec!["network", "ls", "-q"];
        for x in f {
            args.extend(["--filter", x]);
        }
        env.rl(&args).success().out().to_string()
    };
    assert_eq!(q(&["name=^o"]), "other");
    assert_eq!(q(&["name=e"]), "idle\nkept\nother\nused");
    assert_eq!(q(&["label=role=idle"]), "idle");
    assert_eq!(q(&["label=role"]), "idle\nother\nused");
    assert_eq!(q(&["dangling=false"]), "used");
    assert_eq!(q(&["dangling=true", "label=role"]), "idle\nother");
    assert_eq!(q(&["driver=bridge", "name=used"]), "used");
    assert_eq!(q(&["until=2000-01-01"]), "");
    let id = env
        .rl(&["network", "inspect", "-f", "{{.id}}", "idle"])
        .success()
        .out()
        .to_string();
    assert_eq!(q(&[&format!("id={}", &id[..6])]), "idle");

    // inspect lists the containers on a network.
    let v = env.rl(&["network", "inspect", "used"]).json();
    assert_eq!(v[0]["containers"][&web]["name"], "web");

    // rm refuses a network in use (podman's exit status 2), --force removes the containers.
    env.rl(&["network", "rm", "used"]).fails_with(
        2,
        "network used is in use by container web (remove it or use --force)",
    );

    // prune: asks first; removes what no container uses and what the filters select.
    let no = env.rl_with(&["network", "prune"], Some(b"n\n"));
    no.success()
        .stderr_has("WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] ");
    assert_eq!(no.out(), "");
    assert_eq!(
        env.rl(&["network", "prune", "-f", "--filter", "label=role"])
            .success()
            .out(),
        "idle\nother"
    );
    assert_eq!(
        env.rl_with(&["network", "prune"], Some(b"y\n"))
            .success()
            .out(),
        "kept"
    );
    assert_eq!(q(&[]), "used");

    assert_eq!(
        env.rl(&["network", "rm", "-f", "used"]).success().out(),
        "used"
    );
    assert!(!env.rl_data().join("containers").join(&web).exists());
    assert_eq!(q(&[]), "");
    env.rl(&["network", "prune", "-f", "--filter", "dangling=true"])
        .fails_with(125, "unknown key dangling");
}

#[test]
fn rm_force_stops_a_running_container() {
    let env = TestEnv::new();
    let small = &pushed().small.reference;
    env.rl(&["pull", "-q", small]).success();
    env.rl(&["network", "create", "net"]).success();
    env.rl(&["run", "-d", "--name", "busy", small, "sleep", "1000"])
        .success();
    // Put it on the network the way `run --network` records it.
    let rec = container_record(&env, "busy");
    let id = rec["id"].as_str().unwrap().to_string();
    let file = env
        .rl_data()
        .join("containers")
        .join(&id)
        .join("container.json");
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    v["networks"] = serde_json::json!({"net": {}});
    fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    env.rl(&["network", "rm", "net"])
        .fails_with(2, "in use by container busy");
    assert_eq!(
        env.rl(&["network", "rm", "--force", "-t", "1", "net"])
            .success()
            .out(),
        "net"
    );
    assert!(wait_until(Duration::from_secs(5), || {
        !env.rl_data().join("containers").join(&id).exists()
    }));
    assert_eq!(env.rl(&["ps", "-aq"]).success().out(), "");
}
