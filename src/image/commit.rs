//! New images on top of stored ones: one layer (a tar stream of changes) and/or a new run-time
//! config over a base image (or `scratch`). `rl commit` makes one from a container's changes;
//! `rl build` makes one per step.
//!
//! The layer goes through the same path as `rl import`: the tar stream is read once, hashed (diff
//! id), gzipped into a staged blob and extracted into a staged layer directory; both are then
//! committed into the store under the content lock, and the config, manifest and image record
//! last. A failure or a kill at any point leaves only staging debris, which the next store user
//! sweeps. The GC lock is held shared throughout, so no prune can take the new layer away before
//! the image that uses it is recorded.

use std::io::Read;

use serde_json::{Value, json};

use super::archive::{StagedLayer, stage_tarball, synthesise_manifest};
use super::digest::Digest;
use super::manifest::{ContainerConfig, Platform, media};
use super::store::{ImageRecord, LayerRef, Store, remove_any};
use crate::error::{Error, Result};

/// What the new image records besides its layers.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// The complete run-time config of the new image.
    pub config: ContainerConfig,
    /// The history entry's `created_by`.
    pub created_by: String,
    /// History entries recorded before it, as `empty_layer` ones (metadata-only build steps
    /// since the last image).
    pub empty_before: Vec<String>,
    /// `author` of the config and the history entry.
    pub author: Option<String>,
    /// The history entry's `comment` (and the config's, as docker does for commit).
    pub comment: Option<String>,
    /// The creation time (RFC 3339).
    pub created: String,
    /// Apply in-image ownership when extracting (the process is mapped with subordinate ids).
    pub chown: bool,
}

/// A new image: `base` (None: scratch) plus the layer read from `layer` (None: no new layer,
/// an `empty_layer` history entry, as docker writes for metadata-only steps). Must run inside
/// the user namespace when there is a layer. Names are the caller's.
pub fn new_image(
    store: &Store,
    base: Option<&ImageRecord>,
    layer: Option<&mut dyn Read>,
    meta: &Meta,
) -> Result<ImageRecord> {
    let _gc = store.lock_gc_shared()?;
    let base_config: Option<Value> = match base {
        Some(b) => Some(
            serde_json::from_slice(&store.read_blob(&b.id)?)
                .map_err(|e| Error::Msg(format!("image {}: config: {e}", b.id.hex())))?,
        ),
        None => None,
    };
    let mut layers: Vec<LayerRef> = base.map(|b| b.layers.clone()).unwrap_or_default();
    let added = match layer {
        Some(input) => {
            store.clean_stale_staging();
            let blob = store.staging("blob");
            let dir = store.staging("layer");
            let staged = stage_tarball(input, blob.clone(), dir.clone(), meta.chown)
                .and_then(|s| commit_layer(store, &s).map(|()| s.layer));
            remove_any(&blob);
            remove_any(&dir);
            Some(staged?)
        }
        None => None,
    };
    if let Some(l) = &added {
        layers.push(l.clone());
    }
    let config = config_json(base_config, added.as_ref().map(|l| &l.diff_id), meta)?;
    let id = Digest::of(&config);
    let manifest = synthesise_manifest(&id, config.len(), &layers)?;
    let manifest_digest = Digest::of(&manifest);
    store.put_blob(&id, &config)?;
    store.put_blob(&manifest_digest, &manifest)?;
    let size = layers
        .iter()
        .map(|l| store.layer(&l.diff_id).map_or(0, |r| r.size))
        .sum();
    let record = ImageRecord {
        id,
        manifest_digest,
        manifest_media_type: media::OCI_MANIFEST.into(),
        index_digest: None,
        config_media_type: media::OCI_CONFIG.into(),
        layers,
        repo_digests: Vec::new(),
        created: Some(meta.created.clone()),
        stored_at: crate::format::time::now_secs(),
        size,
        platform: base.map_or_else(|| Platform::host().to_string(), |b| b.platform.clone()),
        parent: base.map(|b| b.id.clone()),
    };
    let _lock = store.lock()?;
    store.put_image(&record)?;
    Ok(record)
}

/// Move a staged layer into the store (unless an equal one is there already).
fn commit_layer(store: &Store, staged: &StagedLayer) -> Result<()> {
    let l = &staged.layer;
    let _lock = store.lock_content(&l.diff_id)?;
    if !store.has_blob(&l.digest) {
        store.commit_blob(&staged.blob, &l.digest)?;
    }
    if store.layer(&l.diff_id).is_none() {
        store.commit_layer(&staged.dir, &staged.record)?;
    }
    Ok(())
}

