//! Running a parsed Containerfile: stages in dependency order, one image per filesystem step,
//! the layer cache, and the output podman prints.
//!
//! The builder itself stays outside any user namespace. Each step that touches files of the
//! store does so in a forked child that enters rl's user namespace ([`in_userns`]); each RUN is
//! an `rl run` of the current image (so a RUN step costs what `rl run` costs, and runs through the
//! same runtime, network and security defaults), whose changes are then committed as the layer.
//!
//! Metadata instructions (ENV, CMD, LABEL, ...) change the config in memory; the next image made
//! (by a filesystem step, or at the end of the stage) records them, with one history entry per
//! instruction, as docker does. The cache is a chain of keys: each step's key hashes the previous
//! key, the instruction, the build arguments in scope and, for COPY/ADD, the content copied; a key
//! maps to the image made at that point (`<storage>/build-cache/KEY`). A fully cached rebuild thus
//! reads a few small files and makes nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest as _, Sha256};

use super::copy::{self, Attrs};
use super::dockerfile::{self, CommandLine, CopySource, Dockerfile, Instruction, Kind};
use super::ignore::Ignore;
use crate::cli::image::Ctx;
use crate::error::{Error, Result};
use crate::image::commit::{Meta, new_image};
use crate::image::digest::Digest;
use crate::image::manifest::{self, ContainerConfig};
use crate::image::store::{ImageRecord, Store};

