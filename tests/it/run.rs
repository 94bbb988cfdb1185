//! `rl run` in the foreground: the built-in runtime against the fixture images, as the
//! unprivileged test user.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, host_uid, subuid_start};

fn small() -> &'static str {
    &pushed().small.reference
}

#[test]
fn exit_codes_and_streams() {
    let env = TestEnv::new();
    // The first run pulls the image.
    env.rl(&["run", "--rm", small(), "true"]).success();
    env.rl(&["run", "--rm", small(), "sh", "-c", "exit 42"])
        .status_is(42);
    let out = env.rl(&[
        "run",
        "--rm",
        small(),
        "sh",
        "-c",
        "echo out; echo err >&2; exit 1",
    ]);
    out.status_is(1);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    env.rl(&["run", "--rm", small(), "no-such-command"])
        .fails_with(127, "executable file `no-such-command` not found");
    env.rl(&["run", "--rm", small(), "/etc/passwd"])
        .fails_with(126, "permission denied");
    env.rl(&["run", "--rm", small(), "/"])
        .fails_with(126, "is a directory");
    let big = env.rl(&["run", "--rm", small(), "seq", "1", "200000"]);
    big.success();
    assert_eq!(big.stdout.lines().count(), 200_000);
    assert_eq!(big.stdout.lines().last(), Some("200000"));
    assert_eq!(
        crate::support::container_dirs(&env),
        Vec::<std::path::PathBuf>::new(),
        "--rm left a container"
    );
}

#[test]
fn attach_selects_streams() {
    let env = TestEnv::new();
    let cmd = "echo out; echo err >&2";
    let out = env.rl(&[
        "run",
        "--rm",
        "-a",
        "STDOUT",
        "-a",
        "STDERR",
        "--sig-proxy=false",
        small(),
        "sh",
        "-c",
        cmd,
    ]);
    assert_eq!(
        (out.success().stdout.as_str(), out.stderr.as_str()),
        ("out\n", "err\n")
    );
    let out = env.rl(&["run", "--rm", "-a", "stdout", small(), "sh", "-c", cmd]);
    assert_eq!(
        (out.success().stdout.as_str(), out.stderr.as_str()),
        ("out\n", "")
    );
    // rl's own errors still reach the user.
    env.rl(&["run", "--rm", "-a", "stdout", small(), "no-such-command"])
        .fails_with(127, "not found");
    env.rl(&["run", "--rm", "-a", "stdweird", small(), "true"])
        .fails_with(125, "invalid --attach");
    env.rl(&["run", "-d", "-a", "stdout", small(), "true"])
        .fails_with(125, "cannot be combined");
}

#[test]
fn stdin_only_with_interactive() {
    let env = TestEnv::new();
    let out = env.rl_with(
        &["run", "--rm", "-i", small(), "cat"],
        Some(b"piped input\n"),
    );
    assert_eq!(out.success().stdout, "piped input\n");
    let out = env.rl_with(&["run", "--rm", small(), "cat"], Some(b"ignored\n"));
    assert_eq!(out.success().stdout, "");
}

#[test]
fn image_config_and_flags() {
    let env = TestEnv::new();
    let multi = &pushed().multi.reference;
    // Entrypoint ["/bin/sh","-c"], Cmd ["echo hello"], WorkingDir /work, User 1000:1000, FOO=bar.
    assert_eq!(env.rl(&["run", "--rm", multi]).success().out(), "hello");
    let out = env.rl(&[
        "run",
        "--rm",
        multi,
        "echo $FOO $(pwd) $(id -u):$(id -g) $HOME",
    ]);
    assert_eq!(out.success().out(), "bar /work 1000:1000 /home/user");
    let out = env.rl(&[
        "run",
        "--rm",
        "-e",
        "FOO=baz",
        "-e",
        "NEW=1",
        "-w",
        "/tmp/new",
        "-u",
        "0",
        multi,
        "echo $FOO $NEW $(pwd) $(id -u)",
    ]);
    assert_eq!(out.success().out(), "baz 1 /tmp/new 0");
    let out = env.rl(&[
        "run",
        "--rm",
        "--entrypoint",
        "",
        multi,
        "echo",
        "no",
        "shell",
    ]);
    assert_eq!(out.success().out(), "no shell");
    let out = env.rl(&["run", "--rm", "-u", "nobody", small(), "id"]);
    assert!(
        out.success().stdout.starts_with("uid=65534(nobody)"),
        "{}",
        out.stdout
    );
    env.rl(&["run", "--rm", "-u", "nosuchuser", small(), "id"])
        .fails_with(125, "unable to find user nosuchuser");
    let out = env.rl(&["run", "--rm", "--hostname", "box1", small(), "hostname"]);
    assert_eq!(out.success().out(), "box1");
    let out = env.rl(&[
        "run",
        "--rm",
        small(),
        "cat",
        "/etc/hostname",
        "/run/.containerenv",
    ]);
    out.success().stdout_has("engine=\"rl-");
}

