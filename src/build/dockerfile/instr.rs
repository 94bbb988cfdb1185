//! One logical line → a typed instruction, with buildkit's argument rules
//! (`parser/line_parsers.go`, `parser/split_command.go`, `instructions/parse.go`, `bflag.go`).

use std::time::Duration;

use super::{
    CommandLine, Copy, CopySource, From, Healthcheck, Heredoc, Instruction, Kind, Mount, MountType,
    Network, Run, Security, Sharing, lines,
};

/// What a line turned out to be.
#[derive(Debug)]
pub(super) enum Parsed {
    /// A FROM: starts a stage.
    From(From),
    /// Anything else.
    Instruction(Instruction),
}

/// buildkit's `reWhitespace`: `[\t\v\f\r ]+`.
fn is_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// Splits on runs of [`is_ws`] (the text is already trimmed).
fn split_ws(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(is_ws)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// `KEYWORD [--flags] args` → (keyword lowercased, flags, args trimmed).
fn split_command(line: &str) -> (String, Vec<String>, String) {
    let line = line.trim();
    let (cmd, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim_start()),
        None => (line, ""),
    };
    let (args, flags) = extract_flags(rest);
    (cmd.to_ascii_lowercase(), flags, args.trim().to_string())
}

/// The text after the keyword (and its blanks).
pub(super) fn strip_keyword(line: &str) -> &str {
    let line = line.trim_start();
    match line.find(char::is_whitespace) {
        Some(i) => line[i..].trim_start(),
        None => "",
    }
}

/// The arguments text after the keyword and its flags.
pub(super) fn args_text(line: &str) -> String {
    split_command(line).2
}

/// Leading `--flag[=value]` words (quotes and `\` processed); stops at the first other word
/// or after `--`. Returns the rest of the line and the flags.
fn extract_flags(line: &str) -> (&str, Vec<String>) {
    let mut flags = Vec::new();
    let mut rest = line;
    loop {
        rest = rest.trim_start();
        if !rest.starts_with("--") {
            return (rest, flags);
        }
        let (word, after) = flag_word(rest);
        if word == "--" {
            return (after, flags);
        }
        flags.push(word);
        rest = after;
    }
}

/// One flag word: up to unquoted whitespace, quotes removed, `\` escaping.
fn flag_word(s: &str) -> (String, &str) {
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            None if c.is_whitespace() => return (word, &s[i..]),
            None if c == '\'' || c == '"' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ if c == '\\' => {
                if let Some((_, n)) = chars.next() {
                    word.push(n);
                }
            }
            _ => word.push(c),
        }
    }
    (word, "")
}

/// The kind of value a flag takes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FlagKind {
    Bool,
    Str,
    Strs,
}

/// Parsed flags: (name, value) per occurrence; a bool's value is "true" or "false".
#[derive(Debug, Default)]
struct Flags(Vec<(String, String)>);

impl Flags {
    /// buildkit's `BFlags.Parse` against the allowed flags.
    fn parse(words: &[String], allowed: &[(&str, FlagKind)]) -> Result<Flags, String> {
        let mut out = Flags::default();
        for word in words {
            let Some(arg) = word.strip_prefix("--") else {
                return Err(format!("Arg should start with -- : {word}"));
            };
            if arg.is_empty() {
                break;
            }
            let (name, value) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (arg, None),
            };
            let Some(&(_, kind)) = allowed.iter().find(|(n, _)| *n == name) else {
                return Err(format!("Unknown flag: {name}"));
            };
            if kind != FlagKind::Strs && out.0.iter().any(|(n, _)| n == name) {
                return Err(format!("Duplicate flag specified: {name}"));
            }
            let value = match (kind, value) {
                (FlagKind::Bool, None) => "true".to_string(),
                (FlagKind::Bool, Some("")) | (FlagKind::Str | FlagKind::Strs, None) => {
                    return Err(format!("Missing a value on flag: {name}"));
                }
                (FlagKind::Bool, Some(v)) => match v.to_ascii_lowercase().as_str() {
                    b @ ("true" | "false") => b.to_string(),
                    _ => return Err(format!("Expecting boolean value for flag {name}, not: {v}")),
                },
                (_, Some(v)) => v.to_string(),
            };
            out.0.push((name.to_string(), value));
        }
        Ok(out)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn strings(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }
}

