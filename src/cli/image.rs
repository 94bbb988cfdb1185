//! `rl image ...`: the image commands, also reachable at the top level (`rl pull`, ...).

use clap::Subcommand;

use super::pending::Pending;

/// Manage images.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build an image from a Containerfile or Dockerfile [not implemented yet]
    Build(Pending),
    /// Show the history of an image [not implemented yet]
    History(Pending),
    /// Create an image from a root file system tarball [not implemented yet]
    Import(Pending),
    /// Display detailed information on images [not implemented yet]
    Inspect(Pending),
    /// Load images from a docker-archive or oci-archive [not implemented yet]
    Load(Pending),
    /// List images [not implemented yet]
    #[command(visible_alias = "list")]
    Ls(Pending),
    /// Remove unused images [not implemented yet]
    Prune(Pending),
    /// Pull an image from a registry [not implemented yet]
    Pull(Pending),
    /// Push an image to a registry [not implemented yet]
    Push(Pending),
    /// Remove images [not implemented yet]
    Rm(Pending),
    /// Save images to an archive [not implemented yet]
    Save(Pending),
    /// Add a name to an image [not implemented yet]
    Tag(Pending),
    /// Remove a name from an image [not implemented yet]
    Untag(Pending),
}