#[test]
fn ids_are_mapped_through_the_subuid_range() {
    let env = TestEnv::new();
    let map = env
        .rl(&["run", "--rm", small(), "cat", "/proc/self/uid_map"])
        .success()
        .stdout
        .clone();
    let rows: Vec<Vec<u64>> = map
        .lines()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows[0], vec![0, u64::from(env.user.uid), 1]);
    assert_eq!(rows[1], vec![1, u64::from(subuid_start(&env)), 65536]);
    let vol = env.root.join("vol");
    fs::create_dir(&vol).unwrap();
    fs::set_permissions(&vol, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    crate::support::chown_to_user(&env, &vol);
    let spec = format!("{}:/data", vol.display());
    env.rl(&["run", "--rm", "-v", &spec, small(), "sh", "-c", "echo root > /data/by-root; chown 1000:1000 /data; su -s /bin/sh user -c 'echo u > /data/by-user' 2>/dev/null || (echo u > /data/by-user && chown 1000 /data/by-user)"]).success();
    assert_eq!(
        fs::metadata(vol.join("by-root")).unwrap().uid(),
        env.user.uid
    );
    assert_eq!(
        fs::metadata(vol.join("by-user")).unwrap().uid(),
        host_uid(&env, 1000)
    );
    // A read-only bind cannot be written.
    let ro = format!("{}:/data:ro", vol.display());
    env.rl(&[
        "run",
        "--rm",
        "-v",
        &ro,
        small(),
        "sh",
        "-c",
        "echo x > /data/nope",
    ])
    .status_is(1);
    assert!(!vol.join("nope").exists());
    env.rl(&["run", "--rm", "-v", "/no/such/dir:/x", small(), "true"])
        .fails_with(125, "bind source /no/such/dir does not exist");
}

#[test]
fn security_defaults_seen_from_inside() {
    let env = TestEnv::new();
    let status = env
        .rl(&["run", "--rm", small(), "cat", "/proc/self/status"])
        .success()
        .stdout
        .clone();
    let cap = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::trim)
            .unwrap()
            .to_string()
    };
    // podman's default capability set.
    assert_eq!(cap("CapEff:"), "00000000800405fb");
    assert_eq!(cap("CapBnd:"), "00000000800405fb");
    assert_eq!(cap("CapAmb:"), "0000000000000000");
    let user = env
        .rl(&[
            "run",
            "--rm",
            "-u",
            "1000",
            small(),
            "cat",
            "/proc/self/status",
        ])
        .success()
        .stdout
        .clone();
    assert!(user.contains("CapEff:\t0000000000000000"), "{user}");
    let nnp = env
        .rl(&[
            "run",
            "--rm",
            "--security-opt",
            "no-new-privileges",
            small(),
            "cat",
            "/proc/self/status",
        ])
        .success()
        .stdout
        .clone();
    assert!(nnp.contains("NoNewPrivs:\t1"), "{nnp}");
    // Masked paths read as empty, /proc/sys is read-only, host processes are invisible.
    assert_eq!(
        env.rl(&["run", "--rm", small(), "cat", "/proc/keys"])
            .success()
            .stdout,
        ""
    );
    env.rl(&[
        "run",
        "--rm",
        small(),
        "sh",
        "-c",
        "echo 1 > /proc/sys/kernel/ns_last_pid",
    ])
    .status_is(1);
    let pids = env
        .rl(&[
            "run",
            "--rm",
            small(),
            "sh",
            "-c",
            "ls /proc | grep -c '^[0-9]'",
        ])
        .success()
        .out()
        .to_string();
    assert!(
        pids.parse::<u32>().unwrap() <= 3,
        "host pids visible: {pids}"
    );
    // No descriptor of rl leaks in: only 0, 1, 2 (and the one ls opens).
    let fds = env
        .rl(&["run", "--rm", small(), "ls", "/proc/self/fd"])
        .success()
        .stdout
        .clone();
    let n: Vec<&str> = fds.split_whitespace().collect();
    assert!(n.len() <= 4, "leaked descriptors: {fds}");
    let privileged = env
        .rl(&[
            "run",
            "--rm",
            "--privileged",
            small(),
            "cat",
            "/proc/self/status",
        ])
        .success()
        .stdout
        .clone();
    assert!(
        !privileged.contains("CapEff:\t00000000800405fb"),
        "--privileged keeps the default set"
    );
    let dropped = env
        .rl(&[
            "run",
            "--rm",
            "--cap-drop",
            "ALL",
            "--cap-add",
            "chown",
            small(),
            "cat",
            "/proc/self/status",
        ])
        .success()
        .stdout
        .clone();
    assert!(dropped.contains("CapEff:\t0000000000000001"), "{dropped}");
}

