//! `rl cp` and `rl export`: both directions, running and stopped containers, tar streams,
//! owners, symlinks in the container that must not lead to the host, and the errors.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::support::fixtures::pushed;
use crate::support::{TestEnv, chown_to_user, rl_binary};

fn small() -> &'static str {
    &pushed().small.reference
}

/// Run rl with raw (binary) stdout and an optional stdin.
fn rl_raw(env: &TestEnv, args: &[&str], stdin: Option<&[u8]>) -> (i32, Vec<u8>, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut c = env.command(rl_binary());
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn rl");
    if let Some(data) = stdin {
        let mut w = child.stdin.take().unwrap();
        w.write_all(data).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (name, uid, gid, kind) of every member of a tar stream.
fn members(tar: &[u8]) -> Vec<(String, u64, u64, tar::EntryType)> {
    let mut a = tar::Archive::new(tar);
    a.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                String::from_utf8_lossy(&e.path_bytes())
                    .trim_end_matches('/')
                    .to_string(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.entry_type(),
            )
        })
        .collect()
}

fn names(tar: &[u8]) -> Vec<String> {
    members(tar).into_iter().map(|m| m.0).collect()
}

/// The content of one member.
fn member_data(tar: &[u8], name: &str) -> Option<String> {
    use std::io::Read;
    let mut a = tar::Archive::new(tar);
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if String::from_utf8_lossy(&e.path_bytes()).trim_end_matches('/') == name {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            return Some(s);
        }
    }
    None
}

/// `rl cp CONTAINER:PATH -` as a tar stream.
fn cp_stream(env: &TestEnv, src: &str) -> Vec<u8> {
    let (code, out, err) = rl_raw(env, &["cp", src, "-"], None);
    assert_eq!(code, 0, "rl cp {src} -: {err}");
    out
}

/// A stopped container `c` whose command added `/new.txt`, `/d/f`, symlinks `/d/root -> /`
/// and `/d/up -> ../..`, and removed `/etc/group`.
fn stopped(env: &TestEnv, extra: &[&str]) {
    env.rl(&["pull", "-q", small()]).success();
    let mut args = vec!["run", "-d", "--name", "c"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        small(),
        "sh",
        "-c",
        "echo hi > /new.txt; mkdir /d; echo x > /d/f; ln -s / /d/root; ln -s ../.. /d/up; rm /etc/group",
    ]);
    env.rl(&args).success();
    env.rl(&["wait", "c"]).success();
}

fn host_dir(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let p = env.home.join(name);
    fs::create_dir_all(&p).unwrap();
    chown_to_user(env, &p);
    p
}

