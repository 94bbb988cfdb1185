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

/// With `RL_TIMING` set: this process's peak and current memory (VmHWM, RssAnon, RssFile from
/// /proc/self/status), one line, for `scripts/bench-run`'s peak-RSS figure. Only this process:
/// a parent's own figure (a benchmark's getrusage of its children) would count the starter too.
pub fn memory() {
    if start().is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
            .unwrap_or_default()
    };
    eprintln!(
        "rl-memory VmHWM {} kB, RssAnon {} kB, RssFile {} kB",
        field("VmHWM:"),
        field("RssAnon:"),
        field("RssFile:")
    );
}
