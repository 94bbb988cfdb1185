//! `RL_TIMING=1`: print how long each phase of a command took, on stderr, for benchmarks and
//! for finding where time goes (`scripts/bench-run` quotes it). Costs one branch when off.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<&'static Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    START
        .get_or_init(|| std::env::var_os("RL_TIMING").map(|_| Instant::now()))
        .as_ref()
}

/// Note that `phase` has just finished.
pub fn mark(phase: &str) {
    if let Some(t0) = start() {
        eprintln!(
            "rl-timing {:8.3} ms  {phase}",
            t0.elapsed().as_secs_f64() * 1000.0
        );
    }
}
