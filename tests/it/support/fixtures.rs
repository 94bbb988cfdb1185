//! Deterministic fixture images built from `/bin/busybox` (busybox-static).
//!
//! Everything is byte-for-byte reproducible (fixed mtimes and owners, sorted
//! entries, gzip without timestamp), so digests are stable between runs.
//! The built blobs are cached under `$CARGO_TARGET_TMPDIR/rl-fixtures-v<N>-<key>/`
//! where `<key>` hashes `/bin/busybox` and this source file: editing the
//! fixtures or upgrading busybox rebuilds the cache automatically. The cache
//! is built in a temp dir and renamed into place, so concurrent test binaries
//! never see half of it.
//!
//! Images (see [`Fixtures`]):
//! * `small`: one layer, busybox + applet symlinks, `/etc/passwd`, ... ;
//! * `multi`: the small layer plus layers with whiteouts, an opaque dir,
//!   symlinks, a hard link, owned/setuid files, an xattr and a 50 MiB file;
//! * `multiarch`: an OCI index of an amd64 and an arm64 (v8) image.
//!
//! `small` and `multi` exist as OCI and as Docker schema2 manifests, which
//! share their blobs.

// Shared harness: not every test binary uses every item.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::oci::{Client, Descriptor, hex, media, sha256_digest, sha256_hex};
use super::registry::{Registry, registry};

/// Bump to invalidate every cached fixture set (the cache key also covers
/// this file's text and `/bin/busybox`).
pub const FIXTURES_VERSION: u32 = 1;
/// mtime of every tar entry (2023-11-14T22:13:20Z).
pub const EPOCH: u64 = 1_700_000_000;
/// `created` of every config and history entry.
pub const CREATED: &str = "2023-11-14T22:13:20Z";
/// Source of the fixtures.
pub const BUSYBOX: &str = "/bin/busybox";
/// `Env` of the small image (and the first entry of multi's).
pub const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Busybox applets linked in `/bin` (symlinks to `busybox`).
pub const SMALL_APPLETS: &[&str] = &[
    "cat",
    "chmod",
    "chown",
    "chroot",
    "cp",
    "cut",
    "date",
    "dd",
    "echo",
    "env",
    "false",
    "find",
    "grep",
    "gzip",
    "head",
    "hostname",
    "httpd",
    "id",
    "ip",
    "kill",
    "ln",
    "ls",
    "mkdir",
    "mount",
    "mv",
    "nc",
    "nslookup",
    "od",
    "ping",
    "printf",
    "ps",
    "pwd",
    "readlink",
    "rm",
    "sed",
    "seq",
    "sh",
    "sha256sum",
    "sleep",
    "sort",
    "stat",
    "tar",
    "tee",
    "test",
    "timeout",
    "touch",
    "tr",
    "true",
    "uname",
    "wc",
    "wget",
    "whoami",
    "xargs",
    "yes",
];
/// Path of the per-platform file in the `multiarch` images; its content is
/// the architecture followed by a newline (`"amd64\n"`, `"arm64\n"`).
pub const PLATFORM_FILE: &str = "/etc/rl-platform";

const BIG_FILE_SIZE: u64 = 50 * 1024 * 1024;
const BIG_FILE_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
/// Blobs up to this size are kept in memory; bigger ones are read on demand.
const IN_MEMORY_LIMIT: u64 = 8 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Public description of the fixtures
// ---------------------------------------------------------------------------

/// A content-addressed blob of the fixture cache.
#[derive(Debug, Clone)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    /// Where the blob is stored in the cache.
    pub path: PathBuf,
    memory: Option<Arc<[u8]>>,
}

impl Blob {
    /// The blob's bytes (borrowed if held in memory, else read from disk).
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match &self.memory {
            Some(bytes) => Cow::Borrowed(bytes),
            None => Cow::Owned(
                fs::read(&self.path)
                    .unwrap_or_else(|e| panic!("read fixture blob {}: {e}", self.path.display())),
            ),
        }
    }

    /// Its descriptor with the given media type.
    pub fn descriptor(&self, media_type: &str) -> Descriptor {
        Descriptor::new(media_type, &self.digest, self.size)
    }
}

/// Platform of an image (from its config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    pub variant: Option<String>,
}

/// One image manifest with its blobs.
#[derive(Debug, Clone)]
pub struct Image {
    /// Manifest media type (OCI manifest or Docker schema2).
    pub media_type: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub config_media_type: String,
    pub config: Blob,
    pub layer_media_type: String,
    /// Compressed layers, base first.
    pub layers: Vec<Blob>,
    /// `rootfs.diff_ids` of the config (sha256 of the uncompressed tars).
    pub diff_ids: Vec<String>,
    pub platform: Platform,
}

impl Image {
    pub fn config_digest(&self) -> &str {
        &self.config.digest
    }

    pub fn layer_digests(&self) -> Vec<&str> {
        self.layers.iter().map(|l| l.digest.as_str()).collect()
    }

    /// The parsed image config.
    pub fn config_json(&self) -> Value {
        serde_json::from_slice(&self.config.bytes()).expect("fixture config is JSON")
    }

    /// The parsed manifest.
    pub fn manifest_json(&self) -> Value {
        serde_json::from_slice(&self.manifest).expect("fixture manifest is JSON")
    }

