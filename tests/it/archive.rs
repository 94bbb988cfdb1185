//! save, load and import: round trips through docker-archive and oci-archive (files and pipes),
//! interoperability with skopeo, tarball imports, and hostile or damaged archives.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::fixtures::{fixtures, pushed};
use crate::support::oci::{sha256_digest, sha256_hex};
use crate::support::{
    TestEnv, chown_to_user, host_uid, layer_dir, layers_top_first, lookup, run_command, storage,
    wait_until, xattr,
};

fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

/// Image id (hex) → sorted names, from `rl images`.
fn images(env: &TestEnv) -> Vec<(String, BTreeSet<String>)> {
    let j = env.rl(&["images", "--format", "json"]).success().json();
    let mut out: Vec<(String, BTreeSet<String>)> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let names = i["RepoTags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect();
            (i["Id"].as_str().unwrap().to_string(), names)
        })
        .collect();
    out.sort();
    out
}

fn tmp_entries(env: &TestEnv) -> Vec<String> {
    fs::read_dir(storage(env).join("tmp"))
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Nothing of a failed load or import is visible, and no staging is left.
#[track_caller]
fn assert_nothing_loaded(env: &TestEnv) {
    assert_eq!(env.rl(&["images", "-q"]).success().out(), "");
    assert_eq!(tmp_entries(env), Vec::<String>::new(), "staging left");
    let records = fs::read_dir(storage(env).join("images"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert_eq!(records, 0, "image records left");
    let layers = fs::read_dir(storage(env).join("layers"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert_eq!(
        layers, 0,
        "layers committed before the archive was verified"
    );
}

/// The multi image's layers, stacked, are what the fixture says.
#[track_caller]
fn assert_multi_facts(env: &TestEnv) {
    let fx = fixtures();
    let f = &fx.multi_facts;
    let layers = layers_top_first(env, &fx.multi.diff_ids);
    let find = |p: &str| lookup(&layers, p);
    for gone in f.whited_out {
        assert!(find(gone).is_none(), "{gone} should be whited out");
    }
    assert!(find(f.kept_beside_whiteout).is_some());
    for h in f.opaque_hidden {
        assert!(find(h).is_none(), "{h} hidden by the opaque dir");
    }
    for v in f.opaque_visible {
        assert!(find(v).is_some(), "{v} visible in the opaque dir");
    }
    let owned = fs::symlink_metadata(find(f.user_owned.path).unwrap()).unwrap();
    assert_eq!(owned.uid(), host_uid(env, f.user_owned.uid));
    assert_eq!(
        xattr(&find(f.xattr_file).unwrap(), f.xattr_name).as_deref(),
        Some(f.xattr_value.as_bytes())
    );
    let big = fs::read(find(f.big_file).unwrap()).unwrap();
    assert_eq!(big.len() as u64, f.big_file_size);
    assert_eq!(sha256_hex(&big), f.big_file_sha256);
}

/// The entries of a tar archive, in order.
fn tar_entries(bytes: &[u8]) -> Vec<(String, tar::EntryType, Vec<u8>)> {
    let mut ar = tar::Archive::new(bytes);
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = String::from_utf8(e.path_bytes().to_vec()).unwrap();
            let kind = e.header().entry_type();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, kind, data)
        })
        .collect()
}

/// A tar of regular files.
fn build_tar(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1);
        h.set_cksum();
        b.append(&h, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

/// A tar entry with a raw name (no validation), as a hostile tool would write it.
fn raw_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Write `bytes` to a file the test user may read.
fn put_file(env: &TestEnv, name: &str, bytes: &[u8]) -> PathBuf {
    let p = env.home.join(name);
    fs::write(&p, bytes).unwrap();
    chown_to_user(env, &p);
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Pull the small and multi fixtures into `env`.
fn pull_small_and_multi(env: &TestEnv) {
    let p = pushed();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    env.rl(&["pull", "-q", &p.multi.reference]).success();
}

#[test]
fn docker_archive_round_trip() {
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    pull_small_and_multi(&env);
    let file = env.home.join("images.tar");
    env.rl(&[
        "save",
        "-o",
        s(&file),
        &p.small.reference,
        &p.multi.reference,
    ])
    .success();
    let bytes = fs::read(&file).unwrap();
    // Deterministic: the same images give the same bytes.
    let again = env.home.join("again.tar");
    env.rl(&[
        "image",
        "save",
        "-q",
        "-o",
        s(&again),
        &p.small.reference,
        &p.multi.reference,
    ])
    .success();
    assert!(
        fs::read(&again).unwrap() == bytes,
        "save is not deterministic"
    );
    // The docker-archive layout: plain layer tars whose digests are the diff ids.
    let entries = tar_entries(&bytes);
    let manifest = &entries.iter().find(|e| e.0 == "manifest.json").unwrap().2;
    let manifest: Value = serde_json::from_slice(manifest).unwrap();
    assert_eq!(manifest.as_array().unwrap().len(), 2);
    let small = &manifest[0];
    assert_eq!(
        small["Config"],
        format!("{}.json", hex(fx.small.config_digest()))
    );
    assert_eq!(small["RepoTags"], json!([p.small.reference]));
    for (name, _, data) in entries.iter().filter(|e| e.0.ends_with("/layer.tar")) {
        assert_eq!(format!("{}/layer.tar", hex(&sha256_digest(data))), *name);
    }
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries are sorted");
    // Into a fresh store: same ids, same names, same layers.
    let env2 = TestEnv::new();
    let out = env2.rl(&["load", "-i", s(&file)]);
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "Loaded image: {}\nLoaded image: {}\n",
            p.small.reference, p.multi.reference
        )
    );
    assert_eq!(images(&env2), images(&env));
    assert_multi_facts(&env2);
    assert_eq!(tmp_entries(&env2), Vec::<String>::new());
    // Loading again changes nothing.
    env2.rl(&["load", "-q", "-i", s(&file)]).success();
    assert_eq!(images(&env2), images(&env));
}

#[test]
fn oci_archive_round_trip_and_skopeo_reads_it() {
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    pull_small_and_multi(&env);
    let small = env.home.join("small-oci.tar");
    env.rl(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        s(&small),
        &p.small.reference,
    ])
    .success();
    // skopeo reads what rl wrote: the stored manifest and blobs, byte for byte.
    let mut c = env.command("skopeo");
    c.args(["inspect", &format!("oci-archive:{}", s(&small))]);
    let out = run_command(c, None, "skopeo inspect");
    let j = out.success().json();
    assert_eq!(j["Digest"], p.small.digest);
    assert_eq!(j["Layers"], json!(fx.small.layer_digests()));
    let entries = tar_entries(&fs::read(&small).unwrap());
    for (name, kind, data) in &entries {
        if let Some(h) = name.strip_prefix("blobs/sha256/")
            && kind.is_file()
        {
            assert_eq!(sha256_hex(data), h);
        }
    }
    let index: Value =
        serde_json::from_slice(&entries.iter().find(|e| e.0 == "index.json").unwrap().2).unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        p.small.reference
    );
    // Two images (one by id, so unnamed) into a fresh store.
    let both = env.home.join("both-oci.tar");
    let multi_id = hex(fx.multi.config_digest());
    env.rl(&[
        "save",
        "--format=oci-archive",
        "-o",
        s(&both),
        &p.small.reference,
        &multi_id[..12],
    ])
    .success();
    let env2 = TestEnv::new();
    let out = env2.rl(&["load", "-i", s(&both)]);
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "Loaded image: {}\nLoaded image: {}\n",
            p.small.reference,
            fx.multi.config_digest()
        )
    );
    let ids: Vec<String> = images(&env2).into_iter().map(|i| i.0).collect();
    let mut want = vec![
        hex(fx.small.config_digest()).to_string(),
        multi_id.to_string(),
    ];
    want.sort();
    assert_eq!(ids, want);
    assert_multi_facts(&env2);
    // The manifests are the registry's: same digests as pulled.
    let digest = env2
        .rl(&[
            "image",
            "inspect",
            "--format",
            "{{.Digest}}",
            &p.small.reference,
        ])
        .success()
        .out()
        .to_string();
    assert_eq!(digest, p.small.digest);
}

