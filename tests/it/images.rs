//! Images: pull, the store's layout and safety, tags, rmi, push, login — against the loopback
//! registry and the fixture images.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::support::fixtures::{fixtures, push_image, pushed};
use crate::support::oci::{Client, sha256_digest, sha256_hex};
use crate::support::registry::{Registry, auth_registry};
use crate::support::{
    TestEnv, host_uid, layer_dir, layers_top_first, lookup, run_command, storage, wait_until, xattr,
};

#[test]
fn pull_small_oci_and_docker() {
    let env = TestEnv::new();
    let fx = fixtures();
    let p = pushed();
    for (r, img) in [(&p.small, &fx.small), (&p.small_docker, &fx.small_docker)] {
        let out = env.rl(&["pull", &r.reference]);
        out.success();
        assert_eq!(
            out.out(),
            img.config_digest().trim_start_matches("sha256:"),
            "{r:?}"
        );
        assert!(
            out.stderr.is_empty(),
            "not a terminal: nothing on stderr: {}",
            out.stderr
        );
    }
    // One layer, shared by both manifests (same diff id), extracted once.
    let diff = &fx.small.diff_ids[0];
    let layer = layer_dir(&env, diff);
    let busybox = layer.join("bin/busybox");
    assert_eq!(
        sha256_hex(&fs::read(&busybox).unwrap()),
        fx.small_facts.busybox_sha256
    );
    assert_eq!(
        fs::read_link(layer.join("bin/sh")).unwrap(),
        PathBuf::from("busybox")
    );
    assert_eq!(
        fs::metadata(layer.join("tmp"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o1777
    );
    // In-image ownership goes through the subuid map: /home/user belongs to container uid 1000.
    let home = fs::metadata(layer.join("home/user")).unwrap();
    assert_eq!(home.uid(), host_uid(&env, 1000));
    assert_eq!(fs::metadata(&busybox).unwrap().uid(), env.user.uid);
    // Blobs are kept as pulled, by digest.
    for b in fx.small.blobs() {
        let path = storage(&env)
            .join("blobs/sha256")
            .join(b.digest.trim_start_matches("sha256:"));
        assert_eq!(sha256_digest(&fs::read(&path).unwrap()), b.digest);
    }
    let images = env.rl(&["images", "--format", "json"]).success().json();
    let arr = images.as_array().unwrap();
    assert_eq!(arr.len(), 1, "{images}");
    let tags: Vec<&str> = arr[0]["RepoTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        vec![
            p.small_docker.reference.as_str(),
            p.small.reference.as_str()
        ]
    );
}

#[test]
fn pull_multi_layer_semantics() {
    let env = TestEnv::new();
    let fx = fixtures();
    let f = &fx.multi_facts;
    env.rl(&["pull", "-q", &pushed().multi.reference]).success();
    let layers = layers_top_first(&env, &fx.multi.diff_ids);
    let find = |p: &str| lookup(&layers, p);
    for gone in f.whited_out {
        assert!(find(gone).is_none(), "{gone} should be whited out");
    }
    assert!(find(f.kept_beside_whiteout).is_some());
    for v in f.opaque_visible {
        assert!(find(v).is_some(), "{v} visible in the opaque dir");
    }
    for h in f.opaque_hidden {
        assert!(find(h).is_none(), "{h} hidden by the opaque dir");
    }
    for l in [&f.absolute_symlink, &f.relative_symlink] {
        assert_eq!(
            fs::read_link(find(l.path).unwrap()).unwrap(),
            PathBuf::from(l.target)
        );
    }
    let a = fs::metadata(find(f.hardlink.path).unwrap()).unwrap();
    let b = fs::metadata(find(f.hardlink.target).unwrap()).unwrap();
    assert_eq!(a.ino(), b.ino(), "hard link shares the inode");
    for o in [&f.user_owned, &f.user_owned_dir, &f.nobody_owned] {
        let m = fs::symlink_metadata(find(o.path).unwrap()).unwrap();
        assert_eq!(
            (m.uid(), m.gid()),
            (host_uid(&env, o.uid), host_uid(&env, o.gid)),
            "{}",
            o.path
        );
    }
    let suid = fs::metadata(find(f.setuid_file).unwrap()).unwrap();
    assert_eq!(suid.permissions().mode() & 0o7777, f.setuid_mode);
    let empty = find(f.empty_dir).unwrap();
    assert_eq!(fs::read_dir(empty).unwrap().count(), 0);
    assert_eq!(
        xattr(&find(f.xattr_file).unwrap(), f.xattr_name).as_deref(),
        Some(f.xattr_value.as_bytes())
    );
    let big = fs::read(find(f.big_file).unwrap()).unwrap();
    assert_eq!(big.len() as u64, f.big_file_size);
    assert_eq!(sha256_hex(&big), f.big_file_sha256);
    // inspect reports the config as the image has it.
    let cfg = env
        .rl(&["image", "inspect", &pushed().multi.reference])
        .success()
        .json();
    let c = &cfg[0]["Config"];
    assert_eq!(c["WorkingDir"], f.workdir);
    assert_eq!(c["User"], f.user);
    assert_eq!(c["Labels"][f.label.0], f.label.1);
    assert_eq!(
        cfg[0]["RootFS"]["Layers"].as_array().unwrap().len(),
        fx.multi.diff_ids.len()
    );
}

#[test]
fn pull_by_digest_and_platforms() {
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    let out = env.rl(&["pull", &p.small.by_digest]);
    assert_eq!(
        out.success().out(),
        fx.small.config_digest().trim_start_matches("sha256:")
    );
    // A digest pull adds no tag; the repo digest is recorded.
    let j = env.rl(&["images", "--format", "json"]).success().json();
    assert_eq!(j[0]["RepoTags"], serde_json::json!([]));
    assert!(
        j[0]["RepoDigests"][0]
            .as_str()
            .unwrap()
            .ends_with(&p.small.digest)
    );
    // The index: this host's platform by default, another on request.
    let amd = env
        .rl(&["pull", &p.multiarch.reference])
        .success()
        .out()
        .to_string();
    assert_eq!(
        amd,
        fx.multiarch
            .amd64
            .config_digest()
            .trim_start_matches("sha256:")
    );
    let arm = env
        .rl(&["pull", "--platform", "linux/arm64", &p.multiarch.reference])
        .success()
        .out()
        .to_string();
    assert_eq!(
        arm,
        fx.multiarch
            .arm64
            .config_digest()
            .trim_start_matches("sha256:")
    );
    let arm_layers = layers_top_first(&env, &fx.multiarch.arm64.diff_ids);
    let platform = lookup(&arm_layers, "/etc/rl-platform").unwrap();
    assert_eq!(fs::read_to_string(platform).unwrap(), "arm64\n");
    env.rl(&["pull", "--platform", "linux/s390x", &p.multiarch.reference])
        .fails_with(125, "no image for linux/s390x");
    env.rl(&["pull", "--platform", "nonsense", &p.small.reference])
        .fails_with(125, "platform");
}

#[test]
fn second_pull_downloads_nothing() {
    let env = TestEnv::new();
    let reg = Registry::start_with(false, true);
    let fx = fixtures();
    let r = push_image(
        &reg.client(),
        &reg.host,
        "rl-test/small",
        Some("latest"),
        &fx.small,
    );
    env.rl(&["pull", &r.reference]).success();
    let layer = fx.small.layers[0].digest.clone();
    let count = |log: &str| {
        log.lines()
            .filter(|l| l.contains(&format!("GET /v2/rl-test/small/blobs/{layer}")))
            .count()
    };
    assert_eq!(count(&reg.log_contents()), 1);
    env.rl(&["pull", &r.reference]).success();
    assert_eq!(count(&reg.log_contents()), 1, "layer fetched again");
}

#[test]
fn concurrent_pulls_share_layers() {
    let env = TestEnv::new();
    let reg = Registry::start_with(false, true);
    let fx = fixtures();
    let r = push_image(
        &reg.client(),
        &reg.host,
        "rl-test/multi",
        Some("latest"),
        &fx.multi,
    );
    let children: Vec<_> = (0..3)
        .map(|_| {
            let mut c = env.command(crate::support::rl_binary());
            c.args(["pull", "-q", &r.reference])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            fx.multi.config_digest().trim_start_matches("sha256:")
        );
    }
    let log = reg.log_contents();
    for l in &fx.multi.layers {
        let n = log
            .lines()
            .filter(|x| x.contains(&format!("GET /v2/rl-test/multi/blobs/{}", l.digest)))
            .count();
        assert_eq!(n, 1, "layer {} downloaded {n} times", l.digest);
    }
    assert_eq!(fs::read_dir(storage(&env).join("tmp")).unwrap().count(), 0);
    assert_eq!(env.rl(&["images", "-q"]).success().out().lines().count(), 1);
}

#[test]
fn killed_pull_leaves_no_half_image() {
    let env = TestEnv::new();
    let reg = Registry::start(false);
    let fx = fixtures();
    let r = push_image(
        &reg.client(),
        &reg.host,
        "rl-test/multi",
        Some("latest"),
        &fx.multi,
    );
    let tmp = storage(&env).join("tmp");
    let mut c = env.command(crate::support::rl_binary());
    c.args(["pull", "-q", &r.reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    // Kill it while a layer is being staged.
    let staged = wait_until(Duration::from_secs(30), || {
        fs::read_dir(&tmp).map(|d| d.count() > 0).unwrap_or(false)
    });
    assert!(staged, "pull never staged anything");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(env.rl(&["images", "-q"]).success().out(), "");
    // The next pull completes the image and clears the dead pull's staging.
    env.rl(&["pull", "-q", &r.reference]).success();
    assert_eq!(
        env.rl(&["images", "-q"]).success().out(),
        fx.multi.config_digest()["sha256:".len()..][..12].to_string()
    );
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "stale staging removed"
    );
}

/// The registry's file for a blob (to damage it on purpose).
fn registry_blob(reg: &Registry, digest: &str) -> PathBuf {
    let hex = digest.trim_start_matches("sha256:");
    reg.dir
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data")
}

fn assert_store_empty(env: &TestEnv) {
    assert_eq!(env.rl(&["images", "-q"]).success().out(), "");
    let s = storage(env);
    for d in ["tmp", "images"] {
        assert_eq!(
            fs::read_dir(s.join(d)).map(|r| r.count()).unwrap_or(0),
            0,
            "{d} not empty"
        );
    }
    let layers: Vec<_> = fs::read_dir(s.join("layers"))
        .map(|r| r.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(layers.is_empty(), "layers left: {layers:?}");
}

#[test]
fn damaged_blobs_are_refused() {
    let fx = fixtures();
    for damage in ["flip", "truncate", "extend"] {
        let env = TestEnv::new();
        let reg = Registry::start(false);
        let r = push_image(
            &reg.client(),
            &reg.host,
            "rl-test/small",
            Some("latest"),
            &fx.small,
        );
        let layer = &fx.small.layers[0].digest;
        let path = registry_blob(&reg, layer);
        let mut data = fs::read(&path).unwrap();
        match damage {
            "flip" => {
                let n = data.len() / 2;
                data[n] ^= 0xff;
            }
            "truncate" => data.truncate(data.len() - 100),
            _ => data.extend_from_slice(b"more bytes than the manifest says"),
        }
        fs::write(&path, &data).unwrap();
        let out = env.rl(&["pull", &r.reference]);
        out.fails_with(125, layer);
        assert_store_empty(&env);
    }
}

#[test]
fn registry_errors_are_one_line() {
    let env = TestEnv::new();
    let p = pushed();
    env.rl(&["pull", &format!("{}/rl-test/small:no-such-tag", p.host)])
        .fails_with(125, "manifest unknown");
    env.rl(&["pull", &format!("{}/rl-test/no-such-repo", p.host)])
        .fails_with(125, "manifest unknown");
    let port = crate::support::free_port();
    env.rl(&["pull", &format!("127.0.0.1:{port}/x/y:1")])
        .fails_with(125, &format!("127.0.0.1:{port}"));
    env.rl(&["pull", "Invalid/UPPER"])
        .fails_with(125, "must be lowercase");
    let auth = auth_registry();
    env.rl(&["pull", &format!("{}/rl-test/small:latest", auth.host)])
        .fails_with(125, "authentication required");
    assert_store_empty(&env);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Push a one-layer image made of `tar` to `repo:latest`.
fn push_layer_image(client: &Client, host: &str, repo: &str, tar: &[u8]) -> String {
    push_layer_image_as(client, host, repo, tar, "gzip")
}

/// The same with the layer compressed as `compression` (gzip, zstd or none).
fn push_layer_image_as(
    client: &Client,
    host: &str,
    repo: &str,
    tar: &[u8],
    compression: &str,
) -> String {
    let (layer, media_type) = match compression {
        "gzip" => (gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip"),
        "zstd" => (
            zstd::encode_all(tar, 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        _ => (tar.to_vec(), "application/vnd.oci.image.layer.v1.tar"),
    };
    let diff = sha256_digest(tar);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let cd = client.push_blob(repo, &config);
    let ld = client.push_blob(repo, &layer);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.digest, "size": cd.size},
        "layers": [{"mediaType": media_type, "digest": ld.digest, "size": ld.size}],
    }))
    .unwrap();
    client.push_manifest(
        repo,
        "latest",
        "application/vnd.oci.image.manifest.v1+json",
        &manifest,
    );
    format!("{host}/{repo}:latest")
}

/// A tar entry with a raw name (no validation), as a hostile tool would write it.
fn raw_entry(tar: &mut Vec<u8>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    {
        let g = h.as_gnu_mut().unwrap();
        g.name[..name.len()].copy_from_slice(name.as_bytes());
        g.linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(1);
    h.set_cksum();
    tar.extend_from_slice(h.as_bytes());
    tar.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    tar.extend(std::iter::repeat_n(0u8, pad));
}

fn finish_tar(mut tar: Vec<u8>) -> Vec<u8> {
    tar.extend(std::iter::repeat_n(0u8, 1024));
    tar
}

/// Every file under `dir` except the store, with its content.
fn snapshot(dir: &Path, skip: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.starts_with(skip) || p.ends_with(".local/share/rl") {
                continue;
            }
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p.clone());
                out.insert(p, Vec::new());
            } else {
                out.insert(p.clone(), fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn hostile_layers_write_nothing_outside_the_store() {
    let env = TestEnv::new();
    let reg = crate::support::registry::registry();
    let client = reg.client();
    // Staging is <data>/rl/storage/tmp/<dir>: four levels up is $XDG_DATA_HOME.
    let up = "../../../../";
    let canary = env.data.join("canary");
    fs::write(&canary, b"canary").unwrap();
    crate::support::chown_to_user(&env, &canary);
    // (name, layer, whether the extractor contains it (pull succeeds) or rejects it).
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        (
            "dotdot",
            {
                let mut t = Vec::new();
                raw_entry(
                    &mut t,
                    &format!("{up}escape-dotdot"),
                    tar::EntryType::Regular,
                    "",
                    b"x",
                );
                raw_entry(
                    &mut t,
                    &format!("{up}canary"),
                    tar::EntryType::Regular,
                    "",
                    b"overwritten",
                );
                finish_tar(t)
            },
            false,
        ),
        (
            "absolute",
            {
                let mut t = Vec::new();
                raw_entry(
                    &mut t,
                    &format!("{}/escape-abs", env.data.display()),
                    tar::EntryType::Regular,
                    "",
                    b"x",
                );
                finish_tar(t)
            },
            true,
        ),
        (
            "symlink-parent",
            {
                let mut t = Vec::new();
                raw_entry(&mut t, "evil", tar::EntryType::Symlink, up, b"");
                raw_entry(
                    &mut t,
                    "evil/escape-symlink",
                    tar::EntryType::Regular,
                    "",
                    b"x",
                );
                raw_entry(
                    &mut t,
                    "evil/canary",
                    tar::EntryType::Regular,
                    "",
                    b"overwritten",
                );
                finish_tar(t)
            },
            true,
        ),
        (
            "symlink-absolute-parent",
            {
                let mut t = Vec::new();
                raw_entry(
                    &mut t,
                    "abs",
                    tar::EntryType::Symlink,
                    &env.data.display().to_string(),
                    b"",
                );
                raw_entry(
                    &mut t,
                    "abs/escape-abs-symlink",
                    tar::EntryType::Regular,
                    "",
                    b"x",
                );
                finish_tar(t)
            },
            false,
        ),
        (
            "hardlink",
            {
                let mut t = Vec::new();
                raw_entry(
                    &mut t,
                    "hl",
                    tar::EntryType::Link,
                    &format!("{up}canary"),
                    b"",
                );
                finish_tar(t)
            },
            false,
        ),
        (
            "hardlink-abs",
            {
                let mut t = Vec::new();
                raw_entry(
                    &mut t,
                    "hl",
                    tar::EntryType::Link,
                    &canary.display().to_string(),
                    b"",
                );
                finish_tar(t)
            },
            false,
        ),
    ];
    // rl's pause process records itself in the runtime directory (soon after the first command
    // that enters the user namespace): let that happen before the snapshot.
    env.rl(&["unshare", "true"]).success();
    assert!(crate::support::wait_until(
        std::time::Duration::from_secs(5),
        || env.pause_pid().is_some()
    ));
    let before = snapshot(&env.root, &env.rl_data());
    for (name, tar, contained) in &cases {
        let r = push_layer_image(&client, &reg.host, &format!("rl-test/hostile-{name}"), tar);
        let out = env.rl(&["pull", &r]);
        // Contained (written inside the layer) or rejected with one line: either way nothing
        // outside the store changes.
        if *contained {
            out.success();
        } else {
            out.fails_with(125, "layer");
        }
        let after = snapshot(&env.root, &env.rl_data());
        assert_eq!(before, after, "case {name} changed files outside the store");
        assert_eq!(fs::read(&canary).unwrap(), b"canary");
    }
}

#[test]
fn tags_untag_and_rmi() {
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    let id = fx
        .small
        .config_digest()
        .trim_start_matches("sha256:")
        .to_string();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    env.rl(&[
        "tag",
        &p.small.reference,
        "mine:1",
        "localhost:5000/other/x:2",
    ])
    .success();
    let names = env
        .rl(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .success()
        .stdout
        .clone();
    assert!(names.contains("localhost/mine:1"), "{names}");
    assert!(names.contains("localhost:5000/other/x:2"), "{names}");
    // Lookups by short name, id prefix and full id.
    for r in ["mine:1", &id[..8], &id, &format!("sha256:{id}")] {
        env.rl(&["image", "inspect", "--format", "{{.Id}}", r])
            .success()
            .stdout_has(&id);
    }
    // rmi of one name of several only untags it.
    env.rl(&["rmi", "mine:1"])
        .success()
        .stdout_has("Untagged: localhost/mine:1");
    env.rl(&["untag", &id, "localhost:5000/other/x:2"])
        .success();
    assert_eq!(env.rl(&["images", "-q"]).success().out(), &id[..12]);
    env.rl(&["rmi", "no-such-image"])
        .fails_with(1, "image not known");
    let out = env.rl(&["rmi", &p.small.reference]);
    out.success().stdout_has(&format!("Deleted: {id}"));
    assert_eq!(env.rl(&["images", "-q"]).success().out(), "");
    // The layer went with its last image.
    assert!(!layer_dir(&env, &fx.small.diff_ids[0]).exists());
    assert_store_empty(&env);
}

#[test]
fn images_output_formats() {
    let env = TestEnv::new();
    let p = pushed();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    env.rl(&["pull", "-q", &p.multi.reference]).success();
    let table = env.rl(&["images"]).success().stdout.clone();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("REPOSITORY"), "{table}");
    for col in ["TAG", "IMAGE ID", "CREATED", "SIZE"] {
        assert!(header.contains(col), "{header}");
    }
    assert_eq!(lines.count(), 2, "{table}");
    assert!(table.contains(&format!("{}/rl-test/small", p.host)));
    let custom = env
        .rl(&["images", "--format", "table {{.ID}} {{.Tag}}"])
        .success()
        .stdout
        .clone();
    assert!(custom.starts_with("IMAGE ID"), "{custom}");
    let filtered = env
        .rl(&["images", "-q", "--filter", "reference=*multi*"])
        .success()
        .out()
        .to_string();
    assert_eq!(
        filtered,
        fixtures().multi.config_digest()["sha256:".len()..][..12].to_string()
    );
    let labelled = env
        .rl(&["images", "-q", "--filter", "label=org.rl.test=multi"])
        .success()
        .out()
        .to_string();
    assert_eq!(labelled, filtered);
    env.rl(&["images", "--filter", "bogus=1"])
        .fails_with(125, "bogus");
    let hist = env
        .rl(&["history", &p.multi.reference])
        .success()
        .stdout
        .clone();
    assert!(hist.starts_with("ID"), "{hist}");
    assert!(hist.contains("<missing>"), "{hist}");
}

#[test]
fn login_push_logout_with_auth_registry() {
    let env = TestEnv::new();
    let auth = auth_registry();
    let (user, pass) = auth.creds.clone().unwrap();
    let p = pushed();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    let dest = format!("{}/rl-test/pushed-by-rl:v1", auth.host);
    env.rl(&["push", &p.small.reference, &dest])
        .fails_with(125, "authentication required");
    env.rl_with(
        &["login", "-u", &user, "--password-stdin", &auth.host],
        Some(b"wrong-password\n"),
    )
    .fails_with(125, "invalid username or password");
    env.rl_with(
        &["login", "-u", &user, "--password-stdin", &auth.host],
        Some(format!("{pass}\n").as_bytes()),
    )
    .success()
    .stdout_has("Login Succeeded!");
    let auth_file = env.runtime.join("containers/auth.json");
    assert_eq!(
        fs::metadata(&auth_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        env.rl(&["login", "--get-login", &auth.host])
            .success()
            .out(),
        user
    );
    env.rl(&["push", &p.small.reference, &dest]).success();
    // What rl pushed is byte for byte what it pulled: same manifest digest, same layers.
    let fetched = auth
        .client()
        .get_manifest(
            "rl-test/pushed-by-rl",
            "v1",
            &["application/vnd.oci.image.manifest.v1+json"],
        )
        .unwrap();
    assert_eq!(sha256_digest(&fetched.bytes), p.small.digest);
    // Pull it back into a fresh store.
    let env2 = TestEnv::new();
    fs::create_dir_all(env2.runtime.join("containers")).unwrap();
    fs::copy(&auth_file, env2.runtime.join("containers/auth.json")).unwrap();
    crate::support::chown_to_user(&env2, &env2.runtime.join("containers"));
    crate::support::chown_to_user(&env2, &env2.runtime.join("containers/auth.json"));
    env2.rl(&["pull", "-q", &dest]).success();
    env.rl(&["logout", &auth.host])
        .success()
        .stdout_has("Removed login credentials");
    env.rl(&["logout", &auth.host])
        .fails_with(125, "not logged into");
    env.rl(&["pull", &dest])
        .fails_with(125, "authentication required");
}

#[test]
fn skopeo_reads_what_rl_pushes_and_rl_reads_what_skopeo_copies() {
    if !Path::new("/usr/bin/skopeo").exists() {
        panic!("skopeo is not installed: scripts/test installs it");
    }
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    env.rl(&["pull", "-q", &p.multi.reference]).success();
    let dest = format!("{}/rl-test/rl-pushed-multi:1", p.host);
    env.rl(&["push", &p.multi.reference, &dest]).success();
    let mut c = env.command("skopeo");
    c.args(["inspect", "--tls-verify=false", &format!("docker://{dest}")]);
    let out = run_command(c, None, "skopeo inspect");
    out.success();
    let layers: Vec<String> = out.json()["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = fx.multi.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(layers, want);
    // skopeo copies, rl pulls: identical layer digests in rl's record.
    let copied = format!("{}/rl-test/skopeo-copied:1", p.host);
    let mut c = env.command("skopeo");
    c.args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{}", p.small.reference),
        &format!("docker://{copied}"),
    ]);
    run_command(c, None, "skopeo copy").success();
    env.rl(&["pull", "-q", &copied]).success();
    let j = env
        .rl(&[
            "image",
            "inspect",
            "--format",
            "{{json .RootFS.Layers}}",
            &copied,
        ])
        .success()
        .json();
    assert_eq!(j, serde_json::json!(fx.small.diff_ids));
}

#[test]
fn zstd_and_uncompressed_layers() {
    let env = TestEnv::new();
    let reg = crate::support::registry::registry();
    let client = reg.client();
    for c in ["zstd", "none"] {
        let mut t = Vec::new();
        raw_entry(&mut t, "etc/", tar::EntryType::Directory, "", b"");
        raw_entry(
            &mut t,
            "etc/compression",
            tar::EntryType::Regular,
            "",
            c.as_bytes(),
        );
        let tar = finish_tar(t);
        let r = push_layer_image_as(&client, &reg.host, &format!("rl-test/layer-{c}"), &tar, c);
        env.rl(&["pull", "-q", &r]).success();
        let layer = layer_dir(&env, &sha256_digest(&tar));
        assert_eq!(
            fs::read(layer.join("etc/compression")).unwrap(),
            c.as_bytes()
        );
    }
}

#[test]
fn pull_all_tags() {
    let env = TestEnv::new();
    let reg = Registry::start(false);
    let fx = fixtures();
    for tag in ["one", "two"] {
        push_image(
            &reg.client(),
            &reg.host,
            "rl-test/tags",
            Some(tag),
            &fx.small,
        );
    }
    let out = env.rl(&["pull", "--all-tags", &format!("{}/rl-test/tags", reg.host)]);
    assert_eq!(out.success().out().lines().count(), 2);
    let names = env
        .rl(&["images", "--format", "{{.Tag}}"])
        .success()
        .stdout
        .clone();
    assert!(names.contains("one") && names.contains("two"), "{names}");
    env.rl(&[
        "pull",
        "--all-tags",
        &format!("{}/rl-test/tags:one", reg.host),
    ])
    .fails_with(125, "--all-tags");
}