#[test]
fn read_only_root_and_tmpfs() {
    let env = TestEnv::new();
    env.rl(&[
        "run",
        "--rm",
        "--read-only",
        small(),
        "sh",
        "-c",
        "echo x > /x",
    ])
    .status_is(1);
    env.rl(&[
        "run",
        "--rm",
        "--read-only",
        small(),
        "sh",
        "-c",
        "echo x > /tmp/x && cat /tmp/x",
    ])
    .success();
    let out = env.rl(&[
        "run",
        "--rm",
        "--tmpfs",
        "/scratch",
        small(),
        "sh",
        "-c",
        "grep ' /scratch ' /proc/mounts",
    ]);
    out.success().stdout_has("tmpfs");
}

#[test]
fn containers_without_rm_are_recorded_and_bad_input_leaves_nothing() {
    let env = TestEnv::new();
    env.rl(&["run", "--name", "keep", small(), "sh", "-c", "exit 3"])
        .status_is(3);
    let dirs = crate::support::container_dirs(&env);
    assert_eq!(dirs.len(), 1);
    let rec: serde_json::Value =
        serde_json::from_slice(&fs::read(dirs[0].join("container.json")).unwrap()).unwrap();
    assert_eq!(rec["name"], "keep");
    assert_eq!(rec["exitCode"], 3);
    assert_eq!(rec["state"], "exited");
    env.rl(&["run", "--name", "keep", small(), "true"])
        .fails_with(125, "already in use");
    env.rl(&[
        "run",
        "--rm",
        "--pull",
        "never",
        "127.0.0.1:1/nothing:here",
        "true",
    ])
    .fails_with(125, "image not known");
    env.rl(&["run", "--rm", "--memory", "10m", small(), "true"])
        .fails_with(125, "cgroup v2");
    env.rl(&["run", "--rm", "--network", "nosuchnet", small(), "true"])
        .fails_with(125, "nosuchnet");
    env.rl(&["run", "--rm", "-p", "70000:80", small(), "true"])
        .fails_with(125, "70000");
    let after = crate::support::container_dirs(&env);
    assert_eq!(after.len(), 1, "a failed run left a container behind");
}

#[test]
fn tty_gets_a_pty_with_the_terminal_size() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    // `script` gives rl a terminal of 33 rows and 99 columns.
    let inner = format!(
        "stty cols 99 rows 33; {} run -it --rm {} sh -c 'test -t 0 && test -t 1 && stty size; tty; exit 5'",
        crate::support::rl_binary().display(),
        small()
    );
    let mut c = env.command("script");
    c.args(["-qec", &inner, "/dev/null"]);
    let out = crate::support::run_command(c, None, "script rl run -it");
    out.status_is(5)
        .stdout_has("33 99")
        .stdout_has("/dev/console");
}

