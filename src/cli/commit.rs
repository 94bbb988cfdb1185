//! `rl commit`: a new image from a container's changes.
//!
//! The container's upper directory is the layer: it is written as a tar stream (overlay
//! whiteouts turned into `.wh.` markers, owners as the container sees them) straight into the
//! store's layer path (hash, gzip, extract), on top of the container's image. The run-time config
//! starts from the container's own (the image's, with what `rl run` changed) and takes
//! `--change` instructions over it.

use std::io::Read;
use std::path::Path;

use crate::config::Paths;
use crate::container::{self, Record};
use crate::error::{Error, Result};
use crate::image::commit::{self, Meta};
use crate::image::digest::Digest;
use crate::image::manifest::{self, ContainerConfig};
use crate::image::store::Store;

/// Create a new image from a container's changes
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// The author of the image
    #[arg(short, long, value_name = "AUTHOR")]
    pub author: Option<String>,
    /// A Dockerfile instruction applied to the image's config (CMD, ENTRYPOINT, ENV, EXPOSE,
    /// LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR); repeatable
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// The commit message (the history entry's comment)
    #[arg(short, long, value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Pause the container (SIGSTOP) while its changes are read
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub pause: Option<bool>,
    /// Image format: oci (default) or docker (accepted; rl stores OCI images)
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Print nothing but the image id
    #[arg(short, long)]
    pub quiet: bool,
    /// The container (name or id prefix)
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// The new image's name
    #[arg(value_name = "IMAGE")]
    pub image: Option<String>,
}

/// `rl commit`.
pub fn commit(a: &CommitArgs) -> Result<()> {
    if let Some(f) = a.format.as_deref()
        && f != "oci"
        && f != "docker"
    {
        return Err(Error::Usage(format!(
            "invalid --format {f:?}: want oci or docker"
        )));
    }
    if let Some(name) = &a.image {
        check_name(name)?;
    }
    let paths = Paths::from_env()?;
    let rec = super::run::find_container(&paths, &a.container)?;
    let store = Store::open(&paths.storage())?;
    let base = store
        .image(
            &Digest::parse(&format!("sha256:{}", rec.image_id))
                .map_err(|e| Error::Msg(format!("container {}: image id: {e}", rec.name)))?,
        )
        .ok_or_else(|| {
            Error::Msg(format!(
                "container {}: its image {} is no longer in the store",
                rec.name,
                &rec.image_id[..12.min(rec.image_id.len())]
            ))
        })?;
    let mut config = match &rec.config {
        Some(c) => c.clone(),
        None => fallback_config(&store, &base, &paths, &rec)?,
    };
    for ch in &a.change {
        crate::image::archive::apply_change(&mut config, ch)?;
    }
    let meta = Meta {
        config,
        created_by: created_by(&rec),
        empty_before: Vec::new(),
        author: a.author.clone(),
        comment: a.message.clone(),
        created: crate::format::time::rfc3339_nanos(crate::format::time::now_nanos()),
        chown: false,
    };
    let dir = container::dir(&paths, &rec.id);
    let paused = a.pause == Some(true) && pause(&rec)?;
    let made = {
        let (store, base, rec) = (store.clone(), base.clone(), rec.clone());
        super::image::in_userns_child(move || {
            let meta = Meta {
                chown: full_map(),
                ..meta
            };
            layer_image(&store, &base, &dir, &rec, &meta).map_err(|e| e.one_line())
        })
    };
    if paused && let Some(pid) = rec.pid {
        super::ops::resume_all(pid)?;
    }
    let record = made?;
    if let Some(name) = &a.image {
        crate::image::local::tag(&store, &record.id, name)?;
    }
    crate::events::record(
        &paths,
        &crate::events::Event::new("container", "commit", &rec.id)
            .name(&rec.name)
            .image(a.image.as_deref().unwrap_or(record.id.hex())),
    );
    super::print_stdout(&format!("{}\n", record.id.hex()))
}

/// Whether this user namespace maps subordinate ids (not the single-id fallback).
fn full_map() -> bool {
    std::fs::read_to_string("/proc/self/uid_map").is_ok_and(|m| m.lines().count() > 1)
}

/// A new image name must parse and carry no digest.
fn check_name(name: &str) -> Result<()> {
    use crate::image::reference::{Parsed, Reference};
    let digest = match Reference::parse(name)? {
        Parsed::Short(s) => s.digest().is_some(),
        Parsed::Qualified(q) => q.digest().is_some(),
    };
    if digest {
        return Err(Error::Msg(format!(
            "{name}: cannot name an image with a digest"
        )));
    }
    Ok(())
}

