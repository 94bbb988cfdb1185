//! Tests of the test harness itself: the loopback registry, the fixture
//! images and the distribution-API client.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use serde_json::{Value, json};

use crate::support::fixtures::{self, fixtures, pushed};
use crate::support::oci::{Client, media, sha256_digest, sha256_hex};
use crate::support::registry::{self, Registry, auth_registry, registry};

#[test]
fn registry_answers_on_loopback() {
    let reg = registry();
    assert!(reg.host.starts_with("127.0.0.1:"), "{}", reg.host);
    assert_eq!(reg.url, format!("http://{}", reg.host));
    assert_eq!(reg.client().status_of("GET", "/v2/"), 200);
}

#[test]
fn pushed_manifests_round_trip_by_tag_and_digest() {
    let fx = fixtures();
    let pushed = pushed();
    let client = registry().client();
    for (r, bytes) in pushed.all(fx) {
        assert_eq!(r.digest, sha256_digest(bytes));
        assert!(
            r.by_digest
                .starts_with(&format!("{}/{}@sha256:", pushed.host, r.repo))
        );
        let mut references = vec![r.digest.clone()];
        if let Some(tag) = &r.tag {
            assert_eq!(r.reference, format!("{}/{}:{tag}", pushed.host, r.repo));
            references.push(tag.clone());
        }
        for reference in &references {
            for accept in [&[r.media_type.as_str()][..], media::ALL_MANIFESTS] {
                let got = client
                    .get_manifest(&r.repo, reference, accept)
                    .unwrap_or_else(|e| panic!("{}: {e}", r.reference));
                assert_eq!(got.bytes, bytes, "{}/{reference}", r.repo);
                assert_eq!(got.media_type, r.media_type, "{}/{reference}", r.repo);
                assert_eq!(got.digest_header.as_deref(), Some(r.digest.as_str()));
            }
        }
    }
    let mut tags = client.tags("rl-test/small");
    tags.sort();
    assert_eq!(tags, ["docker", "latest"]);
    assert_eq!(client.tags("rl-test/multiarch"), ["latest"]);
}

#[test]
fn manifests_reference_the_right_media_types() {
    let fx = fixtures();
    for (oci, docker) in [(&fx.small, &fx.small_docker), (&fx.multi, &fx.multi_docker)] {
        assert_eq!(oci.media_type, media::OCI_MANIFEST);
        assert_eq!(oci.config_media_type, media::OCI_CONFIG);
        assert_eq!(oci.layer_media_type, media::OCI_LAYER_GZIP);
        assert_eq!(docker.media_type, media::DOCKER_MANIFEST);
        assert_eq!(docker.config_media_type, media::DOCKER_CONFIG);
        assert_eq!(docker.layer_media_type, media::DOCKER_LAYER_GZIP);
        // Same blobs, different manifests.
        assert_eq!(oci.config_digest(), docker.config_digest());
        assert_eq!(oci.layer_digests(), docker.layer_digests());
        assert_ne!(oci.manifest_digest, docker.manifest_digest);
        for image in [oci, docker] {
            let m = image.manifest_json();
            assert_eq!(m["schemaVersion"], 2);
            assert_eq!(m["mediaType"], image.media_type.as_str());
            assert_eq!(m["config"]["digest"], image.config_digest());
            assert_eq!(m["config"]["mediaType"], image.config_media_type.as_str());
            let layers = m["layers"].as_array().expect("layers");
            assert_eq!(layers.len(), image.layers.len());
            assert_eq!(image.diff_ids.len(), image.layers.len());
            for (l, blob) in layers.iter().zip(&image.layers) {
                assert_eq!(l["mediaType"], image.layer_media_type.as_str());
                assert_eq!(l["digest"], blob.digest.as_str());
                assert_eq!(l["size"], blob.size);
            }
        }
    }
    assert_eq!(fx.small.layers.len(), 1);
    assert_eq!(fx.multi.layers.len(), 4);
    assert_eq!(fx.multi.layers[0].digest, fx.small.layers[0].digest);
}

