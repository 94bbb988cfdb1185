//! `rl push`.

use std::io::IsTerminal;

use clap::Args;

use super::image::Ctx;
use crate::error::{Error, Result};
use crate::image::local;
use crate::registry::push::{PushOptions, push};

/// Options of `rl push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The local image (name or id)
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Where to push it (default: the image's name)
    #[arg(value_name = "DESTINATION")]
    pub destination: Option<String>,
    /// Credentials to use: USERNAME[:PASSWORD]
    #[arg(long, value_name = "USERNAME[:PASSWORD]")]
    pub creds: Option<String>,
    /// Require HTTPS and verify certificates (default: true, except for loopback registries and
    /// registries marked insecure in registries.conf)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Write the pushed manifest's digest to this file
    #[arg(long, value_name = "FILE")]
    pub digestfile: Option<std::path::PathBuf>,
    /// Print nothing while pushing
    #[arg(short, long)]
    pub quiet: bool,
}

/// Push an image.
pub fn run(a: &PushArgs) -> Result<()> {
    let ctx = Ctx::load()?;
    let img = local::require(&ctx.store, &ctx.conf, &a.image)?;
    let dest_text = match &a.destination {
        Some(d) => d.trim_start_matches("docker://").to_string(),
        None => super::image::resolve_name(&ctx, &img, &a.image)
            .or_else(|| img.names.first().cloned())
            .ok_or_else(|| {
                Error::Msg(format!(
                    "{}: image has no name to push to; give a destination",
                    a.image
                ))
            })?,
    };
    let dest = ctx
        .conf
        .resolve(&dest_text)?
        .into_iter()
        .next()
        .map(|c| c.reference)
        .ok_or_else(|| Error::Msg(format!("{dest_text}: not a valid destination")))?;
    let auth = match &a.creds {
        Some(c) => {
            let (u, p) = c.split_once(':').unwrap_or((c.as_str(), ""));
            oci_client::secrets::RegistryAuth::Basic(u.to_string(), p.to_string())
        }
        None => crate::registry::registry_auth(&dest)?,
    };
    let opts = PushOptions {
        tls_verify: a.tls_verify,
        progress: !a.quiet && std::io::stderr().is_terminal(),
    };
    let digest = push(&ctx.store, &ctx.conf, &img.record, &dest, &auth, &opts)?;
    if let Some(f) = &a.digestfile {
        std::fs::write(f, digest.as_str()).map_err(|e| Error::path("write", f, e))?;
    }
    Ok(())
}
