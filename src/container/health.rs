//! Health checks without systemd: the configuration (from `--health-*` flags or the image's
//! HEALTHCHECK), the state file (`<container>/health.json`) and how a check's result moves it.
//! The monitor runs the checks (`rl healthcheck run` as a child); see [`crate::monitor`].

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// How a container's health is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthConfig {
    /// The command to run in the container (argv).
    pub test: Vec<String>,
    /// Between checks, nanoseconds.
    pub interval: i64,
    /// A check running longer fails, nanoseconds.
    pub timeout: i64,
    /// Consecutive failures that make the container unhealthy.
    pub retries: u32,
    /// Failures in this time after the start do not count, nanoseconds.
    pub start_period: i64,
    /// What the monitor does when the container turns unhealthy: none, kill, restart, stop.
    pub on_failure: String,
}

/// The `--health-*` flags as given.
#[derive(Debug, Clone, Default)]
pub struct HealthFlags {
    /// `--health-cmd` (run by `/bin/sh -c`, or a JSON array: argv).
    pub cmd: Option<String>,
    /// `--health-interval`.
    pub interval: Option<String>,
    /// `--health-timeout`.
    pub timeout: Option<String>,
    /// `--health-retries`.
    pub retries: Option<u32>,
    /// `--health-start-period`.
    pub start_period: Option<String>,
    /// `--health-on-failure`.
    pub on_failure: Option<String>,
    /// `--no-healthcheck`.
    pub disabled: bool,
}

const SECOND: i64 = 1_000_000_000;

fn duration(flag: &str, v: Option<&str>, default: i64) -> Result<i64> {
    match v {
        None => Ok(default),
        Some("disable") if flag == "interval" => Ok(0),
        Some(s) => crate::format::time::parse_duration_nanos(s).ok_or_else(|| {
            Error::Usage(format!(
                "invalid --health-{flag} {s:?}: want a duration such as 30s or 1m30s"
            ))
        }),
    }
}

/// The container's health check: the flags over the image's HEALTHCHECK (docker's defaults:
/// every 30 s, 30 s timeout, 3 retries, no start period). None: no check.
pub fn config(image: Option<&Value>, flags: &HealthFlags) -> Result<Option<HealthConfig>> {
    if flags.disabled {
        return Ok(None);
    }
    let num = |k: &str| image.and_then(|v| v.get(k)).and_then(Value::as_i64);
    let mut test: Vec<String> = image
        .and_then(|v| v.get("Test"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(cmd) = flags.cmd.as_deref().filter(|c| !c.is_empty()) {
        test = match serde_json::from_str::<Vec<String>>(cmd) {
            Ok(argv) if !argv.is_empty() => {
                std::iter::once("CMD".to_string()).chain(argv).collect()
            }
            _ => vec!["CMD-SHELL".to_string(), cmd.to_string()],
        };
    }
    let argv: Vec<String> = match test.split_first() {
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => rest.to_vec(),
        Some((kind, rest)) if kind == "CMD-SHELL" && !rest.is_empty() => {
            vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]
        }
        // NONE, empty: no check.
        _ => return Ok(None),
    };
    let or = |n: Option<i64>, d: i64| n.filter(|x| *x > 0).unwrap_or(d);
    let interval = duration(
        "interval",
        flags.interval.as_deref(),
        or(num("Interval"), 30 * SECOND),
    )?;
    if interval == 0 {
        return Ok(None);
    }
    let on_failure = flags.on_failure.clone().unwrap_or_else(|| "none".into());
    if !matches!(on_failure.as_str(), "none" | "kill" | "restart" | "stop") {
        return Err(Error::Usage(format!(
            "invalid --health-on-failure {on_failure:?}: want none, kill, restart or stop"
        )));
    }
    let retries = flags
        .retries
        .or_else(|| {
            num("Retries")
                .and_then(|r| u32::try_from(r).ok())
                .filter(|r| *r > 0)
        })
        .unwrap_or(3);
    Ok(Some(HealthConfig {
        test: argv,
        interval,
        timeout: duration(
            "timeout",
            flags.timeout.as_deref(),
            or(num("Timeout"), 30 * SECOND),
        )?,
        retries: retries.max(1),
        start_period: duration(
            "start-period",
            flags.start_period.as_deref(),
            num("StartPeriod").unwrap_or(0),
        )?,
        on_failure,
    }))
}

/// One check's result, as inspect shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthLog {
    /// RFC 3339.
    pub start: String,
    /// RFC 3339.
    pub end: String,
    /// 0 healthy; anything else failed.
    pub exit_code: i32,
    /// What the check printed (the end of it).
    pub output: String,
}