#[test]
fn copy_out_of_a_stopped_container() {
    let env = TestEnv::new();
    stopped(&env, &[]);
    let out = host_dir(&env, "out");
    let o = out.to_str().unwrap();
    // A file to a new name; a directory into an existing one; a directory's contents.
    env.rl(&["cp", "c:/new.txt", &format!("{o}/copy.txt")])
        .success();
    assert_eq!(fs::read_to_string(out.join("copy.txt")).unwrap(), "hi\n");
    env.rl(&["cp", "c:/d", o]).success();
    assert_eq!(fs::read_to_string(out.join("d/f")).unwrap(), "x\n");
    assert_eq!(fs::read_link(out.join("d/root")).unwrap(), Path::new("/"));
    env.rl(&["cp", "c:/d/.", &format!("{o}/contents")])
        .success();
    assert_eq!(fs::read_to_string(out.join("contents/f")).unwrap(), "x\n");
    env.rl(&["cp", "c:/etc", o]).success();
    assert!(out.join("etc/passwd").is_file());
    assert!(!out.join("etc/group").exists(), "deleted in the container");
    // Everything written on the host is the user's, not a subordinate id's.
    for p in ["copy.txt", "d", "d/f", "d/root", "etc", "etc/passwd"] {
        let m = fs::symlink_metadata(out.join(p)).unwrap();
        assert_eq!((m.uid(), m.gid()), (env.user.uid, env.user.gid), "{p}");
    }
    // Symlinks in the container resolve inside it, never on the host.
    env.rl(&["cp", "c:/d/up/etc/passwd", &format!("{o}/p1")])
        .success();
    env.rl(&["cp", "c:/d/root/etc/passwd", &format!("{o}/p2")])
        .success();
    for p in ["p1", "p2"] {
        let text = fs::read_to_string(out.join(p)).unwrap();
        assert!(!text.contains(&env.user.name), "{p} is the host's passwd");
        assert!(text.starts_with("root:"), "{p}: {text}");
    }
    // A tar stream on standard output, ids as in the container.
    let tar = cp_stream(&env, "c:/d");
    let m = members(&tar);
    assert_eq!(names(&tar), vec!["d", "d/f", "d/root", "d/up"]);
    assert!(m.iter().all(|e| e.1 == 0 && e.2 == 0), "{m:?}");
    assert_eq!(member_data(&tar, "d/f").as_deref(), Some("x\n"));
    // Errors: one line, exit 125.
    env.rl(&["cp", "c:/nonexist", o]).fails_with(
        125,
        "\"/nonexist\" could not be found on container c: no such file or directory",
    );
    env.rl(&["cp", "c:/new.txt", &format!("{o}/nodir/x")])
        .fails_with(
            125,
            "could not be found on the host: no such file or directory",
        );
    env.rl(&["cp", "c:/d", &format!("{o}/copy.txt")])
        .fails_with(
            125,
            "destination must be a directory when copying a directory",
        );
    env.rl(&["cp", "nosuch:/etc", o])
        .fails_with(125, "no container with name or ID \"nosuch\" found");
    env.rl(&["cp", "/etc", o])
        .fails_with(125, "you must use just one container");
    // The copies were recorded as events.
    env.rl(&["events", "--stream=false", "--filter", "event=copy"])
        .success()
        .stdout_has("container copy");
}