/// A JSON array of strings, `Ok(None)` when `rest` is not JSON, an error when it is an array
/// with something other than strings.
fn parse_json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(rest) else {
        return Ok(None);
    };
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(
                "when using JSON array syntax, arrays must be comprised of strings only"
                    .to_string(),
            ),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// buildkit's `parseMaybeJSON`: `(args, json)`.
fn maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match parse_json(rest)? {
        Some(v) => (v, true),
        None => (vec![rest.to_string()], false),
    })
}

/// buildkit's `parseMaybeJSONToList`: JSON or whitespace-separated words.
fn maybe_json_list(rest: &str) -> Result<(Vec<String>, bool), String> {
    Ok(match parse_json(rest)? {
        Some(v) => (v, true),
        None => (split_ws(rest), false),
    })
}

/// buildkit's `parseWords`: whitespace-separated words, quotes and escapes kept, quoted
/// whitespace not splitting.
fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let chars: Vec<char> = rest.chars().collect();
    let (mut words, mut word, mut blank_ok, mut phase) =
        (Vec::new(), String::new(), false, Phase::Spaces);
    let mut pos = 0;
    while pos < chars.len() {
        let mut ch = chars[pos];
        match phase {
            Phase::Spaces if ch.is_whitespace() => {}
            Phase::Spaces | Phase::Word => {
                phase = Phase::Word;
                if ch.is_whitespace() {
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    (phase, blank_ok) = (Phase::Spaces, false);
                    pos += 1;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    (phase, blank_ok) = (Phase::Quote(ch), true);
                }
                if ch == escape {
                    if pos + 1 == chars.len() {
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                    ch = chars[pos];
                }
                word.push(ch);
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                }
                if ch == escape && q != '\'' {
                    if pos + 1 == chars.len() {
                        phase = Phase::Word;
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                    ch = chars[pos];
                }
                word.push(ch);
            }
        }
        pos += 1;
    }
    if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
        words.push(word);
    }
    words
}

/// Whether the line's instruction reads heredoc bodies: RUN, COPY, ADD (also under ONBUILD)
/// not in JSON form.
pub(super) fn heredoc_capable(line: &str) -> bool {
    let (mut cmd, _, mut args) = split_command(line);
    if cmd == "onbuild" {
        (cmd, _, args) = split_command(&args);
    }
    matches!(cmd.as_str(), "run" | "copy" | "add")
        && !matches!(parse_json(&args), Ok(Some(_)) | Err(_))
}

/// Whether a shell-form command is a single heredoc word (`<<EOF`).
pub(super) fn lone_heredoc(cmd: &str) -> bool {
    matches!(lines::parse_heredoc(cmd.trim()), Ok(Some(_)))
}