#[test]
fn small_image_blobs_round_trip() {
    let fx = fixtures();
    pushed();
    let client = registry().client();
    for image in [&fx.small, &fx.small_docker] {
        for blob in image.blobs() {
            let got = client.get_blob("rl-test/small", &blob.digest);
            assert_eq!(got.len() as u64, blob.size);
            assert_eq!(sha256_digest(&got), blob.digest);
            assert_eq!(got, *blob.bytes());
        }
        let layer = client.get_blob("rl-test/small", &image.layers[0].digest);
        assert_eq!(
            format!("sha256:{}", sha256_hex(&gunzip(&layer))),
            image.diff_ids[0]
        );
    }
}

#[test]
fn multi_image_blobs_round_trip() {
    let fx = fixtures();
    pushed();
    let client = registry().client();
    for blob in fx.multi.blobs() {
        let got = client.get_blob("rl-test/multi", &blob.digest);
        assert_eq!(got.len() as u64, blob.size, "{}", blob.digest);
        assert_eq!(sha256_digest(&got), blob.digest);
    }
}

#[test]
fn multiarch_index_lists_both_platforms() {
    let fx = fixtures();
    let pushed = pushed();
    let client = registry().client();
    let got = client
        .get_manifest(
            "rl-test/multiarch",
            "latest",
            &[media::OCI_INDEX, media::OCI_MANIFEST],
        )
        .expect("fetch the index");
    assert_eq!(got.media_type, media::OCI_INDEX);
    assert_eq!(
        got.digest_header.as_deref(),
        Some(pushed.multiarch.digest.as_str())
    );
    let index: Value = serde_json::from_slice(&got.bytes).expect("index JSON");
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["mediaType"], media::OCI_INDEX);
    let entries = index["manifests"].as_array().expect("manifests");
    let platforms: Vec<&Value> = entries.iter().map(|m| &m["platform"]).collect();
    assert_eq!(
        platforms,
        [
            &json!({"architecture": "amd64", "os": "linux"}),
            &json!({"architecture": "arm64", "os": "linux", "variant": "v8"}),
        ]
    );
    let children = [
        (&fx.multiarch.amd64, &pushed.multiarch_amd64),
        (&fx.multiarch.arm64, &pushed.multiarch_arm64),
    ];
    for (entry, (image, pushed_child)) in entries.iter().zip(children) {
        assert_eq!(entry["mediaType"], media::OCI_MANIFEST);
        assert_eq!(entry["digest"], image.manifest_digest.as_str());
        assert_eq!(entry["size"], image.manifest.len());
        assert_eq!(pushed_child.digest, image.manifest_digest);
        let child = client
            .get_manifest(
                "rl-test/multiarch",
                &image.manifest_digest,
                &[media::OCI_MANIFEST],
            )
            .expect("fetch a child manifest");
        assert_eq!(child.bytes, image.manifest);
        let config: Value =
            serde_json::from_slice(&client.get_blob("rl-test/multiarch", image.config_digest()))
                .expect("config JSON");
        let arch = &image.platform.architecture;
        assert_eq!(config["architecture"], arch.as_str());
        assert_eq!(config["os"], "linux");
        assert_eq!(
            config["variant"].as_str(),
            image.platform.variant.as_deref()
        );
        // The last layer carries /etc/rl-platform with the architecture.
        let layer = client.get_blob("rl-test/multiarch", &image.layers[1].digest);
        let entries = tar_entries(&gunzip(&layer));
        let platform_file = &entries[fixtures::PLATFORM_FILE.trim_start_matches('/')];
        assert_eq!(platform_file.data, format!("{arch}\n").as_bytes());
        assert_eq!(image.layers[0].digest, fx.small.layers[0].digest);
    }
    assert_eq!(fx.multiarch.arm64.platform.variant.as_deref(), Some("v8"));
}

#[test]
fn auth_registry_rejects_anonymous_clients() {
    let reg = auth_registry();
    let anon = reg.anonymous_client();
    assert_eq!(anon.status_of("GET", "/v2/"), 401);
    assert_eq!(
        anon.status_of("POST", "/v2/rl-test/auth/blobs/uploads/"),
        401
    );
    let err = anon
        .try_push_blob("rl-test/auth", b"anonymous")
        .expect_err("anonymous blob push");
    assert_eq!(err.status(), Some(401), "{err}");
    let small = &fixtures().small;
    let err = anon
        .try_push_manifest("rl-test/auth", "anon", &small.media_type, &small.manifest)
        .expect_err("anonymous manifest push");
    assert_eq!(err.status(), Some(401), "{err}");
    let wrong = Client::new(&reg.url, Some((registry::AUTH_USER.into(), "wrong".into())));
    assert_eq!(wrong.status_of("GET", "/v2/"), 401);
}

