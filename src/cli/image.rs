//! `rl image ...` and their top-level twins (`rl pull`, `rl images`, `rl rmi`, `rl tag`, ...).

use std::io::IsTerminal;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::config::Paths;
use crate::error::{Error, Result};
use crate::format::time::{ago, parse_rfc3339, rfc3339};
use crate::format::{self, Format};
use crate::image::digest::Digest;
use crate::image::local::{self, LocalImage};
use crate::image::manifest::{self, Platform};
use crate::image::registries::RegistriesConf;
use crate::image::store::Store;
use crate::registry::pull::{PullOptions, pull};
use crate::userns::{self, Identity, MapMode};

/// Manage images.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build an image from a Containerfile or Dockerfile
    Build(super::build::BuildArgs),
    /// Show the history of an image
    History(HistoryArgs),
    /// Create an image from a root file system tarball
    Import(super::archive::ImportArgs),
    /// Display detailed information on images
    Inspect(InspectArgs),
    /// Load images from a docker-archive or oci-archive
    Load(super::archive::LoadArgs),
    /// List images
    #[command(visible_alias = "list")]
    Ls(ImagesArgs),
    /// Remove unused images
    Prune(PruneArgs),
    /// Pull an image from a registry
    Pull(PullArgs),
    /// Push an image to a registry
    Push(super::push::PushArgs),
    /// Remove images
    Rm(RmiArgs),
    /// Save images to a docker-archive or oci-archive
    Save(super::archive::SaveArgs),
    /// Add names to an image
    Tag(TagArgs),
    /// Remove names from an image
    Untag(UntagArgs),
}

/// Image events for the event log: (action, image names) of a command that succeeded.
fn image_events(cmd: &ImageCommand) -> Option<(&'static str, Vec<String>)> {
    Some(match cmd {
        ImageCommand::Pull(a) => ("pull", vec![a.image.clone()]),
        ImageCommand::Push(a) => ("push", vec![a.image.clone()]),
        ImageCommand::Rm(a) => ("remove", a.images.clone()),
        ImageCommand::Tag(a) => ("tag", a.names.clone()),
        ImageCommand::Untag(a) => ("untag", vec![a.image.clone()]),
        ImageCommand::Import(a) => ("import", a.reference.clone().into_iter().collect()),
        ImageCommand::Load(_) => ("load", Vec::new()),
        ImageCommand::Save(a) => ("save", a.images.clone()),
        ImageCommand::Prune(_) => ("prune", Vec::new()),
        _ => return None,
    })
}

/// Run an `rl image ...` command; `Err(None)` for the ones not built yet. Changes are recorded
/// in the event log.
pub fn run(cmd: ImageCommand) -> Option<Result<()>> {
    let event = image_events(&cmd);
    let result = run_inner(cmd)?;
    if result.is_ok()
        && let Some((action, names)) = event
        && let Ok(ctx) = Ctx::load()
    {
        let paths = &ctx.paths;
        let id_of = |n: &str| {
            local::find(&ctx.store, &ctx.conf, n)
                .ok()
                .flatten()
                .map(|i| i.record.id.hex().to_string())
                .unwrap_or_else(|| n.to_string())
        };
        if names.is_empty() {
            crate::events::record(paths, &crate::events::Event::new("image", action, ""));
        }
        for n in &names {
            crate::events::record(
                paths,
                &crate::events::Event::new("image", action, &id_of(n)).name(n),
            );
        }
    }
    Some(result)
}

fn run_inner(cmd: ImageCommand) -> Option<Result<()>> {
    Some(match cmd {
        ImageCommand::History(a) => history(&a),
        ImageCommand::Inspect(a) => inspect(&a),
        ImageCommand::Ls(a) => images(&a),
        ImageCommand::Prune(a) => prune(&a),
        ImageCommand::Pull(a) => pull_cmd(&a),
        ImageCommand::Push(a) => super::push::run(&a),
        ImageCommand::Rm(a) => rmi(&a),
        ImageCommand::Tag(a) => tag(&a),
        ImageCommand::Untag(a) => untag(&a),
        ImageCommand::Import(a) => super::archive::import(&a),
        ImageCommand::Load(a) => super::archive::load(&a),
        ImageCommand::Save(a) => super::archive::save(&a),
        ImageCommand::Build(_) => return None,
    })
}

/// What the image commands share: paths, registries.conf, the store.
#[derive(Debug)]
pub struct Ctx {
    /// rl's directories.
    pub paths: Paths,
    /// registries.conf, merged.
    pub conf: RegistriesConf,
    /// The image store.
    pub store: Store,
}

