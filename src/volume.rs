//! Volumes: directories under `<data>/volumes`, shared by the containers that mount them.
//!
//! ```text
//! <volumes>/<name>/_data          what containers see
//! <volumes>/<name>/volume.json    metadata of a volume made by `rl volume create` (optional)
//! <volumes>/.new-<name>-<pid>     a volume being created (staged, then renamed into place)
//! <volumes>/.gone-<name>-<pid>    a volume being removed (renamed away, then deleted)
//! ```
//!
//! `rl run -v NAME:/path` creates `<name>/_data` on first use and writes no metadata: such a
//! volume's creation time is its directory's mtime, with no labels or options. Anonymous volumes
//! (the image's VOLUMEs, `-v /path`) are named by 64 hex digits.
//!
//! Creation is atomic: the volume is assembled in a staging directory and renamed into place
//! with `RENAME_NOREPLACE`, so a concurrent `rl volume create` or `rl run -v NAME:` either finds
//! the whole volume or makes it itself, and exactly one creator wins. Removal renames the volume
//! away first, so it disappears at once even when deleting its files takes a while.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};

/// The only driver.
pub const DRIVER: &str = "local";
/// The directory containers mount, in a volume's directory.
pub const DATA: &str = "_data";
/// The metadata file, in a volume's directory.
const META: &str = "volume.json";

/// What `rl volume create` records about a volume.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Meta {
    /// Creation time, in nanoseconds since the epoch.
    created: i64,
    /// The driver (always `local`).
    driver: String,
    /// `--label`s.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// `--opt`s, as podman shows them (see [`Options`]).
    #[serde(default)]
    options: BTreeMap<String, String>,
}

/// A volume.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Its name.
    pub name: String,
    /// Its directory (`<volumes>/<name>`).
    pub dir: PathBuf,
    /// Creation time, in nanoseconds since the epoch.
    pub created: i64,
    /// The driver (always `local`).
    pub driver: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Driver options, as podman shows them (`UID`, `GID`, `o`, `copy`, ...).
    pub options: BTreeMap<String, String>,
    /// Whether `rl volume create` made it (it has metadata); false for the ones `rl run` made.
    pub has_metadata: bool,
}

impl Volume {
    /// The directory containers mount.
    pub fn data(&self) -> PathBuf {
        self.dir.join(DATA)
    }

    /// `o=uid=N`.
    pub fn uid(&self) -> Option<u32> {
        self.options.get("UID").and_then(|v| v.parse().ok())
    }

    /// `o=gid=N`.
    pub fn gid(&self) -> Option<u32> {
        self.options.get("GID").and_then(|v| v.parse().ok())
    }

    /// Whether a new container fills it from the image (not with `-o nocopy` or `copy=false`).
    pub fn copy_up(&self) -> bool {
        copy_up_wanted(&self.options)
    }