/// Parses one logical line. `heredocs` are the bodies read after it.
pub(super) fn parse_line(
    text: &str,
    heredocs: Vec<Heredoc>,
    line: usize,
    escape: char,
) -> Result<Parsed, String> {
    let (cmd, flags, args) = split_command(text);
    let original = text.trim().to_string();
    let kind = match cmd.as_str() {
        "from" => return parse_from(&flags, &args).map(Parsed::From),
        "run" => Kind::Run(parse_run(&flags, &args, heredocs)?),
        "cmd" => Kind::Cmd(command_line(&flags, &args)?),
        "entrypoint" => Kind::Entrypoint(command_line(&flags, &args)?),
        "label" => Kind::Label(name_values(&flags, &args, "LABEL", escape)?),
        "env" => Kind::Env(name_values(&flags, &args, "ENV", escape)?),
        "maintainer" => Kind::Maintainer(one_argument(&flags, &args, "MAINTAINER")?),
        "user" => Kind::User(one_argument(&flags, &args, "USER")?),
        "workdir" => Kind::Workdir(one_argument(&flags, &args, "WORKDIR")?),
        "stopsignal" => Kind::StopSignal(one_argument(&flags, &args, "STOPSIGNAL")?),
        "expose" => {
            Flags::parse(&flags, &[])?;
            Kind::Expose(non_empty(split_ws(&args), "EXPOSE")?)
        }
        "volume" => Kind::Volume(parse_volume(&flags, &args)?),
        "add" => Kind::Add(parse_copy(&flags, &args, heredocs, "ADD")?),
        "copy" => Kind::Copy(parse_copy(&flags, &args, heredocs, "COPY")?),
        "arg" => Kind::Arg(parse_arg(&flags, &args, escape)?),
        "onbuild" => Kind::Onbuild(Box::new(parse_onbuild(
            &flags, &args, heredocs, line, escape,
        )?)),
        "healthcheck" => Kind::Healthcheck(parse_healthcheck(&flags, &args)?),
        "shell" => Kind::Shell(parse_shell(&flags, &args)?),
        _ => {
            let keyword = text.split_whitespace().next().unwrap_or_default();
            return Err(format!("unknown instruction: {}", keyword.to_uppercase()));
        }
    };
    Ok(Parsed::Instruction(Instruction {
        line,
        original,
        kind,
    }))
}

fn non_empty(args: Vec<String>, name: &str) -> Result<Vec<String>, String> {
    if args.is_empty() {
        return Err(format!("{name} requires at least one argument"));
    }
    Ok(args)
}

fn one_argument(flags: &[String], args: &str, name: &str) -> Result<String, String> {
    if args.is_empty() {
        return Err(format!("{name} requires exactly one argument"));
    }
    Flags::parse(flags, &[])?;
    Ok(args.to_string())
}

