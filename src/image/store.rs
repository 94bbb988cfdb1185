//! The content-addressed image store under `$XDG_DATA_HOME/rl/storage`.
//!
//! ```text
//! blobs/sha256/<hex>        compressed layers, configs and manifests, exactly as pulled
//! layers/<diff-id hex>/     one extracted layer: an overlayfs lower directory, shared by images
//! layers/<diff-id hex>.json its record (size, how ownership was applied)
//! images/<id hex>.json      image records (id = config digest)
//! names.json                tags: "registry/repo:tag" -> image id
//! tmp/                      staging; entries are named <kind>-<pid>-<n> and belong to a live pid
//! locks/                    per-blob and per-layer lock files
//! store.lock                the short global lock for records and names
//! ```
//!
//! Crash safety: blobs and layers are staged under `tmp/` and renamed into place only when
//! complete and verified; an image record is written (atomically) only after everything it
//! references exists; names are updated last. A crash at any point leaves at worst unreferenced
//! blobs or layers (removed by garbage collection) and stale staging (removed when its pid is
//! gone); `rl images` never shows a half image.
//!
//! Concurrency: the per-blob/per-layer lock makes a second `rl pull` of a shared layer wait for
//! the first and then find it present, so nothing is downloaded twice; the global lock serialises
//! record and name updates and garbage collection.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::digest::Digest;
use crate::error::{Error, Result};
use crate::store_file::write_atomic;

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// One layer as an image uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerRef {
    /// Digest of the uncompressed tar (names the extracted layer).
    pub diff_id: Digest,
    /// Digest of the blob as the registry serves it.
    pub digest: Digest,
    /// Media type of the blob.
    pub media_type: String,
    /// Size of the blob.
    pub size: u64,
}

/// What is recorded about an extracted layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerRecord {
    /// Its diff id.
    pub diff_id: Digest,
    /// Bytes of file content extracted.
    pub size: u64,
    /// Entries extracted.
    pub entries: u64,
    /// `subuid` when in-image owners were applied through the id map, `single-id` when files are
    /// owned by the user and the intended owner is kept in the `user.rl.owner` xattr.
    pub ownership: String,
}

/// An image in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRecord {
    /// Image id: the digest of its config.
    pub id: Digest,
    /// Digest of the image manifest.
    pub manifest_digest: Digest,
    /// Media type of that manifest.
    pub manifest_media_type: String,
    /// Digest of the index it was chosen from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<Digest>,
    /// Media type of the config blob.
    pub config_media_type: String,
    /// Layers, base first.
    pub layers: Vec<LayerRef>,
    /// `registry/repo@sha256:...` it was pulled as.
    #[serde(default)]
    pub repo_digests: Vec<String>,
    /// The config's creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When rl stored it (seconds since the epoch).
    pub stored_at: u64,
    /// Uncompressed size of all layers.
    pub size: u64,
    /// os/arch[/variant].
    pub platform: String,
    /// The image it was made on (`rl commit`, `rl build`): while untagged, an image that is some
    /// other's parent is an intermediate image, hidden by `rl images` without `-a`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Digest>,
}

/// Tags: full name -> image id.
pub type Names = BTreeMap<String, Digest>;

static STAGING_SEQ: AtomicU64 = AtomicU64::new(0);

fn io_err<'a>(context: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |e| Error::path(context, path, e)
}

impl Store {
    /// Open (creating if needed) the store at `root`.
    pub fn open(root: &Path) -> Result<Store> {
        let s = Store {
            root: root.to_path_buf(),
        };
        for d in ["blobs/sha256", "layers", "images", "tmp", "locks"] {
            let p = root.join(d);
            if !p.is_dir() {
                crate::config::ensure_dir(&p)?;
            }
        }
        Ok(s)
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of a blob.
    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(d.hex())
    }