/// The health state (`health.json`, docker's `State.Health`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthState {
    /// `starting`, `healthy`, `unhealthy`.
    pub status: String,
    /// Consecutive failures counted.
    pub failing_streak: u32,
    /// The last five results.
    pub log: Vec<HealthLog>,
}

/// Where a container's health state lives.
pub fn state_path(dir: &Path) -> std::path::PathBuf {
    dir.join("health.json")
}

/// The stored state (a container with a check that has not run yet is `starting`).
pub fn load(dir: &Path) -> HealthState {
    std::fs::read(state_path(dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| HealthState {
            status: "starting".into(),
            ..HealthState::default()
        })
}

/// Move the state by one result: success makes it healthy; a failure counts unless it came in
/// the start period, and `retries` counted failures in a row make it unhealthy.
pub fn apply(
    mut s: HealthState,
    cfg: &HealthConfig,
    in_start_period: bool,
    log: HealthLog,
) -> HealthState {
    if log.exit_code == 0 {
        s.status = "healthy".into();
        s.failing_streak = 0;
    } else if !in_start_period {
        s.failing_streak = s.failing_streak.saturating_add(1);
        if s.failing_streak >= cfg.retries {
            s.status = "unhealthy".into();
        }
    }
    if s.status.is_empty() {
        s.status = "starting".into();
    }
    s.log.push(log);
    let extra = s.log.len().saturating_sub(5);
    s.log.drain(..extra);
    s
}

/// Save the state.
pub fn save(dir: &Path, s: &HealthState) -> Result<()> {
    let bytes = serde_json::to_vec(s).map_err(|e| Error::io("encode health state", e.into()))?;
    crate::store_file::write_replace(&state_path(dir), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_flags_and_image() {
        let img = serde_json::json!({"Test": ["CMD-SHELL", "curl -f x"], "Interval": 5_000_000_000i64, "Retries": 2});
        let c = config(Some(&img), &HealthFlags::default())
            .unwrap()
            .unwrap();
        assert_eq!(c.test, vec!["/bin/sh", "-c", "curl -f x"]);
        assert_eq!(
            (c.interval, c.timeout, c.retries),
            (5 * SECOND, 30 * SECOND, 2)
        );
        let flags = HealthFlags {
            cmd: Some(r#"["true", "x"]"#.into()),
            interval: Some("1s".into()),
            retries: Some(1),
            on_failure: Some("kill".into()),
            ..HealthFlags::default()
        };
        let c = config(Some(&img), &flags).unwrap().unwrap();
        assert_eq!(c.test, vec!["true", "x"]);
        assert_eq!(
            (c.interval, c.retries, c.on_failure.as_str()),
            (SECOND, 1, "kill")
        );
        assert_eq!(config(None, &HealthFlags::default()).unwrap(), None);
        let none = serde_json::json!({"Test": ["NONE"]});
        assert_eq!(config(Some(&none), &HealthFlags::default()).unwrap(), None);
        let off = HealthFlags {
            disabled: true,
            ..HealthFlags::default()
        };
        assert_eq!(config(Some(&img), &off).unwrap(), None);
        for (f, why) in [
            (
                HealthFlags {
                    cmd: Some("x".into()),
                    interval: Some("soon".into()),
                    ..HealthFlags::default()
                },
                "invalid --health-interval",
            ),
            (
                HealthFlags {
                    cmd: Some("x".into()),
                    on_failure: Some("panic".into()),
                    ..HealthFlags::default()
                },
                "invalid --health-on-failure",
            ),
        ] {
            assert!(config(None, &f).unwrap_err().to_string().contains(why));
        }
    }

    #[test]
    fn results_move_the_state() {
        let cfg = HealthConfig {
            retries: 2,
            ..HealthConfig::default()
        };
        let r = |code| HealthLog {
            exit_code: code,
            ..HealthLog::default()
        };
        let s = load(Path::new("/nonexistent"));
        assert_eq!(s.status, "starting");
        let s = apply(s, &cfg, true, r(1));
        assert_eq!((s.status.as_str(), s.failing_streak), ("starting", 0));
        let s = apply(s, &cfg, false, r(0));
        assert_eq!(s.status, "healthy");
        let s = apply(s, &cfg, false, r(1));
        assert_eq!((s.status.as_str(), s.failing_streak), ("healthy", 1));
        let s = apply(s, &cfg, false, r(1));
        assert_eq!((s.status.as_str(), s.failing_streak), ("unhealthy", 2));
        let mut s = apply(s, &cfg, false, r(0));
        assert_eq!((s.status.as_str(), s.failing_streak), ("healthy", 0));
        for _ in 0..10 {
            s = apply(s, &cfg, false, r(0));
        }
        assert_eq!(s.log.len(), 5);
    }
}
