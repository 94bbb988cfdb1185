//! `rl pull`: manifest → config → layers, each layer streamed once through sha256 (compressed),
//! the decompressor, sha256 (uncompressed) and the extractor, while the compressed bytes are
//! written to the blob store. Nothing is buffered whole; nothing is read twice. Verification
//! (size, digest, diff id) finishes at the end of the stream, and only verified content is moved
//! into the store. Layers download and extract in parallel.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use oci_client::secrets::RegistryAuth;

use super::{RegistryError, client_for, describe, oci_reference, registry_auth};
use crate::error::{Error, Result};
use crate::image::digest::{Digest, HashingReader};
use crate::image::extract::{ExtractOptions, extract_layer};
use crate::image::manifest::{self, Compression, ImageConfig, Manifest, Platform, media};
use crate::image::reference::Reference;
use crate::image::registries::RegistriesConf;
use crate::image::store::{ImageRecord, LayerRecord, LayerRef, Store, remove_any};

/// Layers fetched at once.
const PARALLEL_LAYERS: usize = 3;

/// Options of one pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `--platform`; default: this machine.
    pub platform: Option<Platform>,
    /// `--tls-verify`; default: from registries.conf (loopback registries are plain HTTP).
    pub tls_verify: Option<bool>,
    /// Draw progress lines on stderr.
    pub progress: bool,
    /// Apply in-image ownership (the process is mapped with subordinate ids).
    pub chown: bool,
}

/// The outcome of a pull.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The stored image.
    pub record: ImageRecord,
    /// Where it came from.
    pub reference: Reference,
    /// Layers that were downloaded (0 when everything was present).
    pub downloaded: usize,
}

