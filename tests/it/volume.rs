//! `rl volume create|exists|inspect|ls|rm|prune` and `rl inspect` of volumes and networks.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, host_uid};

fn small() -> &'static str {
    &pushed().small.reference
}

/// The lines of `rl volume ls -q`.
fn names(env: &TestEnv) -> Vec<String> {
    env.rl(&["volume", "ls", "-q"])
        .success()
        .stdout
        .lines()
        .map(str::to_string)
        .collect()
}

/// `rl events` for volumes, as "ACTION NAME" lines.
fn volume_events(env: &TestEnv) -> Vec<String> {
    env.rl(&[
        "events",
        "--stream=false",
        "--filter",
        "type=volume",
        "--format",
        "{{.Action}} {{.Name}}",
    ])
    .success()
    .stdout
    .lines()
    .map(str::to_string)
    .collect()
}

#[test]
fn create_list_inspect_and_remove() {
    let env = TestEnv::new();
    // No volume: podman prints nothing, not even the header.
    assert_eq!(env.rl(&["volume", "ls"]).success().stdout, "");
    assert_eq!(env.rl(&["volume", "ls", "--format", "json"]).out(), "[]");
    assert_eq!(
        env.rl(&["volume", "create", "data"]).success().out(),
        "data"
    );
    env.rl(&["volume", "create", "data"]).fails_with(
        125,
        "volume with name data already exists: volume already exists",
    );
    assert_eq!(
        env.rl(&["volume", "create", "--ignore", "data"])
            .success()
            .out(),
        "data"
    );
    env.rl(&[
        "volume",
        "create",
        "-l",
        "env=prod",
        "--label",
        "team",
        "-o",
        "o=uid=5,gid=6",
        "web",
    ])
    .success();
    let generated = env.rl(&["volume", "create"]).success().out().to_string();
    assert!(
        generated.len() == 64 && generated.bytes().all(|b| b.is_ascii_hexdigit()),
        "{generated}"
    );
    let mut all = vec![generated.clone(), "data".into(), "web".into()];
    all.sort();
    assert_eq!(names(&env), all);

    // Bad input.
    env.rl(&["volume", "create", "bad/name"])
        .fails_with(125, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    env.rl(&["volume", "create", "--driver", "nfs", "x"])
        .fails_with(125, "no volume plugin with name nfs available");
    env.rl(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "t",
    ])
    .fails_with(125, "without root privileges");
    env.rl(&["volume", "create", "-o", "foo=bar", "f"])
        .fails_with(125, "invalid mount option foo for driver 'local'");
    env.rl(&["volume", "create", "-o", "o=uid=abc", "f"])
        .fails_with(125, "cannot convert UID abc to integer");
    assert_eq!(names(&env).len(), 3, "nothing made by a failed create");

    // ls: podman's table, filters, templates.
    let out = env.rl(&["volume", "ls", "--filter", "label=env=prod"]);
    assert_eq!(
        out.success().stdout,
        "DRIVER      VOLUME NAME\nlocal       web\n"
    );
    // "^dat": a generated name is 64 hex digits, so it may start with "d" but never "dat".
    let out = env.rl(&["volume", "ls", "--filter", "name=^dat", "--noheading"]);
    assert_eq!(out.success().stdout, "local       data\n");
    let out = env.rl(&[
        "volume",
        "ls",
        "--filter",
        "driver=local",
        "--filter",
        "label=team",
        "--format",
        "{{.Name}} {{.Labels}} {{.Scope}}",
    ]);
    assert_eq!(out.success().out(), "web map[env:prod team:] local");
    env.rl(&["volume", "ls", "--filter", "bogus=1"])
        .fails_with(125, "\"bogus\" is an invalid volume filter");
    env.rl(&["volume", "ls", "--filter", "dangling=maybe"])
        .fails_with(125, "must be true or false");

    // inspect: podman 4.3's objects.
    let v = env.rl(&["volume", "inspect", "web"]).json();
    let web = &v[0];
    let keys: Vec<&str> = web
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "Name",
            "Driver",
            "Mountpoint",
            "CreatedAt",
            "Labels",
            "Scope",
            "Options",
            "UID",
            "GID",
            "MountCount",
            "NeedsCopyUp"
        ]
    );
    assert_eq!(web["Driver"], "local");
    assert_eq!(
        web["Labels"],
        serde_json::json!({"env": "prod", "team": ""})
    );
    assert_eq!(
        web["Options"],
        serde_json::json!({"GID": "6", "UID": "5", "o": "uid=5,gid=6"})
    );
    assert_eq!(web["UID"], 5);
    let mountpoint = env.rl_data().join("volumes/web/_data");
    assert_eq!(web["Mountpoint"], mountpoint.display().to_string());
    // o=uid=/gid= are ids in the container.
    let meta = fs::metadata(&mountpoint).unwrap();
    assert_eq!(meta.uid(), host_uid(&env, 5));
    let created = web["CreatedAt"].as_str().unwrap();
    assert!(
        created.starts_with("20") && created.ends_with('Z'),
        "{created}"
    );
    let data = &env.rl(&["volume", "inspect", "data"]).json()[0];
    assert_eq!(data["NeedsChown"], true);
    assert_eq!(data["Options"], serde_json::json!({}));
    let out = env.rl(&["volume", "inspect", "--all", "--format", "{{.Name}}"]);
    assert_eq!(out.success().out(), all.join("\n"));
    let out = env.rl(&["volume", "inspect", "data", "nope"]);
    out.fails_with(125, "inspecting object: no such volume nope");
    assert_eq!(out.json()[0]["Name"], "data");
    env.rl(&["volume", "inspect"])
        .fails_with(125, "provide one or more volume names or use --all");

    // exists: the status only.
    let out = env.rl(&["volume", "exists", "data"]);
    assert_eq!(
        (out.status, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let out = env.rl(&["volume", "exists", "nope"]);
    assert_eq!(
        (out.status, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", "")
    );

    // rm: a missing volume is status 1 (not with -f), the others are still removed.
    env.rl(&["volume", "rm", "data", "nope"])
        .fails_with(1, "no volume with name \"nope\" found: no such volume")
        .stdout_has("data\n");
    env.rl(&["volume", "rm"])
        .fails_with(125, "choose either one or more volumes or all");
    assert_eq!(env.rl(&["volume", "rm", "-f", "nope"]).success().out(), "");
    let out = env.rl(&["volume", "rm", "--all"]);
    all.retain(|n| n != "data");
    assert_eq!(out.success().out(), all.join("\n"));
    assert!(names(&env).is_empty());
    assert_eq!(
        fs::read_dir(env.rl_data().join("volumes")).unwrap().count(),
        0,
        "nothing staged or half-removed is left"
    );

    let mut want = vec![
        "create data".to_string(),
        "create web".into(),
        format!("create {generated}"),
        "remove data".into(),
    ];
    want.extend(all.iter().map(|n| format!("remove {n}")));
    assert_eq!(volume_events(&env), want);
}

#[test]
fn volumes_in_use_are_kept_unless_forced() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["volume", "create", "used"]).success();
    env.rl(&["volume", "create", "-l", "k=v", "spare"])
        .success();
    env.rl(&["volume", "create", "other"]).success();
    let id = env
        .rl(&[
            "create",
            "--name",
            "c1",
            "-v",
            "used:/data",
            small(),
            "true",
        ])
        .success()
        .out()
        .to_string();
    env.rl(&["volume", "rm", "used"]).fails_with(
        2,
        &format!(
            "volume used is being used by the following container(s): {id}: volume is being used"
        ),
    );
    let out = env.rl(&["volume", "ls", "-q", "--filter", "dangling=false"]);
    assert_eq!(out.success().out(), "used");
    let out = env.rl(&["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert_eq!(out.success().out(), "other\nspare");

    // prune: asks first (no answer or "n" keeps everything), never takes a volume in use.
    let out = env.rl_with(&["volume", "prune"], Some(b"n\n"));
    out.success()
        .stderr_has("WARNING! This will remove all volumes not used by at least one container.");
    assert_eq!(out.stdout, "");
    env.rl(&["volume", "prune"]).success();
    assert_eq!(names(&env), ["other", "spare", "used"]);
    let out = env.rl(&["volume", "prune", "-f", "--filter", "label=k"]);
    assert_eq!(out.success().out(), "spare");
    let out = env.rl_with(&["volume", "prune"], Some(b"y\n"));
    assert_eq!(out.success().out(), "other");
    assert_eq!(names(&env), ["used"]);
    env.rl(&["volume", "prune", "-f", "--filter", "dangling=true"])
        .fails_with(125, "\"dangling\" is an invalid volume filter");

    // rm -f removes the container first.
    assert_eq!(
        env.rl(&["volume", "rm", "-f", "used"]).success().out(),
        "used"
    );
    env.rl(&["inspect", "--type", "container", "c1"])
        .fails_with(125, "no container with name or ID \"c1\"");
    assert!(names(&env).is_empty());
    let events = volume_events(&env);
    assert!(
        events.ends_with(&[
            "remove spare".into(),
            "prune spare".into(),
            "remove other".into(),
            "prune other".into(),
            "remove used".into(),
        ]),
        "{events:?}"
    );
}

#[test]
fn a_volume_a_container_filled_can_be_removed() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    // Filled from the image (/home/user belongs to uid 1000: a subordinate id outside), then
    // given a private directory of that user's.
    env.rl(&[
        "run",
        "--rm",
        "-v",
        "homes:/home",
        small(),
        "sh",
        "-c",
        "mkdir /home/user/deep && echo x > /home/user/deep/f && chown -R 1000:1000 /home/user && chmod 700 /home/user /home/user/deep",
    ])
    .success();
    let data = env.rl_data().join("volumes/homes/_data");
    assert_eq!(
        fs::metadata(data.join("user")).unwrap().uid(),
        host_uid(&env, 1000)
    );
    // Made by `rl run`: no metadata, listed all the same.
    let v = &env.rl(&["volume", "inspect", "homes"]).json()[0];
    assert_eq!(v["Name"], "homes");
    assert!(v.get("NeedsCopyUp").is_none(), "{v}");
    assert_eq!(env.rl(&["volume", "rm", "homes"]).success().out(), "homes");
    assert!(!env.rl_data().join("volumes/homes").exists());

    // -o nocopy: the volume is not filled from the image.
    env.rl(&["volume", "create", "-o", "nocopy", "bare"])
        .success();
    let out = env.rl(&[
        "run",
        "--rm",
        "-v",
        "bare:/home",
        small(),
        "ls",
        "-A",
        "/home",
    ]);
    assert_eq!(out.success().out(), "");
    assert_eq!(env.rl(&["volume", "prune", "-f"]).success().out(), "bare");
}

#[test]
fn inspect_finds_volumes_and_networks() {
    let env = TestEnv::new();
    env.rl(&["volume", "create", "vol"]).success();
    env.rl(&["network", "create", "net"]).success();
    let v = env.rl(&["inspect", "vol"]).json();
    assert_eq!(v[0]["Name"], "vol");
    assert_eq!(v[0]["Scope"], "local");
    let v = env.rl(&["inspect", "net"]).json();
    assert_eq!(v[0]["name"], "net");
    assert_eq!(v[0]["driver"], "bridge");
    let out = env.rl(&[
        "inspect",
        "--format",
        "{{.Name}}",
        "--type",
        "volume",
        "vol",
    ]);
    assert_eq!(out.success().out(), "vol");
    let out = env.rl(&["inspect", "-t", "network", "-f", "{{.name}}", "net"]);
    assert_eq!(out.success().out(), "net");
    env.rl(&["inspect", "--type", "volume", "net"])
        .fails_with(125, "inspecting object: no such volume net");
    env.rl(&["inspect", "--type", "network", "vol"])
        .fails_with(125, "no network with name or ID \"vol\" found");
    // Found objects are printed, each missing name is an error.
    let out = env.rl(&["inspect", "vol", "nothing", "net"]);
    out.fails_with(125, "inspecting object: no such object: \"nothing\"");
    let v = out.json();
    assert_eq!(
        (v[0]["Name"].as_str(), v[1]["name"].as_str()),
        (Some("vol"), Some("net"))
    );
    env.rl(&["inspect", "--type", "pod", "vol"])
        .fails_with(125, "invalid type \"pod\"");
}

#[test]
fn rm_v_removes_the_anonymous_volumes_of_a_foreground_run() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "--name",
        "fg",
        "-v",
        "/data",
        small(),
        "sh",
        "-c",
        "echo x > /data/f",
    ])
    .success();
    env.rl(&["volume", "create", "named"]).success();
    let before = env.rl(&["volume", "ls", "-q"]).success().out().to_string();
    assert_eq!(before.lines().count(), 2, "{before}");
    env.rl(&["rm", "-v", "fg"]).success();
    let after = env.rl(&["volume", "ls", "-q"]).success().out().to_string();
    assert_eq!(after, "named", "{after}");
}