/// Stop the running container's processes; whether it was running.
fn pause(rec: &Record) -> Result<bool> {
    if rec.state != "running" || !rec.is_running() {
        return Ok(false);
    }
    match rec.pid {
        Some(pid) => {
            super::ops::stop_all(pid)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The history text docker writes for a commit: the container's command.
fn created_by(rec: &Record) -> String {
    let args: &[String] = match rec.command.as_slice() {
        [init, dashes, rest @ ..] if init == crate::specgen::INIT_PATH && dashes == "--" => rest,
        all => all,
    };
    args.join(" ")
}

/// Containers created before rl recorded their config: the image's, with the process's
/// environment, directory and command.
fn fallback_config(
    store: &Store,
    base: &crate::image::store::ImageRecord,
    paths: &Paths,
    rec: &Record,
) -> Result<ContainerConfig> {
    let image = manifest::parse_config(&store.read_blob(&base.id)?, base.layers.len())?;
    let mut c = image.config.unwrap_or_default();
    let spec: Option<oci_spec::runtime::Spec> =
        std::fs::read(container::dir(paths, &rec.id).join("config.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
    if let Some(p) = spec.as_ref().and_then(|s| s.process().as_ref()) {
        c.env = p.env().clone();
        c.working_dir = Some(p.cwd().display().to_string());
    }
    c.entrypoint = None;
    c.cmd = Some(rec.command.clone());
    if !rec.labels.is_empty() {
        c.labels = Some(rec.labels.clone());
    }
    Ok(c)
}

/// Write the upper directory as a layer and make the image (`rl build` commits RUN steps so).
pub(crate) fn layer_image(
    store: &Store,
    base: &crate::image::store::ImageRecord,
    dir: &Path,
    rec: &Record,
    meta: &Meta,
) -> Result<crate::image::store::ImageRecord> {
    let upper = dir.join("upper");
    if !upper.is_dir() {
        return Err(Error::Msg(format!(
            "container {} has no file system changes directory (upper): was it created by rl?",
            rec.name
        )));
    }
    let maps = IdMaps::of(dir)?;
    let (r, w) = crate::runtime::pipe()?;
    std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let map = |uid: u32, gid: u32| maps.to_container(uid, gid);
            let skip =
                |rel: &str, m: &std::fs::Metadata| container::is_own_mount_point(&upper, rel, m);
            let tar = crate::container::tree_tar::TreeTar {
                whiteouts: true,
                map_ids: Some(&map),
                skip: Some(&skip),
                prefix: String::new(),
            };
            tar.write(&upper, std::fs::File::from(w))
        });
        let mut input = std::fs::File::from(r);
        let made = commit::new_image(store, Some(base), Some(&mut input as &mut dyn Read), meta);
        // Unblock the writer if the image side gave up early.
        drop(input);
        let written = writer
            .join()
            .map_err(|_| Error::Msg("the layer writer panicked".into()))?;
        match (made, written) {
            (Ok(rec), Ok(_)) => Ok(rec),
            (_, Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(e),
        }
    })
}

/// How ids on disk (as rl's user namespace sees them) become the container's: the same for a
/// container in rl's namespace; through its own maps for `--userns=keep-id` and `--uidmap`.
/// `(inside, host, count)` ranges of one id kind.
type Ranges = Vec<(u32, u32, u32)>;

#[derive(Debug, Clone)]
struct IdMaps {
    /// (ours, host, count) from /proc/self/uid_map and gid_map.
    ours: (Ranges, Ranges),
    /// (container, host, count) from the container's spec.
    theirs: (Ranges, Ranges),
}

impl IdMaps {
    fn of(dir: &Path) -> Result<IdMaps> {
        let read = |p: &str| -> Result<Vec<(u32, u32, u32)>> {
            let text = std::fs::read_to_string(p).map_err(|e| Error::path("read", p, e))?;
            Ok(super::ops::parse_map(&text))
        };
        let ours = (read("/proc/self/uid_map")?, read("/proc/self/gid_map")?);
        let spec: Option<oci_spec::runtime::Spec> = std::fs::read(dir.join("config.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let linux = spec.as_ref().and_then(|s| s.linux().clone());
        let conv = |m: Option<Vec<oci_spec::runtime::LinuxIdMapping>>| -> Vec<(u32, u32, u32)> {
            m.unwrap_or_default()
                .iter()
                .map(|x| (x.container_id(), x.host_id(), x.size()))
                .collect()
        };
        let theirs = match linux {
            Some(l) => (
                conv(l.uid_mappings().clone()),
                conv(l.gid_mappings().clone()),
            ),
            None => ours.clone(),
        };
        Ok(IdMaps { ours, theirs })
    }

    fn to_container(&self, uid: u32, gid: u32) -> (u32, u32) {
        (
            translate(&self.ours.0, &self.theirs.0, uid),
            translate(&self.ours.1, &self.theirs.1, gid),
        )
    }
}

/// An id of `from`'s inside → host → `to`'s inside (65534, the overflow id, when unmapped).
fn translate(from: &[(u32, u32, u32)], to: &[(u32, u32, u32)], id: u32) -> u32 {
    super::ops::map_to_host(from, id)
        .and_then(|h| {
            to.iter()
                .find(|(_, hs, n)| h >= *hs && h - hs < *n)
                .map(|(i, hs, _)| i + (h - hs))
        })
        .unwrap_or(65534)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_go_through_the_host() {
        let ours = crate::cli::ops::parse_map("0 1000 1\n1 100000 65536\n");
        // keep-id: container 1000 is the user, 0..999 the first subuids.
        let theirs = crate::cli::ops::parse_map("0 100000 1000\n1000 1000 1\n1001 101000 64536\n");
        assert_eq!(translate(&ours, &ours, 5), 5);
        assert_eq!(translate(&ours, &theirs, 0), 1000);
        assert_eq!(translate(&ours, &theirs, 1), 0);
        assert_eq!(translate(&ours, &theirs, 1001), 1001);
        assert_eq!(translate(&ours, &[], 0), 65534);
    }

    #[test]
    fn history_names_the_command_without_init() {
        let rec = Record {
            command: vec![
                crate::specgen::INIT_PATH.to_string(),
                "--".into(),
                "sh".into(),
                "-c".into(),
                "x".into(),
            ],
            ..Record::default()
        };
        assert_eq!(created_by(&rec), "sh -c x");
    }
}