/// Pull `input` (as the user typed it) into the store. Must run after entering the user
/// namespace; builds its own runtime.
pub fn pull(
    store: &Store,
    conf: &RegistriesConf,
    input: &str,
    opts: &PullOptions,
) -> Result<Pulled> {
    let candidates = conf.resolve(input)?;
    let rt = super::runtime().map_err(|e| Error::io("start the transfer runtime", e))?;
    let _gc = store.lock_gc_shared()?;
    store.clean_stale_staging();
    let mut last: Option<Error> = None;
    let count = candidates.len();
    for (i, c) in candidates.into_iter().enumerate() {
        match rt.block_on(pull_one(store, conf, &c.reference, opts)) {
            Ok(p) => return Ok(p),
            // Short names try each search registry in turn; a missing image moves on.
            Err(e @ Error::Registry(RegistryError::NotFound(_)))
            | Err(e @ Error::Registry(RegistryError::Transport { .. }))
                if i + 1 < count =>
            {
                last = Some(e)
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::Msg(format!("{input}: nothing to pull"))))
}

async fn fetch_small(
    client: &oci_client::Client,
    oref: &oci_client::Reference,
    reference: &Reference,
    desc: &manifest::Descriptor,
    what: &str,
) -> Result<Vec<u8>> {
    if desc.size > manifest::MAX_MANIFEST_BYTES as u64 {
        return Err(Error::Msg(format!(
            "{reference}: {what} {} is {} bytes, over the 4 MiB limit",
            desc.digest, desc.size
        )));
    }
    let mut buf = Vec::with_capacity(usize::try_from(desc.size).unwrap_or(0));
    client
        .pull_blob(oref, desc.digest.as_str(), &mut buf)
        .await
        .map_err(|e| describe(reference, e))?;
    check_blob(&buf, desc, what)?;
    Ok(buf)
}

fn check_blob(bytes: &[u8], desc: &manifest::Descriptor, what: &str) -> Result<()> {
    if bytes.len() as u64 != desc.size {
        return Err(Error::Msg(format!(
            "{what} {}: size {} differs from the {} bytes its descriptor states",
            desc.digest,
            bytes.len(),
            desc.size
        )));
    }
    if Digest::of(bytes) != desc.digest {
        return Err(Error::Msg(format!(
            "{what} {}: content does not match its digest",
            desc.digest
        )));
    }
    Ok(())
}

async fn pull_one(
    store: &Store,
    conf: &RegistriesConf,
    reference: &Reference,
    opts: &PullOptions,
) -> Result<Pulled> {
    let client = client_for(conf, reference, opts.tls_verify)?;
    let auth = registry_auth(reference)?;
    let oref = oci_reference(reference);
    let (top_bytes, _) = client
        .pull_manifest_raw(&oref, &auth, media::ACCEPT)
        .await
        .map_err(|e| describe(reference, e))?;
    let top_digest = Digest::of(&top_bytes);
    if let Some(want) = reference.digest()
        && top_digest.as_str() != want
    {
        return Err(Error::Msg(format!(
            "{reference}: the registry's manifest does not match the requested digest"
        )));
    }
    let want = opts.platform.clone().unwrap_or_else(Platform::host);
    let (index, manifest_bytes, manifest_digest, image, manifest_type) =
        match manifest::parse(&top_bytes, None)? {
            Manifest::Image(m, t) => (None, top_bytes.to_vec(), top_digest.clone(), m, t),
            Manifest::Index(idx, t) => {
                let Some(desc) = manifest::choose(&idx, &want) else {
                    let have: Vec<String> = idx
                        .manifests
                        .iter()
                        .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
                        .collect();
                    return Err(Error::Msg(format!(
                        "{reference}: no image for {want} (available: {})",
                        have.join(", ")
                    )));
                };
                let child = oref.clone_with_digest(desc.digest.to_string());
                let (bytes, _) = client
                    .pull_manifest_raw(
                        &child,
                        &auth,
                        &[media::OCI_MANIFEST, media::DOCKER_MANIFEST],
                    )
                    .await
                    .map_err(|e| describe(reference, e))?;
                check_blob(&bytes, desc, "manifest")?;
                let Manifest::Image(m, mt) = manifest::parse(&bytes, Some(&desc.media_type))?
                else {
                    return Err(Error::Msg(format!(
                        "{reference}: index entry {} is not an image manifest",
                        desc.digest
                    )));
                };
                let d = desc.digest.clone();
                (Some((top_bytes.to_vec(), t)), bytes.to_vec(), d, m, mt)
            }
        };
    let config_bytes = fetch_small(&client, &oref, reference, &image.config, "config").await?;
    let config: ImageConfig = manifest::parse_config(&config_bytes, image.layers.len())?;
    if opts.platform.is_some()
        && !want.matches(&Platform {
            architecture: config.architecture.clone(),
            os: config.os.clone(),
            variant: config.variant.clone(),
        })
    {
        return Err(Error::Msg(format!(
            "{reference}: image is for {}/{}, not {want}",
            config.os, config.architecture
        )));
    }
    let id = image.config.digest.clone();
    let layers: Vec<LayerRef> = image
        .layers
        .iter()
        .zip(&config.rootfs.diff_ids)
        .map(|(l, diff)| LayerRef {
            diff_id: diff.clone(),
            digest: l.digest.clone(),
            media_type: l.media_type.clone(),
            size: l.size,
        })
        .collect();

    let progress = Progress::new(&layers, opts.progress);
    let drawer = progress.start();
    let chown = opts.chown;
    let mut results = futures_util::stream::iter(layers.iter().cloned().enumerate())
        .map(|(i, l)| {
            let client = client.clone();
            let oref = oref.clone();
            let store = store.clone();
            let auth = auth.clone();
            let progress = progress.clone();
            async move {
                fetch_layer(
                    &client, &auth, &oref, reference, &store, &l, chown, &progress, i,
                )
                .await
            }
        })
        .buffer_unordered(PARALLEL_LAYERS);
    let mut downloaded = 0;
    let mut sizes = 0u64;
    let mut first_err = None;
    while let Some(r) = results.next().await {
        match r {
            Ok((fetched, size)) => {
                downloaded += usize::from(fetched);
                sizes += size;
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    drop(results);
    progress.finish(drawer);
    if let Some(e) = first_err {
        return Err(e);
    }

    store.put_blob(&id, &config_bytes)?;
    store.put_blob(&manifest_digest, &manifest_bytes)?;
    if let Some((bytes, _)) = &index {
        store.put_blob(&top_digest, bytes)?;
    }
    let repo_digest = format!("{}@{}", reference.name(), top_digest);
    let _lock = store.lock()?;
    let mut repo_digests = store.image(&id).map(|r| r.repo_digests).unwrap_or_default();
    if !repo_digests.contains(&repo_digest) {
        repo_digests.push(repo_digest);
    }
    let record = ImageRecord {
        id: id.clone(),
        manifest_digest,
        manifest_media_type: manifest_type,
        index_digest: index.as_ref().map(|_| top_digest.clone()),
        config_media_type: image.config.media_type.clone(),
        layers,
        repo_digests,
        created: config.created.clone(),
        stored_at: crate::format::time::now_secs(),
        size: sizes,
        platform: Platform {
            architecture: config.architecture.clone(),
            os: config.os.clone(),
            variant: config.variant.clone(),
        }
        .to_string(),
        parent: None,
    };
    store.put_image(&record)?;
    if let Some(tag) = reference.tag() {
        let mut names = store.names()?;
        let name = format!("{}:{tag}", reference.name());
        names.insert(name, id);
        store.put_names(&names)?;
    }
    Ok(Pulled {
        record,
        reference: reference.clone(),
        downloaded,
    })
}

/// Make sure one layer (extracted) and its blob are in the store. Returns whether anything was
/// downloaded, and the layer's extracted size.
#[allow(clippy::too_many_arguments)]
async fn fetch_layer(
    client: &oci_client::Client,
    auth: &RegistryAuth,
    oref: &oci_client::Reference,
    reference: &Reference,
    store: &Store,
    layer: &LayerRef,
    chown: bool,
    progress: &Progress,
    index: usize,
) -> Result<(bool, u64)> {
    let compression = manifest::layer_compression(&layer.media_type)?;
    // One fetch per diff id at a time across processes: a concurrent pull of the same layer
    // waits here, then finds it present.
    let lock = {
        let store = store.clone();
        let diff = layer.diff_id.clone();
        tokio::task::spawn_blocking(move || store.lock_content(&diff))
            .await
            .map_err(|e| Error::Msg(format!("layer lock task: {e}")))??
    };
    let have_layer = store.layer(&layer.diff_id);
    if let (Some(rec), true) = (&have_layer, store.has_blob(&layer.digest)) {
        progress.done(index, layer.size);
        return Ok((false, rec.size));
    }
    client
        .store_auth_if_needed(oref.resolve_registry(), auth)
        .await;
    let stream = client
        .pull_blob_stream(oref, layer.digest.as_str())
        .await
        .map_err(|e| describe(reference, e))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(32);
    let worker = {
        let store = store.clone();
        let layer = layer.clone();
        let counter = progress.counter(index);
        let extract = have_layer.is_none();
        tokio::task::spawn_blocking(move || {
            let _lock = lock;
            let reader = ChanReader {
                rx,
                cur: Bytes::new(),
                limit: layer.size,
                seen: 0,
                counter,
            };
            store_layer(&store, reader, &layer, compression, extract, chown)
        })
    };
    let mut stream = stream.stream;
    while let Some(chunk) = stream.next().await {
        let failed = chunk.is_err();
        if tx.send(chunk).await.is_err() || failed {
            break;
        }
    }
    drop(tx);
    let size = worker
        .await
        .map_err(|e| Error::Msg(format!("layer task: {e}")))??;
    let size = match size {
        Some(s) => s,
        None => have_layer.map_or(0, |r| r.size),
    };
    Ok((true, size))
}

/// Feeds the blocking side from the download: bytes as they arrive, with the size limit the
/// manifest states (a registry sending more is cut off at once).
struct ChanReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    cur: Bytes,
    limit: u64,
    seen: u64,
    counter: Arc<AtomicU64>,
}

impl Read for ChanReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        self.seen += n as u64;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        if self.seen > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "blob is larger than the {} bytes its manifest states",
                    self.limit
                ),
            ));
        }
        Ok(n)
    }
}