    /// Config then layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(&self.layers)
    }

    /// The manifest's descriptor (for an index).
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            &self.media_type,
            &self.manifest_digest,
            self.manifest.len() as u64,
        )
    }
}

/// The multi-platform OCI index.
#[derive(Debug, Clone)]
pub struct Index {
    pub media_type: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    /// linux/amd64: small layer + `/etc/rl-platform` = `amd64`.
    pub amd64: Image,
    /// linux/arm64/v8: small layer + `/etc/rl-platform` = `arm64`.
    pub arm64: Image,
}

impl Index {
    /// Children in index order.
    pub fn children(&self) -> [&Image; 2] {
        [&self.amd64, &self.arm64]
    }
}

/// A path and what it points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub path: &'static str,
    pub target: &'static str,
}

/// A path and its expected owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owned {
    pub path: &'static str,
    pub uid: u32,
    pub gid: u32,
}

/// An account of the fixtures' `/etc/passwd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub name: &'static str,
    pub uid: u32,
    pub gid: u32,
    pub home: &'static str,
}

/// The accounts of `/etc/passwd`; `user`'s home exists, owned 1000:1000.
pub const USERS: &[User] = &[
    User {
        name: "root",
        uid: 0,
        gid: 0,
        home: "/root",
    },
    User {
        name: "user",
        uid: 1000,
        gid: 1000,
        home: "/home/user",
    },
    User {
        name: "nobody",
        uid: 65534,
        gid: 65534,
        home: "/nonexistent",
    },
];

/// What the small image contains (absolute paths inside the rootfs).
#[derive(Debug, Clone)]
pub struct SmallFacts {
    pub busybox: &'static str,
    /// Hex sha256 of `/bin/busybox` (as `sha256sum` prints it).
    pub busybox_sha256: String,
    pub busybox_size: u64,
    /// Names in `/bin`, symlinked to `busybox`.
    pub applets: &'static [&'static str],
    /// Accounts in `/etc/passwd` (groups of the same name and id in
    /// `/etc/group`, except `nogroup` for nobody): root, user, nobody.
    pub users: &'static [User],
    /// Directory with mode 1777.
    pub sticky_tmp: &'static str,
    pub env: &'static [&'static str],
    pub cmd: &'static [&'static str],
}

/// What the multi image contains after its layers are applied.
#[derive(Debug, Clone)]
pub struct MultiFacts {
    /// Created in layer 2, removed in layer 3 by `.wh.` whiteouts
    /// (`/gone-dir` is a directory with a file in it).
    pub whited_out: &'static [&'static str],
    /// Sibling of a whited-out file, must survive.
    pub kept_beside_whiteout: &'static str,
    /// Opaque in layer 3 (`.wh..wh..opq`).
    pub opaque_dir: &'static str,
    /// Present in the opaque dir after extraction.
    pub opaque_visible: &'static [&'static str],
    /// From the lower layer, hidden by the opaque marker.
    pub opaque_hidden: &'static [&'static str],
    pub absolute_symlink: Link,
    pub relative_symlink: Link,
    /// `path` is a hard link to `target` (same inode), both in layer 3.
    pub hardlink: Link,
    pub hardlink_content: &'static str,
    pub user_owned: Owned,
    pub user_owned_dir: Owned,
    pub nobody_owned: Owned,
    /// Owned by root, mode 04755.
    pub setuid_file: &'static str,
    pub setuid_mode: u32,
    pub empty_dir: &'static str,
    /// File carrying xattr `xattr_name` = `xattr_value` (PAX `SCHILY.xattr.`).
    pub xattr_file: &'static str,
    pub xattr_name: &'static str,
    pub xattr_value: &'static str,
    /// `WorkingDir` of the config, created in layer 2 (owned 1000:1000).
    pub workdir: &'static str,
    /// Deterministic pseudo-random file of `big_file_size` bytes (layer 4).
    pub big_file: &'static str,
    pub big_file_size: u64,
    /// Hex sha256 of the big file's content.
    pub big_file_sha256: String,
    pub env: &'static [&'static str],
    pub entrypoint: &'static [&'static str],
    pub cmd: &'static [&'static str],
    pub user: &'static str,
    pub exposed_ports: &'static [&'static str],
    pub volumes: &'static [&'static str],
    pub label: (&'static str, &'static str),
}

/// All fixture images.
#[derive(Debug, Clone)]
pub struct Fixtures {
    /// The cache directory (`blobs/sha256/<hex>`, `refs.json`).
    pub dir: PathBuf,
    /// OCI manifest, one layer.
    pub small: Image,
    /// Docker schema2 manifest of the same blobs.
    pub small_docker: Image,
    /// OCI manifest, four layers.
    pub multi: Image,
    /// Docker schema2 manifest of the same blobs.
    pub multi_docker: Image,
    /// OCI index of linux/amd64 and linux/arm64/v8.
    pub multiarch: Index,
    pub small_facts: SmallFacts,
    pub multi_facts: MultiFacts,
}

