//! Images to and from archives: `rl save` (docker-archive or oci-archive), `rl load` (either,
//! detected by content) and `rl import` (a root file system tarball becomes a one-layer image).
//!
//! Saving streams: blobs go from the store into the tar writer as they are read (a docker-archive
//! layer is decompressed on the way, after a first pass that measures and verifies it), so no
//! layer is ever held in memory. The output is deterministic: entries sorted by name, mtime 0,
//! owner 0:0.
//!
//! Loading treats the archive as hostile. Only regular files (and, as aliases resolved by name,
//! symbolic and hard links) are taken from it; every name is validated (no `..`, no absolute
//! paths) and never used on disk: the files are written flat, numbered, into a staging directory
//! under the store's `tmp/`, hashed as they are written. JSON documents are read only up to
//! 4 MiB. Every digest is verified (blobs against their names and descriptors, configs against
//! the ids they are named by, diff ids against the layer content). The layers are then committed
//! with [`store_layer`] — the path `rl pull` uses — into a private store inside the staging
//! directory, so that extraction problems are found before the real store changes at all; only
//! when every image of the archive is complete are the layers moved into the store, then the
//! records written, then the names. A load that fails or is killed leaves no record and no name
//! (and its staging is removed, by itself or by the next command that cleans stale staging).
//!
//! Importing streams the tarball once: sha256 (the diff id), gzip into the staged blob, and the
//! extractor, all in one pass; the blob and the layer are committed, then the record.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::digest::{Digest, HashingReader};
use super::extract::{ExtractOptions, extract_layer};
use super::local;
use super::manifest::{
    self, Compression, ContainerConfig, Descriptor, ImageConfig, MAX_MANIFEST_BYTES, Manifest,
    Platform, media,
};
use super::reference::{Parsed, Reference};
use super::store::{ImageRecord, LayerRecord, LayerRef, Store, remove_any};
use crate::error::{Error, Result};
use crate::registry::pull::{Decoded, store_layer};

/// Entries an archive may have (a bound on the memory its index takes).
const MAX_ENTRIES: usize = 100_000;
/// How many links are followed to find a file.
const MAX_LINK_HOPS: usize = 16;
/// Buffer for file copies.
const COPY_BUF: usize = 256 * 1024;
/// The annotation OCI layouts name images by.
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd (and Docker 25+) name images by.
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// The archive formats rl writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `manifest.json`, configs and plain layer tars, as `docker save` writes them.
    DockerArchive,
    /// An OCI image layout: `oci-layout`, `index.json`, `blobs/sha256/*`.
    OciArchive,
}

/// The compression a stream starts with.
fn sniff(prefix: &[u8]) -> Result<Compression> {
    Ok(match prefix {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
        [0xfd, b'7', b'z', b'X', ..] => Compression::Xz,
        [b'B', b'Z', b'h', ..] => Compression::Bzip2,
        _ => Compression::None,
    })
}

/// A reader, decompressed as its first bytes say.
pub(crate) fn decompressed<R: Read>(
    mut r: R,
) -> Result<Decoded<io::Chain<io::Cursor<Vec<u8>>, R>>> {
    let mut prefix = Vec::with_capacity(4);
    (&mut r)
        .take(4)
        .read_to_end(&mut prefix)
        .map_err(|e| Error::io("read input", e))?;
    let c = sniff(&prefix)?;
    Decoded::new(io::Cursor::new(prefix).chain(r), c).map_err(|e| Error::io("read input", e))
}

/// A reader that notes when its source reached its end, or failed (so that the tar reader's
/// errors can be told apart from the input's or the decompressor's).
struct EofWatch<R> {
    inner: R,
    eof: bool,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R: Read> Read for EofWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.eof = true;
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) => {
                self.failed = Some((e.kind(), e.to_string()));
                Err(e)
            }
        }
    }
}

/// A writer that hashes and counts what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    fn into_parts(self) -> Result<(W, Digest, u64)> {
        let hex = super::digest::hex(&self.hasher.finalize());
        Ok((
            self.inner,
            Digest::parse(&format!("sha256:{hex}"))?,
            self.count,
        ))
    }
}

impl<W: Write> Write for HashingWriter<W> {
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

/// Why a copy stopped: the source or the destination failed.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Copy `r` to `w` to the end, telling read errors from write errors.
fn copy_split(r: &mut impl Read, w: &mut impl Write) -> Result<u64, CopyError> {
    let mut buf = vec![0u8; COPY_BUF];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        w.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

/// `registry/repo:tag` → (`registry/repo`, `tag`).
fn split_tag(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once(':').filter(|(_, t)| !t.contains('/'))
}

/// A minimal OCI manifest for a config and plain or compressed layers (docker-archive loads and
/// imports have none of their own). Serialised in a fixed order, so equal input gives equal bytes.
pub(crate) fn synthesise_manifest(
    config: &Digest,
    config_size: usize,
    layers: &[LayerRef],
) -> Result<Vec<u8>> {
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| json!({"mediaType": l.media_type, "digest": l.digest, "size": l.size}))
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": config, "size": config_size},
        "layers": layers,
    }))
    .map_err(|e| Error::io("encode manifest", e.into()))
}

fn platform_of(config: &ImageConfig) -> Platform {
    Platform {
        architecture: config.architecture.clone(),
        os: config.os.clone(),
        variant: config.variant.clone(),
    }
}

// ------------------------------------------------------------------------------------------------
// save
// ------------------------------------------------------------------------------------------------

/// One image to save, with the names to record for it in the archive.
#[derive(Debug, Clone)]
pub struct SaveImage {
    /// The image.
    pub record: ImageRecord,
    /// Full names (`registry/repo:tag`); none for an image saved by id.
    pub names: Vec<String>,
}

/// Where an archive entry's content comes from.
#[derive(Debug)]
enum Source {
    Dir,
    Bytes(Vec<u8>),
    /// A stored blob, decompressed with `compression`: `size` bytes whose digest is `digest`.
    Blob {
        path: PathBuf,
        compression: Compression,
        size: u64,
        digest: Digest,
    },
}

/// Write `images` as one archive to `out`. `progress` prints a line per blob on stderr.
pub fn save(
    store: &Store,
    images: &[SaveImage],
    format: Format,
    out: impl Write,
    progress: bool,
) -> Result<()> {
    let images = merge_names(images);
    let entries = match format {
        Format::DockerArchive => docker_entries(store, &images)?,
        Format::OciArchive => oci_entries(store, &images)?,
    };
    write_entries(entries, out, progress)
}

/// One entry per image, with the names of every mention of it.
fn merge_names(images: &[SaveImage]) -> Vec<SaveImage> {
    let mut out: Vec<SaveImage> = Vec::new();
    for i in images {
        match out.iter_mut().find(|o| o.record.id == i.record.id) {
            Some(o) => o.names.extend(i.names.iter().cloned()),
            None => out.push(i.clone()),
        }
    }
    for o in &mut out {
        o.names.sort();
        o.names.dedup();
    }
    out
}