#[test]
fn loads_what_skopeo_writes() {
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    let skopeo_copy = |src: &str, dest: String| {
        let mut c = env.command("skopeo");
        c.args(["copy", "--src-tls-verify=false", src, &dest]);
        run_command(c, None, "skopeo copy").success();
    };
    let oci = env.home.join("skopeo-oci.tar");
    skopeo_copy(
        &format!("docker://{}", p.small.reference),
        format!("oci-archive:{}", s(&oci)),
    );
    env.rl(&["load", "-i", s(&oci)])
        .success()
        .stdout_has(&format!("Loaded image: {}", fx.small.config_digest()));
    let docker = env.home.join("skopeo-docker.tar");
    skopeo_copy(
        &format!("docker://{}", p.multi_docker.reference),
        format!("docker-archive:{}:rl-test/multi:skopeo", s(&docker)),
    );
    let out = env.rl(&["load", "-i", s(&docker)]);
    // docker-archive names follow docker's rules, as podman load reads them.
    assert_eq!(
        out.success().out(),
        "Loaded image: docker.io/rl-test/multi:skopeo"
    );
    let id = env
        .rl(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            "docker.io/rl-test/multi:skopeo",
        ])
        .success()
        .out()
        .to_string();
    assert_eq!(id, hex(fx.multi_docker.config_digest()));
    assert_multi_facts(&env);
}