fn parse_from(flags: &[String], args: &str) -> Result<From, String> {
    let words = split_ws(args);
    let name = match words.as_slice() {
        [_, as_, name] if as_.eq_ignore_ascii_case("as") => {
            let lower = name.to_ascii_lowercase();
            if !valid_stage_name(&lower) {
                return Err(format!(
                    "invalid name for build stage: {name:?}, name can't start with a number or contain symbols"
                ));
            }
            Some(lower)
        }
        [_] => None,
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    let flags = Flags::parse(flags, &[("platform", FlagKind::Str)])?;
    Ok(From {
        image: words[0].clone(),
        platform: flags.string("platform"),
        name,
    })
}

/// `^[a-z][a-z0-9-_.]*$`.
fn valid_stage_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn command_line(flags: &[String], args: &str) -> Result<CommandLine, String> {
    Flags::parse(flags, &[])?;
    shell_or_exec(args)
}

fn shell_or_exec(args: &str) -> Result<CommandLine, String> {
    Ok(match maybe_json(args)? {
        (v, true) => CommandLine::Exec(v),
        (v, false) if v.is_empty() => CommandLine::Exec(v),
        (_, false) => CommandLine::Shell(args.to_string()),
    })
}

fn parse_run(flags: &[String], args: &str, heredocs: Vec<Heredoc>) -> Result<Run, String> {
    let allowed = [
        ("mount", FlagKind::Strs),
        ("network", FlagKind::Str),
        ("security", FlagKind::Str),
    ];
    let flags = Flags::parse(flags, &allowed)?;
    if args.is_empty() {
        return Err("RUN requires at least one argument".into());
    }
    let mounts = flags
        .strings("mount")
        .iter()
        .map(|m| parse_mount(m, None))
        .collect::<Result<_, _>>()?;
    let network = flags
        .string("network")
        .map(|n| parse_network(&n))
        .transpose()?;
    let security = match flags.string("security").as_deref() {
        None => None,
        Some("sandbox") => Some(Security::Sandbox),
        Some("insecure") => Some(Security::Insecure),
        Some(s) => return Err(format!("unsupported security mode {s:?}")),
    };
    Ok(Run {
        mounts,
        network,
        security,
        command: shell_or_exec(args)?,
        heredocs,
    })
}

fn parse_network(n: &str) -> Result<Network, String> {
    match n {
        "default" => Ok(Network::Default),
        "none" => Ok(Network::None),
        "host" => Ok(Network::Host),
        _ => Err(format!("unsupported network mode {n:?}")),
    }
}

/// A word expander for mount values: `None` at parse time (values containing `$` are then
/// kept for the executor to expand).
pub(super) type Expander<'a> = Option<&'a dyn Fn(&str) -> Result<String, String>>;

/// Parses a `--mount` value (buildkit's `parseMount`).
pub(super) fn parse_mount(spec: &str, expander: Expander<'_>) -> Result<Mount, String> {
    let fields = csv_fields(spec).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
    let mut m = Mount {
        spec: spec.to_string(),
        kind: MountType::Bind,
        target: None,
        source: None,
        from: None,
        id: None,
        sharing: None,
        readonly: false,
        mode: None,
        uid: None,
        gid: None,
        size: None,
        required: false,
    };
    let mut ro_auto = true;
    for field in &fields {
        let Some((key, value)) = field.split_once('=') else {
            match field.to_ascii_lowercase().as_str() {
                "readonly" | "ro" => (m.readonly, ro_auto) = (true, false),
                "readwrite" | "rw" => (m.readonly, ro_auto) = (false, false),
                "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
                    m.required = true
                }
                "required" => {
                    return Err(format!(
                        "unexpected key 'required' for mount type '{}'",
                        type_name(m.kind)
                    ));
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let key = key.to_ascii_lowercase();
        let value = match expander {
            Some(expand) => expand(value)?,
            None if key == "from" && has_variable(value) => {
                return Err(
                    "'from' doesn't support variable expansion, define alias stage instead".into(),
                );
            }
            None => value.to_string(),
        };
        let deferred = expander.is_none() && has_variable(&value);
        mount_field(&mut m, &key, value, field, deferred, &mut ro_auto)?;
    }
    check_mount(&mut m, ro_auto)?;
    Ok(m)
}

/// buildkit's `\$.`: a `$` followed by anything.
fn has_variable(value: &str) -> bool {
    value.find('$').is_some_and(|i| i + 1 < value.len())
}

fn type_name(t: MountType) -> &'static str {
    match t {
        MountType::Bind => "bind",
        MountType::Cache => "cache",
        MountType::Tmpfs => "tmpfs",
        MountType::Secret => "secret",
        MountType::Ssh => "ssh",
    }
}

/// Applies one `key=value`; `deferred` values (containing `$` at parse time) are stored as
/// strings but not validated.
fn mount_field(
    m: &mut Mount,
    key: &str,
    value: String,
    field: &str,
    deferred: bool,
    ro_auto: &mut bool,
) -> Result<(), String> {
    let bool_value =
        |v: &str| parse_go_bool(v).ok_or_else(|| format!("invalid value for {key}: {v}"));
    match key {
        "from" => m.from = Some(value),
        "source" | "src" => m.source = Some(value),
        "target" | "dst" | "destination" => m.target = Some(value),
        "id" => m.id = Some(value),
        _ if deferred => {}
        "type" => {
            m.kind = match value.to_ascii_lowercase().as_str() {
                "bind" => MountType::Bind,
                "cache" => MountType::Cache,
                "tmpfs" => MountType::Tmpfs,
                "secret" => MountType::Secret,
                "ssh" => MountType::Ssh,
                _ => return Err(format!("unsupported mount type {value:?}")),
            }
        }
        "readonly" | "ro" => (m.readonly, *ro_auto) = (bool_value(&value)?, false),
        "readwrite" | "rw" => (m.readonly, *ro_auto) = (!bool_value(&value)?, false),
        "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
            m.required = bool_value(&value)?
        }
        "required" => {
            return Err(format!(
                "unexpected key 'required' for mount type '{}'",
                type_name(m.kind)
            ));
        }
        "sharing" => {
            m.sharing = Some(match value.to_ascii_lowercase().as_str() {
                "shared" => Sharing::Shared,
                "private" => Sharing::Private,
                "locked" => Sharing::Locked,
                _ => return Err(format!("unsupported sharing value {value:?}")),
            })
        }
        "mode" => {
            m.mode = Some(
                u32::from_str_radix(&value, 8)
                    .map_err(|_| format!("invalid value {value} for mode"))?,
            )
        }
        "uid" => {
            m.uid = Some(
                value
                    .parse()
                    .map_err(|_| format!("invalid value {value} for uid"))?,
            )
        }
        "gid" => {
            m.gid = Some(
                value
                    .parse()
                    .map_err(|_| format!("invalid value {value} for gid"))?,
            )
        }
        "size" if m.kind == MountType::Tmpfs => {
            m.size = Some(
                ram_in_bytes(&value).ok_or_else(|| format!("invalid value {value} for size"))?,
            )
        }
        "size" => {
            return Err(format!(
                "unexpected key 'size' for mount type '{}'",
                type_name(m.kind)
            ));
        }
        _ => return Err(format!("unexpected key '{key}' in '{field}'")),
    }
    Ok(())
}

/// The checks buildkit makes once all fields are read.
fn check_mount(m: &mut Mount, ro_auto: bool) -> Result<(), String> {
    let file_info = matches!(
        m.kind,
        MountType::Secret | MountType::Ssh | MountType::Cache
    );
    for (set, what) in [
        (m.mode.is_some(), "mode"),
        (m.uid.is_some(), "uid"),
        (m.gid.is_some(), "gid"),
    ] {
        if set && !file_info {
            return Err(format!(
                "{what} not allowed for {:?} type mounts",
                type_name(m.kind)
            ));
        }
    }
    if ro_auto {
        m.readonly = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
    }
    if m.sharing.is_some() && m.kind != MountType::Cache {
        return Err(format!(
            "invalid cache sharing set for {} mount",
            type_name(m.kind)
        ));
    }
    if m.kind == MountType::Secret {
        if m.from.is_some() {
            return Err("secret mount should not have a from".into());
        }
        if m.source.is_none() && m.target.is_none() && m.id.is_none() {
            return Err("invalid secret mount. one of source, target required".into());
        }
        if m.source.is_some() && m.id.is_some() {
            return Err("both source and id can't be set".into());
        }
    }
    if !matches!(m.kind, MountType::Secret | MountType::Ssh)
        && m.target.as_deref().is_none_or(str::is_empty)
    {
        return Err(format!(
            "invalid mount: target is required for type={} mounts",
            type_name(m.kind)
        ));
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// docker's `units.RAMInBytes`: `N[.N][ ][kmgtp][i][b]`, binary multiples.
fn ram_in_bytes(v: &str) -> Option<u64> {
    let num_len = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(num_len);
    let num: f64 = num.parse().ok()?;
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return None,
    };
    let bytes = num * 1024f64.powi(power);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

/// One CSV record (Go's `encoding/csv`, comma-separated, `"` quoting with `""` escapes).
fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => {}
                Some(_) => return Err("extraneous or missing \" in quoted-field".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("bare \" in non-quoted-field".into()),
                    Some(c) => field.push(c),
                }
            }
        }
        fields.push(field);
    }
}