impl Ctx {
    /// Load everything.
    pub fn load() -> Result<Ctx> {
        let paths = Paths::from_env()?;
        let conf = RegistriesConf::load(|k| std::env::var_os(k))?;
        let store = Store::open(&paths.storage())?;
        Ok(Ctx { paths, conf, store })
    }
}

/// Options of `rl pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The image: NAME[:TAG|@DIGEST]
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Pull all tagged images in the repository
    #[arg(short, long)]
    pub all_tags: bool,
    /// Platform to choose from a multi-platform image: OS/ARCH[/VARIANT]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Require HTTPS and verify certificates (default: true, except for loopback registries and
    /// registries marked insecure in registries.conf)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Print only the image id
    #[arg(short, long)]
    pub quiet: bool,
}

/// Enter the user namespace the store is written from. Reads the identity first (inside, every
/// id is 0).
pub fn enter_userns() -> Result<MapMode> {
    let id = Identity::current()?;
    Ok(userns::enter(&id, false)?)
}

/// Run `f` in a forked child inside rl's user namespace (with a mount namespace of its own) and
/// return what it returned; the caller stays where it is (so that it can still reach containers' own
/// namespaces). The caller must be single-threaded.
pub fn in_userns_child<T, F>(f: F) -> Result<T>
where
    T: serde::Serialize + for<'de> serde::Deserialize<'de>,
    F: FnOnce() -> std::result::Result<T, String>,
{
    use std::io::{Read, Write};
    let (r, w) = crate::runtime::pipe()?;
    let child = crate::runtime::sys::fork_into(move || {
        let out: std::result::Result<T, String> = crate::userns::Identity::current()
            .map_err(|e| e.to_string())
            .and_then(|id| crate::userns::enter(&id, true).map_err(|e| e.to_string()))
            .and_then(|_| f());
        let bytes = serde_json::to_vec(&out).unwrap_or_default();
        let _ = std::fs::File::from(w).write_all(&bytes);
        0
    })
    .map_err(|e| Error::io("fork", e))?;
    let mut bytes = Vec::new();
    let _ = std::fs::File::from(r).read_to_end(&mut bytes);
    let _ = nix::sys::wait::waitpid(child, None);
    let out: std::result::Result<T, String> = serde_json::from_slice(&bytes)
        .map_err(|_| Error::Msg("the helper in the user namespace failed".into()))?;
    out.map_err(Error::Msg)
}

fn pull_cmd(a: &PullArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let platform = a.platform.as_deref().map(Platform::parse).transpose()?;
    let mode = enter_userns()?;
    let opts = PullOptions {
        platform,
        tls_verify: a.tls_verify,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        chown: mode == MapMode::Subuid,
    };
    let inputs = if a.all_tags {
        crate::registry::pull::list_tags(&ctx.conf, &a.image, a.tls_verify)?
    } else {
        vec![a.image.clone()]
    };
    let mut out = String::new();
    for input in inputs {
        let p = pull(&ctx.store, &ctx.conf, &input, &opts)?;
        out.push_str(p.record.id.hex());
        out.push('\n');
    }
    super::print_stdout(&out)
}

/// Options of `rl images`.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Show only images whose name matches (REPOSITORY[:TAG])
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub name: Option<String>,
    /// Show all images, intermediate ones (untagged parents of other images) included
    #[arg(short, long)]
    pub all: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Filter: reference=, dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE
    #[arg(short, long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Output format: json, or a Go template ('table {{.Repository}}\t{{.ID}}')
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not truncate ids
    #[arg(long)]
    pub no_trunc: bool,
    /// Print only image ids
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not print column headings
    #[arg(short, long)]
    pub noheading: bool,
}

fn created_secs(i: &LocalImage) -> i64 {
    i.record
        .created
        .as_deref()
        .and_then(parse_rfc3339)
        .unwrap_or(i64::try_from(i.record.stored_at).unwrap_or(0))
}

fn image_labels(ctx: &Ctx, i: &LocalImage) -> std::collections::BTreeMap<String, String> {
    ctx.store
        .read_blob(&i.record.id)
        .ok()
        .and_then(|b| manifest::parse_config(&b, i.record.layers.len()).ok())
        .and_then(|c| c.config.and_then(|c| c.labels))
        .unwrap_or_default()
}

fn split_name(name: &str) -> (String, String) {
    match name.rfind(':') {
        Some(p) if !name[p..].contains('/') => (name[..p].to_string(), name[p + 1..].to_string()),
        _ => (name.to_string(), "<none>".to_string()),
    }
}