#[test]
fn save_to_stdout_load_from_stdin() {
    let env = TestEnv::new();
    let p = pushed();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    let rl = crate::support::rl_binary().display().to_string();
    // A terminal is refused; a pipe is fine, plain or compressed.
    for (filter, env2) in [("cat", TestEnv::new()), ("gzip -c", TestEnv::new())] {
        let mut c = env.command("sh");
        c.arg("-c").arg(format!(
            "{rl} save {r} | {filter} | XDG_DATA_HOME={data} {rl} load",
            r = p.small.reference,
            data = env2.data.display()
        ));
        let out = run_command(c, None, "rl save | rl load");
        out.success();
        assert_eq!(out.out(), format!("Loaded image: {}", p.small.reference));
        assert_eq!(images(&env2), images(&env));
    }
    // zstd, from a file.
    let mut c = env.command(crate::support::rl_binary());
    c.args(["save", "--format", "oci-archive", &p.small.reference]);
    c.stdout(Stdio::piped());
    let archive = c.output().unwrap().stdout;
    let zst = put_file(
        &env,
        "small.tar.zst",
        &zstd::encode_all(&archive[..], 3).unwrap(),
    );
    let env3 = TestEnv::new();
    env3.rl(&["load", "-i", s(&zst)]).success();
    assert_eq!(images(&env3), images(&env));
}

