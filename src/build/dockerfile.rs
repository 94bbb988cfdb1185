//! The Dockerfile parser: text → typed instructions grouped into stages, with docker's
//! (buildkit's `frontend/dockerfile`) syntax and error messages.
//!
//! Values stay unexpanded: the executor expands them with the ARG/ENV scope in force at each
//! instruction through [`Instruction::expanded`] / [`From::expanded`], which apply docker's
//! per-instruction expansion rules with [`expand`] and [`expand_words`].

mod expand;
mod history;
mod instr;
mod lex;
mod lines;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

pub use lex::{Lookup, expand, expand_words};

/// A syntax error: the caller prints `FILE:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line where the offending instruction starts.
    pub line: usize,
    /// Docker's wording of the problem.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq)]
pub struct Dockerfile {
    /// Parser directives from the top of the file (`syntax`, `escape`, `check`), names lowercased.
    pub directives: Vec<(String, String)>,
    /// The escape character: `\` or `` ` ``.
    pub escape: char,
    /// ARGs before the first FROM, in order: name and unexpanded default.
    pub global_args: Vec<(String, Option<String>)>,
    /// The build stages, in file order.
    pub stages: Vec<Stage>,
}

/// One `FROM` and the instructions up to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Position among the stages (what `COPY --from=0` refers to).
    pub index: usize,
    /// The `AS` name, lowercased as docker does.
    pub name: Option<String>,
    /// The FROM instruction.
    pub from: From,
    /// 1-based line of the FROM.
    pub line: usize,
    /// The FROM's text (continuations joined, trimmed).
    pub original: String,
    /// The instructions after the FROM.
    pub instructions: Vec<Instruction>,
}

/// `FROM [--platform=P] IMAGE [AS NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    /// Image reference, `scratch` or a previous stage's name (unexpanded).
    pub image: String,
    /// `--platform` (unexpanded).
    pub platform: Option<String>,
    /// The stage name, lowercased.
    pub name: Option<String>,
}

/// One instruction with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// 1-based line where the instruction starts.
    pub line: usize,
    /// The instruction's text: continuations joined, comments inside removed, trimmed; heredoc
    /// bodies not included. Docker's `created_by` and cache keys use it.
    pub original: String,
    /// What the instruction is.
    pub kind: Kind,
}

/// The instructions, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `RUN`.
    Run(Run),
    /// `CMD`.
    Cmd(CommandLine),
    /// `ENTRYPOINT`.
    Entrypoint(CommandLine),
    /// `LABEL k=v ...` (or the old `LABEL k v`): unexpanded keys and values, quotes kept.
    Label(Vec<(String, String)>),
    /// `MAINTAINER text`.
    Maintainer(String),
    /// `EXPOSE` words, unexpanded.
    Expose(Vec<String>),
    /// `ENV k=v ...` or `ENV k v`: unexpanded keys and values, quotes kept.
    Env(Vec<(String, String)>),
    /// `ADD`.
    Add(Copy),
    /// `COPY`.
    Copy(Copy),
    /// `VOLUME` paths (JSON or words), unexpanded.
    Volume(Vec<String>),
    /// `USER`, unexpanded.
    User(String),
    /// `WORKDIR`, unexpanded.
    Workdir(String),
    /// `ARG name[=default] ...`, unexpanded.
    Arg(Vec<(String, Option<String>)>),
    /// `ONBUILD` with its trigger.
    Onbuild(Box<Instruction>),
    /// `STOPSIGNAL`, unexpanded.
    StopSignal(String),
    /// `HEALTHCHECK`.
    Healthcheck(Healthcheck),
    /// `SHELL [...]` (JSON form only).
    Shell(Vec<String>),
}

/// A command in shell form (run through the SHELL) or exec form (a JSON array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// Shell form: the text, to be appended to the shell (`/bin/sh -c TEXT`).
    Shell(String),
    /// Exec form: the JSON array's strings. An instruction with no argument at all (`CMD`)
    /// is `Exec(vec![])`.
    Exec(Vec<String>),
}

/// `RUN [--mount=...]... [--network=...] [--security=...] COMMAND`.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The `--mount` flags, in order.
    pub mounts: Vec<Mount>,
    /// `--network`.
    pub network: Option<Network>,
    /// `--security`.
    pub security: Option<Security>,
    /// The command.
    pub command: CommandLine,
    /// Heredocs named on the command line, in order.
    pub heredocs: Vec<Heredoc>,
}

/// What the shell should run for a RUN with heredocs, as buildkit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunScript {
    /// No heredocs: run [`Run::command`] as it is.
    Plain,
    /// `RUN <<EOF` whose body starts with `#!`: write the body to a file (mode 0755) and run
    /// that file directly (buildkit mounts it at `/dev/pipes/NAME`).
    File {
        /// The heredoc's name.
        name: String,
        /// The body.
        content: String,
    },
    /// Run this text with the shell (`SHELL... TEXT`): either the body of a lone heredoc,
    /// or the command line followed by each heredoc's body and terminator.
    Shell(String),
}