#[test]
fn copy_into_a_stopped_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["create", "--name", "c", "-u", "1000:1000", small(), "true"])
        .success();
    let src = host_dir(&env, "src");
    fs::write(src.join("file"), "data").unwrap();
    fs::create_dir(src.join("tree")).unwrap();
    fs::write(src.join("tree/inner"), "in").unwrap();
    std::os::unix::fs::symlink("/", src.join("tree/root")).unwrap();
    std::os::unix::fs::symlink("../..", src.join("tree/up")).unwrap();
    for p in ["file", "tree", "tree/inner", "tree/root", "tree/up"] {
        std::os::unix::fs::lchown(src.join(p), Some(env.user.uid), Some(env.user.gid)).unwrap();
    }
    let s = src.to_str().unwrap();
    // --archive (the default): the container's main user owns the copies.
    env.rl(&["cp", &format!("{s}/tree"), "c:/d"]).success();
    env.rl(&["cp", &format!("{s}/file"), "c:/d/"]).success();
    // --archive=false: the user's own files become root's.
    env.rl(&["cp", "--archive=false", &format!("{s}/file"), "c:/d/mine"])
        .success();
    let tar = cp_stream(&env, "c:/d");
    let m = members(&tar);
    let owner = |n: &str| {
        m.iter()
            .find(|e| e.0 == n)
            .map(|e| (e.1, e.2))
            .unwrap_or_else(|| panic!("{n} missing in {m:?}"))
    };
    assert_eq!(owner("d"), (1000, 1000));
    assert_eq!(owner("d/inner"), (1000, 1000));
    assert_eq!(owner("d/file"), (1000, 1000));
    assert_eq!(owner("d/mine"), (0, 0));
    assert_eq!(member_data(&tar, "d/file").as_deref(), Some("data"));
    assert_eq!(
        names(&tar),
        vec!["d", "d/file", "d/inner", "d/mine", "d/root", "d/up"]
    );
    // Through a symlink to / or .. : lands in the container's /, nothing on the host.
    env.rl(&["cp", &format!("{s}/file"), "c:/d/root/viaroot"])
        .success();
    env.rl(&["cp", &format!("{s}/file"), "c:/d/up/viaup"])
        .success();
    assert!(!Path::new("/viaroot").exists() && !Path::new("/viaup").exists());
    let root = cp_stream(&env, "c:/viaroot");
    assert_eq!(member_data(&root, "viaroot").as_deref(), Some("data"));
    let up = cp_stream(&env, "c:/viaup");
    assert_eq!(member_data(&up, "viaup").as_deref(), Some("data"));
    // A tar stream on standard input, unpacked into a container directory.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o640);
    h.set_uid(7);
    h.set_gid(8);
    b.append_data(&mut h, "fromtar", &b"tar"[..]).unwrap();
    let good = b.into_inner().unwrap();
    let (code, _, err) = rl_raw(&env, &["cp", "-a=false", "-", "c:/d"], Some(&good));
    assert_eq!(code, 0, "{err}");
    let tar = cp_stream(&env, "c:/d/fromtar");
    assert_eq!(member_data(&tar, "fromtar").as_deref(), Some("tar"));
    assert_eq!((members(&tar)[0].1, members(&tar)[0].2), (7, 8));
    // Compressed, as podman takes it; not a tar at all: podman's error.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &good).unwrap();
    let gz = gz.finish().unwrap();
    let (code, _, err) = rl_raw(&env, &["cp", "-", "c:/"], Some(&gz));
    assert_eq!(code, 0, "{err}");
    assert!(!cp_stream(&env, "c:/fromtar").is_empty());
    let (code, _, err) = rl_raw(&env, &["cp", "-", "c:/"], Some(b"not a tar\n"));
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: source must be a (compressed) tar archive when copying from stdin"
    );
    // A hostile stream is refused before anything is written.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    b.append_data(&mut h, "first", &b"1"[..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.as_old_mut().name[..10].copy_from_slice(b"../../evil");
    h.set_cksum();
    b.append(&h, &b"e"[..]).unwrap();
    let evil = b.into_inner().unwrap();
    let (code, _, err) = rl_raw(&env, &["cp", "-", "c:/d"], Some(&evil));
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("escapes"), "{err}");
    env.rl(&["cp", "c:/d/first", env.home.to_str().unwrap()])
        .fails_with(125, "could not be found on container c");
    // Errors.
    env.rl(&["cp", &format!("{s}/nope"), "c:/d"]).fails_with(
        125,
        "could not be found on the host: no such file or directory",
    );
    env.rl(&["cp", &format!("{s}/file"), "c:/nodir/x"])
        .fails_with(125, "\"/nodir/x\" could not be found on container c");
    env.rl(&["cp", &format!("{s}/file"), "nosuch:/d"])
        .fails_with(125, "no container with name or ID \"nosuch\" found");
    env.rl(&["cp", &format!("{s}/tree"), "c:/d/file"])
        .fails_with(
            125,
            "destination must be a directory when copying a directory",
        );
    // The container still starts, and sees the copies.
    env.rl(&["start", "-a", "c"]).success();
    env.rl(&["cp", "c:/viaup", env.home.to_str().unwrap()])
        .success();
}