fn name_values(
    flags: &[String],
    args: &str,
    name: &str,
    escape: char,
) -> Result<Vec<(String, String)>, String> {
    Flags::parse(flags, &[])?;
    let words = parse_words(args, escape);
    if words.is_empty() {
        return Err(format!("{name} requires at least one argument"));
    }
    let pairs =
        if words[0].contains('=') {
            words
                .iter()
                .map(|w| {
                    w.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| {
                    format!("Syntax error - can't find = in {w:?}. Must be of the form: name=value")
                })
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            let Some(i) = args.find(is_ws) else {
                return Err(format!("{name} must have two arguments"));
            };
            vec![(
                args[..i].to_string(),
                args[i..].trim_start_matches(is_ws).to_string(),
            )]
        };
    if pairs.iter().any(|(k, _)| k.is_empty()) {
        return Err(format!("{name} names can not be blank"));
    }
    Ok(pairs)
}

fn parse_arg(
    flags: &[String],
    args: &str,
    escape: char,
) -> Result<Vec<(String, Option<String>)>, String> {
    let words = non_empty(parse_words(args, escape), "ARG")?;
    Flags::parse(flags, &[])?;
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some(("", _)) => Err("ARG names can not be blank".to_string()),
            Some((k, v)) => Ok((k.to_string(), Some(v.to_string()))),
            None => Ok((w, None)),
        })
        .collect()
}