#[test]
fn auth_registry_accepts_push_and_pull_with_credentials() {
    let reg = auth_registry();
    assert_eq!(
        reg.creds,
        Some((
            registry::AUTH_USER.to_owned(),
            registry::AUTH_PASSWORD.to_owned()
        ))
    );
    let client = reg.client();
    assert_eq!(client.status_of("GET", "/v2/"), 200);
    let small = &fixtures().small;
    let r = fixtures::push_image(
        &client,
        &reg.host,
        "rl-test/auth-small",
        Some("latest"),
        small,
    );
    assert_eq!(
        r.reference,
        format!("{}/rl-test/auth-small:latest", reg.host)
    );
    let got = client
        .get_manifest("rl-test/auth-small", "latest", &[media::OCI_MANIFEST])
        .expect("authenticated pull");
    assert_eq!(got.bytes, small.manifest);
    assert_eq!(
        got.digest_header.as_deref(),
        Some(small.manifest_digest.as_str())
    );
    let layer = client.get_blob("rl-test/auth-small", &small.layers[0].digest);
    assert_eq!(sha256_digest(&layer), small.layers[0].digest);
    let err = reg
        .anonymous_client()
        .get_manifest("rl-test/auth-small", "latest", &[media::OCI_MANIFEST])
        .expect_err("anonymous pull");
    assert_eq!(err.status(), Some(401), "{err}");
}

#[test]
fn fixtures_are_deterministic() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let (oci_a, docker_a) = fixtures::build_small_into(a.path());
    let (oci_b, docker_b) = fixtures::build_small_into(b.path());
    for (x, y) in [(&oci_a, &oci_b), (&docker_a, &docker_b)] {
        assert_eq!(x.manifest_digest, y.manifest_digest);
        assert_eq!(x.manifest, y.manifest);
        assert_eq!(x.config_digest(), y.config_digest());
        assert_eq!(x.layer_digests(), y.layer_digests());
        assert_eq!(x.diff_ids, y.diff_ids);
    }
    // The shared (cached) fixtures come from the same code: the uncompressed
    // content and hence the config agree (gzip bytes could only differ if
    // the compressor changed since the cache was built).
    let fx = fixtures();
    assert_eq!(fx.small.diff_ids, oci_a.diff_ids);
    assert_eq!(fx.small.config_digest(), oci_a.config_digest());
}