/// What `rl build` was asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The context directory.
    pub context: PathBuf,
    /// The Containerfile's text and the name errors use.
    pub file_text: String,
    /// Its name in messages.
    pub file_name: String,
    /// `-t`.
    pub tags: Vec<String>,
    /// `--build-arg`.
    pub build_args: BTreeMap<String, String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`: missing, always, never.
    pub pull: String,
    /// `--layers=false`: no cache lookups or entries.
    pub no_layers: bool,
    /// `-q`.
    pub quiet: bool,
    /// `--label`.
    pub labels: Vec<(String, String)>,
    /// `--network` for RUN.
    pub network: Option<String>,
    /// `--iidfile`.
    pub iidfile: Option<PathBuf>,
}

/// Arguments docker predefines: usable without an ARG line, and kept out of the history.
const PROXY_ARGS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The PATH a stage from scratch starts with.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The default SHELL.
fn default_shell() -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into()]
}

/// A stage as it is being built.
#[derive(Debug, Clone)]
struct State {
    /// The last image made (or the base); None for `scratch` before any layer.
    image: Option<ImageRecord>,
    config: ContainerConfig,
    /// History entries not yet recorded in an image: (created_by, empty_layer).
    pending: Vec<String>,
    /// ARGs declared in this stage, with their values.
    args: BTreeMap<String, String>,
    /// The cache chain key so far.
    key: String,
    /// Whether this stage set CMD (an ENTRYPOINT then keeps it; else it resets the base's).
    cmd_set: bool,
}

impl State {
    fn lookup(&self, name: &str) -> Option<String> {
        env_value(&self.config, name).or_else(|| self.args.get(name).cloned())
    }
}

fn env_value(c: &ContainerConfig, name: &str) -> Option<String> {
    c.env.iter().flatten().rev().find_map(|e| {
        e.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

/// Set a variable: in its place when it is already there (as docker), else at the end.
fn set_env(c: &mut ContainerConfig, k: &str, v: &str) {
    let env = c.env.get_or_insert_with(Vec::new);
    let name = |e: &str| e.split_once('=').map_or(e, |(ek, _)| ek).to_string();
    let mut seen = false;
    env.retain(|e| {
        let dup = name(e) == k && seen;
        seen |= name(e) == k;
        !dup
    });
    let entry = format!("{k}={v}");
    match env.iter().position(|e| name(e) == k) {
        Some(i) => env[i] = entry,
        None => env.push(entry),
    }
}

fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    crate::image::digest::hex(&h.finalize())
}

/// The output: podman's lines, or nothing with `-q`.
struct Out {
    quiet: bool,
}

impl Out {
    fn line(&self, s: &str) {
        if !self.quiet {
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "{s}");
            let _ = o.flush();
        }
    }
}

/// Build; returns the image id.
pub fn build(ctx: &Ctx, opts: &Options) -> Result<Digest> {
    let df = dockerfile::parse(&opts.file_text)
        .map_err(|e| Error::Msg(format!("{}:{}: {}", opts.file_name, e.line, e.message)))?;
    let ignore = read_ignore(&opts.context)?;
    let global: BTreeMap<String, String> = global_args(&df, opts)?;
    let glookup = |n: &str| global.get(n).cloned();
    let needed = df
        .needed_stages(opts.target.as_deref(), &glookup)
        .map_err(|e| Error::Msg(format!("{}: {e}", opts.file_name)))?;
    let total: usize = needed
        .iter()
        .map(|&i| df.stages[i].instructions.len() + 1)
        .sum();
    let out = Out { quiet: opts.quiet };
    let mut b = Builder {
        ctx,
        opts,
        df: &df,
        ignore,
        global,
        built: BTreeMap::new(),
        step: 0,
        total,
        out,
    };
    let last = *needed
        .last()
        .ok_or_else(|| Error::Msg(format!("{}: no stages to build", opts.file_name)))?;
    for &i in &needed {
        let image = b.stage(i, i == last)?;
        b.built.insert(i, image);
    }
    let id = b
        .built
        .get(&last)
        .map(|r| r.id.clone())
        .ok_or_else(|| Error::Msg("the last stage made no image".into()))?;
    let mut tagged = Vec::new();
    for t in &opts.tags {
        tagged.push(crate::image::local::tag(&ctx.store, &id, t)?);
    }
    for t in &tagged {
        b.out.line(&format!("Successfully tagged {t}"));
    }
    if let Some(f) = &opts.iidfile {
        std::fs::write(f, id.as_str()).map_err(|e| Error::path("write", f, e))?;
    }
    Ok(id)
}

/// The ignore file of the context: `.containerignore`, else `.dockerignore`.
fn read_ignore(context: &Path) -> Result<Option<Ignore>> {
    for name in [".containerignore", ".dockerignore"] {
        let p = context.join(name);
        match std::fs::read_to_string(&p) {
            Ok(text) => {
                return Ignore::parse(&text)
                    .map(Some)
                    .map_err(|e| Error::Msg(format!("{}: {e}", p.display())));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::path("read", &p, e)),
        }
    }
    Ok(None)
}

/// ARGs before the first FROM, with `--build-arg` values.
fn global_args(df: &Dockerfile, opts: &Options) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    // The platform arguments buildkit predefines in the global scope (rl builds for the host).
    let (os, arch) = ("linux", crate::version::go_arch());
    for prefix in ["TARGET", "BUILD"] {
        out.insert(format!("{prefix}PLATFORM"), format!("{os}/{arch}"));
        out.insert(format!("{prefix}OS"), os.to_string());
        out.insert(format!("{prefix}ARCH"), arch.to_string());
        out.insert(format!("{prefix}VARIANT"), String::new());
    }
    for (name, default) in &df.global_args {
        let lookup = |n: &str| out.get(n).cloned();
        let value = match opts.build_args.get(name) {
            Some(v) => Some(v.clone()),
            None => default
                .as_deref()
                .map(|d| dockerfile::expand(d, df.escape, &lookup))
                .transpose()
                .map_err(|e| Error::Msg(format!("ARG {name}: {e}")))?,
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    Ok(out)
}

struct Builder<'a> {
    ctx: &'a Ctx,
    opts: &'a Options,
    df: &'a Dockerfile,
    ignore: Option<Ignore>,
    global: BTreeMap<String, String>,
    built: BTreeMap<usize, ImageRecord>,
    step: usize,
    total: usize,
    out: Out,
}

impl Builder<'_> {
    fn next_step(&mut self, text: &str) {
        self.step += 1;
        self.out
            .line(&format!("STEP {}/{}: {text}", self.step, self.total));
    }

    fn fail(&self, text: &str, why: impl std::fmt::Display) -> Error {
        Error::Msg(format!("building at STEP \"{text}\": {why}"))
    }

    /// Build stage `i`; its image.
    fn stage(&mut self, i: usize, last: bool) -> Result<ImageRecord> {
        let stage = &self.df.stages[i];
        self.next_step(&stage.original);
        let glookup = |n: &str| self.global.get(n).cloned();
        let from = dockerfile::expand(&stage.from.image, self.df.escape, &glookup)
            .map_err(|e| self.fail(&stage.original, e))?;
        let platform = stage
            .from
            .platform
            .as_deref()
            .map(|p| dockerfile::expand(p, self.df.escape, &glookup))
            .transpose()
            .map_err(|e| self.fail(&stage.original, e))?;
        let mut st = self.base(&from, platform.as_deref(), &stage.original)?;
        // The base image's ONBUILD triggers run first.
        let triggers = st.config.on_build.take().unwrap_or_default();
        for t in triggers {
            let parsed = dockerfile::parse(&format!("FROM scratch\n{t}\n"))
                .map_err(|e| self.fail(&t, e.message))?;
            for ins in parsed.stages.into_iter().flat_map(|s| s.instructions) {
                self.instruction(&mut st, &ins)?;
            }
        }
        for ins in &stage.instructions {
            self.next_step(&ins.original);
            self.instruction(&mut st, ins)?;
        }
        if last && !self.opts.labels.is_empty() {
            let labels = st.config.labels.get_or_insert_with(BTreeMap::new);
            let mut text = String::new();
            for (k, v) in &self.opts.labels {
                labels.insert(k.clone(), v.clone());
                text.push_str(&format!("{k}={v} "));
            }
            st.key = hash(&[&st.key, "--label", &text]);
        }
        if last {
            if let Some(t) = self.opts.tags.first() {
                self.out.line(&format!("COMMIT {t}"));
            } else {
                self.out.line("COMMIT");
            }
        }
        if !st.pending.is_empty() || st.image.is_none() {
            self.commit_metadata(&mut st)?;
        }
        let image = st
            .image
            .clone()
            .ok_or_else(|| Error::Msg("the stage made no image".into()))?;
        self.out.line(&format!("--> {}", &image.id.hex()[..12]));
        Ok(image)
    }

    /// The state a FROM starts from.
    /// `platform`: FROM's `--platform` (the image pulled is that platform's; RUN steps of
    /// another platform than the host's fail to execute, as rl does not emulate).
    fn base(&mut self, from: &str, platform: Option<&str>, text: &str) -> Result<State> {
        let fresh = |image: Option<ImageRecord>, config: ContainerConfig, key: String| State {
            image,
            config,
            pending: Vec::new(),
            args: BTreeMap::new(),
            key,
            cmd_set: false,
        };
        if from == "scratch" {
            // As buildkit (and buildah): a stage from scratch has the default PATH.
            let config = ContainerConfig {
                env: Some(vec![DEFAULT_PATH.to_string()]),
                ..ContainerConfig::default()
            };
            return Ok(fresh(None, config, hash(&["scratch"])));
        }
        let stage_ref = self
            .df
            .stage_by_name_or_index(from)
            .map(|s| s.index)
            .and_then(|i| self.built.get(&i).cloned());
        let image = match stage_ref {
            Some(r) => r,
            None => self.image_for(from, platform, text)?,
        };
        let config = self.config_of(&image)?;
        let key = hash(&["from", image.id.as_str()]);
        Ok(fresh(Some(image), config, key))
    }

    fn config_of(&self, image: &ImageRecord) -> Result<ContainerConfig> {
        let c = manifest::parse_config(&self.ctx.store.read_blob(&image.id)?, image.layers.len())?;
        Ok(c.config.unwrap_or_default())
    }

    /// A FROM or `--from` image: local, or pulled as `--pull` says.
    fn image(&self, name: &str, text: &str) -> Result<ImageRecord> {
        self.image_for(name, None, text)
    }

    /// [`Self::image`] for a platform (`os/arch[/variant]`): a local image of another platform
    /// is not taken for it.
    fn image_for(&self, name: &str, platform: Option<&str>, text: &str) -> Result<ImageRecord> {
        let record = crate::cli::run::ensure_image_named(self.ctx, name, &self.opts.pull, platform)
            .map(|l| l.record)
            .map_err(|e| self.fail(text, e.one_line()))?;
        if let Some(p) = platform
            && !record.platform.is_empty()
            && !platform_matches(p, &record.platform)
        {
            return Err(self.fail(
                text,
                format!(
                    "the local image {name} is {}, not {p}: pull it with `rl pull --platform {p} {name}` (or build with --pull=always)",
                    record.platform
                ),
            ));
        }
        Ok(record)
    }

    fn expand(&self, st: &State, word: &str, text: &str) -> Result<String> {
        dockerfile::expand(word, self.df.escape, &|n| st.lookup(n)).map_err(|e| self.fail(text, e))
    }

    fn expand_words(&self, st: &State, word: &str, text: &str) -> Result<Vec<String>> {
        dockerfile::expand_words(word, self.df.escape, &|n| st.lookup(n))
            .map_err(|e| self.fail(text, e))
    }

    /// The ARG values in scope, as the cache key and RUN's environment see them.
    fn args_text(st: &State) -> String {
        st.args.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    }

    fn instruction(&mut self, st: &mut State, ins: &Instruction) -> Result<()> {
        let text = ins.original.as_str();
        let nop = |st: &mut State, ins: &Instruction| {
            st.pending.push(ins.history_text(&default_shell()));
            st.key = hash(&[&st.key, &ins.original, &Self::args_text(st)]);
        };
        match &ins.kind {
            Kind::Arg(list) => {
                for (name, default) in list {
                    let v = match self.opts.build_args.get(name) {
                        Some(v) => Some(v.clone()),
                        None => match default {
                            Some(d) => Some(self.expand(st, d, text)?),
                            None => self.global.get(name).cloned(),
                        },
                    };
                    if let Some(v) = v {
                        st.args.insert(name.clone(), v);
                    }
                }
                st.key = hash(&[&st.key, text, &Self::args_text(st)]);
            }
            Kind::Env(pairs) => {
                for (k, v) in pairs {
                    let k = self.expand(st, k, text)?;
                    let v = self.expand(st, v, text)?;
                    set_env(&mut st.config, &k, &v);
                }
                nop(st, ins);
            }
            Kind::Label(pairs) => {
                for (k, v) in pairs {
                    let k = self.expand(st, k, text)?;
                    let v = self.expand(st, v, text)?;
                    st.config
                        .labels
                        .get_or_insert_with(BTreeMap::new)
                        .insert(k, v);
                }
                nop(st, ins);
            }
            Kind::Maintainer(_) => nop(st, ins),
            Kind::Cmd(c) => {
                st.config.cmd = Some(self.command(st, c));
                st.cmd_set = true;
                nop(st, ins);
            }
            Kind::Entrypoint(c) => {
                st.config.entrypoint = Some(self.command(st, c));
                // docker: an ENTRYPOINT resets a CMD inherited from the base image.
                if !st.cmd_set {
                    st.config.cmd = None;
                }
                nop(st, ins);
            }
            Kind::Expose(words) => {
                for w in words {
                    for p in self.expand_words(st, w, text)? {
                        let key = if p.contains('/') {
                            p
                        } else {
                            format!("{p}/tcp")
                        };
                        st.config
                            .exposed_ports
                            .get_or_insert_with(BTreeMap::new)
                            .insert(key, serde_json::json!({}));
                    }
                }
                nop(st, ins);
            }
            Kind::Volume(paths) => {
                for p in paths {
                    for v in self.expand_words(st, p, text)? {
                        st.config
                            .volumes
                            .get_or_insert_with(BTreeMap::new)
                            .insert(v, serde_json::json!({}));
                    }
                }
                nop(st, ins);
            }
            Kind::User(u) => {
                st.config.user = Some(self.expand(st, u, text)?);
                nop(st, ins);
            }
            Kind::StopSignal(s) => {
                st.config.stop_signal = Some(self.expand(st, s, text)?);
                nop(st, ins);
            }
            Kind::Shell(s) => {
                st.config.shell = Some(s.clone());
                nop(st, ins);
            }
            Kind::Onbuild(trigger) => {
                st.config
                    .on_build
                    .get_or_insert_with(Vec::new)
                    .push(trigger.original.clone());
                nop(st, ins);
            }
            Kind::Healthcheck(h) => {
                st.config.healthcheck = Some(healthcheck_json(h));
                nop(st, ins);
            }
            Kind::Workdir(w) => {
                let w = self.expand(st, w, text)?;
                let dir = if w.starts_with('/') {
                    w
                } else {
                    let base = st.config.working_dir.clone().unwrap_or_else(|| "/".into());
                    format!("{}/{w}", base.trim_end_matches('/'))
                };
                let dir = format!("/{}", copy::clean(&dir));
                st.config.working_dir = Some(dir.clone());
                self.workdir(st, &dir, ins)?;
            }
            Kind::Run(run) => self.run(st, run, ins)?,
            Kind::Copy(c) => self.copy(st, c, ins, false)?,
            Kind::Add(c) => self.copy(st, c, ins, true)?,
        }
        Ok(())
    }

    fn command(&self, st: &State, c: &CommandLine) -> Vec<String> {
        match c {
            CommandLine::Exec(v) => v.clone(),
            CommandLine::Shell(s) => {
                let mut v = st.config.shell.clone().unwrap_or_else(default_shell);
                v.push(s.clone());
                v
            }
        }
    }

    /// Look the step's key up in the cache; on a hit, the state moves to that image.
    fn cached(&self, st: &mut State, key: &str) -> bool {
        if self.opts.no_cache || self.opts.no_layers {
            return false;
        }
        let Ok(text) = std::fs::read_to_string(cache_dir(&self.ctx.store).join(key)) else {
            return false;
        };
        let Ok(id) = Digest::parse(text.trim()) else {
            return false;
        };
        let Some(image) = self.ctx.store.image(&id) else {
            return false;
        };
        self.out
            .line(&format!("--> Using cache {}", image.id.hex()));
        st.image = Some(image);
        st.pending.clear();
        st.key = key.to_string();
        true
    }

    fn remember(&self, key: &str, image: &ImageRecord) {
        if self.opts.no_layers {
            return;
        }
        let dir = cache_dir(&self.ctx.store);
        let _ = std::fs::create_dir_all(&dir);
        let _ = crate::store_file::write_replace(&dir.join(key), image.id.as_str().as_bytes());
    }

    /// The history entries and config of the next image.
    fn meta(&self, st: &State, created_by: Option<String>) -> (Meta, Vec<String>) {
        let mut history = st.pending.clone();
        if let Some(c) = created_by {
            history.push(c);
        }
        let meta = Meta {
            config: st.config.clone(),
            created_by: String::new(),
            empty_before: Vec::new(),
            author: None,
            comment: None,
            created: crate::format::time::rfc3339_nanos(crate::format::time::now_nanos()),
            chown: true,
        };
        (meta, history)
    }

    /// Record metadata-only steps in an image of their own (end of a stage).
    fn commit_metadata(&self, st: &mut State) -> Result<()> {
        let key = hash(&[&st.key, "commit"]);
        if self.cached(st, &key) {
            return Ok(());
        }
        let (meta, history) = self.meta(st, None);
        let store = self.ctx.store.clone();
        let base = st.image.clone();
        let image = crate::cli::image::in_userns_child(move || {
            new_image_with_history(&store, base.as_ref(), None, &meta, &history)
                .map_err(|e| e.one_line())
        })?;
        self.remember(&key, &image);
        st.key = key;
        st.image = Some(image);
        st.pending.clear();
        Ok(())
    }

    /// Finish a filesystem step: the image made by `make` (given the meta and history).
    fn layer_step(
        &self,
        st: &mut State,
        key: String,
        created_by: String,
        make: impl FnOnce(Meta, Vec<String>) -> Result<ImageRecord>,
    ) -> Result<()> {
        let (meta, history) = self.meta(st, Some(created_by));
        let image = make(meta, history)?;
        self.out.line(&format!("--> {}", &image.id.hex()[..12]));
        self.remember(&key, &image);
        st.key = key;
        st.image = Some(image);
        st.pending.clear();
        Ok(())
    }

    fn workdir(&self, st: &mut State, dir: &str, ins: &Instruction) -> Result<()> {
        let layers = self.layer_dirs(st);
        if dir == "/" || layer_lookup(&layers, &dir[1..]).is_some_and(|m| m.is_dir()) {
            st.pending.push(ins.history_text(&default_shell()));
            st.key = hash(&[&st.key, &ins.original]);
            return Ok(());
        }
        let key = hash(&[&st.key, &ins.original, "mkdir"]);
        if self.cached(st, &key) {
            return Ok(());
        }
        // As buildkit: the directories made (the missing parents too) belong to the USER.
        let (uid, gid) = match st.config.user.as_deref().filter(|u| !u.is_empty()) {
            Some(user) => {
                let passwd = crate::container::read_image_file(&layers, "/etc/passwd");
                let group = crate::container::read_image_file(&layers, "/etc/group");
                copy::parse_chown(user, passwd.as_deref(), group.as_deref())
                    .map_err(|e| self.fail(&ins.original, e))?
            }
            None => (0, 0),
        };
        let mut missing = Vec::new();
        let mut p = dir[1..].to_string();
        loop {
            if layer_lookup(&layers, &p).is_some_and(|m| m.is_dir()) {
                break;
            }
            missing.push(p.clone());
            match p.rsplit_once('/') {
                Some((parent, _)) => p = parent.to_string(),
                None => break,
            }
        }
        missing.reverse();
        let store = self.ctx.store.clone();
        let base = st.image.clone();
        self.layer_step(
            st,
            key,
            ins.history_text(&default_shell()),
            |meta, history| {
                crate::cli::image::in_userns_child(move || {
                    let tmp = tempdir_in(&store)?;
                    let items: Vec<copy::Item> = missing
                        .iter()
                        .map(|d| copy::Item {
                            src: tmp.clone(),
                            dest: d.clone(),
                            archive: false,
                        })
                        .collect();
                    let lookup = |p: &str| layer_lookup(&layers, p);
                    let r = tar_image(&store, base.as_ref(), &meta, &history, |w| {
                        copy::write_tar(
                            &items,
                            Attrs {
                                mode: Some(0o755),
                                uid,
                                gid,
                            },
                            &lookup,
                            w,
                        )
                    });
                    let _ = std::fs::remove_dir(&tmp);
                    r
                })
            },
        )
    }

    /// Image layer directories of the current state, top first.
    fn layer_dirs(&self, st: &State) -> Vec<PathBuf> {
        st.image
            .as_ref()
            .map(|i| {
                i.layers
                    .iter()
                    .rev()
                    .map(|l| self.ctx.store.layer_dir(&l.diff_id))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn run(&mut self, st: &mut State, run: &dockerfile::Run, ins: &Instruction) -> Result<()> {
        let text = ins.original.as_str();
        let args_text = Self::args_text(st);
        let key = hash(&[&st.key, text, &args_text]);
        if self.cached(st, &key) {
            return Ok(());
        }
        let image = st.image.clone().ok_or_else(|| {
            self.fail(
                text,
                "RUN needs a base image with a shell (this stage is FROM scratch)",
            )
        })?;
        let mut script: Option<(PathBuf, String)> = None;
        let argv = match run.script() {
            dockerfile::RunScript::Plain => self.command(st, &run.command),
            dockerfile::RunScript::Shell(s) => {
                let mut v = st.config.shell.clone().unwrap_or_else(default_shell);
                v.push(s);
                v
            }
            // As buildkit: the body is an executable file, run as it is (its #! line says how).
            dockerfile::RunScript::File { name, content } => {
                let d = tempfile_dir()?;
                let file = d.join("script");
                std::fs::write(&file, content).map_err(|e| Error::path("write", &file, e))?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| Error::path("chmod", &file, e))?;
                let name: String = name
                    .chars()
                    .map(|c| if c == '/' { '_' } else { c })
                    .collect();
                let target = format!("/dev/pipes/{name}");
                script = Some((d, format!("{}:{target}:ro", file.display())));
                vec![target]
            }
        };
        let name = format!("rl-build-{}", &crate::container::new_id()?[..16]);
        let mut cmd = Command::new(std::env::current_exe().map_err(|e| Error::io("find rl", e))?);
        cmd.args([
            "run",
            "--name",
            &name,
            "--pull",
            "never",
            "--entrypoint",
            "",
        ]);
        cmd.args(["--label", "io.rl.build=1"]);
        let network = match run.network {
            Some(dockerfile::Network::None) => Some("none".to_string()),
            Some(dockerfile::Network::Host) => Some("host".to_string()),
            _ => self.opts.network.clone(),
        };
        if let Some(n) = network {
            cmd.arg("--network").arg(n);
        }
        if let Some(u) = &st.config.user {
            cmd.arg("-u").arg(u);
        }
        if let Some(w) = &st.config.working_dir {
            cmd.arg("-w").arg(w);
        }
        // Build arguments are the command's environment (not the image's); ENV wins.
        for (k, v) in &st.args {
            if env_value(&st.config, k).is_none() {
                cmd.arg("-e").arg(format!("{k}={v}"));
            }
        }
        // The predefined proxy arguments reach RUN without an ARG line.
        for k in PROXY_ARGS {
            if let Some(v) = self.opts.build_args.get(k)
                && !st.args.contains_key(k)
                && env_value(&st.config, k).is_none()
            {
                cmd.arg("-e").arg(format!("{k}={v}"));
            }
        }
        for e in st.config.env.iter().flatten() {
            cmd.arg("-e").arg(e);
        }
        if let Some((_, spec)) = &script {
            cmd.arg("-v").arg(spec);
        }
        // Copies of other stages' or images' files made for bind mounts, removed afterwards.
        let mut copies = Vec::new();
        let mounted = run
            .mounts
            .iter()
            .try_for_each(|m| self.run_mount(st, m, text, &mut cmd, &mut copies));
        let cleanup_copies = |copies: Vec<PathBuf>| {
            if let Some((d, _)) = &script {
                let _ = std::fs::remove_dir_all(d);
            }
            if !copies.is_empty() {
                let _ = crate::cli::image::in_userns_child(move || {
                    for c in copies {
                        let _ = std::fs::remove_dir_all(c);
                    }
                    Ok(())
                });
            }
        };
        if let Err(e) = mounted {
            cleanup_copies(copies);
            return Err(e);
        }
        cmd.arg(image.id.hex());
        cmd.args(&argv);
        cmd.stdin(Stdio::null());
        if self.opts.quiet {
            cmd.stdout(Stdio::null());
        }
        let status = cmd.status().map_err(|e| Error::io("run rl run", e));
        cleanup_copies(copies);
        let status = status?;
        let cleanup = || {
            let _ = Command::new(std::env::current_exe().unwrap_or_else(|_| "rl".into()))
                .args(["rm", "-f", "-v", &name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        if !status.success() {
            cleanup();
            let code = status.code().unwrap_or(1);
            return Err(Error::Status(
                code,
                format!("building at STEP \"{text}\": while running runtime: exit status {code}"),
            ));
        }
        let paths = self.ctx.paths.clone();
        let store = self.ctx.store.clone();
        let in_scope: Vec<(String, String)> = st
            .args
            .iter()
            .filter(|(k, _)| !PROXY_ARGS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let created_by = ins.history_text_with_args(&default_shell(), &in_scope);
        let ctr = name.clone();
        let made = self.layer_step(st, key, created_by, |meta, history| {
            crate::cli::image::in_userns_child(move || {
                let rec =
                    crate::cli::run::find_container(&paths, &ctr).map_err(|e| e.one_line())?;
                let dir = crate::container::dir(&paths, &rec.id);
                let made = crate::cli::commit::layer_image(
                    &store,
                    &image,
                    &dir,
                    &rec,
                    &with_history(&meta, &history),
                )
                .map_err(|e| e.one_line());
                // Already in the user namespace its files need: remove the container here.
                let _ = crate::cli::lifecycle::remove(&paths, &rec, true);
                made
            })
        });
        if crate::cli::run::find_container(&self.ctx.paths, &name).is_ok() {
            cleanup();
        }
        made
    }

    /// `RUN --mount=...` as `rl run` options.
    fn run_mount(
        &self,
        st: &State,
        m: &dockerfile::Mount,
        text: &str,
        cmd: &mut Command,
        copies: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let target = m
            .target
            .as_deref()
            .map(|t| self.expand(st, t, text))
            .transpose()?
            .ok_or_else(|| self.fail(text, "--mount needs a target"))?;
        match m.kind {
            dockerfile::MountType::Tmpfs => {
                cmd.arg("--tmpfs").arg(&target);
            }
            dockerfile::MountType::Cache => {
                let id = m.id.clone().unwrap_or_else(|| target.clone());
                let dir = self
                    .ctx
                    .paths
                    .storage()
                    .join("build-cache-mounts")
                    .join(hash(&[&id]));
                std::fs::create_dir_all(&dir).map_err(|e| Error::path("create", &dir, e))?;
                cmd.arg("-v").arg(format!(
                    "{}:{target}{}",
                    dir.display(),
                    if m.readonly { ":ro" } else { "" }
                ));
            }
            dockerfile::MountType::Bind if m.from.is_none() => {
                let src = copy::clean(m.source.as_deref().unwrap_or(""));
                let path = self.opts.context.join(&src);
                cmd.arg("-v").arg(format!("{}:{target}:ro", path.display()));
            }
            dockerfile::MountType::Bind => {
                let from = m.from.as_deref().unwrap_or_default();
                let from = self.expand(st, from, text)?;
                let source = copy::clean(m.source.as_deref().unwrap_or(""));
                let dir = self.materialize(&from, &source, text)?;
                copies.push(dir.clone());
                cmd.arg("-v").arg(format!(
                    "{}:{target}{}",
                    dir.join("m").display(),
                    if m.readonly { ":ro" } else { "" }
                ));
            }
            _ => {
                return Err(self.fail(
                    text,
                    "only --mount=type=cache, type=tmpfs and type=bind are supported",
                ));
            }
        }
        Ok(())
    }

    /// A stage or image (by name, as `from=` gives it).
    fn source_image(&self, from: &str, text: &str) -> Result<ImageRecord> {
        match self.df.stage_by_name_or_index(from) {
            Some(s) => self.built.get(&s.index).cloned().ok_or_else(|| {
                self.fail(text, format!("stage {from:?} is not built before this one"))
            }),
            None => self.image(from, text),
        }
    }

    /// A copy of `source` (a file or directory) of a stage or image, as `DIR/m` in a directory
    /// of the store, for `RUN --mount=type=bind,from=...`; the directory.
    fn materialize(&self, from: &str, source: &str, text: &str) -> Result<PathBuf> {
        let image = self.source_image(from, text)?;
        let layers: Vec<PathBuf> = image
            .layers
            .iter()
            .rev()
            .map(|l| self.ctx.store.layer_dir(&l.diff_id))
            .collect();
        let store = self.ctx.store.clone();
        let source = source.to_string();
        let text_owned = text.to_string();
        crate::cli::image::in_userns_child(move || {
            let fail = |e: String| format!("building at STEP \"{text_owned}\": {e}");
            let root = mount_layers(&store, &layers)?;
            let real = copy::resolve(&root, &source).map_err(fail)?;
            if std::fs::symlink_metadata(root.join(&real)).is_err() {
                return Err(fail(format!("{from}: no {source} to mount")));
            }
            let items = copy::plan(&root, &[real], "m", false, None).map_err(fail)?;
            let out = tempdir_in(&store)?;
            let (r, w) = crate::runtime::pipe().map_err(|e| e.one_line())?;
            let extracted = std::thread::scope(|s| {
                let writer = s.spawn(move || {
                    copy::write_tar(&items, Attrs::default(), &|_| None, std::fs::File::from(w))
                });
                let got = crate::image::extract::extract_layer(
                    std::fs::File::from(r),
                    &out,
                    &crate::image::extract::ExtractOptions { chown: true },
                );
                let written = writer.join();
                match (got, written) {
                    (Ok(_), Ok(Ok(()))) => Ok(()),
                    (Err(e), _) => Err(e.to_string()),
                    (_, Ok(Err(e))) => Err(e.to_string()),
                    (_, Err(_)) => Err("the copy writer panicked".to_string()),
                }
            });
            match extracted {
                Ok(()) => Ok(out),
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&out);
                    Err(fail(format!("copy {source} of {from}: {e}")))
                }
            }
        })
    }

    fn copy(
        &mut self,
        st: &mut State,
        c: &dockerfile::Copy,
        ins: &Instruction,
        add: bool,
    ) -> Result<()> {
        let text = ins.original.as_str();
        let dest = self.expand(st, &c.dest, text)?;
        let dest = if dest.starts_with('/') {
            dest
        } else {
            let base = st.config.working_dir.clone().unwrap_or_else(|| "/".into());
            let slash = if dest.ends_with('/') { "/" } else { "" };
            format!("{}/{}{slash}", base.trim_end_matches('/'), dest)
        };
        // Cleaned, keeping what a trailing slash says (or a trailing `.`: "this directory").
        let into = dest.ends_with('/') || dest.ends_with("/.");
        let cleaned = copy::clean(&dest);
        let dest = match (cleaned.is_empty(), into) {
            (true, _) => "/".to_string(),
            (false, true) => format!("/{cleaned}/"),
            (false, false) => format!("/{cleaned}"),
        };
        let attrs = self.attrs(st, c, text)?;
        let mut sources = Vec::new();
        let mut inline = Vec::new();
        let mut urls = Vec::new();
        for s in &c.sources {
            match s {
                CopySource::Path(p) => {
                    let p = self.expand(st, p, text)?;
                    if add && (p.starts_with("http://") || p.starts_with("https://")) {
                        urls.push(p);
                    } else {
                        sources.push(p);
                    }
                }
                CopySource::Heredoc(h) => inline.push(h.clone()),
            }
        }
        let layers = self.layer_dirs(st);
        let dest_rel = copy::clean(&dest);
        let dest_is_dir = layer_lookup(&layers, &dest_rel).is_some_and(|m| m.is_dir());
        let mut downloaded: Vec<String> = Vec::new();
        if let Some(from) = &c.from {
            let from = self.expand(st, from, text)?;
            return self.copy_from(st, &from, &sources, &dest, dest_is_dir, attrs, ins);
        }
        // Heredoc sources and downloads become files in a scratch directory, copied like
        // context files.
        let url_names = urls
            .iter()
            .map(|u| {
                url_file_name(u).ok_or_else(|| {
                    self.fail(
                        text,
                        format!("cannot determine a file name from the URL {u}"),
                    )
                })
            })
            .collect::<Result<Vec<String>>>()?;
        let scratch = if inline.is_empty() && urls.is_empty() {
            None
        } else {
            let d = tempfile_dir()?;
            for (u, name) in urls.iter().zip(&url_names) {
                if let Err(e) = download(u, &d.join(name)) {
                    let _ = std::fs::remove_dir_all(&d);
                    return Err(self.fail(text, e));
                }
            }
            downloaded = url_names;
            for h in &inline {
                let body = if h.expand {
                    self.expand(st, &h.content, text)?
                } else {
                    h.content.clone()
                };
                std::fs::write(d.join(&h.name), body)
                    .map_err(|e| Error::path("write", d.join(&h.name), e))?;
            }
            Some(d)
        };
        let result = (|| {
            let mut items = Vec::new();
            let count = sources.len() + inline.len() + urls.len();
            let ctx_dir = &self.opts.context;
            for s in &sources {
                let found = copy::expand_source(ctx_dir, s, self.ignore.as_ref())
                    .map_err(|e| self.fail(text, e))?;
                let many = count > 1 || found.len() > 1;
                // ADD extracts the local tar archives among its sources into the destination.
                let mut plain = Vec::new();
                for f in found {
                    let real = copy::resolve(ctx_dir, &f).map_err(|e| self.fail(text, e))?;
                    if add
                        && copy::is_archive(&ctx_dir.join(&real)).map_err(|e| self.fail(text, e))?
                    {
                        items.push(copy::Item {
                            src: ctx_dir.join(&real),
                            dest: copy::clean(&dest),
                            archive: true,
                        });
                    } else {
                        plain.push(f);
                    }
                }
                if plain.is_empty() {
                    continue;
                }
                let mut plan = copy::plan(
                    ctx_dir,
                    &plain,
                    &dest_for(&dest, many),
                    dest_is_dir,
                    self.ignore.as_ref(),
                )
                .map_err(|e| self.fail(text, e))?;
                items.append(&mut plan);
            }
            if let Some(d) = &scratch {
                let mut names: Vec<String> = downloaded.clone();
                names.extend(inline.iter().map(|h| h.name.clone()));
                let mut plan =
                    copy::plan(d, &names, &dest_for(&dest, count > 1), dest_is_dir, None)
                        .map_err(|e| self.fail(text, e))?;
                items.append(&mut plan);
            }
            let content = copy::digest(&items).map_err(|e| self.fail(text, e))?;
            let key = hash(&[
                &st.key,
                text,
                &Self::args_text(st),
                &content,
                &format!("{attrs:?}"),
            ]);
            if self.cached(st, &key) {
                return Ok(());
            }
            let store = self.ctx.store.clone();
            let base = st.image.clone();
            let summary = match (items.len(), count) {
                (1, 1) => format!("file:{content}"),
                (_, 1) => format!("dir:{content}"),
                _ => format!("multi:{content}"),
            };
            let created_by = ins.copy_history_text(&default_shell(), &summary, &dest);
            self.layer_step(st, key, created_by, |meta, history| {
                crate::cli::image::in_userns_child(move || {
                    let lookup = |p: &str| layer_lookup(&layers, p);
                    tar_image(&store, base.as_ref(), &meta, &history, |w| {
                        copy::write_tar(&items, attrs, &lookup, w)
                    })
                })
            })
        })();
        if let Some(d) = scratch {
            let _ = std::fs::remove_dir_all(d);
        }
        result
    }

    /// `--chown` and `--chmod`.
    fn attrs(&self, st: &State, c: &dockerfile::Copy, text: &str) -> Result<Attrs> {
        let mut a = Attrs::default();
        if let Some(spec) = &c.chown {
            let spec = self.expand(st, spec, text)?;
            let layers = self.layer_dirs(st);
            let passwd = crate::container::read_image_file(&layers, "/etc/passwd");
            let group = crate::container::read_image_file(&layers, "/etc/group");
            let (u, g) = copy::parse_chown(&spec, passwd.as_deref(), group.as_deref())
                .map_err(|e| self.fail(text, e))?;
            a.uid = u;
            a.gid = g;
        }
        if let Some(m) = &c.chmod {
            let m = self.expand(st, m, text)?;
            a.mode = Some(
                u32::from_str_radix(&m, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| {
                        self.fail(text, format!("invalid --chmod {m:?}: want an octal mode"))
                    })?,
            );
        }
        Ok(a)
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_from(
        &mut self,
        st: &mut State,
        from: &str,
        sources: &[String],
        dest: &str,
        dest_is_dir: bool,
        attrs: Attrs,
        ins: &Instruction,
    ) -> Result<()> {
        let text = ins.original.as_str();
        let src_image = match self.df.stage_by_name_or_index(from) {
            Some(s) => self.built.get(&s.index).cloned().ok_or_else(|| {
                self.fail(text, format!("stage {from:?} is not built before this one"))
            })?,
            None => self.image(from, text)?,
        };
        let key = hash(&[
            &st.key,
            text,
            &Self::args_text(st),
            src_image.id.as_str(),
            &format!("{attrs:?}"),
        ]);
        if self.cached(st, &key) {
            return Ok(());
        }
        let src_layers: Vec<PathBuf> = src_image
            .layers
            .iter()
            .rev()
            .map(|l| self.ctx.store.layer_dir(&l.diff_id))
            .collect();
        let layers = self.layer_dirs(st);
        let store = self.ctx.store.clone();
        let base = st.image.clone();
        let sources = sources.to_vec();
        let dest = dest.to_string();
        let text_owned = text.to_string();
        let created_by = ins.copy_history_text(
            &default_shell(),
            &format!("dir:{}", src_image.id.hex()),
            &dest,
        );
        self.layer_step(st, key, created_by, |meta, history| {
            crate::cli::image::in_userns_child(move || {
                let root = mount_layers(&store, &src_layers)?;
                let mut items = Vec::new();
                let count = sources.len();
                for s in &sources {
                    let found = copy::expand_source(&root, s, None)
                        .map_err(|e| format!("building at STEP \"{text_owned}\": {e}"))?;
                    let many = count > 1 || found.len() > 1;
                    items.append(
                        &mut copy::plan(&root, &found, &dest_for(&dest, many), dest_is_dir, None)
                            .map_err(|e| format!("building at STEP \"{text_owned}\": {e}"))?,
                    );
                }
                let lookup = |p: &str| layer_lookup(&layers, p);
                tar_image(&store, base.as_ref(), &meta, &history, |w| {
                    copy::write_tar(&items, attrs, &lookup, w)
                })
            })
        })
    }
}

/// Whether an image of `have` (`os/arch[/variant]`) serves a FROM `--platform=want` (a
/// variant only counts when asked for).
fn platform_matches(want: &str, have: &str) -> bool {
    let w: Vec<&str> = want.split('/').collect();
    let h: Vec<&str> = have.split('/').collect();
    w.len() >= 2
        && h.len() >= 2
        && w[0] == h[0]
        && w[1] == h[1]
        && (w.len() < 3 || h.get(2) == w.get(2))
}

/// With several sources the destination is a directory.
fn dest_for(dest: &str, many: bool) -> String {
    if many && !dest.ends_with('/') {
        format!("{dest}/")
    } else {
        dest.to_string()
    }
}

/// The file name a URL names (its last path component), as ADD saves it.
fn url_file_name(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let path = rest.split(['?', '#']).next()?;
    let (_, path) = path.split_once('/')?;
    let name = path.rsplit('/').next()?;
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_string())
}

/// Download `url` to `to`: mode 0600, and the mtime the server's Last-Modified gives.
fn download(url: &str, to: &Path) -> std::result::Result<(), String> {
    use std::io::Write as _;
    let rt = crate::registry::runtime().map_err(|e| format!("download {url}: {e}"))?;
    let modified = rt.block_on(async {
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| format!("download {url}: {}", crate::registry::error_chain(&e)))?;
        let mut res = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("download {url}: {}", crate::registry::error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(format!(
                "download {url}: the server answered {}",
                res.status()
            ));
        }
        let modified = res
            .headers()
            .get(reqwest::header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(http_date);
        let mut f =
            std::fs::File::create(to).map_err(|e| format!("create {}: {e}", to.display()))?;
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| format!("download {url}: {}", crate::registry::error_chain(&e)))?
        {
            f.write_all(&chunk)
                .map_err(|e| format!("write {}: {e}", to.display()))?;
        }
        Ok(modified)
    })?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod {}: {e}", to.display()))?;
    if let Some(secs) = modified.and_then(|s| u64::try_from(s).ok()) {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        std::fs::File::options()
            .write(true)
            .open(to)
            .and_then(|f| f.set_modified(t))
            .map_err(|e| format!("set the time of {}: {e}", to.display()))?;
    }
    Ok(())
}

/// An HTTP date (`Tue, 14 Nov 2023 22:13:20 GMT`) as seconds since the epoch.
fn http_date(s: &str) -> Option<i64> {
    let f: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = f.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == month)? + 1;
    let day: u32 = day.parse().ok()?;
    crate::format::time::parse_rfc3339(&format!("{year}-{m:02}-{day:02}T{time}Z"))
}

fn healthcheck_json(h: &dockerfile::Healthcheck) -> serde_json::Value {
    let ns = |d: &Option<std::time::Duration>| {
        d.map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    };
    match h {
        dockerfile::Healthcheck::None => serde_json::json!({"Test": ["NONE"]}),
        dockerfile::Healthcheck::Check {
            test,
            interval,
            timeout,
            start_period,
            start_interval,
            retries,
        } => {
            // As docker: zero durations and retries are left out.
            let mut m = serde_json::Map::new();
            m.insert("Test".into(), serde_json::json!(test));
            for (k, v) in [
                ("Interval", interval),
                ("Timeout", timeout),
                ("StartPeriod", start_period),
                ("StartInterval", start_interval),
            ] {
                if ns(v) != 0 {
                    m.insert(k.into(), serde_json::json!(ns(v)));
                }
            }
            if let Some(r) = retries.filter(|r| *r != 0) {
                m.insert("Retries".into(), serde_json::json!(r));
            }
            serde_json::Value::Object(m)
        }
    }
}

fn cache_dir(store: &Store) -> PathBuf {
    store.root().join("build-cache")
}

/// Forget cache entries whose image is gone (`rl image prune`, `rl system prune`).
pub fn prune_cache(store: &Store) {
    let Ok(rd) = std::fs::read_dir(cache_dir(store)) else {
        return;
    };
    for e in rd.flatten() {
        let gone = std::fs::read_to_string(e.path())
            .ok()
            .and_then(|t| Digest::parse(t.trim()).ok())
            .is_none_or(|id| store.image(&id).is_none());
        if gone {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn tempfile_dir() -> Result<PathBuf> {
    let base =
        std::env::temp_dir().join(format!("rl-build-{}", &crate::container::new_id()?[..16]));
    std::fs::create_dir(&base).map_err(|e| Error::path("create", &base, e))?;
    Ok(base)
}

fn tempdir_in(store: &Store) -> std::result::Result<PathBuf, String> {
    let p = store.staging("dir");
    std::fs::create_dir(&p).map_err(|e| format!("create {}: {e}", p.display()))?;
    Ok(p)
}

/// The metadata of `rel` in the merged image whose layer directories (top first) are given
/// (whiteouts and opaque directories honoured by [`crate::container::image_has`]).
fn layer_lookup(layers: &[PathBuf], rel: &str) -> Option<std::fs::Metadata> {
    if rel.is_empty() {
        return layers
            .iter()
            .find_map(|l| std::fs::symlink_metadata(l).ok());
    }
    if !crate::container::image_has(layers, rel) {
        return None;
    }
    layers
        .iter()
        .find_map(|l| std::fs::symlink_metadata(l.join(rel)).ok())
}

/// Make the image with a layer written by `write` (on another thread, through a pipe).
fn tar_image(
    store: &Store,
    base: Option<&ImageRecord>,
    meta: &Meta,
    history: &[String],
    write: impl FnOnce(std::fs::File) -> std::io::Result<()> + Send,
) -> std::result::Result<ImageRecord, String> {
    let (r, w) = crate::runtime::pipe().map_err(|e| e.one_line())?;
    std::thread::scope(|s| {
        let writer = s.spawn(move || write(std::fs::File::from(w)));
        let mut input = std::fs::File::from(r);
        let made = new_image_with_history(store, base, Some(&mut input), meta, history);
        drop(input);
        let written = writer
            .join()
            .map_err(|_| "the layer writer panicked".to_string())?;
        match (made, written) {
            (Ok(rec), Ok(())) => Ok(rec),
            (Err(e), _) => Err(e.one_line()),
            (_, Err(e)) => Err(format!("write the layer: {e}")),
        }
    })
}

/// `meta` with one history entry per instruction: the last is the image's own (with the layer,
/// if any), the others `empty_layer` ones.
fn with_history(meta: &Meta, history: &[String]) -> Meta {
    let mut m = meta.clone();
    m.created_by = history.last().cloned().unwrap_or_default();
    m.empty_before = history[..history.len().saturating_sub(1)].to_vec();
    m
}

/// [`new_image`] with [`with_history`].
fn new_image_with_history(
    store: &Store,
    base: Option<&ImageRecord>,
    layer: Option<&mut dyn std::io::Read>,
    meta: &Meta,
    history: &[String],
) -> Result<ImageRecord> {
    new_image(store, base, layer, &with_history(meta, history))
}

/// Mount the image of `layers` (top first) read-only in this process's own mount namespace;
/// the mount point.
fn mount_layers(store: &Store, layers: &[PathBuf]) -> std::result::Result<PathBuf, String> {
    let target = store.staging("mnt");
    std::fs::create_dir(&target).map_err(|e| format!("create {}: {e}", target.display()))?;
    if layers.is_empty() {
        return Ok(target);
    }
    let lower: Vec<String> = layers.iter().map(|l| l.display().to_string()).collect();
    // One layer cannot be an overlay: bind it.
    if lower.len() == 1 {
        nix::mount::mount(
            Some(layers[0].as_path()),
            &target,
            None::<&str>,
            nix::mount::MsFlags::MS_BIND | nix::mount::MsFlags::MS_RDONLY,
            None::<&str>,
        )
        .map_err(|e| format!("bind the image: {}", e.desc()))?;
        return Ok(target);
    }
    let opts = format!("lowerdir={},userxattr", lower.join(":"));
    nix::mount::mount(
        Some("overlay"),
        &target,
        Some("overlay"),
        nix::mount::MsFlags::MS_RDONLY,
        Some(opts.as_str()),
    )
    .map_err(|e| format!("mount the image: {}", e.desc()))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_match_on_os_and_arch_and_asked_variants() {
        assert!(platform_matches("linux/amd64", "linux/amd64"));
        assert!(platform_matches("linux/arm64", "linux/arm64/v8"));
        assert!(platform_matches("linux/arm64/v8", "linux/arm64/v8"));
        assert!(!platform_matches("linux/arm64/v8", "linux/arm64"));
        assert!(!platform_matches("linux/arm64", "linux/amd64"));
        assert!(!platform_matches("arm64", "linux/arm64"));
    }

    #[test]
    fn url_file_names_as_docker() {
        assert_eq!(
            url_file_name("http://h:8/a/b/file.txt?x=1#f").as_deref(),
            Some("file.txt")
        );
        assert_eq!(url_file_name("https://h/"), None);
        assert_eq!(url_file_name("https://h"), None);
        assert_eq!(url_file_name("https://h/dir/"), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000)
        );
        assert_eq!(http_date("yesterday"), None);
    }

    #[test]
    fn healthcheck_leaves_zero_values_out() {
        let h = dockerfile::Healthcheck::Check {
            test: vec!["CMD".into(), "true".into()],
            interval: Some(std::time::Duration::from_secs(2)),
            timeout: None,
            start_period: None,
            start_interval: None,
            retries: Some(0),
        };
        assert_eq!(
            healthcheck_json(&h),
            serde_json::json!({"Test": ["CMD", "true"], "Interval": 2_000_000_000i64})
        );
    }
}
