//! `rl logs`: what a container wrote to stdout and stderr, from the log its monitor keeps.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::container::logs::{self, ShowOptions};
use crate::error::{Error, Result};
use crate::format::time::{now_nanos, parse_since};

/// Fetch the logs of a container
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Containers (names or id prefixes)
    #[arg(value_name = "CONTAINER", required_unless_present = "latest")]
    pub containers: Vec<String>,
    /// Keep printing new output until the container stops
    #[arg(short, long)]
    pub follow: bool,
    /// Show only the last N lines ("all" or -1: every line)
    #[arg(
        long,
        value_name = "N",
        default_value = "all",
        allow_hyphen_values = true
    )]
    pub tail: String,
    /// Show only lines since TIME: an RFC 3339 time, seconds since the epoch, or a duration back
    /// from now (10m, 1h30m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Show only lines until TIME (the forms of --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Prefix each line with its time (RFC 3339, UTC)
    #[arg(short, long)]
    pub timestamps: bool,
    /// Prefix each line with the container's name
    #[arg(short, long)]
    pub names: bool,
    /// Act on the container created last
    #[arg(short, long, conflicts_with = "containers")]
    pub latest: bool,
}

/// The options of `a` for the container `name`; bad `--tail`, `--since` or `--until` values are
/// usage errors (check them before showing the first of several containers).
pub fn options(a: &LogsArgs, name: &str) -> Result<ShowOptions> {
    let now = now_nanos();
    let time = |flag: &str, value: Option<&str>| {
        value
            .map(|s| {
                parse_since(s, now).ok_or_else(|| {
                    Error::Usage(format!(
                        "invalid --{flag} \"{s}\": expected an RFC 3339 time, seconds since the \
                         epoch or a duration such as 10m"
                    ))
                })
            })
            .transpose()
    };
    let tail = match a.tail.as_str() {
        "all" | "-1" => None,
        n => Some(n.parse::<usize>().map_err(|_| {
            Error::Usage(format!(
                "invalid --tail \"{n}\": expected a number of lines or \"all\""
            ))
        })?),
    };
    Ok(ShowOptions {
        since: time("since", a.since.as_deref())?,
        until: time("until", a.until.as_deref())?,
        tail,
        timestamps: a.timestamps,
        name: a.names.then(|| name.to_string()),
    })
}

/// Show one container's log: `log` is its ctr.log, `name` its name, `running` whether it still
/// runs (asked while following). Stdout entries go to rl's stdout, stderr entries to rl's
/// stderr; a missing log shows nothing, and a closed output ends quietly.
pub fn show(a: &LogsArgs, log: &Path, name: &str, running: &dyn Fn() -> bool) -> Result<()> {
    let mut out = BufWriter::with_capacity(64 << 10, io::stdout().lock());
    let mut err = BufWriter::with_capacity(16 << 10, io::stderr().lock());
    show_to(a, log, name, running, &mut out, &mut err)
}