#[test]
fn copy_with_a_running_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let vol = host_dir(&env, "vol");
    let v = format!("{}:/vol", vol.display());
    env.rl(&[
        "run",
        "-d",
        "--name",
        "r",
        "-u",
        "1000:1000",
        "-v",
        &v,
        small(),
        "sleep",
        "1000",
    ])
    .success();
    let src = host_dir(&env, "src");
    fs::write(src.join("file"), "data").unwrap();
    chown_to_user(&env, &src.join("file"));
    let s = src.to_str().unwrap();
    env.rl(&["cp", &format!("{s}/file"), "r:/tmp/"]).success();
    env.rl(&["cp", "-a=false", &format!("{s}/file"), "r:/tmp/mine"])
        .success();
    let ls = env
        .rl(&["exec", "r", "ls", "-ln", "/tmp/file", "/tmp/mine"])
        .success()
        .out()
        .to_string();
    let owners: Vec<(String, String)> = ls
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[2].to_string(), f[3].to_string())
        })
        .collect();
    assert_eq!(
        owners,
        vec![("1000".into(), "1000".into()), ("0".into(), "0".into())],
        "{ls}"
    );
    // Volumes are seen as the container sees them.
    env.rl(&["cp", &format!("{s}/file"), "r:/vol/invol"])
        .success();
    assert_eq!(fs::read_to_string(vol.join("invol")).unwrap(), "data");
    // Out of the running container, and a symlink to / resolving inside it.
    env.rl(&[
        "exec",
        "r",
        "sh",
        "-c",
        "echo made > /tmp/made; ln -s / /tmp/root",
    ])
    .success();
    let out = host_dir(&env, "out");
    let o = out.to_str().unwrap();
    env.rl(&["cp", "r:/tmp/made", o]).success();
    assert_eq!(fs::read_to_string(out.join("made")).unwrap(), "made\n");
    let m = fs::metadata(out.join("made")).unwrap();
    assert_eq!(m.uid(), env.user.uid);
    env.rl(&["cp", "r:/tmp/root/etc/passwd", &format!("{o}/pw")])
        .success();
    assert!(
        !fs::read_to_string(out.join("pw"))
            .unwrap()
            .contains(&env.user.name)
    );
    env.rl(&["cp", &format!("{s}/file"), "r:/tmp/root/top"])
        .success();
    assert!(!Path::new("/top").exists());
    env.rl(&["exec", "r", "cat", "/top"])
        .success()
        .stdout_has("data");
    let tar = cp_stream(&env, "r:/tmp/made");
    assert_eq!(members(&tar)[0].1, 1000);
    env.rl(&["cp", "r:/nonexist", o])
        .fails_with(125, "could not be found on container r");
    env.rl(&["rm", "-f", "r"]).success();
}

#[test]
fn copy_with_a_keep_id_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&[
        "run",
        "-d",
        "--name",
        "k",
        "--userns=keep-id",
        small(),
        "sleep",
        "1000",
    ])
    .success();
    let src = host_dir(&env, "src");
    fs::write(src.join("file"), "data").unwrap();
    chown_to_user(&env, &src.join("file"));
    env.rl(&["cp", &format!("{}/file", src.display()), "k:/tmp/"])
        .success();
    let ls = env
        .rl(&["exec", "k", "ls", "-ln", "/tmp/file"])
        .success()
        .out()
        .to_string();
    let uid = env.user.uid.to_string();
    assert_eq!(ls.split_whitespace().nth(2), Some(uid.as_str()), "{ls}");
    let tar = cp_stream(&env, "k:/tmp/file");
    assert_eq!(members(&tar)[0].1, u64::from(env.user.uid));
    env.rl(&["rm", "-f", "k"]).success();
}