fn parse_volume(flags: &[String], args: &str) -> Result<Vec<String>, String> {
    let (words, _) = maybe_json_list(args)?;
    let words = non_empty(words, "VOLUME")?;
    Flags::parse(flags, &[])?;
    words
        .into_iter()
        .map(|v| {
            let v = v.trim().to_string();
            if v.is_empty() {
                Err("VOLUME specified can not be an empty string".to_string())
            } else {
                Ok(v)
            }
        })
        .collect()
}

fn parse_copy(
    flags: &[String],
    args: &str,
    heredocs: Vec<Heredoc>,
    name: &str,
) -> Result<Copy, String> {
    let (mut words, json) = maybe_json_list(args)?;
    if words.len() < 2 {
        return Err(format!(
            "{name} requires at least two arguments, but only one was provided. Destination could not be determined."
        ));
    }
    let copy_flags = [
        ("chown", FlagKind::Str),
        ("chmod", FlagKind::Str),
        ("link", FlagKind::Bool),
        ("exclude", FlagKind::Strs),
        ("from", FlagKind::Str),
        ("parents", FlagKind::Bool),
    ];
    let add_flags = [
        ("chown", FlagKind::Str),
        ("chmod", FlagKind::Str),
        ("link", FlagKind::Bool),
        ("exclude", FlagKind::Strs),
        ("keep-git-dir", FlagKind::Bool),
        ("checksum", FlagKind::Str),
        ("unpack", FlagKind::Bool),
    ];
    let flags = Flags::parse(
        flags,
        if name == "ADD" {
            &add_flags
        } else {
            &copy_flags
        },
    )?;
    let dest = words.pop().unwrap_or_default();
    if lines::parse_heredoc(&dest)?.is_some() {
        return Err(format!("{name} cannot accept a heredoc as a destination"));
    }
    let mut sources = Vec::new();
    for w in words {
        sources.push(match lines::parse_heredoc(&w)? {
            Some(h) => {
                let body = heredocs
                    .iter()
                    .find(|d| d.name == h.name)
                    .map(|d| d.content.clone())
                    .unwrap_or_default();
                CopySource::Heredoc(Heredoc { content: body, ..h })
            }
            None => CopySource::Path(w),
        });
    }
    Ok(Copy {
        sources,
        dest,
        from: flags.string("from"),
        chown: flags.string("chown"),
        chmod: flags.string("chmod"),
        link: flags.bool("link").unwrap_or(false),
        parents: flags.bool("parents").unwrap_or(false),
        exclude: flags.strings("exclude"),
        keep_git_dir: flags.bool("keep-git-dir").unwrap_or(false),
        checksum: flags.string("checksum"),
        unpack: flags.bool("unpack"),
        json,
    })
}

fn parse_onbuild(
    flags: &[String],
    args: &str,
    heredocs: Vec<Heredoc>,
    line: usize,
    escape: char,
) -> Result<Instruction, String> {
    if args.is_empty() {
        return Err("ONBUILD requires at least one argument".into());
    }
    Flags::parse(flags, &[])?;
    let trigger = args
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match trigger.as_str() {
        "ONBUILD" => return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()),
        "MAINTAINER" | "FROM" => {
            return Err(format!("{trigger} isn't allowed as an ONBUILD trigger"));
        }
        _ => {}
    }
    match parse_line(args, heredocs, line, escape)? {
        Parsed::Instruction(i) => Ok(i),
        Parsed::From(_) => Err("FROM isn't allowed as an ONBUILD trigger".into()),
    }
}