    /// An anonymous volume: made by `rl run` (no metadata) and named by 64 hex digits.
    pub fn anonymous(&self) -> bool {
        !self.has_metadata
            && self.name.len() == 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

/// Whether options let a volume be filled from the image.
fn copy_up_wanted(options: &BTreeMap<String, String>) -> bool {
    if options.contains_key("nocopy") {
        return false;
    }
    !matches!(options.get("copy").map(String::as_str), Some("false" | "0"))
}

/// Whether a volume that `rl run` is about to mount should be filled from the image: true
/// unless it was created with `-o nocopy` (or `-o copy=false`). A volume without metadata (or
/// none at all yet) is filled.
pub fn copy_up(paths: &Paths, name: &str) -> bool {
    read_meta(&dir(paths, name)).is_none_or(|m| copy_up_wanted(&m.options))
}

/// A volume's directory.
pub fn dir(paths: &Paths, name: &str) -> PathBuf {
    paths.volumes().join(name)
}

/// podman's error for a name it refuses.
pub fn invalid_name_error() -> Error {
    Error::Msg(
        "running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
            .into(),
    )
}

/// podman's error for a missing volume (`volume rm` exits 1 with it).
pub fn not_found(name: &str) -> Error {
    Error::Msg(format!(
        "no volume with name \"{name}\" found: no such volume"
    ))
}

/// Whether a volume of that name exists.
pub fn exists(paths: &Paths, name: &str) -> bool {
    container::valid_name(name) && dir(paths, name).join(DATA).is_dir()
}

fn read_meta(dir: &Path) -> Option<Meta> {
    let bytes = fs::read(dir.join(META)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The volume in `dir` named `name`, None when it is not a volume.
fn read(dir: PathBuf, name: &str) -> Option<Volume> {
    let data_meta = fs::metadata(dir.join(DATA)).ok()?;
    if !data_meta.is_dir() {
        return None;
    }
    let (meta, has_metadata) = match read_meta(&dir) {
        Some(m) => (m, true),
        None => {
            let stamp = fs::metadata(&dir).unwrap_or(data_meta);
            let created = stamp
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(stamp.mtime_nsec());
            let meta = Meta {
                created,
                driver: DRIVER.into(),
                ..Meta::default()
            };
            (meta, false)
        }
    };
    Some(Volume {
        name: name.to_string(),
        dir,
        created: meta.created,
        driver: meta.driver,
        labels: meta.labels,
        options: meta.options,
        has_metadata,
    })
}

/// A volume by name; [`not_found`] when there is none.
pub fn load(paths: &Paths, name: &str) -> Result<Volume> {
    if !container::valid_name(name) {
        return Err(not_found(name));
    }
    read(dir(paths, name), name).ok_or_else(|| not_found(name))
}

/// Every volume, by name.
pub fn list(paths: &Paths) -> Vec<Volume> {
    let Ok(rd) = fs::read_dir(paths.volumes()) else {
        return Vec::new();
    };
    let mut all: Vec<Volume> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !container::valid_name(&name) {
                return None;
            }
            read(e.path(), &name)
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// `--opt`s checked and turned into what podman shows as a volume's Options.
///
/// The local driver's options that need no mount are taken: `o=uid=N`, `o=gid=N`, `o=noquota`,
/// `copy[=BOOL]`, `nocopy`. The ones that mount a file system (`type=`, `device=`, any other
/// mount option in `o=`) are refused: an unprivileged user cannot mount them here.
pub fn parse_options(opts: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for opt in opts {
        let (key, value) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
        match key.to_ascii_lowercase().as_str() {
            "o" => {
                let mut kept = Vec::new();
                for item in value.split(',').filter(|s| !s.is_empty()) {
                    let (k, v) = match item.split_once('=') {
                        Some((k, v)) => (k, Some(v)),
                        None => (item, None),
                    };
                    match k.to_ascii_lowercase().as_str() {
                        id @ ("uid" | "gid") => {
                            let upper = id.to_ascii_uppercase();
                            let v = v.ok_or_else(|| {
                                Error::Msg(format!(
                                    "{id} option must provide a {upper}: invalid argument"
                                ))
                            })?;
                            v.parse::<u32>().map_err(|_| {
                                Error::Msg(format!("cannot convert {upper} {v} to integer"))
                            })?;
                            out.insert(upper, v.to_string());
                            kept.push(item.to_string());
                        }
                        "noquota" => {
                            out.insert("NOQUOTA".into(), "true".into());
                        }
                        "size" | "inodes" => {
                            return Err(Error::Msg(
                                "volume options size and inodes not supported. Filesystem does not support Project Quota"
                                    .into(),
                            ));
                        }
                        _ => return Err(needs_mount(opt)),
                    }
                }
                if !kept.is_empty() {
                    out.insert(key.to_string(), kept.join(","));
                }
            }
            "copy" | "nocopy" => {
                out.insert(key.to_string(), value.to_string());
            }
            "type" | "device" | "uid" | "gid" | "size" | "inodes" => return Err(needs_mount(opt)),
            _ => {
                return Err(Error::Msg(format!(
                    "invalid mount option {key} for driver '{DRIVER}': invalid argument"
                )));
            }
        }
    }
    Ok(out)
}

fn needs_mount(opt: &str) -> Error {
    Error::Msg(format!(
        "volume option {opt:?} mounts a file system, which rl cannot do without root privileges \
         (the local driver takes o=uid=N,gid=N,noquota, copy and nocopy)"
    ))
}

/// What `rl volume create` asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// The name (validated here).
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Options, already checked by [`parse_options`].
    pub options: BTreeMap<String, String>,
    /// Creation time, in nanoseconds since the epoch.
    pub created: i64,
}

/// A suffix no other staging directory has: this process's id and a per-process count.
fn unique() -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// podman's error for a name that is taken.
pub fn exists_error(name: &str) -> Error {
    Error::Msg(format!(
        "volume with name {name} already exists: volume already exists"
    ))
}

/// Create a volume: staged beside the others and renamed into place only if the name is free
/// (see the module docs). Fails with [`exists_error`] when the name is taken.
pub fn create(paths: &Paths, req: &CreateRequest) -> Result<Volume> {
    if !container::valid_name(&req.name) {
        return Err(invalid_name_error());
    }
    let root = paths.volumes();
    crate::config::ensure_dir(&root)?;
    let target = root.join(&req.name);
    if target.exists() {
        return Err(exists_error(&req.name));
    }
    let stage = root.join(format!(".new-{}-{}", req.name, unique()));
    let result = (|| -> Result<()> {
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&stage)
            .map_err(|e| Error::path("create directory", &stage, e))?;
        let data = stage.join(DATA);
        fs::DirBuilder::new()
            .mode(0o755)
            .create(&data)
            .map_err(|e| Error::path("create directory", &data, e))?;
        let id = |k: &str| req.options.get(k).and_then(|v| v.parse::<u32>().ok());
        let (uid, gid) = (id("UID"), id("GID"));
        if uid.is_some() || gid.is_some() {
            // `o=uid=`/`o=gid=` are ids in the container: the caller is in rl's user namespace.
            std::os::unix::fs::lchown(&data, uid, gid)
                .map_err(|e| Error::path("chown", &data, e))?;
        }
        let meta = Meta {
            created: req.created,
            driver: DRIVER.into(),
            labels: req.labels.clone(),
            options: req.options.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&meta)
            .map_err(|e| Error::io("encode volume.json", e.into()))?;
        crate::store_file::write_replace(&stage.join(META), &bytes)?;
        let dirfd = fs::File::open(&root).map_err(|e| Error::path("open", &root, e))?;
        rustix::fs::renameat_with(
            &dirfd,
            stage.file_name().unwrap_or_default(),
            &dirfd,
            req.name.as_str(),
            rustix::fs::RenameFlags::NOREPLACE,
        )
        .map_err(|e| {
            if e == rustix::io::Errno::EXIST || e == rustix::io::Errno::NOTEMPTY {
                exists_error(&req.name)
            } else {
                Error::path("rename into place", &target, e.into())
            }
        })
    })();
    if let Err(e) = result {
        crate::image::store::remove_any(&stage);
        return Err(e);
    }
    load(paths, &req.name)
}

/// Remove a volume and everything in it. Files a container wrote may belong to subordinate
/// ids: the caller enters rl's user namespace first (`ensure_userns`) so they can be deleted.
pub fn remove(paths: &Paths, name: &str) -> Result<()> {
    if !container::valid_name(name) {
        return Err(not_found(name));
    }
    let from = dir(paths, name);
    let gone = paths.volumes().join(format!(".gone-{name}-{}", unique()));
    match fs::rename(&from, &gone) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(not_found(name)),
        Err(e) => return Err(Error::path("remove", &from, e)),
    }
    crate::image::store::remove_any(&gone);
    if fs::symlink_metadata(&gone).is_ok() {
        return Err(Error::Msg(format!(
            "could not remove all of volume {name} (left in {})",
            gone.display()
        )));
    }
    Ok(())
}

/// The name of the volume a mount source is in, if it is one (`<volumes>/<name>/...`).
fn volume_of(volumes: &Path, source: &Path) -> Option<String> {
    let rest = source.strip_prefix(volumes).ok()?;
    let name = rest.components().next()?.as_os_str().to_str()?;
    container::valid_name(name).then(|| name.to_string())
}

/// The volumes a container's spec mounts.
fn mounted_by(paths: &Paths, rec: &Record) -> BTreeSet<String> {
    let volumes = paths.volumes();
    let Ok(b) = fs::read(container::dir(paths, &rec.id).join("config.json")) else {
        return BTreeSet::new();
    };
    let Ok(spec) = serde_json::from_slice::<oci_spec::runtime::Spec>(&b) else {
        return BTreeSet::new();
    };
    spec.mounts()
        .iter()
        .flatten()
        .filter_map(|m| volume_of(&volumes, m.source().as_deref()?))
        .collect()
}

/// The names of the volumes some container mounts.
pub fn in_use(paths: &Paths) -> BTreeSet<String> {
    container::list(paths)
        .iter()
        .flat_map(|r| mounted_by(paths, r))
        .collect()
}

/// The containers that mount a volume, by name.
pub fn users(paths: &Paths, name: &str) -> Vec<Record> {
    let mut v: Vec<Record> = container::list(paths)
        .into_iter()
        .filter(|r| mounted_by(paths, r).contains(name))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(t: &tempfile::TempDir) -> Paths {
        Paths {
            data: t.path().join("data"),
            runtime: t.path().join("run"),
            config: t.path().join("config"),
        }
    }

    fn req(name: &str) -> CreateRequest {
        CreateRequest {
            name: name.into(),
            created: 1_700_000_000_123_000_000,
            ..CreateRequest::default()
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn create_load_list_remove() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        assert!(list(&p).is_empty());
        let mut r = req("data");
        r.labels.insert("a".into(), "b".into());
        let v = create(&p, &r).unwrap();
        assert_eq!(v.name, "data");
        assert_eq!(v.created, 1_700_000_000_123_000_000);
        assert_eq!(v.labels["a"], "b");
        assert!(v.has_metadata && !v.anonymous() && v.copy_up());
        assert!(v.data().is_dir());
        assert_eq!(load(&p, "data").unwrap(), v);
        let e = create(&p, &req("data")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "volume with name data already exists: volume already exists"
        );
        assert!(exists(&p, "data") && !exists(&p, "other"));
        create(&p, &req("a1")).unwrap();
        let names: Vec<String> = list(&p).into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["a1", "data"]);
        remove(&p, "data").unwrap();
        assert!(!exists(&p, "data"));
        assert_eq!(
            remove(&p, "data").unwrap_err().to_string(),
            "no volume with name \"data\" found: no such volume"
        );
        // Nothing staged or removed is left behind.
        let left: Vec<String> = fs::read_dir(p.volumes())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["a1"]);
    }

    #[test]
    fn concurrent_creators_one_wins() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        for round in 0..5 {
            let name = format!("race{round}");
            let wins: usize = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|i| {
                        let (p, name) = (&p, &name);
                        s.spawn(move || {
                            if i % 2 == 0 {
                                create(p, &req(name)).is_ok()
                            } else {
                                // What `rl run -v NAME:` does: use it, making it if needed.
                                fs::create_dir_all(dir(p, name).join(DATA)).unwrap();
                                false
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| usize::from(h.join().unwrap()))
                    .sum()
            });
            assert!(wins <= 1, "{wins} creators of {name} succeeded");
            let v = load(&p, &name).unwrap();
            assert_eq!(v.has_metadata, wins == 1, "{name}");
        }
        let hidden = fs::read_dir(p.volumes())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(hidden, 0);
    }

    #[test]
    fn bad_names_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        for bad in ["", "-x", ".hidden", "a/b", "a b", "..", "_x"] {
            assert!(create(&p, &req(bad)).is_err(), "{bad}");
            assert!(load(&p, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_volume_rl_run_made_has_no_metadata() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let id = "ab".repeat(32);
        for name in ["web", id.as_str()] {
            fs::create_dir_all(dir(&p, name).join(DATA)).unwrap();
        }
        // Neither a stray file nor a half-made directory is a volume.
        fs::write(p.volumes().join("file"), "x").unwrap();
        fs::create_dir_all(p.volumes().join("half")).unwrap();
        fs::create_dir_all(p.volumes().join(".new-x-1").join(DATA)).unwrap();
        let all = list(&p);
        let names: Vec<&str> = all.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, [id.as_str(), "web"]);
        let web = &all[1];
        assert!(!web.has_metadata && !web.anonymous() && all[0].anonymous());
        assert!(web.created > 1_600_000_000_000_000_000);
        assert!(web.labels.is_empty() && web.options.is_empty());
        assert_eq!(web.driver, "local");
        // A name taken by `rl run` cannot be created.
        assert!(create(&p, &req("web")).is_err());
        assert!(copy_up(&p, "web") && copy_up(&p, "nothing"));
    }

    #[test]
    fn options() {
        let o = parse_options(&strings(&["o=uid=5,gid=6", "o=noquota", "nocopy"])).unwrap();
        assert_eq!(o["UID"], "5");
        assert_eq!(o["GID"], "6");
        assert_eq!(o["NOQUOTA"], "true");
        assert_eq!(o["nocopy"], "");
        // An o= with neither uid nor gid leaves the one before.
        assert_eq!(o["o"], "uid=5,gid=6");
        let o = parse_options(&strings(&["copy=false"])).unwrap();
        assert!(!copy_up_wanted(&o));
        assert!(copy_up_wanted(&parse_options(&strings(&["copy"])).unwrap()));
        assert!(parse_options(&[]).unwrap().is_empty());
        let err = |v: &[&str]| parse_options(&strings(v)).unwrap_err().to_string();
        assert_eq!(
            err(&["foo=bar"]),
            "invalid mount option foo for driver 'local': invalid argument"
        );
        assert_eq!(
            err(&["o=uid"]),
            "uid option must provide a UID: invalid argument"
        );
        assert_eq!(err(&["o=gid=x"]), "cannot convert GID x to integer");
        assert!(err(&["o=size=10m"]).contains("Project Quota"));
        for mount in ["type=tmpfs", "device=/dev/sda", "o=nodev", "uid=5"] {
            assert!(err(&[mount]).contains("without root privileges"), "{mount}");
        }
    }

    #[test]
    fn volumes_of_mount_sources() {
        let v = Path::new("/d/volumes");
        assert_eq!(
            volume_of(v, Path::new("/d/volumes/web/_data")).as_deref(),
            Some("web")
        );
        assert_eq!(volume_of(v, Path::new("/d/volumes/.gone-x-1/_data")), None);
        assert_eq!(volume_of(v, Path::new("/d/other/web/_data")), None);
        assert_eq!(volume_of(v, Path::new("/d/volumes")), None);
    }
}