impl Fixtures {
    /// Every image manifest (not the index), for loops in tests.
    pub fn images(&self) -> [(&'static str, &Image); 6] {
        [
            ("small", &self.small),
            ("small_docker", &self.small_docker),
            ("multi", &self.multi),
            ("multi_docker", &self.multi_docker),
            ("multiarch_amd64", &self.multiarch.amd64),
            ("multiarch_arm64", &self.multiarch.arm64),
        ]
    }
}

const MULTI_ENV: &[&str] = &[PATH_ENV, "FOO=bar"];
const MULTI_ENTRYPOINT: &[&str] = &["/bin/sh", "-c"];
const MULTI_CMD: &[&str] = &["echo hello"];
const SMALL_CMD: &[&str] = &["sh"];

fn small_facts(busybox_sha256: String, busybox_size: u64) -> SmallFacts {
    SmallFacts {
        busybox: BUSYBOX,
        busybox_sha256,
        busybox_size,
        applets: SMALL_APPLETS,
        users: USERS,
        sticky_tmp: "/tmp",
        env: &[PATH_ENV],
        cmd: SMALL_CMD,
    }
}

fn multi_facts(big_file_sha256: String) -> MultiFacts {
    MultiFacts {
        whited_out: &["/etc/rl-doomed", "/gone-dir"],
        kept_beside_whiteout: "/etc/rl-kept",
        opaque_dir: "/opq",
        opaque_visible: &["/opq/new-c"],
        opaque_hidden: &["/opq/old-a", "/opq/sub"],
        absolute_symlink: Link {
            path: "/links/abs",
            target: "/etc/passwd",
        },
        relative_symlink: Link {
            path: "/links/rel",
            target: "../etc/group",
        },
        hardlink: Link {
            path: "/links/hard-b",
            target: "/links/hard-a",
        },
        hardlink_content: "one inode, two names\n",
        user_owned: Owned {
            path: "/owned/by-user",
            uid: 1000,
            gid: 1000,
        },
        user_owned_dir: Owned {
            path: "/owned/user-dir",
            uid: 1000,
            gid: 1000,
        },
        nobody_owned: Owned {
            path: "/owned/by-nobody",
            uid: 65534,
            gid: 65534,
        },
        setuid_file: "/bin/rl-suid",
        setuid_mode: 0o4755,
        empty_dir: "/empty",
        xattr_file: "/xattr/file",
        xattr_name: "user.rl.test",
        xattr_value: "hello-xattr",
        workdir: "/work",
        big_file: "/big/random.bin",
        big_file_size: BIG_FILE_SIZE,
        big_file_sha256,
        env: MULTI_ENV,
        entrypoint: MULTI_ENTRYPOINT,
        cmd: MULTI_CMD,
        user: "1000:1000",
        exposed_ports: &["53/udp", "80/tcp"],
        volumes: &["/data"],
        label: ("org.rl.test", "multi"),
    }
}

// ---------------------------------------------------------------------------
// Global access and pushing
// ---------------------------------------------------------------------------

static FIXTURES: OnceLock<Fixtures> = OnceLock::new();

/// The fixtures, built (or loaded from the on-disk cache) on first use.
pub fn fixtures() -> &'static Fixtures {
    FIXTURES.get_or_init(load_or_build_cache)
}

/// One pushed manifest.
#[derive(Debug, Clone)]
pub struct PushedRef {
    /// `"rl-test/small"`.
    pub repo: String,
    /// `"latest"`, `"docker"`, or `None` if pushed by digest only.
    pub tag: Option<String>,
    /// `"127.0.0.1:PORT/rl-test/small:latest"` (by digest if untagged).
    pub reference: String,
    /// `"127.0.0.1:PORT/rl-test/small@sha256:..."`.
    pub by_digest: String,
    pub digest: String,
    pub media_type: String,
}

/// What [`push_fixtures`] pushed where.
#[derive(Debug, Clone)]
pub struct PushedImages {
    /// `"127.0.0.1:PORT"`.
    pub host: String,
    /// `rl-test/small:latest` (OCI).
    pub small: PushedRef,
    /// `rl-test/small:docker` (schema2).
    pub small_docker: PushedRef,
    /// `rl-test/multi:latest` (OCI).
    pub multi: PushedRef,
    /// `rl-test/multi:docker` (schema2).
    pub multi_docker: PushedRef,
    /// `rl-test/multiarch:latest` (OCI index).
    pub multiarch: PushedRef,
    /// The index children, by digest in `rl-test/multiarch`.
    pub multiarch_amd64: PushedRef,
    pub multiarch_arm64: PushedRef,
}

impl PushedImages {
    /// Every pushed manifest with its fixture bytes, for loops in tests.
    pub fn all<'a>(&'a self, fx: &'a Fixtures) -> [(&'a PushedRef, &'a [u8]); 7] {
        [
            (&self.small, &fx.small.manifest),
            (&self.small_docker, &fx.small_docker.manifest),
            (&self.multi, &fx.multi.manifest),
            (&self.multi_docker, &fx.multi_docker.manifest),
            (&self.multiarch, &fx.multiarch.manifest),
            (&self.multiarch_amd64, &fx.multiarch.amd64.manifest),
            (&self.multiarch_arm64, &fx.multiarch.arm64.manifest),
        ]
    }
}

static PUSHED: OnceLock<PushedImages> = OnceLock::new();

/// The fixtures pushed to the shared [`registry()`] (once per test binary).
pub fn pushed() -> &'static PushedImages {
    PUSHED.get_or_init(|| {
        let reg = registry();
        fixtures(); // build or load first, so that the timing below is the push
        let started = Instant::now();
        let pushed = push_fixtures(reg);
        eprintln!(
            "rl fixtures: pushed to {} in {:.2?}",
            reg.host,
            started.elapsed()
        );
        pushed
    })
}

