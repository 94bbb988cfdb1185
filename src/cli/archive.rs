//! `rl save`, `rl load`, `rl import` (and their `rl image ...` twins).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::image::{Ctx, enter_userns, resolve_name};
use crate::error::{Error, Result};
use crate::format::time::{now, rfc3339};
use crate::image::archive::{self, Format, ImportOptions, LoadOptions, SaveImage};
use crate::image::local::{self, LocalImage};
use crate::image::reference::{Parsed, Reference};
use crate::userns::MapMode;

/// Archive formats `rl save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SaveFormat {
    /// The format of docker save: manifest.json, configs and plain layer tars
    DockerArchive,
    /// An OCI image layout: oci-layout, index.json and blobs/sha256
    OciArchive,
}

/// Options of `rl save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Images to save (names or ids)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
    /// Write the archive to this file (default: stdout, which must not be a terminal)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Archive format
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value = "docker-archive"
    )]
    pub format: SaveFormat,
    /// Accepted for podman compatibility: several images always go into one archive
    #[arg(short, long)]
    pub multi_image_archive: bool,
    /// Print no progress
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `rl load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read the archive from this file (default: stdin, which must not be a terminal)
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Print no progress
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `rl import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The root file system tarball (plain, gzip, bzip2, xz or zstd), or - for stdin
    #[arg(value_name = "TARBALL|-")]
    pub source: String,
    /// Name for the new image
    #[arg(value_name = "REFERENCE")]
    pub reference: Option<String>,
    /// Apply a Dockerfile instruction to the image's config: CMD, ENTRYPOINT, ENV, EXPOSE,
    /// LABEL, USER, WORKDIR, VOLUME or STOPSIGNAL (repeatable)
    #[arg(short, long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Comment recorded in the image's history
    #[arg(short, long, value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Print only the image id (the default: there is no progress output)
    #[arg(short, long)]
    pub quiet: bool,
}

fn progress(quiet: bool) -> bool {
    !quiet && io::stderr().is_terminal()
}

/// The names an image is saved with: the one `input` names, none when it is an id.
fn saved_names(ctx: &Ctx, img: &LocalImage, input: &str) -> Vec<String> {
    let hex = input.strip_prefix("sha256:").unwrap_or(input);
    if hex.len() >= 3 && img.record.id.hex().starts_with(hex) {
        return Vec::new();
    }
    resolve_name(ctx, img, input).into_iter().collect()
}

/// Save images to an archive.
pub fn save(a: &SaveArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    if a.output.is_none() && io::stdout().is_terminal() {
        return Err(Error::Msg(
            "refusing to write an archive to a terminal: use -o FILE or redirect stdout".into(),
        ));
    }
    let mut images = Vec::new();
    for input in &a.images {
        let img = local::require(&ctx.store, &ctx.conf, input)?;
        let names = saved_names(&ctx, &img, input);
        images.push(SaveImage {
            record: img.record,
            names,
        });
    }
    let format = match a.format {
        SaveFormat::DockerArchive => Format::DockerArchive,
        SaveFormat::OciArchive => Format::OciArchive,
    };
    let progress = progress(a.quiet);
    match &a.output {
        Some(path) => save_to_file(&ctx, &images, format, path, progress),
        None => {
            let fd = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| Error::io("open stdout", e))?;
            let out = BufWriter::with_capacity(1 << 20, File::from(fd));
            archive::save(&ctx.store, &images, format, out, progress)
        }
    }
}

/// Write the archive to `path`; a half-written regular file is removed.
fn save_to_file(
    ctx: &Ctx,
    images: &[SaveImage],
    format: Format,
    path: &Path,
    progress: bool,
) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::path("create", path, e))?;
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    let out = BufWriter::with_capacity(1 << 20, file);
    let result = archive::save(&ctx.store, images, format, out, progress);
    if result.is_err() && regular {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Stdin, unless it is a terminal.
fn stdin(what: &str) -> Result<Box<dyn Read>> {
    if io::stdin().is_terminal() {
        return Err(Error::Msg(format!(
            "refusing to read {what} from a terminal: name a file or redirect stdin"
        )));
    }
    Ok(Box::new(io::stdin()))
}

fn open(path: &Path) -> Result<Box<dyn Read>> {
    let f = File::open(path).map_err(|e| Error::path("open", path, e))?;
    Ok(Box::new(f))
}

/// Prefix one-line errors with the input they are about.
fn about(source: &str, e: Error) -> Error {
    match e {
        Error::Msg(m) => Error::Msg(format!("{source}: {m}")),
        other => other,
    }
}

/// Load images from an archive.
pub fn load(a: &LoadArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let (input, source) = match &a.input {
        Some(p) => (open(p)?, p.display().to_string()),
        None => (stdin("an archive")?, "stdin".to_string()),
    };
    let mode = enter_userns()?;
    let opts = LoadOptions {
        chown: mode == MapMode::Subuid,
        progress: progress(a.quiet),
    };
    let loaded = archive::load(&ctx.store, input, &opts).map_err(|e| about(&source, e))?;
    let mut out = String::new();
    for l in &loaded {
        if l.names.is_empty() {
            out.push_str(&format!("Loaded image: {}\n", l.id));
        }
        for n in &l.names {
            out.push_str(&format!("Loaded image: {n}\n"));
        }
    }
    super::print_stdout(&out)
}

/// Create an image from a root file system tarball.
pub fn import(a: &ImportArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let config = archive::parse_changes(&a.change)?;
    let with_digest = |r: &str| -> Result<bool> {
        Ok(match Reference::parse(r)? {
            Parsed::Short(s) => s.digest().is_some(),
            Parsed::Qualified(q) => q.digest().is_some(),
        })
    };
    if let Some(r) = &a.reference
        && with_digest(r)?
    {
        return Err(Error::Msg(format!(
            "{r}: cannot name an image with a digest"
        )));
    }
    if a.source.starts_with("http://") || a.source.starts_with("https://") {
        return Err(Error::Msg(format!(
            "{}: importing from a URL is not supported; download the tarball first",
            a.source
        )));
    }
    let input = match a.source.as_str() {
        "-" => stdin("a tarball")?,
        p => open(Path::new(p))?,
    };
    let mode = enter_userns()?;
    let opts = ImportOptions {
        config,
        message: a.message.clone(),
        created: rfc3339(now()),
        chown: mode == MapMode::Subuid,
    };
    let source = if a.source == "-" { "stdin" } else { &a.source };
    let record = archive::import(&ctx.store, input, &opts).map_err(|e| about(source, e))?;
    if let Some(r) = &a.reference {
        local::tag(&ctx.store, &record.id, r)?;
    }
    super::print_stdout(&format!("{}\n", record.id))
}