/// Checks the layers against the facts promised to other tests.
#[test]
fn multi_layers_contain_the_promised_entries() {
    let fx = fixtures();
    let facts = &fx.multi_facts;
    let layers: Vec<BTreeMap<String, TarEntry>> = fx
        .multi
        .layers
        .iter()
        .zip(&fx.multi.diff_ids)
        .map(|(layer, diff_id)| {
            let tar = gunzip(&layer.bytes());
            assert_eq!(format!("sha256:{}", sha256_hex(&tar)), *diff_id);
            tar_entries(&tar)
        })
        .collect();
    let rel = |p: &str| p.trim_start_matches('/').to_owned();
    let [base, lower, upper, big] = &layers[..] else {
        panic!("multi has 4 layers")
    };

    // Base: busybox and its applets.
    let busybox = &base["bin/busybox"];
    assert_eq!(sha256_hex(&busybox.data), fx.small_facts.busybox_sha256);
    assert_eq!(busybox.mode, 0o755);
    for applet in fx.small_facts.applets {
        let e = &base[&format!("bin/{applet}")];
        assert_eq!(
            (e.kind, e.link.as_deref()),
            (tar::EntryType::Symlink, Some("busybox"))
        );
    }
    assert_eq!(base["tmp"].mode, 0o1777);
    let passwd = String::from_utf8(base["etc/passwd"].data.clone()).expect("utf-8 passwd");
    for u in fx.small_facts.users {
        let line = format!("{}:x:{}:{}:{}:{}:", u.name, u.uid, u.gid, u.name, u.home);
        assert!(
            passwd.lines().any(|l| l.starts_with(&line)),
            "{line} in {passwd}"
        );
    }
    assert_eq!((base["home/user"].uid, base["home/user"].gid), (1000, 1000));

    // Whiteouts and the opaque dir: the lower layer has what the upper hides.
    for path in facts.whited_out {
        let p = rel(path);
        assert!(
            lower
                .keys()
                .any(|k| *k == p || k.starts_with(&format!("{p}/"))),
            "{p}"
        );
        let (parent, name) = p.rsplit_once('/').map_or(("", p.as_str()), |(d, n)| (d, n));
        let wh = if parent.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{parent}/.wh.{name}")
        };
        assert_eq!(upper[&wh].kind, tar::EntryType::Regular, "{wh}");
    }
    assert!(lower.contains_key(&rel(facts.kept_beside_whiteout)));
    assert!(upper.contains_key(&format!("{}/.wh..wh..opq", rel(facts.opaque_dir))));
    for path in facts.opaque_hidden {
        assert!(
            lower.contains_key(&rel(path)) && !upper.contains_key(&rel(path)),
            "{path}"
        );
    }
    for path in facts.opaque_visible {
        assert!(upper.contains_key(&rel(path)), "{path}");
    }

    // Links.
    for (link, kind) in [
        (facts.absolute_symlink, tar::EntryType::Symlink),
        (facts.relative_symlink, tar::EntryType::Symlink),
    ] {
        let e = &upper[&rel(link.path)];
        assert_eq!((e.kind, e.link.as_deref()), (kind, Some(link.target)));
    }
    let hard = &upper[&rel(facts.hardlink.path)];
    assert_eq!(hard.kind, tar::EntryType::Link);
    assert_eq!(
        hard.link.as_deref(),
        Some(rel(facts.hardlink.target).as_str())
    );
    assert_eq!(
        upper[&rel(facts.hardlink.target)].data,
        facts.hardlink_content.as_bytes()
    );

    // Owners, modes, xattr.
    for owned in [facts.user_owned, facts.user_owned_dir, facts.nobody_owned] {
        let e = &upper[&rel(owned.path)];
        assert_eq!(
            (e.uid, e.gid),
            (u64::from(owned.uid), u64::from(owned.gid)),
            "{}",
            owned.path
        );
    }
    let suid = &upper[&rel(facts.setuid_file)];
    assert_eq!((suid.mode, suid.uid, suid.gid), (facts.setuid_mode, 0, 0));
    let empty = rel(facts.empty_dir);
    assert_eq!(upper[&empty].kind, tar::EntryType::Directory);
    assert!(!upper.keys().any(|k| k.starts_with(&format!("{empty}/"))));
    let x = &upper[&rel(facts.xattr_file)];
    assert_eq!(
        x.xattrs,
        [(
            format!("SCHILY.xattr.{}", facts.xattr_name),
            facts.xattr_value.as_bytes().to_vec()
        )]
    );
    assert_eq!(lower[&rel(facts.workdir)].kind, tar::EntryType::Directory);

    // The big file.
    let b = &big[&rel(facts.big_file)];
    assert_eq!(b.data.len() as u64, facts.big_file_size);
    assert_eq!(sha256_hex(&b.data), facts.big_file_sha256);

    // Config.
    let c = fx.multi.config_json();
    let cfg = &c["config"];
    assert_eq!(cfg["Env"], json!(facts.env));
    assert_eq!(cfg["Entrypoint"], json!(facts.entrypoint));
    assert_eq!(cfg["Cmd"], json!(facts.cmd));
    assert_eq!(cfg["WorkingDir"], facts.workdir);
    assert_eq!(cfg["User"], facts.user);
    let ports: Vec<&String> = cfg["ExposedPorts"]
        .as_object()
        .expect("ports")
        .keys()
        .collect();
    assert_eq!(ports, facts.exposed_ports);
    let volumes: Vec<&String> = cfg["Volumes"]
        .as_object()
        .expect("volumes")
        .keys()
        .collect();
    assert_eq!(volumes, facts.volumes);
    assert_eq!(cfg["Labels"][facts.label.0], facts.label.1);
    assert_eq!(c["rootfs"]["diff_ids"], json!(fx.multi.diff_ids));
    let history = c["history"].as_array().expect("history");
    let non_empty = history.iter().filter(|h| h["empty_layer"] != true).count();
    assert_eq!(non_empty, fx.multi.layers.len());
}