/// Copies what is read into the staged blob file.
struct Tee<R> {
    inner: HashingReader<R>,
    out: BufWriter<File>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// A layer stream decompressed as its media type says.
pub(crate) enum Decoded<R: Read> {
    /// Plain tar.
    Plain(R),
    /// gzip (possibly multi-member).
    Gzip(Box<flate2::read::MultiGzDecoder<R>>),
    /// zstd.
    Zstd(Box<zstd::stream::read::Decoder<'static, BufReader<R>>>),
    /// bzip2 (possibly multi-stream).
    Bzip2(Box<bzip2::read::MultiBzDecoder<R>>),
    /// xz (possibly multi-stream).
    Xz(Box<liblzma::read::XzDecoder<R>>),
}

impl<R: Read> Decoded<R> {
    pub(crate) fn new(r: R, c: Compression) -> io::Result<Self> {
        Ok(match c {
            Compression::None => Decoded::Plain(r),
            Compression::Gzip => Decoded::Gzip(Box::new(flate2::read::MultiGzDecoder::new(r))),
            Compression::Zstd => Decoded::Zstd(Box::new(zstd::stream::read::Decoder::new(r)?)),
            Compression::Bzip2 => Decoded::Bzip2(Box::new(bzip2::read::MultiBzDecoder::new(r))),
            Compression::Xz => {
                Decoded::Xz(Box::new(liblzma::read::XzDecoder::new_multi_decoder(r)))
            }
        })
    }