#[test]
fn signals_reach_the_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let mut c = env.command(crate::support::rl_binary());
    c.args([
        "run",
        "--rm",
        small(),
        "sh",
        "-c",
        "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().cast_signed()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(7), "rest: {rest}");
    assert_eq!(rest, "got TERM\n");
}

#[test]
fn unshare_runs_commands_as_mapped_root() {
    let env = TestEnv::new();
    let out = env.rl(&["unshare", "cat", "/proc/self/uid_map"]);
    let first: Vec<u64> = out
        .success()
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(first, vec![0, u64::from(env.user.uid), 1]);
    assert_eq!(env.rl(&["unshare", "id", "-u"]).success().out(), "0");
    // Files the store keeps for subordinate ids can be removed from inside.
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["unshare", "rm", "-rf", env.rl_data().to_str().unwrap()])
        .success();
    assert!(!env.rl_data().exists());
    env.rl(&["unshare", "no-such-program"])
        .fails_with(127, "command not found");
}

#[test]
fn named_and_anonymous_volumes() {
    let env = TestEnv::new();
    // A named volume is created on first use and filled from the image path (owners kept).
    let out = env.rl(&[
        "run",
        "--rm",
        "-v",
        "homes:/home",
        small(),
        "sh",
        "-c",
        "ls -ln /home; echo kept > /home/note",
    ]);
    out.success().stdout_has("user");
    let data = env.rl_data().join("volumes/homes/_data");
    assert_eq!(
        fs::metadata(data.join("user")).unwrap().uid(),
        host_uid(&env, 1000)
    );
    // It outlives --rm and is not filled again.
    let out = env.rl(&[
        "run",
        "--rm",
        "-v",
        "homes:/home",
        small(),
        "cat",
        "/home/note",
    ]);
    assert_eq!(out.success().out(), "kept");
    // -v /path and the image's VOLUME /data make anonymous volumes, removed with --rm.
    let multi = &pushed().multi.reference;
    env.rl(&[
        "run",
        "--rm",
        "-v",
        "/scratch",
        multi,
        "grep -c ' /scratch \\| /data ' /proc/mounts",
    ])
    .success()
    .stdout_has("2");
    let left: Vec<_> = fs::read_dir(env.rl_data().join("volumes"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("homes")],
        "anonymous volumes left: {left:?}"
    );
    env.rl(&["run", "--rm", "-v", "bad/name:/x", small(), "true"])
        .fails_with(125, "neither an absolute host path nor a volume name");
}

