//! Integration tests: the real rl binary, run as an unprivileged user (see `support`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod archive;
mod attach;
mod build;
mod build_conformance;
mod cli;
mod commit;
mod cp;
mod devcontainer;
mod docs;
mod images;
mod info;
mod lifecycle;
mod network;
mod network_cli;
mod ops;
mod registry_fixtures;
mod run;
mod seccomp;
mod user_networks;
mod volume;
