//! `rl build`: the command line of image builds (the work is in [`crate::build`]).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Build an image from a Containerfile or Dockerfile
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Name the image (repeatable)
    #[arg(short, long = "tag", value_name = "NAME[:TAG]")]
    pub tag: Vec<String>,
    /// The Containerfile (default: Containerfile, else Dockerfile, in the context); `-` for stdin
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A build argument (K=V, or K to take it from the environment); repeatable
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_arg: Vec<String>,
    /// Build up to this stage (name or index)
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Do not use the layer cache
    #[arg(long)]
    pub no_cache: bool,
    /// When to pull base images: missing (default), always, never (`--pull` alone: always)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "always", default_value = "missing", value_name = "POLICY")]
    pub pull: String,
    /// Cache each step's image (default true); false builds without the cache
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", value_name = "BOOL")]
    pub layers: bool,
    /// Print only the image id
    #[arg(short, long)]
    pub quiet: bool,
    /// Image format: oci (default) or docker (accepted; rl stores OCI images)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Add a label to the image (K=V); repeatable
    #[arg(long, value_name = "K=V")]
    pub label: Vec<String>,
    /// The network RUN steps use (as `rl run --network`)
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,
    /// Write the image id to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// The build context: a directory, a tar archive, or `-` (a Containerfile on stdin, no context)
    #[arg(value_name = "CONTEXT")]
    pub context: Option<String>,
}

/// A context made for the build (from stdin or a tarball), removed afterwards.
struct TempContext(PathBuf);

impl Drop for TempContext {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_context() -> Result<TempContext> {
    let p = std::env::temp_dir().join(format!(
        "rl-build-context-{}",
        &crate::container::new_id()?[..16]
    ));
    std::fs::create_dir(&p).map_err(|e| Error::path("create", &p, e))?;
    Ok(TempContext(p))
}

fn read_stdin(what: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        return Err(Error::Msg(format!(
            "refusing to read {what} from a terminal: redirect stdin"
        )));
    }
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Error::io(format!("read {what} from stdin"), e))?;
    Ok(s)
}

/// `K=V` pairs; `K` alone takes the value from the environment (skipped when unset).
fn pairs(list: &[String], what: &str, env: bool) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for item in list {
        match item.split_once('=') {
            Some(("", _)) => {
                return Err(Error::Usage(format!("invalid {what} {item:?}: empty name")));
            }
            Some((k, v)) => out.push((k.to_string(), v.to_string())),
            None if env => {
                if let Ok(v) = std::env::var(item) {
                    out.push((item.clone(), v));
                }
            }
            None => out.push((item.clone(), String::new())),
        }
    }
    Ok(out)
}

/// `rl build`.
pub fn build(a: &BuildArgs) -> Result<()> {
    if let Some(f) = a.format.as_deref()
        && f != "oci"
        && f != "docker"
    {
        return Err(Error::Usage(format!(
            "invalid --format {f:?}: want oci or docker"
        )));
    }
    if !matches!(
        a.pull.as_str(),
        "missing" | "always" | "never" | "newer" | "true" | "false"
    ) {
        return Err(Error::Usage(format!(
            "invalid --pull {:?}: want missing, always or never",
            a.pull
        )));
    }
    let pull = match a.pull.as_str() {
        "true" => "always",
        "false" => "missing",
        p => p,
    };
    let context_arg = a.context.clone().unwrap_or_else(|| ".".into());
    let mut temp = None;
    let mut stdin_file = None;
    let context: PathBuf = if context_arg == "-" {
        stdin_file = Some(read_stdin("a Containerfile")?);
        let t = temp_context()?;
        let p = t.0.clone();
        temp = Some(t);
        p
    } else {
        let p = PathBuf::from(&context_arg);
        let meta = std::fs::metadata(&p).map_err(|e| Error::path("build context", &p, e))?;
        if meta.is_file() {
            let t = temp_context()?;
            unpack_context(&p, &t.0)?;
            let dir = t.0.clone();
            temp = Some(t);
            dir
        } else {
            p
        }
    };
    let (file_text, file_name) = match (&a.file, stdin_file) {
        (_, Some(text)) => (text, "Containerfile".to_string()),
        (Some(f), None) if f.as_os_str() == "-" => {
            (read_stdin("a Containerfile")?, "Containerfile".into())
        }
        (Some(f), None) => {
            // As docker: a relative -f is taken from the current directory, else the context.
            let p = if f.exists() || f.is_absolute() {
                f.clone()
            } else {
                context.join(f)
            };
            let text = std::fs::read_to_string(&p).map_err(|e| Error::path("read", &p, e))?;
            (text, p.display().to_string())
        }
        (None, None) => find_file(&context)?,
    };
    let ctx = super::image::Ctx::load()?;
    let opts = crate::build::exec::Options {
        context: context.clone(),
        file_text,
        file_name,
        tags: a.tag.clone(),
        build_args: pairs(&a.build_arg, "--build-arg", true)?
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        target: a.target.clone(),
        no_cache: a.no_cache,
        pull: pull.to_string(),
        no_layers: !a.layers,
        quiet: a.quiet,
        labels: pairs(&a.label, "--label", false)?,
        network: a.network.clone(),
        iidfile: a.iidfile.clone(),
    };
    let id = crate::build::exec::build(&ctx, &opts);
    drop(temp);
    let id = id?;
    crate::events::record(
        &ctx.paths,
        &crate::events::Event::new("image", "build", id.hex())
            .name(a.tag.first().map_or(id.hex(), String::as_str)),
    );
    super::print_stdout(&format!("{}\n", id.hex()))
}

/// `Containerfile`, else `Dockerfile`, in the context.
fn find_file(context: &Path) -> Result<(String, String)> {
    for name in ["Containerfile", "Dockerfile"] {
        let p = context.join(name);
        match std::fs::read_to_string(&p) {
            Ok(t) => return Ok((t, name.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::path("read", &p, e)),
        }
    }
    Err(Error::Msg(format!(
        "no Containerfile or Dockerfile specified or found in context directory, {}",
        context.display()
    )))
}

/// A context given as a tar archive (plain or compressed): extracted with the hostile-input-safe
/// layer extractor.
fn unpack_context(archive: &Path, into: &Path) -> Result<()> {
    let f = std::fs::File::open(archive).map_err(|e| Error::path("open", archive, e))?;
    let input = crate::image::archive::tar_stream(f)?;
    crate::image::extract::extract_layer(
        input,
        into,
        &crate::image::extract::ExtractOptions { chown: false },
    )
    .map_err(|e| Error::Msg(format!("build context {}: {e}", archive.display())))?;
    Ok(())
}