#[test]
fn create_then_start_attached() {
    let env = TestEnv::new();
    let out = env.rl(&[
        "create",
        "--name",
        "c1",
        small(),
        "sh",
        "-c",
        "echo hi from c1; echo $(cat /count 2>/dev/null)x >> /count; cat /count; exit 4",
    ]);
    let id = out.success().out().to_string();
    assert_eq!(id.len(), 64, "{id}");
    let rec: serde_json::Value = serde_json::from_slice(
        &fs::read(
            env.rl_data()
                .join("containers")
                .join(&id)
                .join("container.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(rec["state"], "created");
    let first = env.rl(&["start", "-a", "c1"]);
    first.status_is(4).stdout_has("hi from c1\nx\n");
    // Starting it again keeps its file system (the upper layer): /count grows.
    let second = env.rl(&["start", "-a", &id[..8]]);
    second.status_is(4).stdout_has("x\nxx\n");
    let rec: serde_json::Value = serde_json::from_slice(
        &fs::read(
            env.rl_data()
                .join("containers")
                .join(&id)
                .join("container.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(rec["state"], "exited");
    assert_eq!(rec["exitCode"], 4);
    // Without -a it starts under a monitor; its output goes to the log.
    assert_eq!(env.rl(&["start", "c1"]).success().out(), "c1");
    assert_eq!(env.rl(&["wait", "c1"]).success().out(), "4");
    env.rl(&["logs", "c1"]).success().stdout_has("xxx\n");
    env.rl(&["start", "-a", "nosuch"])
        .fails_with(125, "no container with name or ID \"nosuch\" found");
}

#[test]
fn keep_id_and_explicit_id_maps() {
    let env = TestEnv::new();
    let (uid, gid) = (env.user.uid, env.user.gid);
    let out = env.rl(&[
        "run",
        "--rm",
        "--userns=keep-id",
        small(),
        "sh",
        "-c",
        "id -u; id -g; id -un; stat -c %u:%g /bin/busybox /; cat /proc/self/uid_map; grep \"^$(id -un):\" /etc/passwd",
    ]);
    let text = out.success().stdout.clone();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], uid.to_string());
    assert_eq!(lines[1], gid.to_string());
    assert_eq!(lines[2], env.user.name);
    // The image's files still belong to the container's root, and so does /.
    assert_eq!(lines[3], "0:0");
    assert_eq!(lines[4], "0:0");
    let map: Vec<Vec<u32>> = lines[5..8]
        .iter()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(
        map,
        vec![
            vec![0, 1, uid],
            vec![uid, 0, 1],
            vec![uid + 1, uid + 1, 65536 - uid]
        ]
    );
    assert!(lines[8].contains(&format!(":{uid}:{gid}:")), "{}", lines[8]);
    // A file the container writes to a bind mount is the user's on the host, and the user's
    // own files are theirs inside.
    let dir = env.root.join("shared");
    fs::create_dir(&dir).unwrap();
    crate::support::chown_to_user(&env, &dir);
    let bind = format!("{}:/shared", dir.display());
    let out = env.rl(&[
        "run",
        "--rm",
        "--userns=keep-id",
        "-v",
        &bind,
        small(),
        "sh",
        "-c",
        "stat -c %u /shared; echo hi > /shared/f",
    ]);
    assert_eq!(out.success().out(), uid.to_string());
    assert_eq!(fs::metadata(dir.join("f")).unwrap().uid(), uid);
    // -u still wins, and the copy of the image made for the map is reused.
    env.rl(&[
        "run",
        "--rm",
        "--userns=keep-id",
        "-u",
        "0",
        small(),
        "id",
        "-u",
    ])
    .success()
    .stdout_has("0");
    let mapped = env.rl_data().join("storage/layers-mapped");
    assert_eq!(fs::read_dir(&mapped).unwrap().count(), 1);

    // --uidmap (and --gidmap defaulting to it): ids of rl's namespace, 0 = the user. Here the
    // user is not mapped at all: the container's root writes to the bind only as "others".
    fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = env.rl(&[
        "run",
        "--rm",
        "--uidmap",
        "0:100:5000",
        "-v",
        &bind,
        small(),
        "sh",
        "-c",
        "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /bin/busybox; echo x > /shared/g",
    ]);
    let text = out.success().stdout.clone();
    assert_eq!(
        text.lines()
            .take(2)
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        vec!["0 100 5000", "0 100 5000"]
    );
    assert_eq!(text.lines().nth(2), Some("0"));
    assert_eq!(
        fs::metadata(dir.join("g")).unwrap().uid(),
        subuid_start(&env) + 99
    );
    assert_eq!(fs::read_dir(&mapped).unwrap().count(), 2);
    // Removing the image removes the copies with the layers.
    env.rl(&["rmi", small()]).success();
    for m in fs::read_dir(&mapped).unwrap().flatten() {
        assert_eq!(
            fs::read_dir(m.path()).unwrap().count(),
            0,
            "copies left in {m:?}"
        );
    }

    env.rl(&["run", "--rm", "--userns=auto", small(), "true"])
        .fails_with(125, "rl supports host and keep-id");
    env.rl(&["run", "--rm", "--uidmap", "0:1", small(), "true"])
        .fails_with(125, "want CONTAINER_ID:HOST_ID:SIZE");
    env.rl(&["run", "--rm", "--uidmap", "0:65000:1000", small(), "true"])
        .fails_with(125, "not in rl's user namespace");
    env.rl(&[
        "run",
        "--rm",
        "--userns=keep-id",
        "--uidmap",
        "0:1:10",
        small(),
        "true",
    ])
    .fails_with(125, "cannot be combined");
}

#[test]
fn mount_flag_and_the_u_option() {
    let env = TestEnv::new();
    let dir = env.root.join("m");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("in"), "host file\n").unwrap();
    crate::support::chown_to_user(&env, &dir);
    crate::support::chown_to_user(&env, &dir.join("in"));
    let bind = format!("type=bind,source={},target=/m,readonly", dir.display());
    let out = env.rl(&[
        "run",
        "--rm",
        "--mount",
        &bind,
        "--mount",
        "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770",
        "--mount",
        "type=volume,source=vol1,target=/v",
        small(),
        "sh",
        "-c",
        "cat /m/in; touch /m/x 2>/dev/null && echo wrote; stat -c %a /t; grep ' /t ' /proc/mounts; touch /v/kept",
    ]);
    let text = out.success().stdout.clone();
    assert!(text.starts_with("host file\n"), "{text}");
    assert!(!text.contains("wrote"), "{text}");
    assert!(text.contains("1770\n"), "{text}");
    assert!(text.contains("size=1024k"), "{text}");
    assert!(env.rl_data().join("volumes/vol1/_data/kept").exists());
    // U gives the source to the container's user (uid 1000 inside = a subordinate id outside).
    let spec = format!("{}:/m:U", dir.display());
    env.rl(&[
        "run",
        "--rm",
        "-u",
        "1000:1000",
        "-v",
        &spec,
        small(),
        "sh",
        "-c",
        "echo mine > /m/new",
    ])
    .success();
    assert_eq!(fs::metadata(&dir).unwrap().uid(), host_uid(&env, 1000));
    assert_eq!(
        fs::metadata(dir.join("in")).unwrap().uid(),
        host_uid(&env, 1000)
    );
    assert_eq!(
        fs::metadata(dir.join("new")).unwrap().uid(),
        host_uid(&env, 1000)
    );
    // Bad --mount values are one-line usage errors.
    env.rl(&[
        "run",
        "--rm",
        "--mount",
        "type=bind,target=/x",
        small(),
        "true",
    ])
    .fails_with(125, "source= is required");
    env.rl(&[
        "run",
        "--rm",
        "--mount",
        "type=bind,source=/no/such,target=/x",
        small(),
        "true",
    ])
    .fails_with(125, "bind source /no/such does not exist");
    env.rl(&[
        "run",
        "--rm",
        "--mount",
        "type=glue,target=/x",
        small(),
        "true",
    ])
    .fails_with(125, "not supported");
}

#[test]
fn init_forwards_signals_and_reaps() {
    let env = TestEnv::new();
    let out = env.rl(&[
        "run",
        "--rm",
        "--init",
        small(),
        "sh",
        "-c",
        "echo $$; cat /proc/1/comm; (sleep 0.1 &); sleep 0.6; ps -o stat= | grep -c Z; exit 42",
    ]);
    out.status_is(42);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "2", "the command is not pid 1");
    assert_eq!(lines[1], "rl-init");
    assert_eq!(lines[2], "0", "a zombie was left");
    // pid 1 ignores signals it has no handler for; behind --init, `sleep` is not pid 1 and a
    // SIGTERM to rl ends it (143 = 128 + 15).
    let mut c = env.command(crate::support::rl_binary());
    c.args([
        "run",
        "--rm",
        "--init",
        small(),
        "sh",
        "-c",
        "echo ready; exec sleep 100",
    ])
    .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().cast_signed()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143));
    // Setup errors still come through.
    env.rl(&["run", "--rm", "--init", small(), "no-such-command"])
        .fails_with(127, "not found");
}

