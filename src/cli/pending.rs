//! Arguments of commands that exist in the command tree but are not built yet: they accept
//! anything and fail with "not implemented yet" (exit 125), so scripts get a clear answer.

use clap::Args;

/// Any arguments; the command is not implemented yet.
#[derive(Debug, Args)]
pub struct Pending {
    /// Arguments of the command (not implemented yet: rl exits 125)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}