/// Pushes every fixture image to `reg` (with its credentials, if any).
pub fn push_fixtures(reg: &Registry) -> PushedImages {
    let fx = fixtures();
    let client = reg.client();
    let host = reg.host.as_str();
    let small = push_image(&client, host, "rl-test/small", Some("latest"), &fx.small);
    let small_docker = push_image(
        &client,
        host,
        "rl-test/small",
        Some("docker"),
        &fx.small_docker,
    );
    let multi = push_image(&client, host, "rl-test/multi", Some("latest"), &fx.multi);
    let multi_docker = push_image(
        &client,
        host,
        "rl-test/multi",
        Some("docker"),
        &fx.multi_docker,
    );
    let multiarch_amd64 = push_image(
        &client,
        host,
        "rl-test/multiarch",
        None,
        &fx.multiarch.amd64,
    );
    let multiarch_arm64 = push_image(
        &client,
        host,
        "rl-test/multiarch",
        None,
        &fx.multiarch.arm64,
    );
    let index = &fx.multiarch;
    let digest = client.push_manifest(
        "rl-test/multiarch",
        "latest",
        &index.media_type,
        &index.manifest,
    );
    assert_eq!(digest, index.manifest_digest);
    let multiarch = pushed_ref(
        host,
        "rl-test/multiarch",
        Some("latest"),
        &digest,
        &index.media_type,
    );
    PushedImages {
        host: host.to_owned(),
        small,
        small_docker,
        multi,
        multi_docker,
        multiarch,
        multiarch_amd64,
        multiarch_arm64,
    }
}

/// Pushes the blobs then the manifest of `image` to `repo`, tagged `tag`
/// (or by digest only).
pub fn push_image(
    client: &Client,
    host: &str,
    repo: &str,
    tag: Option<&str>,
    image: &Image,
) -> PushedRef {
    for blob in image.blobs() {
        // HEAD first so that big blobs are not even read when present.
        if !client.blob_exists(repo, &blob.digest) {
            client
                .try_push_blob_as(repo, &blob.digest, &blob.bytes())
                .unwrap_or_else(|e| panic!("pushing {} to {repo} failed: {e}", blob.digest));
        }
    }
    let reference = tag.unwrap_or(&image.manifest_digest);
    let digest = client.push_manifest(repo, reference, &image.media_type, &image.manifest);
    assert_eq!(digest, image.manifest_digest);
    pushed_ref(host, repo, tag, &digest, &image.media_type)
}