#[test]
fn group_add_sets_supplementary_groups() {
    let env = TestEnv::new();
    let out = env.rl(&[
        "run",
        "--rm",
        "-u",
        "user",
        "--group-add",
        "nogroup",
        "--group-add",
        "1234",
        small(),
        "sh",
        "-c",
        "id -G; grep Groups /proc/self/status",
    ]);
    let text = out.success().stdout.clone();
    let ids: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(ids, vec!["1000", "1234", "65534"], "{text}");
    env.rl(&[
        "run",
        "--rm",
        "--group-add",
        "no-such-group",
        small(),
        "true",
    ])
    .fails_with(125, "unable to find group no-such-group");
}

/// The user namespace inode a container's process is in (`user:[N]` → N).
fn userns_inode(out: &crate::support::Output) -> u64 {
    let text = out.success().stdout.trim();
    text.strip_prefix("user:[")
        .and_then(|t| t.strip_suffix(']'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a user namespace link: {text:?}"))
}

#[test]
fn a_pause_process_keeps_the_user_namespace_between_runs() {
    use crate::support::{is_pause_process, rl_binary, run_command, wait_until};
    use std::time::{Duration, SystemTime};
    let env = TestEnv::new();
    let ns_of_run = |extra_env: &[(&str, &str)]| {
        let mut c = env.command(rl_binary());
        c.args(["run", "--rm", small(), "readlink", "/proc/self/ns/user"]);
        for (k, v) in extra_env {
            c.env(k, v);
        }
        userns_inode(&run_command(c, None, "rl run readlink"))
    };
    let record = env.runtime.join("rl/pause.pid");
    // The pause process records itself a moment after the rl that started it.
    let pause = || {
        wait_until(Duration::from_secs(5), || env.pause_pid().is_some());
        env.pause_pid()
    };
    let first = ns_of_run(&[]);
    let pid = pause().expect("a pause process after the first run");
    let text = fs::read_to_string(&record).unwrap();
    assert_eq!(text, format!("{pid} {first}\n"));
    // It holds nothing of rl's: /dev/null on 0-2 and its own inotify descriptor (on the record),
    // `/` as its directory, and the host's mount namespace.
    let mut fds: Vec<String> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| {
            let target = fs::read_link(e.unwrap().path()).unwrap();
            target.to_string_lossy().into_owned()
        })
        .collect();
    fds.sort();
    assert_eq!(
        fds,
        ["/dev/null", "/dev/null", "/dev/null", "anon_inode:inotify"],
        "pause descriptors"
    );
    assert_eq!(
        fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        std::path::Path::new("/")
    );
    assert_eq!(
        fs::read_link(format!("/proc/{pid}/ns/mnt")).unwrap(),
        fs::read_link("/proc/self/ns/mnt").unwrap()
    );
    let old = SystemTime::now() - Duration::from_secs(600);
    fs::File::options()
        .write(true)
        .open(&record)
        .unwrap()
        .set_modified(old)
        .unwrap();
    // The next run joins it, and touches the record (the pause process's idle clock).
    assert_eq!(ns_of_run(&[]), first);
    assert!(fs::metadata(&record).unwrap().modified().unwrap() > old);
    // RL_PAUSE=0: a namespace of the run's own; the pause process stays.
    assert_ne!(ns_of_run(&[("RL_PAUSE", "0")]), first);
    assert_eq!(env.pause_pid(), Some(pid));
    // `rl system migrate` ends it; the next run makes a new namespace and a new pause process.
    env.rl(&["system", "migrate"]).success();
    assert!(!record.exists());
    assert!(wait_until(Duration::from_secs(5), || !is_pause_process(
        pid
    )));
    // (Inodes are compared only while both namespaces live: a freed one's number is reused.)
    ns_of_run(&[]);
    let second = pause().expect("a new pause process");
    assert_ne!(second, pid);
    // A record that names anything else is never joined: a dead process, garbage, or a live
    // namespace of the user's whose maps are not rl's (here a single-id one).
    // A pause process whose record names another ends at once (it watches the record).
    for text in ["999999999 1\n", "garbage"] {
        let old = env.pause_pid().expect("a pause process");
        fs::write(&record, text).unwrap();
        assert!(
            wait_until(Duration::from_secs(5), || !is_pause_process(old)),
            "the replaced pause process {old} still runs"
        );
        ns_of_run(&[]);
        assert!(pause().is_some(), "no pause process after record {text:?}");
    }
    env.stop_pause();
    let mut other = env.command("unshare");
    other.args(["--user", "--map-root-user", "sleep", "60"]);
    let mut other = other.spawn().unwrap();
    let other_pid = other.id();
    let mut other_ns = None;
    wait_until(Duration::from_secs(5), || {
        other_ns = fs::read_link(format!("/proc/{other_pid}/ns/user"))
            .ok()
            .filter(|l| Some(l.clone()) != fs::read_link("/proc/self/ns/user").ok());
        other_ns.is_some()
    });
    let ino = fs::metadata(format!("/proc/{other_pid}/ns/user"))
        .unwrap()
        .ino();
    fs::write(&record, format!("{other_pid} {ino}\n")).unwrap();
    let joined = ns_of_run(&[]);
    let _ = other.kill();
    let _ = other.wait();
    assert_ne!(joined, ino, "joined a namespace whose maps are not rl's");
    let map = env
        .rl(&["run", "--rm", small(), "cat", "/proc/self/uid_map"])
        .success()
        .stdout
        .clone();
    assert_eq!(map.lines().count(), 2, "{map}");
}

#[test]
fn sysctls_are_set_before_proc_sys_turns_read_only() {
    let env = TestEnv::new();
    let read = "cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/shmmni /proc/sys/net/core/somaxconn";
    // podman's default: root may ping without CAP_NET_RAW; --sysctl sets namespaced ones.
    let out = env
        .rl(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--sysctl",
            "kernel.shmmni=1234",
            "--sysctl",
            "net.core.somaxconn=77",
            small(),
            "sh",
            "-c",
            read,
        ])
        .success()
        .stdout
        .clone();
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words, ["0", "0", "1234", "77"], "{out}");
    // --sysctl overrides the default, and /proc/sys stays read-only for the container.
    env.rl(&[
        "run",
        "--rm",
        "--sysctl",
        "net.ipv4.ping_group_range=1 0",
        small(),
        "cat",
        "/proc/sys/net/ipv4/ping_group_range",
    ])
    .success()
    .stdout_has("65534");
    env.rl(&[
        "run",
        "--rm",
        small(),
        "sh",
        "-c",
        "echo 5 > /proc/sys/net/core/somaxconn",
    ])
    .status_is(1)
    .stderr_has("Read-only file system");
}