    pub(crate) fn into_inner(self) -> R {
        match self {
            Decoded::Plain(r) => r,
            Decoded::Gzip(d) => d.into_inner(),
            Decoded::Zstd(d) => d.finish().into_inner(),
            Decoded::Bzip2(d) => d.into_inner(),
            Decoded::Xz(d) => d.into_inner(),
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(d) => d.read(buf),
            Decoded::Zstd(d) => d.read(buf),
            Decoded::Bzip2(d) => d.read(buf),
            Decoded::Xz(d) => d.read(buf),
        }
    }
}

/// The blocking half: stream → blob file (+ extraction), verify, commit. Staging is removed on
/// any failure. Returns the extracted size when it extracted.
pub(crate) fn store_layer<R: Read + Send>(
    store: &Store,
    reader: R,
    layer: &LayerRef,
    compression: Compression,
    extract: bool,
    chown: bool,
) -> Result<Option<u64>> {
    let blob_tmp = store.staging("blob");
    let layer_tmp = store.staging("layer");
    let result = (|| -> Result<Option<u64>> {
        let file = File::create(&blob_tmp).map_err(|e| Error::path("create", &blob_tmp, e))?;
        let mut tee = Tee {
            inner: HashingReader::new(reader),
            out: BufWriter::with_capacity(256 * 1024, file),
        };
        let mut extracted = None;
        if extract {
            std::fs::create_dir(&layer_tmp).map_err(|e| Error::path("create", &layer_tmp, e))?;
            let (stats, back) = decode_and_extract(tee, compression, layer, &layer_tmp, chown)?;
            tee = back;
            for dev in &stats.skipped_devices {
                eprintln!(
                    "Notice: layer {}: device node {dev} skipped (cannot be created rootless)",
                    layer.digest.short()
                );
            }
            extracted = Some(LayerRecord {
                diff_id: layer.diff_id.clone(),
                size: stats.bytes,
                entries: stats.entries,
                ownership: if chown { "subuid" } else { "single-id" }.into(),
            });
        }
        io::copy(&mut tee, &mut io::sink()).map_err(|e| blob_error(layer, &e))?;
        let Tee { inner, mut out } = tee;
        out.flush()
            .map_err(|e| Error::path("write", &blob_tmp, e))?;
        drop(out);
        let (_, digest, size) = inner.into_parts();
        if size != layer.size {
            return Err(Error::Msg(format!(
                "blob {}: size {size} differs from the {} bytes its manifest states",
                layer.digest, layer.size
            )));
        }
        if digest != layer.digest {
            return Err(Error::Msg(format!(
                "blob {}: content does not match its digest",
                layer.digest
            )));
        }
        store.commit_blob(&blob_tmp, &layer.digest)?;
        if let Some(rec) = &extracted {
            store.commit_layer(&layer_tmp, rec)?;
        }
        Ok(extracted.map(|r| r.size))
    })();
    if result.is_err() {
        remove_any(&blob_tmp);
        remove_any(&layer_tmp);
    }
    result
}

/// Decompression on one core, hashing and extraction on the other: the decoder thread feeds
/// 256 KiB chunks through a short queue to the extractor. Returns the extraction's stats and the
/// compressed-side reader (drained to its end) for the blob's digest and size.
fn decode_and_extract<R: Read + Send>(
    tee: Tee<R>,
    compression: Compression,
    layer: &LayerRef,
    dest: &Path,
    chown: bool,
) -> Result<(crate::image::extract::ExtractStats, Tee<R>)> {
    const CHUNK: usize = 256 * 1024;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(8);
        // Err(None): the extractor stopped reading (its own error says why).
        let decoder = scope.spawn(move || -> Result<Tee<R>, Option<io::Error>> {
            let mut d = Decoded::new(tee, compression).map_err(Some)?;
            loop {
                let mut buf = vec![0u8; CHUNK];
                let n = match read_full(&mut d, &mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        let copy = io::Error::new(e.kind(), e.to_string());
                        let _ = tx.send(Err(copy));
                        return Err(Some(e));
                    }
                };
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                if tx.send(Ok(buf)).is_err() {
                    return Err(None);
                }
            }
            drop(tx);
            let mut tee = d.into_inner();
            io::copy(&mut tee, &mut io::sink()).map_err(Some)?;
            Ok(tee)
        });
        let mut plain = HashingReader::new(QueueReader {
            rx,
            cur: Vec::new(),
            pos: 0,
        });
        let extracted = extract_layer(&mut plain, dest, &ExtractOptions { chown });
        let drained = io::copy(&mut plain, &mut io::sink());
        let (queue, diff, _) = plain.into_parts();
        drop(queue);
        let decoded = decoder
            .join()
            .map_err(|_| Error::Msg(format!("layer {}: decoder thread panicked", layer.digest)))?;
        // A failure to read the stream is the blob's fault; anything else is about an entry.
        let extract_error = |e: crate::image::extract::ExtractError| match &e {
            crate::image::extract::ExtractError::Archive { source, .. } => {
                blob_error(layer, source)
            }
            _ => Error::Msg(format!("layer {}: {e}", layer.digest)),
        };
        // A broken download or decompression explains any extraction error that follows it.
        let tee = match decoded {
            Ok(t) => t,
            Err(Some(e)) => return Err(blob_error(layer, &e)),
            Err(None) => {
                return Err(match extracted {
                    Err(e) => extract_error(e),
                    Ok(_) => {
                        Error::Msg(format!("layer {}: extraction stopped early", layer.digest))
                    }
                });
            }
        };
        let stats = extracted.map_err(extract_error)?;
        drained.map_err(|e| blob_error(layer, &e))?;
        if diff != layer.diff_id {
            return Err(Error::Msg(format!(
                "layer {}: uncompressed content does not match diff_id {}",
                layer.digest, layer.diff_id
            )));
        }
        Ok((stats, tee))
    })
}