fn pushed_ref(
    host: &str,
    repo: &str,
    tag: Option<&str>,
    digest: &str,
    media_type: &str,
) -> PushedRef {
    let by_digest = format!("{host}/{repo}@{digest}");
    PushedRef {
        repo: repo.to_owned(),
        tag: tag.map(str::to_owned),
        reference: tag.map_or_else(|| by_digest.clone(), |t| format!("{host}/{repo}:{t}")),
        by_digest,
        digest: digest.to_owned(),
        media_type: media_type.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// The on-disk cache
// ---------------------------------------------------------------------------

fn cache_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn load_or_build_cache() -> Fixtures {
    let busybox = fs::read(BUSYBOX)
        .unwrap_or_else(|e| panic!("read {BUSYBOX} (package busybox-static): {e}"));
    let mut key = Sha256::new();
    key.update(FIXTURES_VERSION.to_le_bytes());
    key.update(sha256_hex(&busybox));
    key.update(include_str!("fixtures.rs"));
    let key = hex(&key.finalize());
    let root = cache_root();
    let name = format!("rl-fixtures-v{FIXTURES_VERSION}-{}", &key[..16]);
    let dir = root.join(&name);
    if !dir.join(REFS_FILE).exists() {
        fs::create_dir_all(&root).expect("create CARGO_TARGET_TMPDIR");
        let tmp = tempfile::Builder::new()
            .prefix(".rl-fixtures-build-")
            .tempdir_in(&root)
            .expect("create a temp dir for the fixtures");
        let started = Instant::now();
        build_all_into(tmp.path(), &busybox);
        let elapsed = started.elapsed();
        match fs::rename(tmp.path(), &dir) {
            Ok(()) => {
                let _ = tmp.keep();
                eprintln!("rl fixtures: built in {elapsed:.2?} into {}", dir.display());
                prune_stale_caches(&root, &name);
            }
            // Another test binary won the race; ours is dropped.
            Err(_) if dir.join(REFS_FILE).exists() => {}
            Err(e) => panic!("rename fixtures into {}: {e}", dir.display()),
        }
    }
    load(&dir)
}

/// Removes fixture caches of other versions not touched for an hour.
fn prune_stale_caches(root: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with("rl-fixtures-v") || name.starts_with(".rl-fixtures-build-");
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if ours && old && name != keep {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

const REFS_FILE: &str = "refs.json";

/// Builds every fixture into `dir` (`blobs/sha256/<hex>` and `refs.json`,
/// written last). Returns the refs.
pub fn build_all_into(dir: &Path, busybox: &[u8]) -> Value {
    let store = Store::new(dir);
    let small_layer = store.put_layer(&small_layer_entries(busybox), Compression::default());

    // small
    let small_config = store.put(&config_json(
        &Platform::linux("amd64", None),
        json!({ "Env": [PATH_ENV], "Cmd": SMALL_CMD }),
        &[&small_layer],
        &[history("rl-fixture: busybox-static base layer", false)],
    ));
    let small = store.put_manifests(&small_config, &[&small_layer]);

    // multi
    let lower = store.put_layer(&multi_lower_entries(), Compression::default());
    let upper = store.put_layer(&multi_upper_entries(), Compression::default());
    let big = store.put_layer(&big_layer_entries(), Compression::fast());
    let big_file_sha256 = big
        .random_sha256
        .clone()
        .expect("the big layer has the random file");
    let multi_config = store.put(&config_json(
        &Platform::linux("amd64", None),
        json!({
            "User": "1000:1000",
            "ExposedPorts": { "53/udp": {}, "80/tcp": {} },
            "Env": MULTI_ENV,
            "Entrypoint": MULTI_ENTRYPOINT,
            "Cmd": MULTI_CMD,
            "Volumes": { "/data": {} },
            "WorkingDir": "/work",
            "Labels": { "org.rl.test": "multi" },
        }),
        &[&small_layer, &lower, &upper, &big],
        &[
            history("rl-fixture: busybox-static base layer", false),
            history("rl-fixture: files for whiteouts and an opaque dir", false),
            history(
                "rl-fixture: whiteouts, opaque dir, links, owners, setuid, xattr",
                false,
            ),
            history("ENV FOO=bar", true),
            history("rl-fixture: 50 MiB pseudo-random file", false),
        ],
    ));
    let multi = store.put_manifests(&multi_config, &[&small_layer, &lower, &upper, &big]);

    // multiarch
    let mut children = Vec::new();
    for platform in [
        Platform::linux("amd64", None),
        Platform::linux("arm64", Some("v8")),
    ] {
        let layer = store.put_layer(
            &platform_layer_entries(&platform.architecture),
            Compression::default(),
        );
        let config = store.put(&config_json(
            &platform,
            json!({ "Env": [PATH_ENV], "Cmd": SMALL_CMD }),
            &[&small_layer, &layer],
            &[
                history("rl-fixture: busybox-static base layer", false),
                history("rl-fixture: /etc/rl-platform", false),
            ],
        ));
        let (oci, _) = store.put_manifests(&config, &[&small_layer, &layer]);
        let mut desc = oci.to_json();
        desc["platform"] = platform.to_json();
        children.push(desc);
    }
    let index = store.put(&json_bytes(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": children,
    })));

    let refs = json!({
        "version": FIXTURES_VERSION,
        "small": small.0.digest,
        "small_docker": small.1.digest,
        "multi": multi.0.digest,
        "multi_docker": multi.1.digest,
        "multiarch": index.digest,
        "big_file_sha256": big_file_sha256,
        "busybox_sha256": sha256_hex(busybox),
        "busybox_size": busybox.len(),
    });
    fs::write(dir.join(REFS_FILE), json_bytes(&refs)).expect("write fixture refs");
    refs
}

/// Builds only the small image into `dir` and loads it back: `(oci, docker)`.
/// For determinism checks; does not touch the shared cache.
pub fn build_small_into(dir: &Path) -> (Image, Image) {
    let busybox = fs::read(BUSYBOX).expect("read /bin/busybox");
    let store = Store::new(dir);
    let layer = store.put_layer(&small_layer_entries(&busybox), Compression::default());
    let config = store.put(&config_json(
        &Platform::linux("amd64", None),
        json!({ "Env": [PATH_ENV], "Cmd": SMALL_CMD }),
        &[&layer],
        &[history("rl-fixture: busybox-static base layer", false)],
    ));
    let (oci, docker) = store.put_manifests(&config, &[&layer]);
    let mut loader = Loader::new(dir);
    (loader.image(&oci.digest), loader.image(&docker.digest))
}

/// Loads a fixture set previously built into `dir`.
pub fn load(dir: &Path) -> Fixtures {
    let refs: Value = serde_json::from_slice(
        &fs::read(dir.join(REFS_FILE)).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())),
    )
    .expect("fixture refs are JSON");
    let s = |key: &str| -> String {
        refs[key]
            .as_str()
            .unwrap_or_else(|| panic!("fixture refs lack {key}"))
            .to_owned()
    };
    let mut loader = Loader::new(dir);
    let small = loader.image(&s("small"));
    let small_docker = loader.image(&s("small_docker"));
    let multi = loader.image(&s("multi"));
    let multi_docker = loader.image(&s("multi_docker"));
    let multiarch = loader.index(&s("multiarch"));
    let busybox_size = refs["busybox_size"].as_u64().expect("busybox_size in refs");
    Fixtures {
        dir: dir.to_owned(),
        small,
        small_docker,
        multi,
        multi_docker,
        multiarch,
        small_facts: small_facts(s("busybox_sha256"), busybox_size),
        multi_facts: multi_facts(s("big_file_sha256")),
    }
}

// ---------------------------------------------------------------------------
// Blob store (build side)
// ---------------------------------------------------------------------------

struct Store {
    blobs: PathBuf,
}

/// A stored layer.
struct Layer {
    blob: Descriptor,
    diff_id: String,
    /// sha256 of the pseudo-random file, if the layer has one.
    random_sha256: Option<String>,
}