    /// Whether a blob is present.
    pub fn has_blob(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    /// Read a blob, verifying its digest (a blob damaged on disk is an error, not silent data).
    pub fn read_blob(&self, d: &Digest) -> Result<Vec<u8>> {
        let p = self.blob_path(d);
        let bytes = fs::read(&p).map_err(io_err("read blob", &p))?;
        if Digest::of(&bytes) != *d {
            return Err(Error::Msg(format!("blob {d} in the store is corrupted")));
        }
        Ok(bytes)
    }

    /// Store a small blob held in memory (manifests, configs), verifying its digest.
    pub fn put_blob(&self, d: &Digest, bytes: &[u8]) -> Result<()> {
        if Digest::of(bytes) != *d {
            return Err(Error::Msg(format!("content does not match digest {d}")));
        }
        if self.has_blob(d) {
            return Ok(());
        }
        write_atomic(&self.blob_path(d), bytes)
    }

    /// A fresh staging path under tmp/ (not created).
    pub fn staging(&self, kind: &str) -> PathBuf {
        let n = STAGING_SEQ.fetch_add(1, Ordering::Relaxed);
        self.root
            .join("tmp")
            .join(format!("{kind}-{}-{n}", std::process::id()))
    }

    /// Move a complete staged blob file into place.
    pub fn commit_blob(&self, staged: &Path, d: &Digest) -> Result<()> {
        let dst = self.blob_path(d);
        File::open(staged)
            .and_then(|f| f.sync_all())
            .map_err(io_err("sync blob", staged))?;
        fs::rename(staged, &dst).map_err(io_err("store blob", &dst))
    }

    /// Directory of an extracted layer.
    pub fn layer_dir(&self, diff_id: &Digest) -> PathBuf {
        self.root.join("layers").join(diff_id.hex())
    }

    /// Where re-owned copies of layers live (`--userns=keep-id`, `--uidmap`):
    /// `layers-mapped/<map key>/<diff id hex>`.
    pub fn mapped_layers_dir(&self) -> PathBuf {
        self.root.join("layers-mapped")
    }

    /// Record of an extracted layer, if complete.
    pub fn layer(&self, diff_id: &Digest) -> Option<LayerRecord> {
        if !self.layer_dir(diff_id).is_dir() {
            return None;
        }
        let p = self
            .root
            .join("layers")
            .join(format!("{}.json", diff_id.hex()));
        fs::read(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Move a complete staged layer directory into place, with its record.
    pub fn commit_layer(&self, staged: &Path, rec: &LayerRecord) -> Result<()> {
        let meta = self
            .root
            .join("layers")
            .join(format!("{}.json", rec.diff_id.hex()));
        let bytes = serde_json::to_vec_pretty(rec)
            .map_err(|e| Error::io("encode layer record", e.into()))?;
        write_atomic(&meta, &bytes)?;
        sync_tree_root(staged);
        let dst = self.layer_dir(&rec.diff_id);
        fs::rename(staged, &dst).map_err(io_err("store layer", &dst))?;
        File::open(self.root.join("layers"))
            .and_then(|f| f.sync_all())
            .map_err(io_err("sync", &self.root))
    }

    fn lock_file(&self, path: &Path, exclusive: bool) -> Result<Lock> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_err("open lock", path))?;
        if exclusive { f.lock() } else { f.lock_shared() }.map_err(io_err("lock", path))?;
        Ok(Lock { _file: f })
    }

    /// Exclusive lock for fetching one blob/layer (keyed by the blob's digest).
    pub fn lock_content(&self, d: &Digest) -> Result<Lock> {
        self.lock_file(&self.root.join("locks").join(d.hex()), true)
    }

    /// Held (shared) by every pull for its whole duration; garbage collection takes it exclusive,
    /// so it never removes a layer a pull has stored but not yet recorded.
    pub fn lock_gc_shared(&self) -> Result<Lock> {
        self.lock_file(&self.root.join("gc.lock"), false)
    }

    /// Exclusive: garbage collection.
    pub fn lock_gc(&self) -> Result<Lock> {
        self.lock_file(&self.root.join("gc.lock"), true)
    }

    /// The global lock for records and names.
    pub fn lock(&self) -> Result<Lock> {
        self.lock_file(&self.root.join("store.lock"), true)
    }

    /// Path of an image record.
    fn image_path(&self, id: &Digest) -> PathBuf {
        self.root.join("images").join(format!("{}.json", id.hex()))
    }

    /// An image record.
    pub fn image(&self, id: &Digest) -> Option<ImageRecord> {
        fs::read(self.image_path(id))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Every image record (unreadable records are skipped: they are being written or damaged).
    pub fn images(&self) -> Result<Vec<ImageRecord>> {
        let dir = self.root.join("images");
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).map_err(io_err("read", &dir))?.flatten() {
            let name = e.file_name();
            let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if let Ok(id) = Digest::parse(&format!("sha256:{hex}"))
                && let Some(r) = self.image(&id)
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Write an image record; every layer and blob it references must already be present.
    /// Call with the global lock held.
    pub fn put_image(&self, rec: &ImageRecord) -> Result<()> {
        for l in &rec.layers {
            if self.layer(&l.diff_id).is_none() {
                return Err(Error::Msg(format!(
                    "layer {} of image {} is missing from the store",
                    l.diff_id, rec.id
                )));
            }
        }
        for d in [&rec.id, &rec.manifest_digest] {
            if !self.has_blob(d) {
                return Err(Error::Msg(format!("blob {d} is missing from the store")));
            }
        }
        let bytes = serde_json::to_vec_pretty(rec)
            .map_err(|e| Error::io("encode image record", e.into()))?;
        write_atomic(&self.image_path(&rec.id), &bytes)
    }

    /// Remove an image record (not its layers: see [`Store::collect_garbage`]).
    pub fn remove_image(&self, id: &Digest) -> Result<()> {
        let p = self.image_path(id);
        match fs::remove_file(&p) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::path("remove", p, e)),
            _ => Ok(()),
        }
    }

    /// The tags.
    pub fn names(&self) -> Result<Names> {
        let p = self.root.join("names.json");
        match fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| Error::Msg(format!("{} is damaged: {e}", p.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Names::new()),
            Err(e) => Err(Error::path("read", p, e)),
        }
    }

    /// Replace the tags. Call with the global lock held.
    pub fn put_names(&self, names: &Names) -> Result<()> {
        let bytes =
            serde_json::to_vec_pretty(names).map_err(|e| Error::io("encode names", e.into()))?;
        write_atomic(&self.root.join("names.json"), &bytes)
    }

    /// Remove staging entries whose process is gone. Files in them may belong to subordinate ids:
    /// call from inside the user namespace.
    pub fn clean_stale_staging(&self) {
        let tmp = self.root.join("tmp");
        let Ok(rd) = fs::read_dir(&tmp) else { return };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').nth(1).and_then(|p| p.parse::<u32>().ok());
            let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
            if !alive {
                remove_any(&e.path());
            }
        }
    }