fn show_to(
    a: &LogsArgs,
    log: &Path,
    name: &str,
    running: &dyn Fn() -> bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let opts = options(a, name)?;
    let result = if a.follow {
        logs::follow(log, &opts, out, err, running)
    } else {
        logs::print(log, &opts, out, err)
    };
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Error::io(format!("logs of container {name}"), e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::logs::{LogWriter, Stream};
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        logs: LogsArgs,
    }

    fn parse(args: &[&str]) -> std::result::Result<LogsArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("logs").chain(args.iter().copied())).map(|c| c.logs)
    }

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn arguments() {
        let a = parse(&["web"]).unwrap();
        assert_eq!(a.containers, ["web"]);
        assert_eq!(a.tail, "all");
        assert!(!a.follow && !a.timestamps && !a.names && !a.latest);
        assert_eq!(a.since, None);
        let a = parse(&[
            "-f",
            "-t",
            "-n",
            "--tail",
            "-1",
            "--since",
            "10m",
            "--until=2024-05-01",
            "a",
            "b",
        ])
        .unwrap();
        assert!(a.follow && a.timestamps && a.names);
        assert_eq!(a.tail, "-1");
        assert_eq!(a.since.as_deref(), Some("10m"));
        assert_eq!(a.until.as_deref(), Some("2024-05-01"));
        assert_eq!(a.containers, ["a", "b"]);
        let a = parse(&["--follow", "--timestamps", "--names", "--tail=5", "-l"]).unwrap();
        assert!(a.follow && a.timestamps && a.names && a.latest);
        assert_eq!(a.tail, "5");
        assert!(a.containers.is_empty());
        assert!(parse(&[]).is_err());
        assert!(parse(&["-l", "web"]).is_err());
        assert!(parse(&["--tail"]).is_err());
    }

    #[test]
    fn options_and_bad_values() {
        let opts = |args: &[&str]| options(&parse(args).unwrap(), "web");
        let o = opts(&["web"]).unwrap();
        assert_eq!(o, ShowOptions::default());
        assert_eq!(opts(&["--tail", "-1", "web"]).unwrap().tail, None);
        assert_eq!(opts(&["--tail", "0", "web"]).unwrap().tail, Some(0));
        assert_eq!(opts(&["--tail", "12", "web"]).unwrap().tail, Some(12));
        let o = opts(&["-n", "-t", "--since", "1700000000", "--until", "1h", "web"]).unwrap();
        assert_eq!(o.name.as_deref(), Some("web"));
        assert!(o.timestamps);
        assert_eq!(o.since, Some(1_700_000_000_000_000_000));
        let until = o.until.unwrap();
        assert!((now_nanos() - 3_600_000_000_000 - until).abs() < 60_000_000_000);
        for (args, msg) in [
            (&["--tail", "x", "web"][..], "invalid --tail \"x\""),
            (&["--tail", "-2", "web"][..], "invalid --tail \"-2\""),
            (
                &["--since", "yesterday", "web"][..],
                "invalid --since \"yesterday\"",
            ),
            (&["--until", "soon", "web"][..], "invalid --until \"soon\""),
        ] {
            match opts(args) {
                Err(Error::Usage(m)) => assert!(m.starts_with(msg), "{m}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    fn run(args: &[&str], log: &Path, running: &dyn Fn() -> bool) -> (String, String) {
        let a = parse(args).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        show_to(&a, log, "web", running, &mut out, &mut err).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn shows_a_log_with_names_and_streams_apart() {
        let t = tempfile::tempdir().unwrap();
        let log = t.path().join("ctr.log");
        assert_eq!(
            run(&["web"], &log, &|| false),
            (String::new(), String::new())
        );
        let mut w = LogWriter::open(&log, None).unwrap();
        w.write(Stream::Stdout, b"one\ntwo\n").unwrap();
        w.write(Stream::Stderr, b"warn\n").unwrap();
        assert_eq!(
            run(&["web"], &log, &|| false),
            ("one\ntwo\n".into(), "warn\n".into())
        );
        assert_eq!(
            run(&["-n", "--tail", "2", "web"], &log, &|| false),
            ("web two\n".into(), "web warn\n".into())
        );
        let (out, err) = run(&["-t", "--tail=1", "web"], &log, &|| false);
        assert_eq!(out, "");
        let (stamp, rest) = err.split_once(' ').unwrap();
        assert_eq!(rest, "warn\n");
        assert!(stamp.ends_with('Z') && stamp.len() == 30, "{stamp}");
        assert!(crate::format::time::parse_rfc3339_nanos(stamp).is_some());
        let (out, err) = run(&["--since", "1m", "web"], &log, &|| false);
        assert_eq!((out.as_str(), err.as_str()), ("one\ntwo\n", "warn\n"));
        let (out, err) = run(&["--until", "1m", "web"], &log, &|| false);
        assert_eq!((out.as_str(), err.as_str()), ("", ""));
        // Following a container that stopped shows the log and returns.
        assert_eq!(
            run(&["-f", "web"], &log, &|| false),
            ("one\ntwo\n".into(), "warn\n".into())
        );
    }

    /// A closed output ends `rl logs` without an error; other write errors are reported.
    #[test]
    fn closed_output_is_quiet() {
        struct Failing(io::ErrorKind);
        impl Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(self.0.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let t = tempfile::tempdir().unwrap();
        let log = t.path().join("ctr.log");
        let mut w = LogWriter::open(&log, None).unwrap();
        w.write(Stream::Stdout, b"one\n").unwrap();
        let a = parse(&["web"]).unwrap();
        let mut err = Vec::new();
        let mut out = Failing(io::ErrorKind::BrokenPipe);
        assert!(show_to(&a, &log, "web", &|| false, &mut out, &mut err).is_ok());
        let mut out = Failing(io::ErrorKind::StorageFull);
        let e = show_to(&a, &log, "web", &|| false, &mut out, &mut err).unwrap_err();
        assert!(e.to_string().starts_with("logs of container web: "), "{e}");
    }
}