impl Store {
    fn new(dir: &Path) -> Store {
        let blobs = dir.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).expect("create fixture blob dir");
        Store { blobs }
    }

    fn put(&self, bytes: &[u8]) -> Descriptor {
        let desc = Descriptor::of(media::OCTET_STREAM, bytes);
        let hex = desc.digest.trim_start_matches("sha256:");
        fs::write(self.blobs.join(hex), bytes).expect("write fixture blob");
        desc
    }

    /// Writes both manifests of an image: `(oci, docker)`.
    fn put_manifests(&self, config: &Descriptor, layers: &[&Layer]) -> (Descriptor, Descriptor) {
        let manifest = |mt: &str, config_mt: &str, layer_mt: &str| {
            let bytes = json_bytes(&json!({
                "schemaVersion": 2,
                "mediaType": mt,
                "config": config.clone().with_media_type(config_mt).to_json(),
                "layers": layers
                    .iter()
                    .map(|l| l.blob.clone().with_media_type(layer_mt).to_json())
                    .collect::<Vec<_>>(),
            }));
            self.put(&bytes).with_media_type(mt)
        };
        (
            manifest(
                media::OCI_MANIFEST,
                media::OCI_CONFIG,
                media::OCI_LAYER_GZIP,
            ),
            manifest(
                media::DOCKER_MANIFEST,
                media::DOCKER_CONFIG,
                media::DOCKER_LAYER_GZIP,
            ),
        )
    }

    /// Streams a gzipped tar of `entries` (sorted by path) into the store.
    fn put_layer(&self, entries: &[Entry], level: Compression) -> Layer {
        let mut entries: Vec<&Entry> = entries.iter().collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        for pair in entries.windows(2) {
            assert_ne!(
                pair[0].path, pair[1].path,
                "duplicate path in a fixture layer"
            );
        }

        let tmp = tempfile::NamedTempFile::new_in(&self.blobs).expect("create a temp layer file");
        let file = tmp.reopen().expect("reopen the temp layer file");
        let compressed = HashWriter::new(BufWriter::with_capacity(1 << 20, file));
        let uncompressed = HashWriter::new(GzEncoder::new(compressed, level));
        let mut builder = tar::Builder::new(uncompressed);
        let mut random_sha256 = None;
        for entry in entries {
            if let Some(sha) = append_entry(&mut builder, entry).expect("write a fixture tar entry")
            {
                random_sha256 = Some(sha);
            }
        }
        let uncompressed = builder.into_inner().expect("finish the fixture tar");
        let (gz, diff_id, _) = uncompressed.finish();
        let compressed = gz.finish().expect("finish the gzip stream");
        let (mut file, digest, size) = compressed.finish();
        file.flush().expect("flush the layer file");
        let hex = digest.trim_start_matches("sha256:").to_owned();
        tmp.persist(self.blobs.join(hex))
            .expect("store the layer blob");
        Layer {
            blob: Descriptor::new(media::OCTET_STREAM, &digest, size),
            diff_id,
            random_sha256,
        }
    }
}