    /// Remove layers and blobs no image references (and stale staging). `keep_layers` are layers
    /// in use by containers. Call inside the user namespace, with the global lock held.
    pub fn collect_garbage(&self, keep_layers: &BTreeSet<Digest>) -> Result<GcStats> {
        self.clean_stale_staging();
        let images = self.images()?;
        let mut layers: BTreeSet<Digest> = keep_layers.clone();
        let mut blobs: BTreeSet<Digest> = BTreeSet::new();
        for i in &images {
            blobs.insert(i.id.clone());
            blobs.insert(i.manifest_digest.clone());
            if let Some(d) = &i.index_digest {
                blobs.insert(d.clone());
            }
            for l in &i.layers {
                layers.insert(l.diff_id.clone());
                blobs.insert(l.digest.clone());
            }
        }
        let mut stats = GcStats::default();
        let ldir = self.root.join("layers");
        for e in fs::read_dir(&ldir)
            .map_err(io_err("read", &ldir))?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            // An image's mount point layer (see container::mount_point_layer) goes with it.
            if let Some(image) = name.strip_prefix("mp-") {
                if !images.iter().any(|i| i.id.hex() == image) {
                    remove_any(&e.path());
                }
                continue;
            }
            let hex = name.strip_suffix(".json").unwrap_or(&name);
            let keep = Digest::parse(&format!("sha256:{hex}")).is_ok_and(|d| layers.contains(&d));
            if !keep {
                let _lock = Digest::parse(&format!("sha256:{hex}"))
                    .ok()
                    .map(|d| self.lock_content(&d));
                if !name.ends_with(".json") {
                    stats.layers += 1;
                }
                remove_any(&e.path());
            }
        }
        // Re-owned copies go with their layer.
        let mdir = self.mapped_layers_dir();
        for map in fs::read_dir(&mdir).into_iter().flatten().flatten() {
            for e in fs::read_dir(map.path()).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let keep =
                    Digest::parse(&format!("sha256:{name}")).is_ok_and(|d| layers.contains(&d));
                if !keep {
                    remove_any(&e.path());
                }
            }
        }
        let bdir = self.root.join("blobs/sha256");
        for e in fs::read_dir(&bdir)
            .map_err(io_err("read", &bdir))?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let keep = Digest::parse(&format!("sha256:{name}")).is_ok_and(|d| blobs.contains(&d));
            if !keep {
                stats.blobs += 1;
                remove_any(&e.path());
            }
        }
        Ok(stats)
    }
}

