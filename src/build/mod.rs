//! `rl build`'s pure front end: the Dockerfile parser and the `.dockerignore` matcher.
pub mod dockerfile;
pub mod ignore;
