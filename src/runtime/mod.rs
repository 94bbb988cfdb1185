//! Turning a spec and a rootfs into running processes. For now: the small process primitives the
//! probes and the user-namespace code need. All `unsafe` in rl lives in [`sys`].

#[allow(unsafe_code)]
pub mod sys;