fn parse_healthcheck(flags: &[String], args: &str) -> Result<Healthcheck, String> {
    let (typ, rest) = match args.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (&args[..i], args[i..].trim_start()),
        None => (args, ""),
    };
    if typ.is_empty() {
        return Err("HEALTHCHECK requires at least one argument".into());
    }
    let (cmd, json) = maybe_json(rest)?;
    let typ = typ.to_ascii_uppercase();
    if typ == "NONE" {
        if !cmd.is_empty() {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        return Ok(Healthcheck::None);
    }
    let allowed = [
        ("interval", FlagKind::Str),
        ("timeout", FlagKind::Str),
        ("start-period", FlagKind::Str),
        ("start-interval", FlagKind::Str),
        ("retries", FlagKind::Str),
    ];
    let flags = Flags::parse(flags, &allowed)?;
    if typ != "CMD" {
        return Err(format!("Unknown type {typ:?} in HEALTHCHECK (try CMD)"));
    }
    if cmd.is_empty() {
        return Err("Missing command after HEALTHCHECK CMD".into());
    }
    let mut test = vec![if json { "CMD" } else { "CMD-SHELL" }.to_string()];
    test.extend(cmd);
    let interval = |name: &str| {
        flags
            .string(name)
            .map_or(Ok(None), |v| opt_interval(name, &v))
    };
    let retries = match flags.string("retries") {
        None => None,
        Some(v) => {
            let n: i32 = v
                .parse()
                .map_err(|_| format!("strconv.ParseInt: parsing {v:?}: invalid syntax"))?;
            Some(u32::try_from(n).map_err(|_| format!("--retries cannot be negative ({n})"))?)
        }
    };
    Ok(Healthcheck::Check {
        test,
        interval: interval("interval")?,
        timeout: interval("timeout")?,
        start_period: interval("start-period")?,
        start_interval: interval("start-interval")?,
        retries,
    })
}

/// buildkit's `parseOptInterval`: empty or zero → `None`; below 1ms → error.
fn opt_interval(name: &str, value: &str) -> Result<Option<Duration>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let d = parse_go_duration(value)?;
    match d {
        None => Err(format!("Interval {name:?} cannot be less than 1ms")),
        Some(d) if d.is_zero() => Ok(None),
        Some(d) if d < Duration::from_millis(1) => {
            Err(format!("Interval {name:?} cannot be less than 1ms"))
        }
        Some(d) => Ok(Some(d)),
    }
}

/// Go's `time.ParseDuration`; `Ok(None)` for a negative duration.
pub(super) fn parse_go_duration(s: &str) -> Result<Option<Duration>, String> {
    let invalid = || format!("time: invalid duration {s:?}");
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Some(Duration::ZERO));
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_ns: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_len);
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            _ => return Err(format!("time: unknown unit {unit:?} in duration {s:?}")),
        };
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| invalid())?
        };
        let mut ns = int.checked_mul(scale).ok_or_else(invalid)?;
        let mut div = scale;
        for d in frac.bytes() {
            div /= 10;
            if div == 0 {
                break;
            }
            ns += u128::from(d - b'0') * div;
        }
        total_ns = total_ns
            .checked_add(ns)
            .filter(|&t| t <= i64::MAX as u128)
            .ok_or_else(invalid)?;
        rest = after;
    }
    if negative && total_ns > 0 {
        return Ok(None);
    }
    let secs = u64::try_from(total_ns / 1_000_000_000).map_err(|_| invalid())?;
    let nanos = u32::try_from(total_ns % 1_000_000_000).map_err(|_| invalid())?;
    Ok(Some(Duration::new(secs, nanos)))
}

fn parse_shell(flags: &[String], args: &str) -> Result<Vec<String>, String> {
    Flags::parse(flags, &[])?;
    match maybe_json(args)? {
        (v, _) if v.is_empty() => Err("SHELL requires at least one argument".into()),
        (v, true) => Ok(v),
        (_, false) => Err("SHELL requires the arguments to be in JSON form".into()),
    }
}