fn open_blob(path: &Path, digest: &Digest) -> Result<BufReader<File>> {
    let f = File::open(path)
        .map_err(|e| Error::Msg(format!("blob {digest} cannot be read from the store: {e}")))?;
    Ok(BufReader::with_capacity(COPY_BUF, f))
}

/// The size of a layer as a plain tar, and a check that it is the diff id's content.
fn plain_layer_size(store: &Store, l: &LayerRef) -> Result<u64> {
    let compression = manifest::layer_compression(&l.media_type)?;
    if compression == Compression::None {
        return Ok(l.size);
    }
    let file = open_blob(&store.blob_path(&l.digest), &l.digest)?;
    let decoded = Decoded::new(file, compression).map_err(|e| corrupt_blob(&l.digest, &e))?;
    let mut r = HashingReader::new(decoded);
    io::copy(&mut r, &mut io::sink()).map_err(|e| corrupt_blob(&l.digest, &e))?;
    let (_, diff, size) = r.into_parts();
    if diff != l.diff_id {
        return Err(Error::Msg(format!(
            "blob {} in the store is corrupted: it does not decompress to {}",
            l.digest, l.diff_id
        )));
    }
    Ok(size)
}

fn corrupt_blob(d: &Digest, e: &io::Error) -> Error {
    Error::Msg(format!("blob {d} in the store is corrupted: {e}"))
}

/// docker-archive: `<id>.json`, `<diff id>/layer.tar` (plain), `manifest.json`, `repositories`.
fn docker_entries(store: &Store, images: &[SaveImage]) -> Result<BTreeMap<String, Source>> {
    let mut entries = BTreeMap::new();
    let mut items = Vec::new();
    let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for img in images {
        let mut layers = Vec::new();
        for l in &img.record.layers {
            let dir = l.diff_id.hex();
            let name = format!("{dir}/layer.tar");
            if !entries.contains_key(&name) {
                entries.insert(format!("{dir}/"), Source::Dir);
                entries.insert(name.clone(), plain_layer(store, l)?);
            }
            layers.push(name);
        }
        // The legacy `repositories` file: repository → tag → top layer.
        if let Some(top) = img.record.layers.last() {
            for (repo, tag) in img.names.iter().filter_map(|n| split_tag(n)) {
                let tags = repos.entry(repo.to_string()).or_default();
                tags.insert(tag.to_string(), top.diff_id.hex().to_string());
            }
        }
        let config_name = format!("{}.json", img.record.id.hex());
        let config = store.read_blob(&img.record.id)?;
        entries.insert(config_name.clone(), Source::Bytes(config));
        items.push(json!({"Config": config_name, "RepoTags": img.names, "Layers": layers}));
    }
    entries.insert("manifest.json".into(), Source::Bytes(to_json(&items)?));
    if !repos.is_empty() {
        entries.insert("repositories".into(), Source::Bytes(to_json(&repos)?));
    }
    Ok(entries)
}

/// A stored layer as the plain tar a docker-archive holds (measured and verified first: the tar
/// header needs its size before the data).
fn plain_layer(store: &Store, l: &LayerRef) -> Result<Source> {
    Ok(Source::Blob {
        path: store.blob_path(&l.digest),
        compression: manifest::layer_compression(&l.media_type)?,
        size: plain_layer_size(store, l)?,
        digest: l.diff_id.clone(),
    })
}

/// Compact JSON of an archive document.
fn to_json(v: &impl serde::Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::io("encode archive metadata", e.into()))
}

/// oci-archive: the stored manifest, config and layer blobs byte for byte, one index entry per
/// name (one without a name for an image saved by id).
fn oci_entries(store: &Store, images: &[SaveImage]) -> Result<BTreeMap<String, Source>> {
    let mut entries = BTreeMap::new();
    entries.insert("blobs/".to_string(), Source::Dir);
    entries.insert("blobs/sha256/".to_string(), Source::Dir);
    let path = |d: &Digest| format!("blobs/sha256/{}", d.hex());
    let mut manifests = Vec::new();
    for img in images {
        let r = &img.record;
        let manifest = store.read_blob(&r.manifest_digest)?;
        let desc = Descriptor {
            media_type: r.manifest_media_type.clone(),
            digest: r.manifest_digest.clone(),
            size: manifest.len() as u64,
            platform: Platform::parse(&r.platform).ok(),
            annotations: BTreeMap::new(),
        };
        entries.insert(path(&r.manifest_digest), Source::Bytes(manifest));
        entries.insert(path(&r.id), Source::Bytes(store.read_blob(&r.id)?));
        for l in &r.layers {
            let src = Source::Blob {
                path: store.blob_path(&l.digest),
                compression: Compression::None,
                size: l.size,
                digest: l.digest.clone(),
            };
            entries.insert(path(&l.digest), src);
        }
        if img.names.is_empty() {
            manifests.push(desc.clone());
        }
        for n in &img.names {
            let mut d = desc.clone();
            d.annotations.insert(REF_NAME.into(), n.clone());
            manifests.push(d);
        }
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": manifests,
    });
    entries.insert("index.json".into(), Source::Bytes(to_json(&index)?));
    let layout = json!({"imageLayoutVersion": "1.0.0"});
    entries.insert("oci-layout".into(), Source::Bytes(to_json(&layout)?));
    Ok(entries)
}

fn header(name: &str, kind: tar::EntryType, size: u64) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(name)
        .map_err(|e| Error::io(format!("archive entry {name}"), e))?;
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    Ok(h)
}

fn write_entries(entries: BTreeMap<String, Source>, out: impl Write, progress: bool) -> Result<()> {
    let write_err = |e| Error::io("write the archive", e);
    let mut b = tar::Builder::new(out);
    for (name, src) in entries {
        match src {
            Source::Dir => {
                let h = header(&name, tar::EntryType::Directory, 0)?;
                b.append(&h, io::empty()).map_err(write_err)?;
            }
            Source::Bytes(v) => {
                let h = header(&name, tar::EntryType::Regular, v.len() as u64)?;
                b.append(&h, v.as_slice()).map_err(write_err)?;
            }
            Source::Blob {
                path,
                compression,
                size,
                digest,
            } => {
                let h = header(&name, tar::EntryType::Regular, size)?;
                append_blob(&mut b, &h, &path, compression, size, &digest)?;
                if progress {
                    eprintln!("Copying blob {} done", digest.short());
                }
            }
        }
    }
    let mut out = b.into_inner().map_err(write_err)?;
    out.flush().map_err(write_err)?;
    if progress {
        eprintln!("Writing manifest to image destination");
    }
    Ok(())
}