/// A heredoc attached to RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word, quotes removed.
    pub name: String,
    /// The body, each line with its newline; leading tabs stripped for `<<-`.
    pub content: String,
    /// False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no expansion.
    pub expand: bool,
    /// `<<-`: leading tabs were stripped.
    pub chomp: bool,
    /// A file descriptor written before `<<` (`3<<EOF`).
    pub fd: Option<u32>,
}

/// The type of a `RUN --mount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountType {
    /// `type=bind` (the default): a directory of the context or of another stage/image.
    Bind,
    /// `type=cache`: a persistent cache directory.
    Cache,
    /// `type=tmpfs`.
    Tmpfs,
    /// `type=secret`.
    Secret,
    /// `type=ssh`.
    Ssh,
}

/// `sharing=` of a cache mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// Concurrent builds use the cache together (the default).
    Shared,
    /// Each concurrent build gets its own copy.
    Private,
    /// One build at a time.
    Locked,
}

/// A parsed `RUN --mount=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The flag's value as written (unexpanded): [`Instruction::expanded`] re-parses it.
    pub spec: String,
    /// `type=`.
    pub kind: MountType,
    /// `target=`/`dst=`/`destination=`.
    pub target: Option<String>,
    /// `source=`/`src=`.
    pub source: Option<String>,
    /// `from=`: a stage name or index, or an image.
    pub from: Option<String>,
    /// `id=` (cache id; secret id).
    pub id: Option<String>,
    /// `sharing=` (cache only).
    pub sharing: Option<Sharing>,
    /// `ro`/`readonly`/`rw`; defaults: bind/secret/ssh read-only, cache/tmpfs writable.
    pub readonly: bool,
    /// `mode=` (octal; cache/secret/ssh only).
    pub mode: Option<u32>,
    /// `uid=` (cache/secret/ssh only).
    pub uid: Option<u32>,
    /// `gid=` (cache/secret/ssh only).
    pub gid: Option<u32>,
    /// `size=` in bytes (tmpfs only).
    pub size: Option<u64>,
    /// `required` (secret/ssh only).
    pub required: bool,
}

/// `RUN --network=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// The build's default network.
    Default,
    /// No network.
    None,
    /// The host's network.
    Host,
}

/// `RUN --security=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// The default.
    Sandbox,
    /// Extra privileges.
    Insecure,
}

/// A COPY or ADD source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopySource {
    /// A path (or glob, or for ADD a URL), unexpanded.
    Path(String),
    /// An inline file from a heredoc; its name is the file name.
    Heredoc(Heredoc),
}

/// The arguments of COPY and ADD (flags that belong to the other instruction stay default).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copy {
    /// The sources, in order.
    pub sources: Vec<CopySource>,
    /// The destination, unexpanded.
    pub dest: String,
    /// COPY `--from=` (stage name, index or image), unexpanded.
    pub from: Option<String>,
    /// `--chown=`, unexpanded.
    pub chown: Option<String>,
    /// `--chmod=`, unexpanded.
    pub chmod: Option<String>,
    /// `--link`.
    pub link: bool,
    /// COPY `--parents`.
    pub parents: bool,
    /// `--exclude=` patterns (repeatable).
    pub exclude: Vec<String>,
    /// ADD `--keep-git-dir`.
    pub keep_git_dir: bool,
    /// ADD `--checksum=`, unexpanded.
    pub checksum: Option<String>,
    /// ADD `--unpack` / `--unpack=false`; `None` when absent (docker's default rules apply).
    pub unpack: Option<bool>,
    /// The arguments were a JSON array.
    pub json: bool,
}

/// `HEALTHCHECK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`: disable any inherited check.
    None,
    /// `HEALTHCHECK [OPTIONS] CMD ...`.
    Check {
        /// Docker's `Test`: `["CMD", args...]` (exec form) or `["CMD-SHELL", text]`.
        test: Vec<String>,
        /// `--interval` (absent or zero: the default).
        interval: Option<Duration>,
        /// `--timeout`.
        timeout: Option<Duration>,
        /// `--start-period`.
        start_period: Option<Duration>,
        /// `--start-interval`.
        start_interval: Option<Duration>,
        /// `--retries` (absent: the default).
        retries: Option<u32>,
    },
}