/// The new config: the base's (unknown fields kept), with the new run-time config, creation
/// time, author, the new diff id and one more history entry.
fn config_json(base: Option<Value>, diff_id: Option<&Digest>, meta: &Meta) -> Result<Vec<u8>> {
    let mut config = base.unwrap_or_else(|| {
        let host = Platform::host();
        let mut c = json!({"architecture": host.architecture, "os": host.os});
        if let Some(v) = &host.variant {
            c["variant"] = json!(v);
        }
        c
    });
    if !config.is_object() {
        return Err(Error::Msg(
            "the base image's config is not a JSON object".into(),
        ));
    }
    config["created"] = json!(meta.created);
    match &meta.author {
        Some(a) => config["author"] = json!(a),
        None => {
            if let Some(o) = config.as_object_mut() {
                o.remove("author");
            }
        }
    }
    if let Some(c) = &meta.comment {
        config["comment"] = json!(c);
    }
    config["config"] = serde_json::to_value(&meta.config)
        .map_err(|e| Error::io("encode image config", e.into()))?;
    if !config["rootfs"].is_object() {
        config["rootfs"] = json!({"type": "layers", "diff_ids": []});
    }
    if !config["rootfs"]["diff_ids"].is_array() {
        config["rootfs"]["diff_ids"] = json!([]);
    }
    if let (Some(d), Some(ids)) = (diff_id, config["rootfs"]["diff_ids"].as_array_mut()) {
        ids.push(json!(d));
    }
    if !config["history"].is_array() {
        config["history"] = json!([]);
    }
    if let Some(h) = config["history"].as_array_mut() {
        for by in &meta.empty_before {
            h.push(json!({"created": meta.created, "created_by": by, "empty_layer": true}));
        }
    }
    let mut entry = json!({"created": meta.created, "created_by": meta.created_by});
    if let Some(a) = &meta.author {
        entry["author"] = json!(a);
    }
    if let Some(c) = &meta.comment {
        entry["comment"] = json!(c);
    }
    if diff_id.is_none() {
        entry["empty_layer"] = json!(true);
    }
    if !config["history"].is_array() {
        config["history"] = json!([]);
    }
    if let Some(h) = config["history"].as_array_mut() {
        h.push(entry);
    }
    serde_json::to_vec(&config).map_err(|e| Error::io("encode image config", e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            config: ContainerConfig {
                cmd: Some(vec!["sh".into()]),
                ..ContainerConfig::default()
            },
            created_by: "/bin/sh -c #(nop) CMD [\"sh\"]".into(),
            empty_before: vec!["/bin/sh -c #(nop) ENV A=1".into()],
            author: Some("me".into()),
            comment: None,
            created: "2026-01-02T03:04:05Z".into(),
            chown: false,
        }
    }

    #[test]
    fn config_keeps_the_base_and_appends_history_and_layer() {
        let base = json!({
            "architecture": "amd64", "os": "linux", "os.features": ["x"],
            "config": {"Env": ["A=1"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:aa"]},
            "history": [{"created_by": "base"}],
        });
        let d = Digest::of(b"layer");
        let out: Value =
            serde_json::from_slice(&config_json(Some(base), Some(&d), &meta()).unwrap()).unwrap();
        assert_eq!(out["os.features"], json!(["x"]));
        assert_eq!(out["config"], json!({"Cmd": ["sh"]}));
        assert_eq!(out["author"], "me");
        assert_eq!(
            out["rootfs"]["diff_ids"],
            json!(["sha256:aa", d.to_string()])
        );
        let h = out["history"].as_array().unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[1]["created_by"], "/bin/sh -c #(nop) ENV A=1");
        assert_eq!(h[1]["empty_layer"], true);
        assert_eq!(h[2]["created_by"], "/bin/sh -c #(nop) CMD [\"sh\"]");
        assert!(h[2].get("empty_layer").is_none());
    }

    #[test]
    fn metadata_only_images_mark_an_empty_layer() {
        let out: Value =
            serde_json::from_slice(&config_json(None, None, &meta()).unwrap()).unwrap();
        assert_eq!(out["rootfs"], json!({"type": "layers", "diff_ids": []}));
        assert_eq!(out["history"][0]["empty_layer"], true);
        assert_eq!(out["history"][1]["empty_layer"], true);
        assert_eq!(out["os"], "linux");
    }

    #[test]
    fn a_base_config_that_is_not_an_object_is_refused() {
        assert!(config_json(Some(json!([1])), None, &meta()).is_err());
    }
}
