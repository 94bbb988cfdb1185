//! The variable expansion docker applies to each instruction before executing it
//! (buildkit's `Expand` methods and `dispatch`): ADD, ARG, COPY, ENV, EXPOSE, FROM, LABEL,
//! STOPSIGNAL, USER, VOLUME, WORKDIR, the values of `RUN --mount`, and the bodies of COPY/ADD
//! heredocs with an unquoted delimiter. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and
//! ONBUILD are left to the shell / later builds.

use super::{Copy, CopySource, From, Heredoc, Instruction, Kind, Lookup, Run, instr, lex};

impl Instruction {
    /// This instruction with docker's expansion applied for its kind, variables looked up with
    /// `lookup` (the ARG/ENV scope at this instruction).
    ///
    /// # Errors
    /// An expansion error (bad `${...}`, `${VAR?}` on an unset variable, unterminated quote)
    /// or a `--mount` value invalid once expanded.
    pub fn expanded(&self, escape: char, lookup: Lookup<'_>) -> Result<Instruction, String> {
        let word = |w: &str| lex::expand(w, escape, lookup);
        let pairs = |kv: &[(String, String)]| -> Result<Vec<(String, String)>, String> {
            kv.iter().map(|(k, v)| Ok((word(k)?, word(v)?))).collect()
        };
        let kind = match &self.kind {
            Kind::Env(kv) => Kind::Env(pairs(kv)?),
            Kind::Label(kv) => Kind::Label(pairs(kv)?),
            Kind::Arg(args) => Kind::Arg(
                args.iter()
                    .map(|(k, v)| Ok((word(k)?, v.as_deref().map(word).transpose()?)))
                    .collect::<Result<_, String>>()?,
            ),
            Kind::Expose(ports) => {
                let mut out = Vec::new();
                for p in ports {
                    out.extend(lex::expand_words(p, escape, lookup)?);
                }
                Kind::Expose(out)
            }
            Kind::Volume(v) => Kind::Volume(v.iter().map(|p| word(p)).collect::<Result<_, _>>()?),
            Kind::User(u) => Kind::User(word(u)?),
            Kind::Workdir(w) => Kind::Workdir(word(w)?),
            Kind::StopSignal(s) => Kind::StopSignal(word(s)?),
            Kind::Copy(c) => Kind::Copy(expand_copy(c, escape, lookup)?),
            Kind::Add(c) => Kind::Add(expand_copy(c, escape, lookup)?),
            Kind::Run(r) => Kind::Run(expand_run(r, escape, lookup)?),
            other => other.clone(),
        };
        Ok(Instruction {
            line: self.line,
            original: self.original.clone(),
            kind,
        })
    }
}

impl From {
    /// The FROM with its image and platform expanded (with the global ARGs, as docker does).
    ///
    /// # Errors
    /// An expansion error.
    pub fn expanded(&self, escape: char, lookup: Lookup<'_>) -> Result<From, String> {
        Ok(From {
            image: lex::expand(&self.image, escape, lookup)?,
            platform: self
                .platform
                .as_deref()
                .map(|p| lex::expand(p, escape, lookup))
                .transpose()?,
            name: self.name.clone(),
        })
    }
}

fn expand_copy(c: &Copy, escape: char, lookup: Lookup<'_>) -> Result<Copy, String> {
    let word = |w: &str| lex::expand(w, escape, lookup);
    let opt = |w: &Option<String>| w.as_deref().map(word).transpose();
    let sources = c
        .sources
        .iter()
        .map(|s| match s {
            CopySource::Path(p) => Ok(CopySource::Path(word(p)?)),
            CopySource::Heredoc(h) if h.expand => Ok(CopySource::Heredoc(Heredoc {
                content: expand_heredoc(&h.content, escape, lookup)?,
                ..h.clone()
            })),
            CopySource::Heredoc(h) => Ok(CopySource::Heredoc(h.clone())),
        })
        .collect::<Result<_, String>>()?;
    Ok(Copy {
        sources,
        dest: word(&c.dest)?,
        from: opt(&c.from)?,
        chown: opt(&c.chown)?,
        chmod: opt(&c.chmod)?,
        checksum: opt(&c.checksum)?,
        exclude: c
            .exclude
            .iter()
            .map(|e| word(e))
            .collect::<Result<_, _>>()?,
        ..c.clone()
    })
}

/// A heredoc body: variables and escapes processed, quotes left alone.
pub(super) fn expand_heredoc(
    body: &str,
    escape: char,
    lookup: Lookup<'_>,
) -> Result<String, String> {
    let opts = lex::Options {
        skip_quotes: true,
        ..lex::Options::default()
    };
    lex::process(body, escape, lookup, opts).map(|(w, _)| w)
}

fn expand_run(r: &Run, escape: char, lookup: Lookup<'_>) -> Result<Run, String> {
    let expander = |w: &str| lex::expand(w, escape, lookup);
    let mounts = r
        .mounts
        .iter()
        .map(|m| instr::parse_mount(&m.spec, Some(&expander)))
        .collect::<Result<_, _>>()?;
    Ok(Run {
        mounts,
        ..r.clone()
    })
}