/// Parses a Dockerfile.
///
/// # Errors
/// The first syntax error, with its line and docker's message.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let mut source = lines::Source::new(text);
    let mut directives = lines::Directives::default();
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut any = false;
    while let Some(line) = source.next_logical(&mut directives)? {
        any = true;
        let escape = directives.escape;
        let heredocs = match instr::heredoc_capable(&line.text) {
            true => source.read_heredocs(&line)?,
            false => Vec::new(),
        };
        let err = |message: String| ParseError {
            line: line.start,
            message,
        };
        match instr::parse_line(&line.text, heredocs, line.start, escape).map_err(err)? {
            instr::Parsed::From(from) => stages.push(Stage {
                index: stages.len(),
                name: from.name.clone(),
                from,
                line: line.start,
                original: line.text.trim().to_string(),
                instructions: Vec::new(),
            }),
            instr::Parsed::Instruction(i) => match (stages.last_mut(), i.kind) {
                (Some(stage), kind) => stage.instructions.push(Instruction { kind, ..i }),
                (None, Kind::Arg(args)) => global_args.extend(args),
                (None, _) => return Err(err("no build stage in current context".into())),
            },
        }
    }
    if !any {
        return Err(ParseError {
            line: source.line(),
            message: "file with no instructions".into(),
        });
    }
    if stages.is_empty() {
        return Err(ParseError {
            line: source.line(),
            message: "dockerfile contains no stages to build".into(),
        });
    }
    Ok(Dockerfile {
        directives: directives.list,
        escape: directives.escape,
        global_args,
        stages,
    })
}

impl Dockerfile {
    /// The stage called `name` (case-insensitive) or, failing that, at index `name`.
    pub fn stage_by_name_or_index(&self, name: &str) -> Option<&Stage> {
        self.stage_ref(name).map(|i| &self.stages[i])
    }

    /// The index of the stage `name` refers to (name first, then a decimal index).
    fn stage_ref(&self, name: &str) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        if let Some(s) = self
            .stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Some(s.index);
        }
        name.parse::<usize>()
            .ok()
            .filter(|&i| i < self.stages.len())
    }

    /// The stage called `name` (names are case-insensitive).
    fn stage_named(&self, name: &str) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        self.stages
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()))
    }

    /// The stage `stage` is based on: `FROM <name>` naming an *earlier* stage (buildkit only
    /// looks back, so a later name is an image). The name is expanded with `lookup` (the
    /// global ARGs) first.
    ///
    /// # Errors
    /// An expansion error.
    pub fn base_stage(&self, stage: usize, lookup: Lookup<'_>) -> Result<Option<usize>, String> {
        let Some(s) = self.stages.get(stage) else {
            return Ok(None);
        };
        let base = expand(&s.from.image, self.escape, lookup)?;
        Ok(self.stage_named(&base).filter(|&b| b < stage))
    }

    /// The stages whose files `stage` uses: `COPY --from=<name or index>` and
    /// `RUN --mount=from=<name>`, expanded with `lookup`. A reference that names no stage is an
    /// image and is not listed.
    ///
    /// # Errors
    /// An expansion error, or `invalid stage index N` for a `COPY --from=N` out of range.
    pub fn stage_sources(&self, stage: usize, lookup: Lookup<'_>) -> Result<Vec<usize>, String> {
        let Some(s) = self.stages.get(stage) else {
            return Ok(Vec::new());
        };
        let mut deps = Vec::new();
        for i in &s.instructions {
            let dep = match &i.kind {
                Kind::Copy(Copy { from: Some(f), .. }) => {
                    let f = expand(f, self.escape, lookup)?;
                    match f.parse::<i64>() {
                        Ok(n) => Some(
                            usize::try_from(n)
                                .ok()
                                .filter(|&n| n < self.stages.len())
                                .ok_or_else(|| format!("invalid stage index {n}"))?,
                        ),
                        Err(_) => self.stage_named(&f),
                    }
                }
                _ => None,
            };
            deps.extend(dep);
            for m in i.mount_sources() {
                deps.extend(self.stage_named(&expand(m, self.escape, lookup)?));
            }
        }
        let mut seen = Vec::new();
        deps.retain(|d| {
            let new = !seen.contains(d);
            seen.push(*d);
            new
        });
        Ok(deps)
    }

    /// The stages to build for `target` (a stage name; `None`: the last stage): the target and,
    /// transitively, the stages it is based on or copies from, each once, dependencies first.
    /// As buildkit does, every stage's references are resolved and checked for cycles, used or
    /// not.
    ///
    /// # Errors
    /// `target stage NAME could not be found`; `circular dependency detected on stage: NAME`
    /// (unnamed stages are `stage-N`); an invalid `COPY --from` index; an expansion error.
    pub fn needed_stages(
        &self,
        target: Option<&str>,
        lookup: Lookup<'_>,
    ) -> Result<Vec<usize>, String> {
        let target = match target {
            None => self.stages.len().saturating_sub(1),
            Some(t) => self
                .stage_named(t)
                .ok_or_else(|| format!("target stage {t} could not be found"))?,
        };
        let sources = (0..self.stages.len())
            .map(|i| self.stage_sources(i, lookup))
            .collect::<Result<Vec<_>, _>>()?;
        let mut visited = vec![false; self.stages.len()];
        let mut path = vec![false; self.stages.len()];
        for start in 0..self.stages.len() {
            if has_cycle(start, &sources, &mut visited, &mut path) {
                let name = self.stages[start]
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("stage-{start}"));
                return Err(format!("circular dependency detected on stage: {name}"));
            }
        }
        let mut done = vec![false; self.stages.len()];
        let mut order = Vec::new();
        self.collect(target, lookup, &sources, &mut done, &mut order)?;
        Ok(order)
    }

    /// Post-order walk over bases and sources (acyclic by now).
    fn collect(
        &self,
        i: usize,
        lookup: Lookup<'_>,
        sources: &[Vec<usize>],
        done: &mut [bool],
        order: &mut Vec<usize>,
    ) -> Result<(), String> {
        if done[i] {
            return Ok(());
        }
        done[i] = true;
        if let Some(b) = self.base_stage(i, lookup)? {
            self.collect(b, lookup, sources, done, order)?;
        }
        for &d in &sources[i] {
            self.collect(d, lookup, sources, done, order)?;
        }
        order.push(i);
        Ok(())
    }
}

