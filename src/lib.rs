//! rl: a rootless, daemonless container engine.
//!
//! The binary in `main.rs` is a thin shell around [`cli::main`]. See README.md for the module map.
//! `unsafe` is denied everywhere but in [`runtime::sys`].

#![deny(unsafe_code)]

pub mod build;
pub mod cli;
pub mod config;
pub mod container;
pub mod docs;
pub mod error;
pub mod events;
pub mod format;
pub mod image;
pub mod info;
pub mod monitor;
pub mod network;
pub mod registry;
pub mod rootfs;
pub mod runtime;
pub mod specgen;
pub mod store_file;
pub mod timing;
pub mod userns;
pub mod version;
pub mod volume;