/// Fill `buf` as far as the reader allows (short only at the end).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The extractor's side of the decoder queue.
struct QueueReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for QueueReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn blob_error(layer: &LayerRef, e: &io::Error) -> Error {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "truncated".to_string(),
        _ => e.to_string(),
    };
    Error::Msg(format!("blob {}: {what}", layer.digest))
}

/// Per-layer progress lines on stderr (only when stderr is a terminal and not `-q`).
#[derive(Clone)]
struct Progress {
    enabled: bool,
    rows: Arc<Vec<(String, u64, Arc<AtomicU64>)>>,
    stop: Arc<AtomicBool>,
}

impl Progress {
    fn new(layers: &[LayerRef], enabled: bool) -> Progress {
        Progress {
            enabled,
            rows: Arc::new(
                layers
                    .iter()
                    .map(|l| {
                        (
                            l.digest.short().to_string(),
                            l.size,
                            Arc::new(AtomicU64::new(0)),
                        )
                    })
                    .collect(),
            ),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    fn counter(&self, i: usize) -> Arc<AtomicU64> {
        self.rows
            .get(i)
            .map_or_else(|| Arc::new(AtomicU64::new(0)), |r| r.2.clone())
    }

    fn done(&self, i: usize, size: u64) {
        if let Some(r) = self.rows.get(i) {
            r.2.store(size, Ordering::Relaxed);
        }
    }

    fn start(&self) -> Option<std::thread::JoinHandle<()>> {
        if !self.enabled {
            return None;
        }
        let me = self.clone();
        std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                let start = std::time::Instant::now();
                let mut first = true;
                loop {
                    let stop = me.stop.load(Ordering::Relaxed);
                    me.draw(first, start.elapsed());
                    first = false;
                    if stop {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(150));
                }
            })
            .ok()
    }

