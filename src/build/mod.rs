//! `rl build`'s pure front end: the Dockerfile parser and the `.dockerignore` matcher.
pub mod copy;
pub mod dockerfile;
pub mod exec;
pub mod ignore;