#[test]
fn import_tarball_with_changes() {
    let env = TestEnv::new();
    // A small root file system: directories, files, a symlink, a file owned by uid 1000.
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, kind: tar::EntryType, data: &[u8], uid: u64, mode: u32| {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(uid);
        h.set_gid(uid);
        h.set_mtime(1_700_000_000);
        if kind == tar::EntryType::Symlink {
            h.set_link_name("hello").unwrap();
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
    };
    add("etc/", tar::EntryType::Directory, b"", 0, 0o755);
    add("etc/hello", tar::EntryType::Regular, b"hello\n", 0, 0o644);
    add("etc/link", tar::EntryType::Symlink, b"", 0, 0o777);
    add("home/", tar::EntryType::Directory, b"", 0, 0o755);
    add("home/user/", tar::EntryType::Directory, b"", 1000, 0o700);
    add(
        "home/user/notes",
        tar::EntryType::Regular,
        b"mine\n",
        1000,
        0o600,
    );
    let tar = b.into_inner().unwrap();
    let diff_id = sha256_digest(&tar);
    let file = put_file(&env, "rootfs.tar.gz", &gzip(&tar));
    let out = env.rl(&[
        "import",
        "--change",
        r#"CMD ["/bin/sh"]"#,
        "--change",
        "ENV A=1",
        "-c",
        "WORKDIR /w",
        "-m",
        "made by a test",
        s(&file),
        "imported:1",
    ]);
    let id = out.success().out().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    let j = env
        .rl(&["image", "inspect", "localhost/imported:1"])
        .success()
        .json();
    let i = &j[0];
    assert_eq!(i["Id"], hex(&id));
    assert_eq!(i["Config"]["Cmd"], json!(["/bin/sh"]));
    assert_eq!(i["Config"]["Env"], json!(["A=1"]));
    assert_eq!(i["Config"]["WorkingDir"], "/w");
    assert_eq!(i["Os"], "linux");
    assert!(!i["Architecture"].as_str().unwrap().is_empty());
    assert_eq!(i["RootFS"]["Layers"], json!([diff_id]));
    assert_eq!(i["History"][0]["created_by"], "imported from tarball");
    assert_eq!(i["History"][0]["comment"], "made by a test");
    let layer = layer_dir(&env, &diff_id);
    assert_eq!(fs::read(layer.join("etc/hello")).unwrap(), b"hello\n");
    assert_eq!(
        fs::read_link(layer.join("etc/link")).unwrap(),
        PathBuf::from("hello")
    );
    let notes = fs::metadata(layer.join("home/user/notes")).unwrap();
    assert_eq!(
        (notes.uid(), notes.mode() & 0o7777),
        (host_uid(&env, 1000), 0o600)
    );
    // The blob is gzip, and the image saves and loads like any other.
    let rec: Value = serde_json::from_slice(
        &fs::read(
            storage(&env)
                .join("images")
                .join(format!("{}.json", hex(&id))),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        rec["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    let saved = env.home.join("imported.tar");
    env.rl(&["save", "-o", s(&saved), "imported:1"]).success();
    let env2 = TestEnv::new();
    env2.rl(&["load", "-i", s(&saved)])
        .success()
        .stdout_has("Loaded image: localhost/imported:1");
    assert_eq!(images(&env2), images(&env));
    // From stdin, zstd-compressed, unnamed.
    let out = env.rl_with(
        &["import", "-q", "-"],
        Some(&zstd::encode_all(&tar[..], 3).unwrap()),
    );
    let id2 = out.success().out().to_string();
    assert_ne!(id2, id, "a new image (created now)");
    assert_eq!(env.rl(&["images", "-q"]).success().out().lines().count(), 2);
}

/// The archive with only its regular files, each passed through `f`.
fn rebuild(
    entries: &[(String, tar::EntryType, Vec<u8>)],
    f: impl Fn(&str, &[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = entries
        .iter()
        .filter(|e| e.1.is_file())
        .map(|(n, _, d)| (n.clone(), f(n, d)))
        .collect();
    build_tar(&files)
}

/// The offset in `archive` of a byte inside the data of the first entry `pick` chooses (it gets
/// the name and size, and returns the offset within the entry's data).
fn data_offset(archive: &[u8], pick: impl Fn(&[u8], u64) -> Option<u64>) -> usize {
    let mut ar = tar::Archive::new(archive);
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        if let Some(off) = pick(&e.path_bytes(), e.size()) {
            return usize::try_from(e.raw_file_position() + off).unwrap();
        }
    }
    panic!("no such entry in the archive")
}

/// A docker-archive of the small fixture, as rl saves it.
fn small_archive() -> Vec<u8> {
    let env = TestEnv::new();
    let p = pushed();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    let file = env.home.join("small.tar");
    env.rl(&["save", "-o", s(&file), &p.small.reference])
        .success();
    fs::read(&file).unwrap()
}

/// A docker-archive of one image whose second layer tries to climb out of its directory (the
/// diff ids are right: only extraction can tell).
fn hostile_layer_archive() -> Vec<u8> {
    let good = build_tar(&[("ok".to_string(), b"fine\n".to_vec())]);
    let mut bad = raw_entry("../../escape", b"x");
    bad.extend(std::iter::repeat_n(0u8, 1024));
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&good), sha256_digest(&bad)]},
    }))
    .unwrap();
    let manifest =
        json!([{"Config": "config.json", "RepoTags": ["hostile:1"], "Layers": ["a.tar", "b.tar"]}]);
    build_tar(&[
        ("config.json".into(), config),
        ("a.tar".into(), good),
        ("b.tar".into(), bad),
        (
            "manifest.json".into(),
            serde_json::to_vec(&manifest).unwrap(),
        ),
    ])
}