/// A writer that hashes and counts what passes through.
struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashWriter<W> {
    fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// `(inner, "sha256:<hex>", byte count)`.
    fn finish(self) -> (W, String, u64) {
        (
            self.inner,
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.count,
        )
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// xorshift64 byte stream of a fixed length, hashing what it yields.
struct RandomReader {
    state: u64,
    remaining: u64,
    buf: Vec<u8>,
    pos: usize,
    hasher: Sha256,
}

impl RandomReader {
    fn new(seed: u64, len: u64) -> Self {
        RandomReader {
            state: seed,
            remaining: len,
            buf: Vec::new(),
            pos: 0,
            hasher: Sha256::new(),
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        let mut x = self.state;
        for _ in 0..8192 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
        self.state = x;
    }
}

impl Read for RandomReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        if self.pos == self.buf.len() {
            self.refill();
        }
        let available = &self.buf[self.pos..];
        let n = out
            .len()
            .min(available.len())
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        out[..n].copy_from_slice(&available[..n]);
        self.hasher.update(&available[..n]);
        self.pos += n;
        self.remaining -= n as u64;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Layer contents
// ---------------------------------------------------------------------------

enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(&'static str),
    /// Target is a path in the same archive, without leading `/`.
    Hardlink(&'static str),
    Random {
        seed: u64,
        len: u64,
    },
}

struct Entry {
    /// Relative path, no leading or trailing `/`.
    path: String,
    kind: Kind,
    mode: u32,
    uid: u64,
    gid: u64,
    xattrs: Vec<(&'static str, &'static [u8])>,
}

fn entry(path: &str, kind: Kind, mode: u32) -> Entry {
    Entry {
        path: path.to_owned(),
        kind,
        mode,
        uid: 0,
        gid: 0,
        xattrs: Vec::new(),
    }
}

fn dir(path: &str, mode: u32) -> Entry {
    entry(path, Kind::Dir, mode)
}

fn file(path: &str, content: &[u8], mode: u32) -> Entry {
    entry(path, Kind::File(content.to_vec()), mode)
}

fn owned(mut e: Entry, uid: u64, gid: u64) -> Entry {
    e.uid = uid;
    e.gid = gid;
    e
}

/// A whiteout (or the opaque marker): an empty regular file.
fn whiteout(path: &str) -> Entry {
    file(path, b"", 0o644)
}

/// Appends one entry; returns the content sha256 of a random file.
fn append_entry<W: Write>(b: &mut tar::Builder<W>, e: &Entry) -> io::Result<Option<String>> {
    if !e.xattrs.is_empty() {
        let records: Vec<(String, &[u8])> = e
            .xattrs
            .iter()
            .map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v))
            .collect();
        b.append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))?;
    }
    let mut h = tar::Header::new_ustar();
    h.set_path(&e.path)?;
    h.set_mode(e.mode);
    h.set_uid(e.uid);
    h.set_gid(e.gid);
    h.set_mtime(EPOCH);
    h.set_size(0);
    match &e.kind {
        Kind::Dir => {
            h.set_entry_type(tar::EntryType::Directory);
            // Directories are conventionally named with a trailing slash.
            let name = &mut h.as_old_mut().name;
            let len = e.path.len();
            assert!(len < name.len(), "fixture dir path too long");
            name[len] = b'/';
            h.set_cksum();
            b.append(&h, io::empty())?;
        }
        Kind::File(data) => {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append(&h, data.as_slice())?;
        }
        Kind::Symlink(target) | Kind::Hardlink(target) => {
            let ty = if matches!(e.kind, Kind::Symlink(_)) {
                tar::EntryType::Symlink
            } else {
                tar::EntryType::Link
            };
            h.set_entry_type(ty);
            h.set_link_name(target)?;
            h.set_cksum();
            b.append(&h, io::empty())?;
        }
        Kind::Random { seed, len } => {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(*len);
            h.set_cksum();
            let mut reader = RandomReader::new(*seed, *len);
            b.append(&h, &mut reader)?;
            return Ok(Some(hex(&reader.hasher.finalize())));
        }
    }
    Ok(None)
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
";

const GROUP: &str = "root:x:0:
user:x:1000:
nogroup:x:65534:
";

fn small_layer_entries(busybox: &[u8]) -> Vec<Entry> {
    let mut v = vec![
        dir("bin", 0o755),
        file("bin/busybox", busybox, 0o755),
        dir("dev", 0o755),
        dir("etc", 0o755),
        file("etc/group", GROUP.as_bytes(), 0o644),
        file("etc/passwd", PASSWD.as_bytes(), 0o644),
        dir("home", 0o755),
        owned(dir("home/user", 0o755), 1000, 1000),
        dir("proc", 0o555),
        dir("root", 0o700),
        dir("sys", 0o555),
        dir("tmp", 0o1777),
        dir("var", 0o755),
    ];
    for applet in SMALL_APPLETS {
        v.push(entry(
            &format!("bin/{applet}"),
            Kind::Symlink("busybox"),
            0o777,
        ));
    }
    v
}

/// Layer 2 of multi: what layer 3 will white out or hide, and the workdir.
fn multi_lower_entries() -> Vec<Entry> {
    vec![
        dir("data", 0o755),
        dir("etc", 0o755),
        file(
            "etc/rl-doomed",
            b"removed by a whiteout in the next layer\n",
            0o644,
        ),
        file("etc/rl-kept", b"kept\n", 0o644),
        dir("gone-dir", 0o755),
        file(
            "gone-dir/file",
            b"the whole directory is whited out\n",
            0o644,
        ),
        dir("opq", 0o755),
        file("opq/old-a", b"hidden by the opaque marker\n", 0o644),
        dir("opq/sub", 0o755),
        file("opq/sub/old-b", b"hidden by the opaque marker\n", 0o644),
        owned(dir("work", 0o755), 1000, 1000),
    ]
}

/// Layer 3 of multi: whiteouts, opaque dir, links, owners, setuid, xattr.
fn multi_upper_entries() -> Vec<Entry> {
    let mut xattr_file = file("xattr/file", b"this file has a user.rl.test xattr\n", 0o644);
    xattr_file.xattrs.push(("user.rl.test", b"hello-xattr"));
    vec![
        whiteout(".wh.gone-dir"),
        dir("bin", 0o755),
        file("bin/rl-suid", b"#!/bin/sh\nid\n", 0o4755),
        dir("empty", 0o755),
        dir("etc", 0o755),
        whiteout("etc/.wh.rl-doomed"),
        dir("links", 0o755),
        entry("links/abs", Kind::Symlink("/etc/passwd"), 0o777),
        file("links/hard-a", b"one inode, two names\n", 0o644),
        entry("links/hard-b", Kind::Hardlink("links/hard-a"), 0o644),
        entry("links/rel", Kind::Symlink("../etc/group"), 0o777),
        dir("opq", 0o755),
        whiteout("opq/.wh..wh..opq"),
        file("opq/new-c", b"new content of the opaque dir\n", 0o644),
        dir("owned", 0o755),
        owned(file("owned/by-nobody", b"nobody's\n", 0o640), 65534, 65534),
        owned(file("owned/by-user", b"user's\n", 0o644), 1000, 1000),
        owned(dir("owned/user-dir", 0o750), 1000, 1000),
        dir("xattr", 0o755),
        xattr_file,
    ]
}

/// Layer 4 of multi: the big file.
fn big_layer_entries() -> Vec<Entry> {
    vec![
        dir("big", 0o755),
        entry(
            "big/random.bin",
            Kind::Random {
                seed: BIG_FILE_SEED,
                len: BIG_FILE_SIZE,
            },
            0o644,
        ),
    ]
}

fn platform_layer_entries(arch: &str) -> Vec<Entry> {
    let content = format!("{arch}\n");
    vec![
        dir("etc", 0o755),
        file("etc/rl-platform", content.as_bytes(), 0o644),
    ]
}

// ---------------------------------------------------------------------------
// JSON documents
// ---------------------------------------------------------------------------

impl Platform {
    fn linux(architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            architecture: architecture.to_owned(),
            os: "linux".to_owned(),
            variant: variant.map(str::to_owned),
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "architecture": self.architecture, "os": self.os });
        if let Some(variant) = &self.variant {
            v["variant"] = json!(variant);
        }
        v
    }
}

