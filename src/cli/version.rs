//! `rl version`.

use clap::Args;
use serde_json::Value;

use crate::error::Result;
use crate::format::Format;
use crate::version::Versions;

/// Options of `rl version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format: json, or a Go template such as '{{.Client.Version}}'
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Print the version.
pub fn run(args: &VersionArgs) -> Result<()> {
    let format = Format::parse(args.format.as_deref())?;
    let out = format.render(&Versions::current(), human)?;
    super::print_stdout(&out)
}

fn human(v: &Value) -> String {
    let c = &v["Client"];
    let field = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    format!(
        "Client:       rl\nVersion:      {}\nAPI Version:  {}\nRust Version: {}\nGit Commit:   {}\nOS/Arch:      {}\n",
        field("Version"),
        field("APIVersion"),
        field("RustVersion"),
        field("GitCommit"),
        field("OsArch")
    )
}