/// Stream one stored blob into the archive, checking it is exactly the `size` bytes of `digest`
/// the header announced (a blob damaged in the store is an error, not a broken archive).
fn append_blob<W: Write>(
    b: &mut tar::Builder<W>,
    h: &tar::Header,
    path: &Path,
    compression: Compression,
    size: u64,
    digest: &Digest,
) -> Result<()> {
    let file = open_blob(path, digest)?;
    let decoded = Decoded::new(file, compression).map_err(|e| corrupt_blob(digest, &e))?;
    let mut r = HashingReader::new(decoded).take(size);
    b.append(h, &mut r)
        .map_err(|e| Error::io(format!("write blob {digest} into the archive"), e))?;
    let (_, got, n) = r.into_inner().into_parts();
    if n != size || got != *digest {
        return Err(Error::Msg(format!(
            "blob {digest} in the store is corrupted: {n} bytes with digest {got}"
        )));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// load: reading the archive
// ------------------------------------------------------------------------------------------------

/// Options of [`load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Apply in-image ownership (the process is mapped with subordinate ids).
    pub chown: bool,
    /// Print a line per layer on stderr.
    pub progress: bool,
}

/// One image a load stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Its id.
    pub id: Digest,
    /// The names it was given, sorted.
    pub names: Vec<String>,
}

/// One regular file of the archive, as staged.
#[derive(Debug, Clone)]
struct FileInfo {
    path: PathBuf,
    digest: Digest,
    size: u64,
}

/// The files of an unpacked archive: archive name → staged file, plus links as name aliases.
#[derive(Debug)]
struct Unpacked {
    dir: PathBuf,
    files: BTreeMap<String, FileInfo>,
    links: BTreeMap<String, String>,
    seq: u64,
}

fn truncated() -> Error {
    Error::Msg("the archive is truncated".into())
}

/// Why reading the archive stopped.
enum Stop {
    /// Reading failed: the input, the decompressor or the tar reader.
    Read(io::Error),
    /// Something in the archive is refused.
    Refused(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Refused(e)
    }
}

/// A read error as one line: a truncation, damaged compressed data, or a bad tar header (whose
/// text from the tar reader would quote the header's bytes).
fn read_error(
    e: &io::Error,
    source_failed: Option<&(io::ErrorKind, String)>,
    entries: usize,
) -> Error {
    let eof = |k: io::ErrorKind| k == io::ErrorKind::UnexpectedEof;
    if eof(e.kind()) || e.to_string().contains("failed to read entire block") {
        return truncated();
    }
    match source_failed {
        Some((k, _)) if eof(*k) => truncated(),
        Some((_, text)) => {
            let text: String = text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(160)
                .collect();
            Error::Msg(format!("the archive is damaged: {text}"))
        }
        None if entries == 0 => {
            Error::Msg("the input is not a tar archive (plain, gzip or zstd-compressed)".into())
        }
        None => Error::Msg(format!(
            "the archive is damaged: entry {} has a malformed tar header",
            entries + 1
        )),
    }
}

/// An archive name as a clean relative path: `./a//b/` → `a/b`. `..`, absolute names, NUL bytes
/// and names that are not UTF-8 are refused.
fn normalize(raw: &[u8]) -> Result<String> {
    let name = std::str::from_utf8(raw).map_err(|_| {
        Error::Msg(format!(
            "archive entry {:?}: name is not UTF-8",
            String::from_utf8_lossy(raw)
        ))
    })?;
    let bad = |why: &str| Error::Msg(format!("archive entry {name:?}: {why}"));
    if name.starts_with('/') {
        return Err(bad("absolute path"));
    }
    if name.contains('\0') {
        return Err(bad("NUL in name"));
    }
    let mut parts = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(bad("path climbs out of the archive (..)")),
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Where a link in the archive points, as an archive name. Symbolic link targets are relative to
/// the link's directory; hard link targets are archive names.
fn link_target(name: &str, target: &[u8], symbolic: bool) -> Result<String> {
    let t = std::str::from_utf8(target)
        .map_err(|_| Error::Msg(format!("archive entry {name:?}: link target is not UTF-8")))?;
    let joined = match name.rsplit_once('/') {
        Some((dir, _)) if symbolic && !t.starts_with('/') => format!("{dir}/{t}"),
        _ => t.to_string(),
    };
    // Resolve `..` lexically; it must stay inside the archive.
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or_else(|| {
                    Error::Msg(format!(
                        "archive entry {name:?}: link target {t:?} leaves the archive"
                    ))
                })?;
            }
            c => parts.push(c),
        }
    }
    if t.starts_with('/') && symbolic {
        return Err(Error::Msg(format!(
            "archive entry {name:?}: link target {t:?} is absolute"
        )));
    }
    Ok(parts.join("/"))
}

impl Unpacked {
    fn new(dir: PathBuf) -> Unpacked {
        Unpacked {
            dir,
            files: BTreeMap::new(),
            links: BTreeMap::new(),
            seq: 0,
        }
    }

    fn next_path(&mut self) -> PathBuf {
        self.seq += 1;
        self.dir.join(self.seq.to_string())
    }