#[test]
fn damaged_and_hostile_archives_are_refused() {
    let archive = small_archive();
    let entries = tar_entries(&archive);
    // A byte flipped in the middle of the layer's data.
    let layer_pos = data_offset(&archive, |name, size| {
        name.ends_with(b"/layer.tar").then_some(size / 2)
    });
    let mut flipped = archive.clone();
    flipped[layer_pos] ^= 0xff;
    let missing = rebuild(&entries, |n, d| {
        if n != "manifest.json" {
            return d.to_vec();
        }
        let mut m: Value = serde_json::from_slice(d).unwrap();
        m[0]["Layers"][0] = json!("nowhere/layer.tar");
        serde_json::to_vec(&m).unwrap()
    });
    let mut dotdot = raw_entry("../outside", b"x");
    dotdot.extend_from_slice(&archive);
    let gz = gzip(&archive);
    let mut corrupt_gz = gz.clone();
    corrupt_gz[gz.len() / 2] ^= 0x55;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            archive[..archive.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "truncated at an entry",
            archive[..512].to_vec(),
            "truncated",
        ),
        ("truncated gzip", gz[..gz.len() - 64].to_vec(), "truncated"),
        ("corrupt gzip", corrupt_gz, "the archive is damaged"),
        ("flipped byte", flipped, "does not match diff_id"),
        (
            "missing file",
            missing,
            "\"nowhere/layer.tar\", which the archive does not contain",
        ),
        ("dotdot entry", dotdot, "climbs out of the archive"),
        (
            "not a tar",
            b"this is not an archive at all\n".repeat(40),
            "not a tar",
        ),
        ("empty", Vec::new(), "empty"),
        ("hostile layer", hostile_layer_archive(), "escape"),
    ];
    let env = TestEnv::new();
    for (what, bytes, needle) in cases {
        let file = put_file(&env, "bad.tar", &bytes);
        let out = env.rl(&["load", "-i", s(&file)]);
        out.fails_with(125, needle);
        assert!(
            out.stderr.contains(s(&file)),
            "{what}: names the input: {}",
            out.stderr
        );
        assert_nothing_loaded(&env);
        // The same through stdin.
        env.rl_with(&["load"], Some(&bytes)).fails_with(125, needle);
        assert_nothing_loaded(&env);
    }
    let tarball = put_file(
        &env,
        "rootfs.tar",
        &build_tar(&[("a".into(), b"a".to_vec())]),
    );
    env.rl(&["import", "--change", "RUN rm -rf /", s(&tarball)])
        .fails_with(125, "unknown instruction \"RUN\"");
    let junk = put_file(&env, "junk.txt", &b"not a tarball\n".repeat(100));
    env.rl(&["import", s(&junk)])
        .fails_with(125, "junk.txt: not a tar archive");
    let empty = put_file(&env, "empty.tar", b"");
    env.rl(&["import", s(&empty)])
        .fails_with(125, "the tarball is empty");
    assert_nothing_loaded(&env);
    env.rl(&["import", s(&tarball)]).success();
    let broken = put_file(&env, "broken.tar", &archive[..archive.len() / 3]);
    env.rl(&["import", s(&broken), "broken:1"])
        .fails_with(125, "broken.tar");
    assert_eq!(env.rl(&["images", "-q"]).success().out().lines().count(), 1);
    assert_eq!(tmp_entries(&env), Vec::<String>::new());
}

#[test]
fn oci_archive_with_a_damaged_blob_is_refused() {
    let env = TestEnv::new();
    let p = pushed();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    let file = env.home.join("oci.tar");
    env.rl(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        s(&file),
        &p.small.reference,
    ])
    .success();
    let mut bytes = fs::read(&file).unwrap();
    let layer = hex(&fixtures().small.layers[0].digest).to_string();
    let pos = data_offset(&bytes, |name, _| {
        name.ends_with(layer.as_bytes()).then_some(100)
    });
    bytes[pos] ^= 1;
    let env2 = TestEnv::new();
    env2.rl_with(&["load"], Some(&bytes)).fails_with(
        125,
        &format!("blob sha256:{layer} in the archive does not match"),
    );
    assert_nothing_loaded(&env2);
}

