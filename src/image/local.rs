//! Finding, naming and removing images in the local store: what `images`, `tag`, `untag`,
//! `rmi`, `inspect` and `run` share.

use std::collections::BTreeSet;

use super::digest::Digest;
use super::reference::{Parsed, Reference};
use super::registries::RegistriesConf;
use super::store::{ImageRecord, Names, Store};
use crate::error::{Error, Result};

/// An image and the names that point at it.
#[derive(Debug, Clone)]
pub struct LocalImage {
    /// Its record.
    pub record: ImageRecord,
    /// Its tags, sorted.
    pub names: Vec<String>,
}

/// Every image with its names.
pub fn list(store: &Store) -> Result<Vec<LocalImage>> {
    let names = store.names()?;
    let mut out: Vec<LocalImage> = store
        .images()?
        .into_iter()
        .map(|record| {
            let names = names
                .iter()
                .filter(|(_, id)| **id == record.id)
                .map(|(n, _)| n.clone())
                .collect();
            LocalImage { record, names }
        })
        .collect();
    out.sort_by(|a, b| {
        b.record
            .created
            .cmp(&a.record.created)
            .then(b.record.stored_at.cmp(&a.record.stored_at))
    });
    Ok(out)
}

/// Find the image `input` names: a full or partial id (at least 3 hex digits, optionally
/// `sha256:`), a name with tag (`busybox`, `docker.io/library/busybox:latest`,
/// `localhost:5000/app:1`), or `name@digest`.
pub fn find(store: &Store, conf: &RegistriesConf, input: &str) -> Result<Option<LocalImage>> {
    let hex = input.strip_prefix("sha256:").unwrap_or(input);
    let id_like = hex.len() >= 3 && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !id_like && !input.contains('@') {
        // A name: the tags say which image, and only its record is read (`rl run` does this
        // each time; a store with many images, builds' intermediate ones included, costs
        // nothing more). The same answer as the search below, which finds names the same way.
        let names = store.names()?;
        for name in candidate_names(conf, input)? {
            if let Some(id) = names.get(&name)
                && let Some(record) = store.image(id)
            {
                let tags = names
                    .iter()
                    .filter(|(_, i)| *i == id)
                    .map(|(n, _)| n.clone())
                    .collect();
                return Ok(Some(LocalImage {
                    record,
                    names: tags,
                }));
            }
        }
        return Ok(None);
    }
    let images = list(store)?;
    if id_like {
        let hits: Vec<&LocalImage> = images
            .iter()
            .filter(|i| i.record.id.hex().starts_with(&hex.to_ascii_lowercase()))
            .collect();
        match hits.len() {
            1 => return Ok(Some(hits[0].clone())),
            n if n > 1 => {
                return Err(Error::Msg(format!(
                    "{input}: ambiguous image id prefix ({n} images match)"
                )));
            }
            _ if input.starts_with("sha256:") => return Ok(None),
            _ => {}
        }
    }
    for name in candidate_names(conf, input)? {
        if let Some((plain, digest)) = name.split_once('@') {
            let hit = images.iter().find(|i| {
                i.record.repo_digests.iter().any(|r| r == &name)
                    || (i.record.manifest_digest.as_str() == digest
                        && i.names
                            .iter()
                            .chain(&i.record.repo_digests)
                            .any(|n| n.starts_with(plain)))
            });
            if let Some(h) = hit {
                return Ok(Some(h.clone()));
            }
            continue;
        }
        if let Some(h) = images.iter().find(|i| i.names.contains(&name)) {
            return Ok(Some(h.clone()));
        }
    }
    Ok(None)
}

/// The full names `input` could stand for locally: itself when qualified, else `localhost/…`
/// and each search registry (as registries.conf resolves it).
fn candidate_names(conf: &RegistriesConf, input: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match Reference::parse(input)? {
        Parsed::Qualified(r) => out.push(display_name(&r)),
        Parsed::Short(s) => {
            out.push(display_name(&s.qualify("localhost")));
            if let Ok(cands) = conf.resolve(input) {
                out.extend(cands.iter().map(|c| display_name(&c.reference)));
            }
        }
    }
    Ok(out)
}

/// `registry/repo:tag`, or `registry/repo@digest` for digest references.
pub fn display_name(r: &Reference) -> String {
    match (r.digest(), r.tag()) {
        (Some(d), _) => format!("{}@{d}", r.name()),
        (None, t) => format!("{}:{}", r.name(), t.unwrap_or("latest")),
    }
}

/// Find or fail with docker's wording.
pub fn require(store: &Store, conf: &RegistriesConf, input: &str) -> Result<LocalImage> {
    find(store, conf, input)?.ok_or_else(|| Error::Msg(format!("{input}: image not known")))
}

/// Point `name` at image `id` (moving it from any other image). Takes the store lock.
pub fn tag(store: &Store, id: &Digest, name: &str) -> Result<String> {
    let r = match Reference::parse(name)? {
        // podman tags short names under localhost/.
        Parsed::Short(s) => s.qualify("localhost"),
        Parsed::Qualified(q) => q,
    };
    if r.digest().is_some() {
        return Err(Error::Msg(format!("{name}: cannot tag with a digest")));
    }
    let full = display_name(&r);
    let _lock = store.lock()?;
    let mut names = store.names()?;
    names.insert(full.clone(), id.clone());
    store.put_names(&names)?;
    Ok(full)
}

/// Remove names; returns those removed. Takes the store lock.
pub fn untag(store: &Store, id: &Digest, which: Option<&[String]>) -> Result<Vec<String>> {
    let _lock = store.lock()?;
    let mut names: Names = store.names()?;
    let mut removed = Vec::new();
    names.retain(|n, i| {
        let hit = i == id && which.is_none_or(|w| w.contains(n));
        if hit {
            removed.push(n.clone());
        }
        !hit
    });
    store.put_names(&names)?;
    Ok(removed)
}

/// Remove an image record and its names (layers go at the next garbage collection).
pub fn remove(store: &Store, id: &Digest) -> Result<Vec<String>> {
    let _lock = store.lock()?;
    let mut names = store.names()?;
    let mut removed = Vec::new();
    names.retain(|n, i| {
        if i == id {
            removed.push(n.clone());
        }
        i != id
    });
    store.put_names(&names)?;
    store.remove_image(id)?;
    Ok(removed)
}

/// Garbage-collect unreferenced layers and blobs. Call inside the user namespace.
pub fn collect_garbage(store: &Store, in_use: &BTreeSet<Digest>) -> Result<super::store::GcStats> {
    let _gc = store.lock_gc()?;
    let _lock = store.lock()?;
    store.collect_garbage(in_use)
}