    /// Take one tar entry: regular files are staged, links remembered, directories and anything
    /// else skipped.
    fn add<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), Stop> {
        if self.files.len() + self.links.len() >= MAX_ENTRIES {
            return Err(
                Error::Msg(format!("the archive has more than {MAX_ENTRIES} entries")).into(),
            );
        }
        let name = normalize(&entry.path_bytes())?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            return Ok(());
        }
        if name.is_empty() {
            return Err(Error::Msg("archive entry with an empty name".into()).into());
        }
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry.link_name_bytes().unwrap_or_default();
            let t = link_target(&name, &target, kind.is_symlink())?;
            if let Some(old) = self.files.remove(&name) {
                let _ = fs::remove_file(old.path);
            }
            self.links.insert(name, t);
            return Ok(());
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            return Ok(());
        }
        let info = self.write_file(&name, entry)?;
        self.links.remove(&name);
        if let Some(old) = self.files.insert(name, info) {
            let _ = fs::remove_file(old.path);
        }
        Ok(())
    }

    fn write_file<R: Read>(
        &mut self,
        name: &str,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<FileInfo, Stop> {
        let want = entry.size();
        let path = self.next_path();
        let file = File::create(&path).map_err(|e| Error::path("create", &path, e))?;
        let mut out = BufWriter::with_capacity(COPY_BUF, file);
        let mut r = HashingReader::new(entry);
        match copy_split(&mut r, &mut out) {
            Ok(_) => {}
            Err(CopyError::Read(e)) => return Err(Stop::Read(e)),
            Err(CopyError::Write(e)) => return Err(Error::path("write", &path, e).into()),
        }
        out.flush().map_err(|e| Error::path("write", &path, e))?;
        let (_, digest, size) = r.into_parts();
        if size != want {
            return Err(Error::Msg(format!(
                "the archive is truncated (in {name}: {size} of {want} bytes)"
            ))
            .into());
        }
        Ok(FileInfo { path, digest, size })
    }

    /// The file an archive name refers to, following links.
    fn get(&self, name: &str) -> Option<&FileInfo> {
        let mut cur = normalize(name.as_bytes()).ok()?;
        for _ in 0..MAX_LINK_HOPS {
            if let Some(f) = self.files.get(&cur) {
                return Some(f);
            }
            cur = self.links.get(&cur)?.clone();
        }
        None
    }

    fn require(&self, name: &str, named_by: &str) -> Result<&FileInfo> {
        self.get(name).ok_or_else(|| {
            Error::Msg(format!(
                "{named_by} names {name:?}, which the archive does not contain"
            ))
        })
    }

    /// A JSON document of at most 4 MiB.
    fn read_small(&self, name: &str, named_by: &str) -> Result<Vec<u8>> {
        let f = self.require(name, named_by)?;
        if f.size > MAX_MANIFEST_BYTES as u64 {
            return Err(Error::Msg(format!(
                "{name} in the archive is {} bytes, over the 4 MiB limit",
                f.size
            )));
        }
        fs::read(&f.path).map_err(|e| Error::path("read", &f.path, e))
    }

    /// A blob of an OCI layout, checked against its descriptor.
    fn blob(&self, desc: &Descriptor, named_by: &str) -> Result<&FileInfo> {
        let name = format!("blobs/sha256/{}", desc.digest.hex());
        let f = self.require(&name, named_by)?;
        if f.digest != desc.digest {
            return Err(Error::Msg(format!(
                "blob {} in the archive does not match its digest",
                desc.digest
            )));
        }
        if f.size != desc.size {
            return Err(Error::Msg(format!(
                "blob {}: size {} differs from the {} bytes its descriptor states",
                desc.digest, f.size, desc.size
            )));
        }
        Ok(f)
    }

    fn small_blob(&self, desc: &Descriptor, named_by: &str) -> Result<Vec<u8>> {
        let f = self.blob(desc, named_by)?;
        if f.size > MAX_MANIFEST_BYTES as u64 {
            return Err(Error::Msg(format!(
                "blob {} is {} bytes, over the 4 MiB limit",
                desc.digest, f.size
            )));
        }
        fs::read(&f.path).map_err(|e| Error::path("read", &f.path, e))
    }

    /// Decompress a staged file into a new one; its digest and size are the plain content's.
    fn decompress(&mut self, src: &FileInfo, c: Compression, name: &str) -> Result<FileInfo> {
        let path = self.next_path();
        let input = BufReader::with_capacity(COPY_BUF, open(&src.path)?);
        let decoded = Decoded::new(input, c).map_err(|e| layer_read_error(name, &e))?;
        let mut r = HashingReader::new(decoded);
        let file = File::create(&path).map_err(|e| Error::path("create", &path, e))?;
        let mut out = BufWriter::with_capacity(COPY_BUF, file);
        match copy_split(&mut r, &mut out) {
            Ok(_) => {}
            Err(CopyError::Read(e)) => return Err(layer_read_error(name, &e)),
            Err(CopyError::Write(e)) => return Err(Error::path("write", &path, e)),
        }
        out.flush().map_err(|e| Error::path("write", &path, e))?;
        let (_, digest, size) = r.into_parts();
        Ok(FileInfo { path, digest, size })
    }
}

fn open(p: &Path) -> Result<File> {
    File::open(p).map_err(|e| Error::path("open", p, e))
}

fn layer_read_error(name: &str, e: &io::Error) -> Error {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "truncated".to_string(),
        _ => e.to_string(),
    };
    Error::Msg(format!("layer {name} in the archive: {what}"))
}

/// Read the whole archive into `dir`, one numbered file per regular file.
fn unpack(input: impl Read, dir: &Path) -> Result<Unpacked> {
    fs::create_dir(dir).map_err(|e| Error::path("create", dir, e))?;
    let mut watch = EofWatch {
        inner: decompressed(input)?,
        eof: false,
        failed: None,
    };
    let mut out = Unpacked::new(dir.to_path_buf());
    let mut n = 0usize;
    match read_entries(&mut tar::Archive::new(&mut watch), &mut out, &mut n) {
        Ok(()) => {}
        Err(Stop::Refused(e)) => return Err(e),
        Err(Stop::Read(e)) => return Err(read_error(&e, watch.failed.as_ref(), n)),
    }
    // The tar reader stops at the end-of-archive block, or quietly at the end of the input: the
    // latter is a truncation (every tar writer ends its archives with zero blocks).
    if watch.eof {
        return Err(if n == 0 {
            Error::Msg("the input is empty".into())
        } else {
            truncated()
        });
    }
    // Read the rest, so a compressed archive's own checksum is verified.
    if let Err(e) = io::copy(&mut watch, &mut io::sink()) {
        return Err(read_error(&e, watch.failed.as_ref(), n));
    }
    Ok(out)
}

fn read_entries<R: Read>(
    ar: &mut tar::Archive<R>,
    out: &mut Unpacked,
    n: &mut usize,
) -> Result<(), Stop> {
    for entry in ar.entries().map_err(Stop::Read)? {
        out.add(&mut entry.map_err(Stop::Read)?)?;
        *n += 1;
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// load: what the archive holds
// ------------------------------------------------------------------------------------------------

/// One layer to store: its reference as the record will have it, and the staged file holding
/// the blob (compressed as `compression` says).
#[derive(Debug, Clone)]
struct LayerPlan {
    layer: LayerRef,
    file: PathBuf,
    compression: Compression,
}

/// One image of the archive, verified.
#[derive(Debug, Clone)]
struct ImagePlan {
    id: Digest,
    config: Vec<u8>,
    parsed: ImageConfig,
    config_media_type: String,
    manifest: Vec<u8>,
    manifest_digest: Digest,
    manifest_media_type: String,
    layers: Vec<LayerPlan>,
    names: Vec<String>,
    /// Not in the store yet: its layers are staged and its record written.
    fresh: bool,
}

/// The images of an unpacked archive, whichever format it is.
fn plan(files: &mut Unpacked) -> Result<Vec<ImagePlan>> {
    let plans = if files.get("index.json").is_some() && files.get("oci-layout").is_some() {
        oci_plan(files)?
    } else if files.get("manifest.json").is_some() {
        docker_plan(files)?
    } else {
        return Err(Error::Msg(
            "not a docker-archive or oci-archive: no manifest.json, and no index.json with \
             oci-layout"
                .into(),
        ));
    };
    // The same image listed twice (under two names) is one image.
    let mut merged: Vec<ImagePlan> = Vec::new();
    for p in plans {
        match merged.iter_mut().find(|m| m.id == p.id) {
            Some(m) => m.names.extend(p.names),
            None => merged.push(p),
        }
    }
    for m in &mut merged {
        m.names.sort();
        m.names.dedup();
    }
    Ok(merged)
}

fn json_doc<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Msg(format!("{what} is malformed: {e}")))
}