fn history(created_by: &str, empty_layer: bool) -> Value {
    let mut h = json!({ "created": CREATED, "created_by": created_by });
    if empty_layer {
        h["empty_layer"] = json!(true);
    }
    h
}

fn config_json(
    platform: &Platform,
    config: Value,
    layers: &[&Layer],
    history: &[Value],
) -> Vec<u8> {
    let mut v = json!({
        "created": CREATED,
        "author": "rl test fixtures",
        "architecture": platform.architecture,
        "os": platform.os,
    });
    if let Some(variant) = &platform.variant {
        v["variant"] = json!(variant);
    }
    v["config"] = config;
    v["rootfs"] = json!({
        "type": "layers",
        "diff_ids": layers.iter().map(|l| l.diff_id.as_str()).collect::<Vec<_>>(),
    });
    v["history"] = json!(history);
    json_bytes(&v)
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).expect("serialize fixture JSON")
}

// ---------------------------------------------------------------------------
// Loading (from the cache)
// ---------------------------------------------------------------------------

struct Loader {
    blobs: PathBuf,
    seen: HashMap<String, Blob>,
}

impl Loader {
    fn new(dir: &Path) -> Loader {
        Loader {
            blobs: dir.join("blobs").join("sha256"),
            seen: HashMap::new(),
        }
    }

    fn blob(&mut self, digest: &str, size: u64) -> Blob {
        if let Some(blob) = self.seen.get(digest) {
            return blob.clone();
        }
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        let path = self.blobs.join(hex);
        let actual = fs::metadata(&path)
            .unwrap_or_else(|e| panic!("fixture blob {}: {e}", path.display()))
            .len();
        assert_eq!(
            actual,
            size,
            "fixture blob {} has the wrong size",
            path.display()
        );
        let memory = (size <= IN_MEMORY_LIMIT).then(|| {
            let bytes = fs::read(&path).expect("read fixture blob");
            assert_eq!(
                sha256_digest(&bytes),
                digest,
                "corrupt fixture blob {}",
                path.display()
            );
            Arc::from(bytes)
        });
        let blob = Blob {
            digest: digest.to_owned(),
            size,
            path,
            memory,
        };
        self.seen.insert(digest.to_owned(), blob.clone());
        blob
    }

    fn read_json(&mut self, digest: &str) -> (Vec<u8>, Value) {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        let bytes = fs::read(self.blobs.join(hex)).expect("read fixture manifest");
        assert_eq!(sha256_digest(&bytes), digest, "corrupt fixture manifest");
        let value = serde_json::from_slice(&bytes).expect("fixture manifest is JSON");
        (bytes, value)
    }

    fn image(&mut self, digest: &str) -> Image {
        let (manifest, m) = self.read_json(digest);
        let str_of = |v: &Value, key: &str| -> String {
            v[key]
                .as_str()
                .unwrap_or_else(|| panic!("fixture JSON lacks {key}"))
                .to_owned()
        };
        let size_of = |v: &Value| v["size"].as_u64().expect("descriptor size");
        let config = self.blob(&str_of(&m["config"], "digest"), size_of(&m["config"]));
        let layer_descs = m["layers"].as_array().expect("manifest layers").clone();
        let layers: Vec<Blob> = layer_descs
            .iter()
            .map(|l| self.blob(&str_of(l, "digest"), size_of(l)))
            .collect();
        let c: Value = serde_json::from_slice(&config.bytes()).expect("fixture config is JSON");
        let diff_ids = c["rootfs"]["diff_ids"]
            .as_array()
            .expect("config diff_ids")
            .iter()
            .map(|d| d.as_str().expect("diff_id string").to_owned())
            .collect();
        Image {
            media_type: str_of(&m, "mediaType"),
            manifest,
            manifest_digest: digest.to_owned(),
            config_media_type: str_of(&m["config"], "mediaType"),
            config,
            layer_media_type: str_of(&layer_descs[0], "mediaType"),
            layers,
            diff_ids,
            platform: Platform {
                architecture: str_of(&c, "architecture"),
                os: str_of(&c, "os"),
                variant: c["variant"].as_str().map(str::to_owned),
            },
        }
    }

    fn index(&mut self, digest: &str) -> Index {
        let (manifest, v) = self.read_json(digest);
        let children = v["manifests"].as_array().expect("index manifests").clone();
        let child = |loader: &mut Loader, arch: &str| -> Image {
            let d = children
                .iter()
                .find(|c| c["platform"]["architecture"] == arch)
                .unwrap_or_else(|| panic!("index has no {arch} child"));
            loader.image(d["digest"].as_str().expect("child digest"))
        };
        Index {
            media_type: v["mediaType"].as_str().expect("index mediaType").to_owned(),
            amd64: child(self, "amd64"),
            arm64: child(self, "arm64"),
            manifest,
            manifest_digest: digest.to_owned(),
        }
    }
}