fn matches_filters(
    ctx: &Ctx,
    all: &[LocalImage],
    i: &LocalImage,
    filters: &[String],
) -> Result<bool> {
    for f in filters {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| Error::Msg(format!("invalid filter {f:?}: want KEY=VALUE")))?;
        let ok = match k {
            "reference" => i.names.iter().any(|n| {
                glob_match(v, n)
                    || glob_match(v, &split_name(n).0)
                    || n.rsplit('/').next().is_some_and(|short| {
                        glob_match(v, short) || glob_match(v, &split_name(short).0)
                    })
            }),
            "dangling" => match v {
                "true" => i.names.is_empty() && !has_children(all, i),
                "false" => !i.names.is_empty() || has_children(all, i),
                _ => {
                    return Err(Error::Msg(format!(
                        "invalid filter {f:?}: dangling takes true or false"
                    )));
                }
            },
            "label" => super::ps::label_matches(&image_labels(ctx, i), v),
            "before" | "since" => {
                let other = all
                    .iter()
                    .find(|o| {
                        o.record
                            .id
                            .hex()
                            .starts_with(v.trim_start_matches("sha256:"))
                            || o.names.iter().any(|n| {
                                n == v || split_name(n).0 == v || n.ends_with(&format!("/{v}"))
                            })
                    })
                    .ok_or_else(|| Error::Msg(format!("filter {f:?}: {v}: image not known")))?;
                let (a, b) = (created_secs(i), created_secs(other));
                if k == "before" { a < b } else { a > b }
            }
            "id" => i
                .record
                .id
                .hex()
                .starts_with(v.trim_start_matches("sha256:")),
            _ => {
                return Err(Error::Msg(format!(
                    "invalid filter {f:?}: unknown key {k:?}"
                )));
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Shell-style `*` and `?` matching, as podman's reference filter does.
fn glob_match(pat: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// Whether another image was made on this one.
fn has_children(all: &[LocalImage], i: &LocalImage) -> bool {
    all.iter()
        .any(|o| o.record.parent.as_ref() == Some(&i.record.id))
}

/// Remove the untagged parents of a removed image that nothing else builds on (a build's
/// intermediate images go with the image they made, as with podman); the ids removed.
fn remove_orphaned_parents(ctx: &Ctx, mut parent: Option<Digest>) -> Result<Vec<Digest>> {
    let mut removed = Vec::new();
    while let Some(id) = parent {
        let all = local::list(&ctx.store)?;
        let Some(img) = all.iter().find(|i| i.record.id == id) else {
            break;
        };
        if !img.names.is_empty() || has_children(&all, img) || image_in_use(ctx, &id) {
            break;
        }
        parent = img.record.parent.clone();
        local::remove(&ctx.store, &id)?;
        removed.push(id);
    }
    Ok(removed)
}

/// Whether a container was created from this image.
fn image_in_use(ctx: &Ctx, id: &Digest) -> bool {
    crate::container::list(&ctx.paths)
        .iter()
        .any(|r| r.image_id == id.hex())
}

fn images(a: &ImagesArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let all = local::list(&ctx.store)?;
    let mut filters = a.filter.clone();
    if let Some(n) = &a.name {
        filters.push(format!("reference={n}"));
    }
    let mut selected = Vec::new();
    for i in &all {
        // Intermediate images (untagged parents, e.g. a build's steps) only with -a.
        let hidden = !a.all && i.names.is_empty() && has_children(&all, i);
        if !hidden && matches_filters(&ctx, &all, i, &filters)? {
            selected.push(i);
        }
    }
    if a.quiet {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = String::new();
        for i in &selected {
            let id = if a.no_trunc {
                i.record.id.to_string()
            } else {
                i.record.id.short().to_string()
            };
            if seen.insert(id.clone()) {
                out.push_str(&id);
                out.push('\n');
            }
        }
        return super::print_stdout(&out);
    }
    let format = Format::parse(a.format.as_deref())?;
    let mut json_rows = Vec::new();
    let mut rows = Vec::new();
    for i in &selected {
        let created = created_secs(i);
        let labels = image_labels(&ctx, i);
        json_rows.push(json!({
            "Id": i.record.id.hex(),
            "ParentId": "",
            "RepoTags": i.names,
            "RepoDigests": i.record.repo_digests,
            "Size": i.record.size,
            "SharedSize": 0,
            "VirtualSize": i.record.size,
            "Labels": labels,
            "Containers": 0,
            "Names": i.names,
            "Digest": i.record.manifest_digest.as_str(),
            "History": i.names,
            "Created": created,
            "CreatedAt": rfc3339(created),
        }));
        let names: Vec<(String, String)> = if i.names.is_empty() {
            let repo = i
                .record
                .repo_digests
                .first()
                .map(|r| r.split('@').next().unwrap_or("").to_string());
            vec![(repo.unwrap_or_else(|| "<none>".into()), "<none>".into())]
        } else {
            i.names.iter().map(|n| split_name(n)).collect()
        };
        for (repo, tag) in names {
            rows.push(json!({
                "ID": if a.no_trunc { i.record.id.to_string() } else { i.record.id.short().to_string() },
                "Id": i.record.id.hex(),
                "Repository": repo,
                "Tag": tag,
                "Digest": i.record.manifest_digest.as_str(),
                "Created": created,
                "CreatedSince": ago(created),
                "CreatedAt": rfc3339(created),
                "CreatedTime": rfc3339(created),
                "Size": format::human_size(i.record.size),
                "VirtualSize": format::human_size(i.record.size),
                "SharedSize": "0B",
                "Labels": labels,
                "Dangling": i.names.is_empty(),
                "Containers": 0,
                "Names": i.names,
                "ReadOnly": false,
                "History": "",
            }));
        }
    }
    let default = if a.digests {
        "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    } else {
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    };
    let header = |f: &str| match f {
        "ID" | "Id" => "IMAGE ID".to_string(),
        "CreatedSince" | "Created" => "CREATED".to_string(),
        other => format::default_header(other),
    };
    let mut text = format.render_list(&json_rows, &rows, default, &header)?;
    if a.noheading && !matches!(format, Format::Json) {
        text = text
            .split_once('\n')
            .map(|(_, r)| r.to_string())
            .unwrap_or_default();
    }
    super::print_stdout(&text)
}

/// Options of `rl rmi`.
#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Images to remove (names or ids)
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Remove all images
    #[arg(short, long)]
    pub all: bool,
    /// Remove the image even when other names point at it, or containers use it
    #[arg(short, long)]
    pub force: bool,
}

fn rmi(a: &RmiArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    if a.images.is_empty() && !a.all {
        return Err(Error::Usage(
            "rmi: name at least one image, or use --all".into(),
        ));
    }
    let targets: Vec<(String, LocalImage)> = if a.all {
        local::list(&ctx.store)?
            .into_iter()
            .map(|i| (i.record.id.hex().to_string(), i))
            .collect()
    } else {
        let mut v = Vec::new();
        let mut missing = Vec::new();
        for name in &a.images {
            match local::find(&ctx.store, &ctx.conf, name)? {
                Some(i) => v.push((name.clone(), i)),
                None => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() && !a.force {
            return Err(Error::Status(
                1,
                format!("{}: image not known", missing.join(", ")),
            ));
        }
        v
    };
    enter_userns()?;
    let mut out = String::new();
    let mut removed_any = false;
    for (input, img) in targets {
        let by_name = img.names.len() > 1
            && !img
                .record
                .id
                .hex()
                .starts_with(input.trim_start_matches("sha256:"))
            && !a.force;
        if by_name {
            // Another name still points at it: only this name goes, as docker does.
            let full = local::find(&ctx.store, &ctx.conf, &input)?
                .and_then(|_| resolve_name(&ctx, &img, &input));
            if let Some(full) = full {
                for n in local::untag(
                    &ctx.store,
                    &img.record.id,
                    Some(std::slice::from_ref(&full)),
                )? {
                    out.push_str(&format!("Untagged: {n}\n"));
                }
                continue;
            }
        }
        if img.names.len() > 1
            && !a.force
            && img
                .record
                .id
                .hex()
                .starts_with(input.trim_start_matches("sha256:"))
        {
            return Err(Error::Status(
                2,
                format!(
                    "{input}: image is referenced by several names ({}); use -f",
                    img.names.join(", ")
                ),
            ));
        }
        for n in local::remove(&ctx.store, &img.record.id)? {
            out.push_str(&format!("Untagged: {n}\n"));
        }
        out.push_str(&format!("Deleted: {}\n", img.record.id.hex()));
        for id in remove_orphaned_parents(&ctx, img.record.parent.clone())? {
            out.push_str(&format!("Deleted: {}\n", id.hex()));
        }
        removed_any = true;
    }
    if removed_any {
        local::collect_garbage(&ctx.store, &Default::default())?;
    }
    super::print_stdout(&out)
}

/// Which of an image's names `input` means.
pub fn resolve_name(_ctx: &Ctx, img: &LocalImage, input: &str) -> Option<String> {
    let with_tag = |n: &str| {
        if split_name(n).1 == "<none>" {
            format!("{n}:latest")
        } else {
            n.to_string()
        }
    };
    let want = with_tag(input);
    img.names
        .iter()
        .find(|n| **n == want || n.ends_with(&format!("/{want}")))
        .cloned()
}

/// Options of `rl tag`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image (name or id)
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// New names
    #[arg(value_name = "TARGET_NAME", required = true)]
    pub names: Vec<String>,
}

fn tag(a: &TagArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let img = local::require(&ctx.store, &ctx.conf, &a.image)?;
    for n in &a.names {
        local::tag(&ctx.store, &img.record.id, n)?;
    }
    Ok(())
}

/// Options of `rl untag`.
#[derive(Debug, Args)]
pub struct UntagArgs {
    /// The image (name or id)
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Names to remove (default: all of the image's names)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

fn untag(a: &UntagArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let img = local::require(&ctx.store, &ctx.conf, &a.image)?;
    if a.names.is_empty() {
        local::untag(&ctx.store, &img.record.id, None)?;
        return Ok(());
    }
    let mut full = Vec::new();
    for n in &a.names {
        let name = resolve_name(&ctx, &img, n).ok_or_else(|| {
            Error::Msg(format!(
                "{n}: not a name of image {}",
                img.record.id.short()
            ))
        })?;
        full.push(name);
    }
    local::untag(&ctx.store, &img.record.id, Some(&full))?;
    Ok(())
}

/// Options of `rl image inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Images (names or ids)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
    /// Output format: json (default), or a Go template applied to each image
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// podman-shaped inspect data of one image.
pub fn inspect_value(ctx: &Ctx, img: &LocalImage) -> Result<Value> {
    let config_bytes = ctx.store.read_blob(&img.record.id)?;
    let config = manifest::parse_config(&config_bytes, img.record.layers.len())?;
    let cfg = config.config.clone().unwrap_or_default();
    let layer_dirs: Vec<String> = img
        .record
        .layers
        .iter()
        .rev()
        .map(|l| ctx.store.layer_dir(&l.diff_id).display().to_string())
        .collect();
    Ok(json!({
        "Id": img.record.id.hex(),
        "Digest": img.record.manifest_digest.as_str(),
        "RepoTags": img.names,
        "RepoDigests": img.record.repo_digests,
        "Parent": img.record.parent.as_ref().map(|p| p.hex().to_string()).unwrap_or_default(),
        "Comment": config.comment.clone().unwrap_or_default(),
        "Created": config.created,
        "Config": cfg,
        "Version": "",
        "Author": config.author.clone().unwrap_or_default(),
        "Architecture": config.architecture,
        "Os": config.os,
        "Variant": config.variant,
        "Size": img.record.size,
        "VirtualSize": img.record.size,
        "GraphDriver": {
            "Name": "overlay",
            "Data": { "LowerDir": layer_dirs.join(":") }
        },
        "RootFS": {
            "Type": "layers",
            "Layers": config.rootfs.diff_ids,
        },
        "Labels": cfg.labels.clone().unwrap_or_default(),
        "Annotations": {},
        "ManifestType": img.record.manifest_media_type,
        "User": cfg.user.clone().unwrap_or_default(),
        "History": config.history,
        "NamesHistory": img.names,
    }))
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let format = Format::parse(a.format.as_deref())?;
    let mut values = Vec::new();
    for name in &a.images {
        let img = local::require(&ctx.store, &ctx.conf, name)?;
        values.push(inspect_value(&ctx, &img)?);
    }
    let text = format.render_inspect(&values)?;
    super::print_stdout(&text)
}

/// Options of `rl history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The image
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Output format: json, or a Go template
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Show sizes in bytes and dates in full
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub human: bool,
    /// Do not truncate the output
    #[arg(long)]
    pub no_trunc: bool,
    /// Print only the ids
    #[arg(short, long)]
    pub quiet: bool,
}

fn history(a: &HistoryArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let img = local::require(&ctx.store, &ctx.conf, &a.image)?;
    let config = manifest::parse_config(
        &ctx.store.read_blob(&img.record.id)?,
        img.record.layers.len(),
    )?;
    let mut layer_sizes = img
        .record
        .layers
        .iter()
        .map(|l| ctx.store.layer(&l.diff_id).map_or(0, |r| r.size));
    let mut entries = Vec::new();
    // Images built without history still have layers: one row each, as podman shows them.
    let synthetic: Vec<manifest::History> = img
        .record
        .layers
        .iter()
        .map(|_| manifest::History {
            created: config.created.clone(),
            ..Default::default()
        })
        .collect();
    let history = if config.history.is_empty() {
        &synthetic
    } else {
        &config.history
    };
    for h in history {
        let size = if h.empty_layer {
            0
        } else {
            layer_sizes.next().unwrap_or(0)
        };
        entries.push((h, size));
    }
    entries.reverse();
    let mut json_rows = Vec::new();
    let mut rows = Vec::new();
    for (n, (h, size)) in entries.iter().enumerate() {
        let id = if n == 0 {
            img.record.id.hex().to_string()
        } else {
            "<missing>".to_string()
        };
        let created = h.created.as_deref().and_then(parse_rfc3339).unwrap_or(0);
        let by = h.created_by.clone().unwrap_or_default();
        let shown_by = if a.no_trunc || by.chars().count() <= 45 {
            by.clone()
        } else {
            format!("{}...", by.chars().take(42).collect::<String>())
        };
        let short_id = if a.no_trunc || id == "<missing>" {
            id.clone()
        } else {
            id[..12].to_string()
        };
        json_rows.push(json!({
            "id": id, "created": h.created, "Created": h.created, "CreatedBy": by, "Size": size,
            "Comment": h.comment.clone().unwrap_or_default(), "Tags": if n == 0 { img.names.clone() } else { vec![] },
        }));
        rows.push(json!({
            "ID": short_id,
            "Created": if a.human { ago(created) } else { rfc3339(created) },
            "CreatedSince": ago(created),
            "CreatedAt": rfc3339(created),
            "CreatedBy": shown_by,
            "Size": if a.human { format::human_size(*size) } else { size.to_string() },
            "Comment": h.comment.clone().unwrap_or_default(),
            "Tags": if n == 0 { img.names.join(",") } else { String::new() },
        }));
    }
    if a.quiet {
        let out: String = rows
            .iter()
            .map(|r| format!("{}\n", r["ID"].as_str().unwrap_or("")))
            .collect();
        return super::print_stdout(&out);
    }
    let format = Format::parse(a.format.as_deref())?;
    let header = |f: &str| match f {
        "CreatedSince" => "CREATED".to_string(),
        "CreatedBy" => "CREATED BY".to_string(),
        other => format::default_header(other),
    };
    let text = format.render_list(
        &json_rows,
        &rows,
        "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        &header,
    )?;
    super::print_stdout(&text)
}

/// Options of `rl image prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove every image no container uses, not only dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Filter: label=KEY[=VALUE], until=... (label only for now)
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// Ask on stderr and read y/N from stdin (no answer, or no terminal, is no).
pub fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes" | "Yes")
}

fn prune(a: &PruneArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    if !a.force {
        let what = if a.all {
            "all images not used by containers"
        } else {
            "all dangling images"
        };
        if !confirm(&format!(
            "WARNING! This command removes {what}. Are you sure you want to continue?"
        )) {
            return Ok(());
        }
    }
    let mut filters = a.filter.clone();
    if !a.all {
        filters.push("dangling=true".into());
    }
    enter_userns()?;
    let mut out = String::new();
    // Removing an image can leave its parent dangling (a build's steps): go on until none is.
    loop {
        let all = local::list(&ctx.store)?;
        let mut doomed = Vec::new();
        for i in &all {
            if matches_filters(&ctx, &all, i, &filters)? && !image_in_use(&ctx, &i.record.id) {
                doomed.push(i.record.id.clone());
            }
        }
        if doomed.is_empty() {
            break;
        }
        for id in &doomed {
            local::remove(&ctx.store, id)?;
            out.push_str(id.hex());
            out.push('\n');
        }
    }
    crate::build::exec::prune_cache(&ctx.store);
    local::collect_garbage(&ctx.store, &Default::default())?;
    super::print_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_names() {
        assert!(glob_match("docker.io/*/busy*", "docker.io/library/busybox"));
        assert!(!glob_match("busy?", "busybox"));
        assert_eq!(
            split_name("localhost:5000/a:1"),
            ("localhost:5000/a".into(), "1".into())
        );
        assert_eq!(
            split_name("localhost:5000/a"),
            ("localhost:5000/a".into(), "<none>".into())
        );
    }
}
