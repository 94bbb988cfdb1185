//! `rl info` / `rl system info`.

use clap::Args;

use crate::config::Paths;
use crate::error::Result;
use crate::format::{self, Format};

/// Options of `rl info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Output format: json, or a Go template such as '{{.Host.Kernel}}'
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Gather and print the report.
pub fn run(args: &InfoArgs) -> Result<()> {
    let format = Format::parse(args.format.as_deref())?;
    let paths = Paths::from_env()?;
    let info = crate::info::gather(&paths)?;
    super::print_stdout(&format.render(&info, format::yaml)?)
}