#[test]
fn a_removed_container_is_gone_at_once_and_its_files_soon_after() {
    use crate::support::{container_dirs, run_command, wait_until};
    use std::time::Duration;
    let env = TestEnv::new();
    env.rl(&["run", "--rm", "--name", "same", small(), "true"])
        .success();
    // What a killed deletion left two minutes ago, and one under way now.
    let containers = env.rl_data().join("containers");
    let mut sh = env.command("sh");
    sh.arg("-c")
        .arg(
            "cd \"$1\" && for d in .removing-stale .removing-busy; do mkdir -p $d/upper/etc && \
             echo x > $d/upper/etc/f; done && touch -d '2 minutes ago' .removing-stale",
        )
        .arg("sh")
        .arg(&containers);
    run_command(sh, None, "make leftovers").success();
    // `--rm`: the name is free, and ps shows nothing, as soon as rl returns.
    for _ in 0..3 {
        env.rl(&["run", "--rm", "--name", "same", small(), "true"])
            .success();
        assert_eq!(env.rl(&["ps", "-a", "-q"]).success().out(), "");
    }
    // The files follow in the background; old leftovers go too, a recent one is left alone.
    assert!(wait_until(Duration::from_secs(5), || !containers
        .join(".removing-stale")
        .exists()));
    assert_eq!(
        container_dirs(&env)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        [".removing-busy"]
    );
}