#[test]
fn export_running_and_stopped_containers() {
    let env = TestEnv::new();
    stopped(&env, &[]);
    let out = host_dir(&env, "out");
    let file = out.join("c.tar");
    env.rl(&["export", "-o", file.to_str().unwrap(), "c"])
        .success();
    let tar = fs::read(&file).unwrap();
    let n = names(&tar);
    for want in [
        "bin/busybox",
        "etc/passwd",
        "new.txt",
        "d/f",
        "proc",
        "dev",
        "sys",
        "etc/hosts",
        "etc/hostname",
        "etc/resolv.conf",
        "run/.containerenv",
    ] {
        assert!(n.iter().any(|x| x == want), "{want} missing: {n:?}");
    }
    assert!(!n.iter().any(|x| x == "etc/group"), "deleted file exported");
    assert!(
        !n.iter()
            .any(|x| x.starts_with("proc/") || x.starts_with("sys/")),
        "mount contents exported"
    );
    assert_eq!(member_data(&tar, "new.txt").as_deref(), Some("hi\n"));
    assert_eq!(fs::metadata(&file).unwrap().uid(), env.user.uid);
    // Same container, same bytes.
    let (code, again, err) = rl_raw(&env, &["export", "c"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, tar);
    // A running one, with a change made while it runs.
    env.rl(&["run", "-d", "--name", "r", small(), "sleep", "1000"])
        .success();
    env.rl(&["exec", "r", "sh", "-c", "echo live > /live; rm /etc/group"])
        .success();
    let (code, tar, err) = rl_raw(&env, &["container", "export", "r"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(member_data(&tar, "live").as_deref(), Some("live\n"));
    assert!(!names(&tar).iter().any(|x| x == "etc/group"));
    env.rl(&["events", "--stream=false", "--filter", "event=export"])
        .success()
        .stdout_has("container export");
    env.rl(&["export", "nosuch"])
        .fails_with(125, "no container with name or ID \"nosuch\" found");
    env.rl(&["rm", "-f", "r"]).success();
}

#[test]
fn export_to_a_terminal_is_refused() {
    let env = TestEnv::new();
    stopped(&env, &[]);
    // script(1) gives rl a pseudo-terminal as its standard output.
    let cmd = format!("{} export c", rl_binary().display());
    let mut c = env.command("script");
    c.args(["-qec", &cmd, "/dev/null"]);
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(125), "{text}");
    assert!(
        text.contains("Error: refusing to export to terminal. Use -o flag or redirect"),
        "{text}"
    );
}

#[test]
fn copy_into_the_volumes_of_a_stopped_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    let vol = host_dir(&env, "vol");
    let v = format!("{}:/vol", vol.display());
    env.rl(&[
        "create",
        "--name",
        "c",
        "-v",
        &v,
        "-v",
        "named:/named",
        small(),
        "true",
    ])
    .success();
    let src = host_dir(&env, "src");
    fs::write(src.join("file"), "data").unwrap();
    chown_to_user(&env, &src.join("file"));
    let f = format!("{}/file", src.display());
    env.rl(&["cp", &f, "c:/vol/"]).success();
    assert_eq!(fs::read_to_string(vol.join("file")).unwrap(), "data");
    env.rl(&["cp", &f, "c:/named/"]).success();
    let named = cp_stream(&env, "c:/named/file");
    assert_eq!(member_data(&named, "file").as_deref(), Some("data"));
    // Not in the container's own layer: the volume holds it.
    let tar = {
        let (code, out, err) = rl_raw(&env, &["export", "c"], None);
        assert_eq!(code, 0, "{err}");
        out
    };
    assert!(
        !names(&tar)
            .iter()
            .any(|n| n == "vol/file" || n == "named/file")
    );
}

#[test]
fn copy_into_a_stopped_keep_id_container() {
    let env = TestEnv::new();
    env.rl(&["pull", "-q", small()]).success();
    env.rl(&["create", "--name", "k", "--userns=keep-id", small(), "true"])
        .success();
    let src = host_dir(&env, "src");
    fs::write(src.join("file"), "data").unwrap();
    chown_to_user(&env, &src.join("file"));
    env.rl(&["cp", &format!("{}/file", src.display()), "k:/"])
        .success();
    // The container's main user is the user (keep-id); ids in the stream are the container's.
    let tar = cp_stream(&env, "k:/file");
    assert_eq!(members(&tar)[0].1, u64::from(env.user.uid));
    let tar = cp_stream(&env, "k:/etc/passwd");
    assert_eq!(members(&tar)[0].1, 0);
}