#[test]
fn save_refuses_a_terminal_and_unknown_images() {
    let env = TestEnv::new();
    env.rl(&["save", "no-such-image:1"])
        .fails_with(125, "image not known");
    env.rl(&["save", "--format", "tarball", "x"])
        .fails_with(125, "tarball");
    // A pseudo-terminal on stdout: `script` gives rl one.
    if Path::new("/usr/bin/script").exists() {
        let p = pushed();
        env.rl(&["pull", "-q", &p.small.reference]).success();
        let rl = crate::support::rl_binary().display().to_string();
        let mut c = env.command("script");
        c.args([
            "-qec",
            &format!("{rl} save {}", p.small.reference),
            "/dev/null",
        ]);
        let out = run_command(c, None, "script rl save");
        assert_eq!(out.status, 125, "{out:?}");
        assert!(
            out.stdout
                .contains("refusing to write an archive to a terminal"),
            "{out:?}"
        );
    }
}

#[test]
fn killed_load_leaves_no_half_image() {
    let env = TestEnv::new();
    let p = pushed();
    pull_small_and_multi(&env);
    let file = env.home.join("multi.tar");
    env.rl(&["save", "-o", s(&file), &p.multi.reference])
        .success();
    let env2 = TestEnv::new();
    let tmp = storage(&env2).join("tmp");
    // The store exists before the load starts, so staging can be watched.
    env2.rl(&["images", "-q"]).success();
    let mut c = env2.command(crate::support::rl_binary());
    c.args(["load", "-i", s(&file)])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let staged = wait_until(Duration::from_secs(30), || {
        fs::read_dir(&tmp).map(|d| d.count() > 0).unwrap_or(false)
    });
    assert!(staged, "load never staged anything");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(env2.rl(&["images", "-q"]).success().out(), "");
    // The next load completes and removes the dead one's staging.
    env2.rl(&["load", "-q", "-i", s(&file)]).success();
    assert_eq!(
        env2.rl(&["images", "-q"]).success().out(),
        &hex(fixtures().multi.config_digest())[..12]
    );
    assert_eq!(tmp_entries(&env2), Vec::<String>::new());
}

#[test]
fn loads_docker_25_archives() {
    // Docker 25+ writes an OCI layout with a manifest.json beside it, and names images with
    // containerd's annotation (ref.name holds only the tag).
    let env = TestEnv::new();
    let p = pushed();
    let fx = fixtures();
    env.rl(&["pull", "-q", &p.small.reference]).success();
    let file = env.home.join("oci.tar");
    env.rl(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        s(&file),
        &p.small.reference,
    ])
    .success();
    let entries = tar_entries(&fs::read(&file).unwrap());
    let mut files: Vec<(String, Vec<u8>)> = entries
        .iter()
        .filter(|e| e.1.is_file())
        .map(|(n, _, d)| {
            if n != "index.json" {
                return (n.clone(), d.clone());
            }
            let mut index: Value = serde_json::from_slice(d).unwrap();
            index["manifests"][0]["annotations"] = json!({
                "io.containerd.image.name": "docker.io/library/small:25",
                "org.opencontainers.image.ref.name": "25",
            });
            (n.clone(), serde_json::to_vec(&index).unwrap())
        })
        .collect();
    let layers: Vec<String> = fx
        .small
        .layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", hex(&l.digest)))
        .collect();
    let manifest = json!([{
        "Config": format!("blobs/sha256/{}", hex(fx.small.config_digest())),
        "RepoTags": ["small:25"],
        "Layers": layers,
    }]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let docker25 = put_file(&env, "docker25.tar", &build_tar(&files));
    let env2 = TestEnv::new();
    env2.rl(&["load", "-i", s(&docker25)])
        .success()
        .stdout_has("Loaded image: docker.io/library/small:25");
    let id = env2
        .rl(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            "docker.io/library/small:25",
        ])
        .success()
        .out()
        .to_string();
    assert_eq!(id, hex(fx.small.config_digest()));
}