/// What garbage collection removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcStats {
    /// Extracted layers removed.
    pub layers: u64,
    /// Blobs removed.
    pub blobs: u64,
}

/// Remove a file or a tree, opening up directories whose modes block removal (layers keep image
/// modes such as 0555).
pub fn remove_any(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let is_dir = fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    if !is_dir {
        let _ = fs::remove_file(p);
        return;
    }
    // overlayfs leaves `work/work` with mode 000 in every container: open it up first rather
    // than failing once and walking the whole tree.
    let overlay_work = p.join("work/work");
    if overlay_work.is_dir() {
        let _ = fs::set_permissions(&overlay_work, fs::Permissions::from_mode(0o700));
    }
    if fs::remove_dir_all(p).is_ok() {
        return;
    }
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        let _ = fs::set_permissions(&d, fs::Permissions::from_mode(0o700));
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(e.path());
                }
            }
        }
    }
    let _ = fs::remove_dir_all(p);
}

/// fsync a staged layer's top directory (its files were written through the page cache; the
/// rename that publishes it is synced by the caller).
fn sync_tree_root(p: &Path) {
    let _ = File::open(p).and_then(|f| f.sync_all());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(store: &Store, layer: &Digest) -> ImageRecord {
        let config = b"{}";
        let id = Digest::of(config);
        store.put_blob(&id, config).unwrap();
        let m = b"manifest";
        let md = Digest::of(m);
        store.put_blob(&md, m).unwrap();
        ImageRecord {
            id,
            manifest_digest: md,
            manifest_media_type: "m".into(),
            index_digest: None,
            config_media_type: "c".into(),
            layers: vec![LayerRef {
                diff_id: layer.clone(),
                digest: layer.clone(),
                media_type: "l".into(),
                size: 1,
            }],
            repo_digests: vec![],
            created: None,
            stored_at: 0,
            size: 1,
            platform: "linux/amd64".into(),
            parent: None,
        }
    }

    #[test]
    fn image_needs_its_layers_then_gc_keeps_them() {
        let t = tempfile::tempdir().unwrap();
        let s = Store::open(t.path()).unwrap();
        let layer = Digest::of(b"layer");
        let r = rec(&s, &layer);
        assert!(s.put_image(&r).is_err(), "record before its layer");
        let staged = s.staging("layer");
        fs::create_dir_all(staged.join("etc")).unwrap();
        s.commit_layer(
            &staged,
            &LayerRecord {
                diff_id: layer.clone(),
                size: 0,
                entries: 1,
                ownership: "subuid".into(),
            },
        )
        .unwrap();
        fs::write(s.blob_path(&layer), b"layer").unwrap();
        s.put_image(&r).unwrap();
        assert_eq!(s.images().unwrap(), vec![r.clone()]);
        let orphan = Digest::of(b"orphan");
        s.put_blob(&orphan, b"orphan").unwrap();
        let stats = s.collect_garbage(&BTreeSet::new()).unwrap();
        assert_eq!(
            stats,
            GcStats {
                layers: 0,
                blobs: 1
            }
        );
        assert!(s.layer(&layer).is_some());
        s.remove_image(&r.id).unwrap();
        let stats = s.collect_garbage(&BTreeSet::new()).unwrap();
        assert_eq!(
            stats,
            GcStats {
                layers: 1,
                blobs: 3
            }
        );
        assert!(s.layer(&layer).is_none());
    }

    #[test]
    fn blobs_are_verified() {
        let t = tempfile::tempdir().unwrap();
        let s = Store::open(t.path()).unwrap();
        let d = Digest::of(b"a");
        assert!(s.put_blob(&d, b"b").is_err());
        s.put_blob(&d, b"a").unwrap();
        assert_eq!(s.read_blob(&d).unwrap(), b"a");
        fs::write(s.blob_path(&d), b"tampered").unwrap();
        assert!(s.read_blob(&d).is_err());
    }

    #[test]
    fn stale_staging_is_removed() {
        let t = tempfile::tempdir().unwrap();
        let s = Store::open(t.path()).unwrap();
        let dead = t.path().join("tmp/layer-999999999-0");
        fs::create_dir_all(dead.join("x")).unwrap();
        let live = s.staging("layer");
        fs::create_dir_all(&live).unwrap();
        s.clean_stale_staging();
        assert!(!dead.exists());
        assert!(live.exists());
    }
}