/// A name from the archive, qualified: docker-archive names follow docker's rules
/// (`busybox:1` is `docker.io/library/busybox:1`), OCI names podman's (`localhost/` for short
/// names), as `podman load` does.
fn archive_name(name: &str, docker_rules: bool, named_by: &str) -> Result<String> {
    let bad = |why: String| Error::Msg(format!("{named_by}: image name {name:?}: {why}"));
    let r = if docker_rules {
        Reference::parse_normalized(name).map_err(|e| bad(e.to_string()))?
    } else {
        match Reference::parse(name).map_err(|e| bad(e.to_string()))? {
            Parsed::Short(s) => s.qualify("localhost"),
            Parsed::Qualified(q) => q,
        }
    };
    if r.digest().is_some() {
        return Err(bad("a name with a digest cannot be a tag".into()));
    }
    Ok(local::display_name(&r))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciLayout {
    image_layout_version: String,
}

fn oci_plan(files: &Unpacked) -> Result<Vec<ImagePlan>> {
    let layout: OciLayout = json_doc(&files.read_small("oci-layout", "the layout")?, "oci-layout")?;
    if !layout.image_layout_version.starts_with("1.") {
        return Err(Error::Msg(format!(
            "oci-layout: unsupported image layout version {:?}",
            layout.image_layout_version
        )));
    }
    let index: manifest::Index =
        json_doc(&files.read_small("index.json", "the layout")?, "index.json")?;
    if index.manifests.is_empty() {
        return Err(Error::Msg("index.json lists no images".into()));
    }
    let mut plans = Vec::new();
    for desc in &index.manifests {
        let name = desc
            .annotations
            .get(CONTAINERD_NAME)
            .or_else(|| desc.annotations.get(REF_NAME))
            .filter(|n| !n.is_empty());
        let names = match name {
            Some(n) => vec![archive_name(n, false, "index.json")?],
            None => Vec::new(),
        };
        let (m, bytes, digest, media_type) = oci_manifest(files, desc)?;
        let (id, config, parsed) = oci_config(files, &m)?;
        let layers = oci_layers(files, &m, &parsed)?;
        plans.push(ImagePlan {
            id,
            config,
            parsed,
            config_media_type: m.config.media_type.clone(),
            manifest: bytes,
            manifest_digest: digest,
            manifest_media_type: media_type,
            layers,
            names,
            fresh: true,
        });
    }
    Ok(plans)
}

/// The image manifest an index entry names (for a nested index: this host's platform).
fn oci_manifest(
    files: &Unpacked,
    desc: &Descriptor,
) -> Result<(manifest::ImageManifest, Vec<u8>, Digest, String)> {
    let bytes = files.small_blob(desc, "index.json")?;
    match manifest::parse(&bytes, Some(&desc.media_type))? {
        Manifest::Image(m, t) => Ok((m, bytes, desc.digest.clone(), t)),
        Manifest::Index(idx, _) => {
            let want = Platform::host();
            let child = manifest::choose(&idx, &want).ok_or_else(|| {
                Error::Msg(format!("index {} has no image for {want}", desc.digest))
            })?;
            let bytes = files.small_blob(child, "an index")?;
            match manifest::parse(&bytes, Some(&child.media_type))? {
                Manifest::Image(m, t) => Ok((m, bytes, child.digest.clone(), t)),
                Manifest::Index(..) => Err(Error::Msg(format!(
                    "index {} names another index, not an image",
                    desc.digest
                ))),
            }
        }
    }
}

fn oci_config(
    files: &Unpacked,
    m: &manifest::ImageManifest,
) -> Result<(Digest, Vec<u8>, ImageConfig)> {
    let config = files.small_blob(&m.config, "a manifest")?;
    let parsed = manifest::parse_config(&config, m.layers.len())?;
    Ok((m.config.digest.clone(), config, parsed))
}

fn oci_layers(
    files: &Unpacked,
    m: &manifest::ImageManifest,
    config: &ImageConfig,
) -> Result<Vec<LayerPlan>> {
    let mut out = Vec::new();
    for (l, diff) in m.layers.iter().zip(&config.rootfs.diff_ids) {
        let f = files.blob(l, "a manifest")?;
        let compression = manifest::layer_compression(&l.media_type)?;
        if compression == Compression::None && f.digest != *diff {
            return Err(diff_mismatch(l.digest.as_str(), diff));
        }
        out.push(LayerPlan {
            layer: LayerRef {
                diff_id: diff.clone(),
                digest: l.digest.clone(),
                media_type: l.media_type.clone(),
                size: l.size,
            },
            file: f.path.clone(),
            compression,
        });
    }
    Ok(out)
}

fn diff_mismatch(what: &str, diff: &Digest) -> Error {
    Error::Msg(format!(
        "layer {what} in the archive does not match diff_id {diff} of its config"
    ))
}

/// One entry of a docker-archive's manifest.json.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerItem {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn docker_plan(files: &mut Unpacked) -> Result<Vec<ImagePlan>> {
    let items: Vec<DockerItem> = json_doc(
        &files.read_small("manifest.json", "the archive")?,
        "manifest.json",
    )?;
    if items.is_empty() {
        return Err(Error::Msg("manifest.json lists no images".into()));
    }
    let mut plans = Vec::new();
    for item in &items {
        plans.push(docker_image(files, item)?);
    }
    Ok(plans)
}