    fn draw(&self, first: bool, elapsed: Duration) {
        let mut out = String::new();
        if !first {
            out.push_str(&format!("\x1b[{}A", self.rows.len()));
        }
        let millis = u64::try_from(elapsed.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        for (name, total, done) in self.rows.iter() {
            let d = done.load(Ordering::Relaxed).min(*total);
            let state = if d >= *total { "done" } else { "copying" };
            out.push_str(&format!(
                "\x1b[2KBlob {name} {state:>8} {:>10} / {:<10} {:>10}/s\n",
                crate::format::human_size(d),
                crate::format::human_size(*total),
                crate::format::human_size(d.saturating_mul(1000) / millis)
            ));
        }
        let _ = io::stderr().write_all(out.as_bytes());
    }

    fn finish(&self, drawer: Option<std::thread::JoinHandle<()>>) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = drawer {
            let _ = h.join();
        }
    }
}

/// Every tag of the repository `input` names, as full references (for `pull --all-tags`).
pub fn list_tags(
    conf: &RegistriesConf,
    input: &str,
    tls_verify: Option<bool>,
) -> Result<Vec<String>> {
    let cand = conf
        .resolve(input)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Msg(format!("{input}: nothing to pull")))?;
    let reference = cand.reference;
    if reference.digest().is_some()
        || input.contains(':') && input.rsplit('/').next().is_some_and(|l| l.contains(':'))
    {
        return Err(Error::Usage(
            "--all-tags takes a repository without a tag or digest".into(),
        ));
    }
    let client = client_for(conf, &reference, tls_verify)?;
    let auth = registry_auth(&reference)?;
    let rt = super::runtime().map_err(|e| Error::io("start the transfer runtime", e))?;
    let tags = rt
        .block_on(client.list_tags(&oci_reference(&reference), &auth, None, None))
        .map_err(|e| describe(&reference, e))?;
    Ok(tags
        .tags
        .iter()
        .map(|t| format!("{}:{t}", reference.name()))
        .collect())
}