/// buildkit's `hasCircularDependency` from one start: a depth-first search over the sources.
fn has_cycle(i: usize, sources: &[Vec<usize>], visited: &mut [bool], path: &mut [bool]) -> bool {
    if visited[i] {
        return false;
    }
    visited[i] = true;
    path[i] = true;
    for &d in &sources[i] {
        if path[d] || has_cycle(d, sources, visited, path) {
            return true;
        }
    }
    path[i] = false;
    false
}

impl Instruction {
    /// The raw (unexpanded) `from=` values of a RUN's `--mount`s.
    pub fn mount_sources(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Run(r) => r.mounts.iter().filter_map(|m| m.from.as_deref()).collect(),
            _ => Vec::new(),
        }
    }

    /// The keyword, uppercase (`RUN`, `COPY`, ...).
    pub fn keyword(&self) -> &'static str {
        match &self.kind {
            Kind::Run(_) => "RUN",
            Kind::Cmd(_) => "CMD",
            Kind::Entrypoint(_) => "ENTRYPOINT",
            Kind::Label(_) => "LABEL",
            Kind::Maintainer(_) => "MAINTAINER",
            Kind::Expose(_) => "EXPOSE",
            Kind::Env(_) => "ENV",
            Kind::Add(_) => "ADD",
            Kind::Copy(_) => "COPY",
            Kind::Volume(_) => "VOLUME",
            Kind::User(_) => "USER",
            Kind::Workdir(_) => "WORKDIR",
            Kind::Arg(_) => "ARG",
            Kind::Onbuild(_) => "ONBUILD",
            Kind::StopSignal(_) => "STOPSIGNAL",
            Kind::Healthcheck(_) => "HEALTHCHECK",
            Kind::Shell(_) => "SHELL",
        }
    }

    /// For ONBUILD: the trigger as docker stores it in the image config (`OnBuild`): the text
    /// after `ONBUILD`, followed by each heredoc's body and terminator.
    pub fn onbuild_trigger(&self) -> Option<String> {
        let Kind::Onbuild(inner) = &self.kind else {
            return None;
        };
        let mut text = instr::strip_keyword(&self.original).to_string();
        for h in inner.heredocs() {
            text.push('\n');
            text.push_str(&h.content);
            text.push_str(&h.name);
        }
        Some(text)
    }

    /// The heredocs of a RUN, COPY or ADD.
    pub fn heredocs(&self) -> Vec<&Heredoc> {
        match &self.kind {
            Kind::Run(r) => r.heredocs.iter().collect(),
            Kind::Copy(c) | Kind::Add(c) => c
                .sources
                .iter()
                .filter_map(|s| match s {
                    CopySource::Heredoc(h) => Some(h),
                    CopySource::Path(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Run {
    /// How to run this RUN's heredocs, as buildkit does (see [`RunScript`]).
    pub fn script(&self) -> RunScript {
        let (CommandLine::Shell(cmd), Some(first)) = (&self.command, self.heredocs.first()) else {
            return RunScript::Plain;
        };
        if instr::lone_heredoc(cmd) {
            if first.content.starts_with("#!") {
                return RunScript::File {
                    name: first.name.clone(),
                    content: first.content.clone(),
                };
            }
            return RunScript::Shell(first.content.clone());
        }
        let mut full = cmd.clone();
        for h in &self.heredocs {
            full.push('\n');
            full.push_str(&h.content);
            full.push_str(&h.name);
        }
        RunScript::Shell(full)
    }
}