/// The 64 hex digits a blob's archive name carries (`<hex>.json`, `blobs/sha256/<hex>`), if any.
fn hex_in_name(name: &str) -> Option<&str> {
    let last = name.rsplit('/').next()?;
    let stem = last.strip_suffix(".json").unwrap_or(last);
    (stem.len() == 64
        && stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(stem)
}

fn docker_image(files: &mut Unpacked, item: &DockerItem) -> Result<ImagePlan> {
    let config = files.read_small(&item.config, "manifest.json")?;
    let id = Digest::of(&config);
    if hex_in_name(&item.config).is_some_and(|h| h != id.hex()) {
        return Err(Error::Msg(format!(
            "config {} in the archive does not match its digest",
            item.config
        )));
    }
    let parsed = manifest::parse_config(&config, item.layers.len())?;
    let mut layers = Vec::new();
    for (path, diff) in item.layers.iter().zip(&parsed.rootfs.diff_ids) {
        layers.push(docker_layer(files, path, diff)?);
    }
    let refs: Vec<LayerRef> = layers.iter().map(|l| l.layer.clone()).collect();
    let manifest = synthesise_manifest(&id, config.len(), &refs)?;
    let mut names = Vec::new();
    for n in item.repo_tags.iter().flatten() {
        names.push(archive_name(n, true, "manifest.json")?);
    }
    Ok(ImagePlan {
        manifest_digest: Digest::of(&manifest),
        manifest,
        manifest_media_type: media::OCI_MANIFEST.into(),
        config_media_type: media::OCI_CONFIG.into(),
        id,
        config,
        parsed,
        layers,
        names,
        fresh: true,
    })
}

/// A docker-archive layer, plain or compressed, stored as a plain tar (digest = diff id).
fn docker_layer(files: &mut Unpacked, path: &str, diff: &Digest) -> Result<LayerPlan> {
    let f = files.require(path, "manifest.json")?.clone();
    let mut prefix = Vec::with_capacity(4);
    open(&f.path)?
        .take(4)
        .read_to_end(&mut prefix)
        .map_err(|e| Error::path("read", &f.path, e))?;
    let plain = match sniff(&prefix)? {
        Compression::None => f,
        c => files.decompress(&f, c, path)?,
    };
    if plain.digest != *diff {
        return Err(diff_mismatch(path, diff));
    }
    Ok(LayerPlan {
        layer: LayerRef {
            diff_id: diff.clone(),
            digest: diff.clone(),
            media_type: media::OCI_LAYER.into(),
            size: plain.size,
        },
        file: plain.path,
        compression: Compression::None,
    })
}

// ------------------------------------------------------------------------------------------------
// load: storing
// ------------------------------------------------------------------------------------------------

/// Load every image of the archive `input` into `store`. Must run inside the user namespace.
pub fn load(store: &Store, input: impl Read, opts: &LoadOptions) -> Result<Vec<Loaded>> {
    let _gc = store.lock_gc_shared()?;
    store.clean_stale_staging();
    let staging = store.staging("load");
    let result = (|| {
        fs::create_dir(&staging).map_err(|e| Error::path("create", &staging, e))?;
        let mut files = unpack(input, &staging.join("files"))?;
        let mut plans = plan(&mut files)?;
        for p in &mut plans {
            p.fresh = store.image(&p.id).is_none();
        }
        let private = Store::open(&staging.join("store"))?;
        stage(store, &private, &plans, opts)?;
        commit(store, &private, &plans)
    })();
    remove_any(&staging);
    result
}

/// Layers of the images that are not in the store yet, each once.
fn new_layers(plans: &[ImagePlan]) -> Vec<&LayerPlan> {
    let mut seen = BTreeSet::new();
    plans
        .iter()
        .filter(|p| p.fresh)
        .flat_map(|p| &p.layers)
        .filter(|l| seen.insert((l.layer.diff_id.clone(), l.layer.digest.clone())))
        .collect()
}

/// Verify and extract every missing layer into the private store.
fn stage(store: &Store, private: &Store, plans: &[ImagePlan], opts: &LoadOptions) -> Result<()> {
    for l in new_layers(plans) {
        let r = &l.layer;
        let need_layer = store.layer(&r.diff_id).is_none() && private.layer(&r.diff_id).is_none();
        let need_blob = !store.has_blob(&r.digest) && !private.has_blob(&r.digest);
        if !need_layer && !need_blob {
            continue;
        }
        let reader = BufReader::with_capacity(COPY_BUF, open(&l.file)?);
        store_layer(private, reader, r, l.compression, need_layer, opts.chown)?;
        if opts.progress {
            eprintln!("Copying blob {} done", r.digest.short());
        }
    }
    Ok(())
}

/// Move the staged layers into the store, then write configs, manifests, records and names.
fn commit(store: &Store, private: &Store, plans: &[ImagePlan]) -> Result<Vec<Loaded>> {
    for l in new_layers(plans) {
        let r = &l.layer;
        let _lock = store.lock_content(&r.diff_id)?;
        if !store.has_blob(&r.digest) && private.has_blob(&r.digest) {
            store.commit_blob(&private.blob_path(&r.digest), &r.digest)?;
        }
        if store.layer(&r.diff_id).is_none()
            && let Some(rec) = private.layer(&r.diff_id)
        {
            store.commit_layer(&private.layer_dir(&r.diff_id), &rec)?;
        }
    }
    for p in plans.iter().filter(|p| p.fresh) {
        store.put_blob(&p.id, &p.config)?;
        store.put_blob(&p.manifest_digest, &p.manifest)?;
    }
    let _lock = store.lock()?;
    for p in plans {
        match (p.fresh, store.image(&p.id).is_some()) {
            (true, false) => store.put_image(&record(store, p))?,
            (false, false) => {
                return Err(Error::Msg(format!(
                    "image {} was removed while loading; load again",
                    p.id
                )));
            }
            _ => {}
        }
    }
    let mut names = store.names()?;
    for p in plans {
        for n in &p.names {
            names.insert(n.clone(), p.id.clone());
        }
    }
    store.put_names(&names)?;
    Ok(plans
        .iter()
        .map(|p| Loaded {
            id: p.id.clone(),
            names: p.names.clone(),
        })
        .collect())
}

fn record(store: &Store, p: &ImagePlan) -> ImageRecord {
    let mut repo_digests: Vec<String> = p
        .names
        .iter()
        .filter_map(|n| split_tag(n))
        .map(|(repo, _)| format!("{repo}@{}", p.manifest_digest))
        .collect();
    repo_digests.dedup();
    ImageRecord {
        id: p.id.clone(),
        manifest_digest: p.manifest_digest.clone(),
        manifest_media_type: p.manifest_media_type.clone(),
        index_digest: None,
        config_media_type: p.config_media_type.clone(),
        layers: p.layers.iter().map(|l| l.layer.clone()).collect(),
        repo_digests,
        created: p.parsed.created.clone(),
        stored_at: crate::format::time::now_secs(),
        size: p
            .layers
            .iter()
            .map(|l| store.layer(&l.layer.diff_id).map_or(0, |r| r.size))
            .sum(),
        platform: platform_of(&p.parsed).to_string(),
        parent: None,
    }
}

// ------------------------------------------------------------------------------------------------
// import
// ------------------------------------------------------------------------------------------------

/// Options of [`import`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The run-time config (from `--change`, see [`parse_changes`]).
    pub config: ContainerConfig,
    /// `--message`: the history comment.
    pub message: Option<String>,
    /// The creation time to record (RFC 3339).
    pub created: String,
    /// Apply in-image ownership (the process is mapped with subordinate ids).
    pub chown: bool,
}

/// A layer staged by import: the gzip blob, the extracted tree and their records.
pub(crate) struct StagedLayer {
    pub(crate) blob: PathBuf,
    pub(crate) dir: PathBuf,
    pub(crate) layer: LayerRef,
    pub(crate) record: LayerRecord,
}

/// Reads plain tar bytes and copies them into the compressor as the extractor consumes them.
struct Tee<'a, R, W: Write> {
    inner: &'a mut R,
    out: W,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Make a one-layer image of the root file system tarball `input` (plain, gzip or zstd). Must
/// run inside the user namespace. Names are the caller's (after this returns, as names come last).
pub fn import(store: &Store, mut input: impl Read, opts: &ImportOptions) -> Result<ImageRecord> {
    let meta = super::commit::Meta {
        config: opts.config.clone(),
        created_by: "imported from tarball".into(),
        empty_before: Vec::new(),
        author: None,
        comment: opts.message.clone(),
        created: opts.created.clone(),
        chown: opts.chown,
    };
    super::commit::new_image(store, None, Some(&mut input), &meta)
}