#[test]
fn dropped_registry_stops_and_cleans_up() {
    let reg = Registry::start(false);
    let dir = reg.dir.clone();
    let probe = reg.anonymous_client();
    assert_eq!(probe.status_of("GET", "/v2/"), 200);
    drop(reg);
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(
        probe.try_status_of("GET", "/v2/").is_err(),
        "registry still answers"
    );
}

const HELPER_ENV: &str = "RL_TEST_REGISTRY_HELPER";

/// Run by `registry_dies_with_the_test_process` in a child test process:
/// starts the shared registries and exits without any teardown.
#[test]
#[ignore = "helper for registry_dies_with_the_test_process"]
fn registry_helper_process() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    for reg in [registry(), auth_registry()] {
        println!("RL-REGISTRY {} {}", reg.url, reg.dir.display());
    }
}

#[test]
fn registry_dies_with_the_test_process() {
    let mut child = Command::new(std::env::current_exe().expect("current test binary"))
        .args(["--exact", "registry_fixtures::registry_helper_process"])
        .args(["--ignored", "--nocapture", "--test-threads=1"])
        .env(HELPER_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the helper test process");
    let stdout = child.stdout.take().expect("helper stdout");
    let started: Vec<(String, String)> = BufReader::new(stdout)
        .lines()
        .map(|l| l.expect("read helper output"))
        .filter_map(|l| {
            // The test harness may have printed "test ... " on the same line.
            let rest = l.split_once("RL-REGISTRY ")?.1.to_owned();
            let (url, dir) = rest.split_once(' ')?;
            Some((url.to_owned(), dir.to_owned()))
        })
        .collect();
    assert!(child.wait().expect("wait for the helper").success());
    assert_eq!(started.len(), 2, "helper output: {started:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    for (url, dir) in started {
        let probe = Client::new(&url, None);
        loop {
            let gone = probe.try_status_of("GET", "/v2/").is_err()
                && !Path::new(&dir).exists()
                && processes_mentioning(&dir).is_empty();
            if gone {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "registry {url} survived its test process: {:?}",
                processes_mentioning(&dir)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `pid: cmdline` of the processes whose command line contains `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

// ---------------------------------------------------------------------------

#[derive(Debug)]
struct TarEntry {
    kind: tar::EntryType,
    mode: u32,
    uid: u64,
    gid: u64,
    link: Option<String>,
    xattrs: Vec<(String, Vec<u8>)>,
    data: Vec<u8>,
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gunzip a layer");
    out
}

/// Entries of a tar by path (without trailing `/`).
fn tar_entries(tar_bytes: &[u8]) -> BTreeMap<String, TarEntry> {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut map = BTreeMap::new();
    for entry in archive.entries().expect("read tar") {
        let mut entry = entry.expect("tar entry");
        let path = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .trim_end_matches('/')
            .to_owned();
        let header = entry.header().clone();
        let link = entry
            .link_name()
            .expect("link name")
            .map(|l| l.to_string_lossy().into_owned());
        let xattrs = match entry.pax_extensions().expect("pax extensions") {
            Some(exts) => exts
                .map(|e| {
                    let e = e.expect("pax record");
                    (
                        e.key().expect("utf-8 pax key").to_owned(),
                        e.value_bytes().to_vec(),
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("entry data");
        let previous = map.insert(
            path.clone(),
            TarEntry {
                kind: header.entry_type(),
                mode: header.mode().expect("mode"),
                uid: header.uid().expect("uid"),
                gid: header.gid().expect("gid"),
                link,
                xattrs,
                data,
            },
        );
        assert!(previous.is_none(), "duplicate tar entry {path}");
    }
    map
}