/// Processes of this env holding a mount namespace open (`mnt:[...]` among their descriptors).
fn mount_ns_holders(env: &TestEnv) -> Vec<u32> {
    env.stray_processes()
        .into_iter()
        .map(|(pid, _)| pid)
        .filter(|pid| {
            fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|rd| {
                rd.flatten().any(|e| {
                    fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("mnt:["))
                })
            })
        })
        .collect()
}

#[test]
fn a_removed_containers_mounts_go_after_rl_but_never_hold_a_host_directory() {
    use crate::support::{container_dirs, wait_until};
    use std::time::Duration;
    let env = TestEnv::new();
    // Only rl's own files bound in: the deleting child may hold the mounts for a moment after
    // rl has returned; then they go, and so do the files.
    env.rl(&[
        "run",
        "--rm",
        "-v",
        "data:/data",
        small(),
        "sh",
        "-c",
        "echo x > /data/f",
    ])
    .success();
    assert!(
        wait_until(Duration::from_secs(5), || mount_ns_holders(&env).is_empty()),
        "the container's mounts were never released"
    );
    assert!(container_dirs(&env).is_empty());
    // The volume's data went in and stays.
    let out = env.rl(&["run", "--rm", "-v", "data:/data", small(), "cat", "/data/f"]);
    assert_eq!(out.success().out(), "x");
    // A host directory bound in is free when rl returns (a user may unmount it at once).
    let host = env.root.join("host");
    fs::create_dir(&host).unwrap();
    crate::support::chown_to_user(&env, &host);
    let spec = format!("{}:/h", host.display());
    for _ in 0..3 {
        env.rl(&["run", "--rm", "-v", &spec, small(), "true"])
            .success();
        assert_eq!(mount_ns_holders(&env), Vec::<u32>::new());
    }
}