/// Stream the tarball once: sha256 (diff id), gzip into `blob`, and the extractor into `dir`.
pub(crate) fn stage_tarball(
    input: impl Read,
    blob: PathBuf,
    dir: PathBuf,
    chown: bool,
) -> Result<StagedLayer> {
    fs::create_dir(&dir).map_err(|e| Error::path("create", &dir, e))?;
    let mut plain = HashingReader::new(tar_stream(input)?);
    let file = File::create(&blob).map_err(|e| Error::path("create", &blob, e))?;
    let gz = flate2::write::GzEncoder::new(
        HashingWriter::new(BufWriter::with_capacity(COPY_BUF, file)),
        flate2::Compression::default(),
    );
    let mut tee = Tee {
        inner: &mut plain,
        out: gz,
    };
    let stats = extract_layer(&mut tee, &dir, &ExtractOptions { chown })
        .map_err(|e| Error::Msg(format!("tarball: {e}")))?;
    io::copy(&mut tee, &mut io::sink()).map_err(|e| Error::Msg(format!("tarball: {e}")))?;
    let hashed = tee
        .out
        .finish()
        .map_err(|e| Error::path("write", &blob, e))?;
    let (mut w, digest, size) = hashed.into_parts()?;
    w.flush().map_err(|e| Error::path("write", &blob, e))?;
    let (_, diff_id, _) = plain.into_parts();
    for dev in &stats.skipped_devices {
        eprintln!("Notice: device node {dev} skipped (cannot be created rootless)");
    }
    Ok(StagedLayer {
        blob,
        dir,
        layer: LayerRef {
            diff_id: diff_id.clone(),
            digest,
            media_type: media::OCI_LAYER_GZIP.into(),
            size,
        },
        record: LayerRecord {
            diff_id,
            size: stats.bytes,
            entries: stats.entries,
            ownership: if chown { "subuid" } else { "single-id" }.into(),
        },
    })
}

/// The decompressed tarball, once its first block is seen to be a tar header (so that neither
/// an empty input nor some other file becomes an image, and the error says so plainly).
pub(crate) fn tar_stream(input: impl Read) -> Result<impl Read> {
    let mut decoded = decompressed(input)?;
    let mut first = Vec::with_capacity(512);
    (&mut decoded)
        .take(512)
        .read_to_end(&mut first)
        .map_err(|e| Error::Msg(format!("the tarball cannot be read: {e}")))?;
    if first.is_empty() {
        return Err(Error::Msg("the tarball is empty".into()));
    }
    if !is_tar_header(&first) {
        return Err(Error::Msg(
            "not a tar archive (plain, gzip or zstd-compressed)".into(),
        ));
    }
    Ok(io::Cursor::new(first).chain(decoded))
}

/// A whole 512-byte block that is the end-of-archive marker or a header with a valid checksum.
fn is_tar_header(block: &[u8]) -> bool {
    let Ok(block) = <&[u8; 512]>::try_from(block) else {
        return false;
    };
    if block.iter().all(|b| *b == 0) {
        return true;
    }
    // The checksum counts its own field as spaces; old tools summed signed bytes.
    let sum = |value: fn(u8) -> i64| -> i64 {
        let field = 148..156;
        block
            .iter()
            .enumerate()
            .map(|(i, b)| if field.contains(&i) { 32 } else { value(*b) })
            .sum()
    };
    let (unsigned, signed) = (sum(i64::from), sum(|b| i64::from(i8::from_ne_bytes([b]))));
    tar::Header::from_byte_slice(block)
        .cksum()
        .is_ok_and(|c| i64::from(c) == unsigned || i64::from(c) == signed)
}

// ------------------------------------------------------------------------------------------------
// --change
// ------------------------------------------------------------------------------------------------

/// The instructions `--change` takes.
const INSTRUCTIONS: [&str; 9] = [
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "USER",
    "WORKDIR",
    "VOLUME",
    "STOPSIGNAL",
];

/// Apply `--change` instructions (Dockerfile syntax, `INSTRUCTION ARGS` or podman's
/// `INSTRUCTION=ARGS`) in order to an empty config.
pub fn parse_changes(changes: &[String]) -> Result<ContainerConfig> {
    let mut c = ContainerConfig::default();
    for ch in changes {
        apply_change(&mut c, ch)?;
    }
    Ok(c)
}

/// Apply one `--change` instruction to `c` (`rl commit` applies them over the container's config).
pub fn apply_change(c: &mut ContainerConfig, change: &str) -> Result<()> {
    let bad = |why: String| Error::Msg(format!("--change {change:?}: {why}"));
    let (instruction, rest) = split_instruction(change).map_err(bad)?;
    apply_instruction(c, &instruction, rest).map_err(bad)
}

/// `CMD ["x"]` or `CMD=["x"]` → (`CMD`, `["x"]`), for known instructions with an argument.
fn split_instruction(change: &str) -> Result<(String, &str), String> {
    let text = change.trim();
    let end = text
        .find(|ch: char| !ch.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (word, tail) = text.split_at(end);
    let instruction = word.to_ascii_uppercase();
    let separated = tail.is_empty() || tail.starts_with(|ch: char| ch == '=' || ch.is_whitespace());
    if !separated || !INSTRUCTIONS.contains(&instruction.as_str()) {
        let shown = text
            .split(|ch: char| ch == '=' || ch.is_whitespace())
            .next()
            .unwrap_or("");
        return Err(format!(
            "unknown instruction {shown:?}: --change takes {}",
            INSTRUCTIONS.join(", ")
        ));
    }
    let rest = tail.strip_prefix('=').unwrap_or(tail).trim();
    if rest.is_empty() {
        return Err(format!("{instruction} needs an argument"));
    }
    Ok((instruction, rest))
}

fn apply_instruction(c: &mut ContainerConfig, instruction: &str, rest: &str) -> Result<(), String> {
    match instruction {
        "CMD" => c.cmd = Some(exec_or_shell(rest)),
        "ENTRYPOINT" => c.entrypoint = Some(exec_or_shell(rest)),
        "ENV" => set_pairs(c.env.get_or_insert_with(Vec::new), rest)?,
        "LABEL" => {
            let mut pairs = Vec::new();
            set_pairs(&mut pairs, rest)?;
            let labels = c.labels.get_or_insert_with(BTreeMap::new);
            labels.extend(pairs.iter().filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            }));
        }
        "EXPOSE" => {
            let ports = c.exposed_ports.get_or_insert_with(BTreeMap::new);
            for w in split_words(rest)? {
                ports.insert(port_key(&w)?, json!({}));
            }
        }
        "USER" => c.user = Some(rest.to_string()),
        "WORKDIR" => c.working_dir = Some(workdir(c.working_dir.as_deref(), rest)),
        "VOLUME" => {
            let list = match serde_json::from_str::<Vec<String>>(rest) {
                Ok(v) if rest.starts_with('[') => v,
                _ => split_words(rest)?,
            };
            let vols = c.volumes.get_or_insert_with(BTreeMap::new);
            vols.extend(
                list.into_iter()
                    .filter(|v| !v.is_empty())
                    .map(|v| (v, json!({}))),
            );
        }
        "STOPSIGNAL" if rest.contains(char::is_whitespace) => {
            return Err("want one signal, e.g. SIGTERM".into());
        }
        "STOPSIGNAL" => c.stop_signal = Some(rest.to_string()),
        other => return Err(format!("unknown instruction {other:?}")),
    }
    Ok(())
}

