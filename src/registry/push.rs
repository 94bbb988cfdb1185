//! `rl push`: the stored manifest, config and layer blobs, byte for byte, so digests are the same
//! on every registry the image goes to. Blobs the registry already has are not sent.

use std::fs::File;
use std::io::Read;

use bytes::Bytes;
use oci_client::RegistryOperation;
use oci_client::secrets::RegistryAuth;
use reqwest::header::HeaderValue;

use super::{client_for, describe, oci_reference};
use crate::error::{Error, Result};
use crate::image::digest::Digest;
use crate::image::reference::Reference;
use crate::image::registries::RegistriesConf;
use crate::image::store::{ImageRecord, Store};

/// Options of one push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// `--tls-verify`.
    pub tls_verify: Option<bool>,
    /// Print a line per blob on stderr.
    pub progress: bool,
}

/// Push `record` to `dest`; returns the manifest digest.
pub fn push(
    store: &Store,
    conf: &RegistriesConf,
    record: &ImageRecord,
    dest: &Reference,
    auth: &RegistryAuth,
    opts: &PushOptions,
) -> Result<Digest> {
    let client = client_for(conf, dest, opts.tls_verify)?;
    let oref = oci_reference(dest);
    let manifest = store.read_blob(&record.manifest_digest)?;
    let rt = super::runtime().map_err(|e| Error::io("start the transfer runtime", e))?;
    rt.block_on(async {
        client
            .auth(&oref, auth, RegistryOperation::Push)
            .await
            .map_err(|e| describe(dest, e))?;
        let mut blobs: Vec<(Digest, u64)> = vec![(record.id.clone(), 0)];
        blobs.extend(record.layers.iter().map(|l| (l.digest.clone(), l.size)));
        for (digest, _) in &blobs {
            let short = digest.short();
            if client
                .blob_exists(&oref, digest.as_str())
                .await
                .map_err(|e| describe(dest, e))?
            {
                if opts.progress {
                    eprintln!("Copying blob {short} skipped: already exists");
                }
                continue;
            }
            let path = store.blob_path(digest);
            let file = File::open(&path).map_err(|e| {
                Error::Msg(format!(
                    "cannot push blob {digest}: it is not in the store ({e})"
                ))
            })?;
            let size = file
                .metadata()
                .map_err(|e| Error::path("stat", &path, e))?
                .len();
            client
                .push_blob_stream(&oref, file_stream(file), digest.as_str(), Some(size))
                .await
                .map_err(|e| describe(dest, e))?;
            if opts.progress {
                eprintln!("Copying blob {short} done");
            }
        }
        let content_type = HeaderValue::from_str(&record.manifest_media_type)
            .map_err(|e| Error::Msg(format!("bad manifest media type: {e}")))?;
        client
            .push_manifest_raw(&oref, manifest.clone(), content_type)
            .await
            .map_err(|e| describe(dest, e))?;
        if opts.progress {
            eprintln!("Writing manifest to image destination");
        }
        Ok(Digest::of(&manifest))
    })
}

/// A file as a stream of 1 MiB chunks (read as the upload consumes them).
fn file_stream(
    file: File,
) -> impl futures_util::Stream<Item = oci_client::errors::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 1 << 20];
        match file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e.into()), None)),
        }
    })
}