/// JSON (exec) form `["a","b"]`, or shell form run by `/bin/sh -c`, as docker decides.
fn exec_or_shell(rest: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(rest) {
        Ok(v) if rest.starts_with('[') => v,
        _ => vec!["/bin/sh".into(), "-c".into(), rest.into()],
    }
}

/// `KEY=VALUE ...` (quotes allowed) or the legacy `KEY VALUE` into `list`, replacing keys.
fn set_pairs(list: &mut Vec<String>, rest: &str) -> Result<(), String> {
    let words = split_words(rest)?;
    let pairs: Vec<(String, String)> = match words.first() {
        Some(w) if !w.contains('=') => {
            let (k, v) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("{rest:?}: want KEY=VALUE"))?;
            vec![(k.to_string(), v.trim().to_string())]
        }
        _ => words
            .iter()
            .map(|w| {
                w.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .ok_or_else(|| format!("{w:?}: want KEY=VALUE"))
            })
            .collect::<Result<_, _>>()?,
    };
    for (k, v) in pairs {
        if k.is_empty() {
            return Err("empty key".into());
        }
        list.retain(|e| e.split_once('=').map_or(e.as_str(), |(ek, _)| ek) != k);
        list.push(format!("{k}={v}"));
    }
    Ok(())
}

/// Words separated by white space; double quotes (with backslash escapes) and single quotes group.
fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        match ch {
            c if c.is_whitespace() => words.extend(cur.take()),
            '\\' => cur.get_or_insert_with(String::new).extend(chars.next()),
            '"' | '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        None => return Err(format!("{s:?}: unterminated quote")),
                        Some(c) if c == ch => break,
                        Some('\\') if ch == '"' => w.extend(chars.next()),
                        Some(c) => w.push(c),
                    }
                }
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    Ok(words)
}

/// `80` → `80/tcp`; `53/udp` stays; ranges `8000-8010` allowed.
fn port_key(p: &str) -> Result<String, String> {
    let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let proto = proto.to_ascii_lowercase();
    let num = |s: &str| s.parse::<u16>().is_ok_and(|n| n > 0);
    let ok = match port.split_once('-') {
        Some((a, b)) => num(a) && num(b),
        None => num(port),
    };
    if !ok || !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("{p:?}: want PORT[/tcp|udp|sctp]"));
    }
    Ok(format!("{port}/{proto}"))
}

/// WORKDIR: absolute, or relative to the previous one.
fn workdir(prev: Option<&str>, dir: &str) -> String {
    if dir.starts_with('/') {
        return dir.to_string();
    }
    let base = prev.unwrap_or("/").trim_end_matches('/');
    format!("{base}/{dir}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert_eq!(normalize(b"./a//b/").unwrap(), "a/b");
        assert_eq!(normalize(b"./").unwrap(), "");
        for bad in [&b"../x"[..], b"a/../../x", b"/etc/passwd", b"a/..", b"\xff"] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            link_target("a/layer.tar", b"../b/layer.tar", true).unwrap(),
            "b/layer.tar"
        );
        assert_eq!(link_target("a/x", b"b/y", false).unwrap(), "b/y");
        assert!(link_target("a/x", b"../../y", true).is_err());
        assert!(link_target("a/x", b"/etc/passwd", true).is_err());
    }

    #[test]
    fn changes() {
        let c = parse_changes(&[
            r#"CMD ["/bin/sh"]"#.into(),
            "ENTRYPOINT echo hi".into(),
            "ENV A=1 B=\"x y\"".into(),
            "env A=2".into(),
            "ENV C three words".into(),
            "EXPOSE 80 53/udp".into(),
            "LABEL a=b \"c d\"=e".into(),
            "USER 1000:1000".into(),
            "WORKDIR /w".into(),
            "WORKDIR sub".into(),
            "VOLUME [\"/data\", \"/x\"]".into(),
            "VOLUME /y".into(),
            "STOPSIGNAL=SIGINT".into(),
        ])
        .unwrap();
        assert_eq!(c.cmd.unwrap(), vec!["/bin/sh"]);
        assert_eq!(c.entrypoint.unwrap(), vec!["/bin/sh", "-c", "echo hi"]);
        assert_eq!(c.env.unwrap(), vec!["B=x y", "A=2", "C=three words"]);
        let ports: Vec<String> = c.exposed_ports.unwrap().into_keys().collect();
        assert_eq!(ports, vec!["53/udp", "80/tcp"]);
        let labels = c.labels.unwrap();
        assert_eq!(labels["a"], "b");
        assert_eq!(labels["c d"], "e");
        assert_eq!(c.user.unwrap(), "1000:1000");
        assert_eq!(c.working_dir.unwrap(), "/w/sub");
        let vols: Vec<String> = c.volumes.unwrap().into_keys().collect();
        assert_eq!(vols, vec!["/data", "/x", "/y"]);
        assert_eq!(c.stop_signal.unwrap(), "SIGINT");
        for bad in [
            "RUN echo",
            "FROM x",
            "CMD",
            "EXPOSE http",
            "ENV =1",
            "LABEL \"a=b",
            "CMD1 x",
        ] {
            let e = parse_changes(&[bad.to_string()]).unwrap_err().one_line();
            assert!(e.starts_with("--change "), "{bad}: {e}");
        }
    }

    #[test]
    fn archive_names() {
        assert_eq!(
            archive_name("busybox:1", true, "m").unwrap(),
            "docker.io/library/busybox:1"
        );
        assert_eq!(
            archive_name("busybox", false, "m").unwrap(),
            "localhost/busybox:latest"
        );
        assert_eq!(
            archive_name("127.0.0.1:5000/a/b:c", false, "m").unwrap(),
            "127.0.0.1:5000/a/b:c"
        );
        assert!(archive_name("Bad Name", true, "m").is_err());
        assert_eq!(
            hex_in_name(&format!("{}.json", "a".repeat(64))),
            Some(&*"a".repeat(64))
        );
        assert_eq!(hex_in_name("config.json"), None);
    }

    #[test]
    fn tar_headers_are_recognised() {
        let mut h = tar::Header::new_ustar();
        h.set_path("a").unwrap();
        h.set_size(0);
        h.set_cksum();
        assert!(is_tar_header(h.as_bytes()));
        assert!(is_tar_header(&[0u8; 512]));
        let mut bad = h.as_bytes().to_vec();
        bad[0] = b'b';
        assert!(!is_tar_header(&bad));
        assert!(!is_tar_header(&[b'x'; 512]));
        assert!(!is_tar_header(&h.as_bytes()[..511]));
    }

    #[test]
    fn compression_is_sniffed() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]).unwrap(), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]).unwrap(), Compression::Zstd);
        assert_eq!(sniff(b"abc").unwrap(), Compression::None);
        assert_eq!(sniff(b"BZh9").unwrap(), Compression::Bzip2);
        assert_eq!(sniff(&[0xfd, b'7', b'z', b'X']).unwrap(), Compression::Xz);
    }
}
