use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn p(text: &str) -> Dockerfile {
    match parse(text) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn err(text: &str) -> ParseError {
    match parse(text) {
        Ok(d) => panic!("expected an error, got {d:?}"),
        Err(e) => e,
    }
}

/// The kinds of the first stage's instructions.
fn kinds(text: &str) -> Vec<Kind> {
    p(text)
        .stages
        .remove(0)
        .instructions
        .into_iter()
        .map(|i| i.kind)
        .collect()
}

fn one(text: &str) -> Kind {
    let mut k = kinds(&format!("FROM scratch\n{text}"));
    assert_eq!(k.len(), 1, "{k:?}");
    k.remove(0)
}

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ex(word: &str, env: &[(&str, &str)]) -> Result<String, String> {
    let m = vars(env);
    expand(word, '\\', &|k| m.get(k).cloned())
}

fn exw(word: &str, env: &[(&str, &str)]) -> Vec<String> {
    let m = vars(env);
    expand_words(word, '\\', &|k| m.get(k).cloned()).unwrap_or_else(|e| panic!("{e}"))
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

// ---- lines, comments, directives ----

#[test]
fn minimal_file_has_one_stage() {
    let d = p("FROM alpine\nRUN true\n");
    assert_eq!(d.stages.len(), 1);
    assert_eq!(d.escape, '\\');
    assert_eq!(d.stages[0].from.image, "alpine");
    assert_eq!(d.stages[0].instructions[0].line, 2);
}

#[test]
fn keywords_are_case_insensitive() {
    let d = p("from alpine As Build\nrun echo\nCmd [\"x\"]");
    assert_eq!(d.stages[0].name.as_deref(), Some("build"));
    assert_eq!(d.stages[0].instructions.len(), 2);
}

#[test]
fn comments_blank_lines_and_line_numbers() {
    let d = p("# a comment\n\nFROM a\n   # indented comment\n\nRUN x\n");
    assert_eq!(d.stages[0].line, 3);
    assert_eq!(d.stages[0].instructions[0].line, 6);
    assert!(d.directives.is_empty());
}

#[test]
fn continuation_joins_lines_and_keeps_spaces() {
    let k = one("RUN echo \\\n  hi   there");
    assert_eq!(
        k,
        Kind::Run(Run {
            mounts: vec![],
            network: None,
            security: None,
            command: CommandLine::Shell("echo   hi   there".into()),
            heredocs: vec![]
        })
    );
}

#[test]
fn continuation_skips_comment_and_empty_lines() {
    // From docker's test data: comments and empty lines inside a continuation are dropped.
    let d = p(
        "FROM a\nRUN apt-get update \\\n# a comment\n\n    && apt-get install \\\n  # another\n  curl\nUSER x",
    );
    let run = &d.stages[0].instructions[0];
    assert_eq!(
        run.original,
        "RUN apt-get update     && apt-get install   curl"
    );
    assert_eq!(run.line, 2);
    assert_eq!(d.stages[0].instructions[1].line, 8);
}

#[test]
fn escaped_escape_at_end_is_not_a_continuation() {
    let d = p("FROM a\nRUN echo foo\\\\\nUSER x");
    assert_eq!(d.stages[0].instructions[0].original, "RUN echo foo\\\\");
    assert_eq!(d.stages[0].instructions.len(), 2);
}

#[test]
fn trailing_whitespace_after_escape_still_continues() {
    let d = p("FROM a\nRUN echo a \\  \t\n b");
    assert_eq!(d.stages[0].instructions[0].original, "RUN echo a  b");
}

#[test]
fn continuation_at_end_of_file() {
    let d = p("FROM a\nRUN echo \\");
    assert_eq!(d.stages[0].instructions[0].original, "RUN echo");
}

#[test]
fn escape_directive_backtick() {
    let d = p("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo \\done\nCOPY a\\b c:\\x\\");
    assert_eq!(d.escape, '`');
    assert_eq!(d.directives, vec![("escape".into(), "`".into())]);
    assert_eq!(
        d.stages[0].instructions[0].original,
        "RUN dir c:\\   && echo \\done"
    );
    let Kind::Copy(c) = &d.stages[0].instructions[1].kind else {
        panic!()
    };
    assert_eq!(c.dest, "c:\\x\\");
}

#[test]
fn directives_syntax_and_check_and_case() {
    let d = p("# syntax=docker/dockerfile:1\n#ESCAPE = \\\n# check=skip=all\nFROM a");
    assert_eq!(
        d.directives,
        vec![
            ("syntax".into(), "docker/dockerfile:1".into()),
            ("escape".into(), "\\".into()),
            ("check".into(), "skip=all".into())
        ]
    );
}

#[test]
fn directive_after_comment_or_blank_is_a_comment() {
    let d = p("# hello\n# escape=`\nFROM a\nRUN a \\\n b");
    assert_eq!(d.escape, '\\');
    assert!(d.directives.is_empty());
    let d = p("\n# escape=`\nFROM a");
    assert_eq!(d.escape, '\\');
    let d = p("# unknown=1\n# escape=`\nFROM a");
    assert_eq!(d.escape, '\\');
}

#[test]
fn directive_errors() {
    let e = err("# escape=x\nFROM a");
    assert_eq!(
        (e.line, e.message.as_str()),
        (1, "invalid escape token 'x' does not match ` or \\")
    );
    let e = err("# escape=`\n# escape=\\\nFROM a");
    assert_eq!(
        (e.line, e.message.as_str()),
        (2, "only one escape parser directive can be used")
    );
}

#[test]
fn byte_order_mark_and_crlf() {
    let d = p("\u{feff}FROM a\r\nRUN echo hi \\\r\n there\r\n");
    assert_eq!(d.stages[0].from.image, "a");
    assert_eq!(d.stages[0].instructions[0].original, "RUN echo hi  there");
}

#[test]
fn empty_file_and_only_args() {
    assert_eq!(
        err("# just a comment\n\n").message,
        "file with no instructions"
    );
    assert_eq!(
        err("ARG A=1\n").message,
        "dockerfile contains no stages to build"
    );
}

#[test]
fn unknown_instruction_reports_line() {
    let e = err("FROM a\n\nFOO bar\n");
    assert_eq!(
        (e.line, e.message.as_str()),
        (3, "unknown instruction: FOO")
    );
    assert_eq!(err("FROM a\nrunn x").message, "unknown instruction: RUNN");
}

#[test]
fn instruction_before_from() {
    let e = err("ARG A\nRUN x\nFROM a");
    assert_eq!(
        (e.line, e.message.as_str()),
        (2, "no build stage in current context")
    );
}

#[test]
fn global_args_before_first_from() {
    let d = p("ARG BASE=alpine:3\nARG X Y=\"a b\"\nFROM $BASE\nARG X");
    assert_eq!(
        d.global_args,
        vec![
            ("BASE".into(), Some("alpine:3".into())),
            ("X".into(), None),
            ("Y".into(), Some("\"a b\"".into()))
        ]
    );
    assert_eq!(
        d.stages[0].instructions[0].kind,
        Kind::Arg(vec![("X".into(), None)])
    );
}

// ---- FROM ----

#[test]
fn from_platform_and_name() {
    let d = p("FROM --platform=$BUILDPLATFORM golang:1.22 AS Builder-1.x\nFROM scratch");
    let f = &d.stages[0].from;
    assert_eq!(f.platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(f.image, "golang:1.22");
    assert_eq!(f.name.as_deref(), Some("builder-1.x"));
    assert_eq!(d.stages[1].index, 1);
    assert_eq!(d.stages[1].name, None);
}

#[test]
fn from_errors() {
    assert_eq!(
        err("FROM a b").message,
        "FROM requires either one or three arguments"
    );
    assert_eq!(
        err("FROM").message,
        "FROM requires either one or three arguments"
    );
    assert_eq!(
        err("FROM a AS 1x").message,
        "invalid name for build stage: \"1x\", name can't start with a number or contain symbols"
    );
    assert_eq!(
        err("FROM --platform a").message,
        "Missing a value on flag: platform"
    );
    assert_eq!(err("FROM --plat=x a").message, "Unknown flag: plat");
}

#[test]
fn from_expanded() {
    let f = From {
        image: "${REPO:-docker.io}/alpine:$TAG".into(),
        platform: Some("$P".into()),
        name: None,
    };
    let m = vars(&[("TAG", "3.19"), ("P", "linux/amd64")]);
    let e = f
        .expanded('\\', &|k| m.get(k).cloned())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.image, "docker.io/alpine:3.19");
    assert_eq!(e.platform.as_deref(), Some("linux/amd64"));
}

// ---- RUN / CMD / ENTRYPOINT / SHELL ----

#[test]
fn run_exec_and_shell_form() {
    let Kind::Run(r) = one("RUN [\"echo\", \"a b\"]") else {
        panic!()
    };
    assert_eq!(r.command, CommandLine::Exec(s(&["echo", "a b"])));
    let Kind::Run(r) = one("RUN echo \"$HOME\"") else {
        panic!()
    };
    assert_eq!(r.command, CommandLine::Shell("echo \"$HOME\"".into()));
}

#[test]
fn cmd_with_single_quotes_is_shell_form() {
    assert_eq!(
        one("CMD [\"a\", 'b']"),
        Kind::Cmd(CommandLine::Shell("[\"a\", 'b']".into()))
    );
    assert_eq!(
        one("CMD [\"a\", \"b\"]"),
        Kind::Cmd(CommandLine::Exec(s(&["a", "b"])))
    );
    assert_eq!(
        one("CMD [\"a\"] trailing"),
        Kind::Cmd(CommandLine::Shell("[\"a\"] trailing".into()))
    );
    assert_eq!(one("CMD []"), Kind::Cmd(CommandLine::Exec(vec![])));
}

#[test]
fn json_array_with_non_strings_is_an_error() {
    assert_eq!(
        err("FROM a\nCMD [\"a\", 1]").message,
        "when using JSON array syntax, arrays must be comprised of strings only"
    );
}

#[test]
fn entrypoint_forms() {
    assert_eq!(
        one("ENTRYPOINT [\"/bin/app\",\"-v\"]"),
        Kind::Entrypoint(CommandLine::Exec(s(&["/bin/app", "-v"])))
    );
    assert_eq!(
        one("ENTRYPOINT exec app"),
        Kind::Entrypoint(CommandLine::Shell("exec app".into()))
    );
    assert_eq!(
        one("ENTRYPOINT"),
        Kind::Entrypoint(CommandLine::Exec(vec![]))
    );
}

#[test]
fn run_requires_a_command_and_rejects_unknown_flags() {
    assert_eq!(
        err("FROM a\nRUN").message,
        "RUN requires at least one argument"
    );
    assert_eq!(err("FROM a\nRUN --foo=1 true").message, "Unknown flag: foo");
    assert_eq!(
        err("FROM a\nRUN --network=bridge true").message,
        "unsupported network mode \"bridge\""
    );
    assert_eq!(
        err("FROM a\nRUN --network=none --network=host true").message,
        "Duplicate flag specified: network"
    );
}

#[test]
fn run_network_and_security() {
    let Kind::Run(r) = one("RUN --network=none --security=insecure -- --not-a-flag") else {
        panic!()
    };
    assert_eq!(r.network, Some(Network::None));
    assert_eq!(r.security, Some(Security::Insecure));
    assert_eq!(r.command, CommandLine::Shell("--not-a-flag".into()));
}

#[test]
fn run_mount_cache() {
    let Kind::Run(r) = one(
        "RUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0755,uid=1000,gid=2000 pip install x",
    ) else {
        panic!()
    };
    let m = &r.mounts[0];
    assert_eq!(m.kind, MountType::Cache);
    assert_eq!(m.target.as_deref(), Some("/root/.cache"));
    assert_eq!(m.id.as_deref(), Some("pip"));
    assert_eq!(m.sharing, Some(Sharing::Locked));
    assert_eq!(
        (m.mode, m.uid, m.gid),
        (Some(0o755), Some(1000), Some(2000))
    );
    assert!(!m.readonly);
}

#[test]
fn run_mount_bind_defaults_and_several() {
    let Kind::Run(r) = one(
        "RUN --mount=target=/src,from=builder,source=/out --mount=type=tmpfs,dst=/tmp,size=64m --mount=type=bind,target=/w,rw make",
    ) else {
        panic!()
    };
    assert_eq!(r.mounts.len(), 3);
    assert_eq!(r.mounts[0].kind, MountType::Bind);
    assert!(r.mounts[0].readonly);
    assert_eq!(r.mounts[0].from.as_deref(), Some("builder"));
    assert_eq!(r.mounts[0].source.as_deref(), Some("/out"));
    assert_eq!(r.mounts[1].kind, MountType::Tmpfs);
    assert_eq!(r.mounts[1].size, Some(64 << 20));
    assert!(!r.mounts[1].readonly);
    assert!(!r.mounts[2].readonly);
}

#[test]
fn run_mount_errors() {
    let e = |m: &str| err(&format!("FROM a\nRUN --mount={m} true")).message;
    assert_eq!(e("type=nfs,target=/x"), "unsupported mount type \"nfs\"");
    assert_eq!(
        e("type=bind,target=/x,mode=0700"),
        "mode not allowed for \"bind\" type mounts"
    );
    assert_eq!(
        e("type=bind,target=/x,sharing=locked"),
        "invalid cache sharing set for bind mount"
    );
    assert_eq!(
        e("type=cache,target=/x,sharing=maybe"),
        "unsupported sharing value \"maybe\""
    );
    assert_eq!(
        e("type=cache,target=/x,bogus=1"),
        "unexpected key 'bogus' in 'bogus=1'"
    );
    assert_eq!(
        e("type=cache,target=/x,uid=abc"),
        "invalid value abc for uid"
    );
    assert_eq!(
        e("type=cache,target=/x,ro=maybe"),
        "invalid value for ro: maybe"
    );
    assert_eq!(
        e("type=cache,nonsense"),
        "invalid field 'nonsense' must be a key=value pair"
    );
    assert_eq!(
        e("target=/x,from=$STAGE"),
        "'from' doesn't support variable expansion, define alias stage instead"
    );
    assert_eq!(
        e("type=cache"),
        "invalid mount: target is required for type=cache mounts"
    );
    assert_eq!(
        e("type=bind,target=/x,required"),
        "unexpected key 'required' for mount type 'bind'"
    );
}

#[test]
fn run_mount_values_expand_later() {
    let d = p("FROM a\nARG UID=1\nRUN --mount=type=cache,target=$DIR,uid=$UID true");
    let run = &d.stages[0].instructions[1];
    let Kind::Run(r) = &run.kind else { panic!() };
    assert_eq!(r.mounts[0].target.as_deref(), Some("$DIR"));
    assert_eq!(r.mounts[0].uid, None);
    let m = vars(&[("DIR", "/cache"), ("UID", "42")]);
    let e = run
        .expanded('\\', &|k| m.get(k).cloned())
        .unwrap_or_else(|e| panic!("{e}"));
    let Kind::Run(r) = e.kind else { panic!() };
    assert_eq!(r.mounts[0].target.as_deref(), Some("/cache"));
    assert_eq!(r.mounts[0].uid, Some(42));
    let bad = vars(&[("DIR", "/c"), ("UID", "x")]);
    assert_eq!(
        run.expanded('\\', &|k| bad.get(k).cloned())
            .err()
            .as_deref(),
        Some("invalid value x for uid")
    );
}

#[test]
fn run_mount_csv_quoting() {
    // The flag word loses one level of quotes (as buildkit's extractBuilderFlags does), so CSV
    // quoting needs a second level.
    let Kind::Run(r) = one("RUN --mount=type=bind,'\"target=/a,b\"' true") else {
        panic!()
    };
    assert_eq!(r.mounts[0].target.as_deref(), Some("/a,b"));
    assert_eq!(
        err("FROM a\nRUN --mount=type=bind,\"target=/a,b\" true").message,
        "invalid field 'b' must be a key=value pair"
    );
}

#[test]
fn shell_json_only() {
    assert_eq!(
        one("SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]"),
        Kind::Shell(s(&["/bin/bash", "-eo", "pipefail", "-c"]))
    );
    assert_eq!(
        err("FROM a\nSHELL /bin/bash -c").message,
        "SHELL requires the arguments to be in JSON form"
    );
    assert_eq!(
        err("FROM a\nSHELL []").message,
        "SHELL requires at least one argument"
    );
}

// ---- heredocs ----

#[test]
fn heredoc_run_script() {
    let d = p("FROM a\nRUN <<EOF\necho hello\necho $HOME\nEOF\nUSER x\n");
    let i = &d.stages[0].instructions;
    let Kind::Run(r) = &i[0].kind else { panic!() };
    assert_eq!(
        r.heredocs,
        vec![Heredoc {
            name: "EOF".into(),
            content: "echo hello\necho $HOME\n".into(),
            expand: true,
            chomp: false,
            fd: None
        }]
    );
    assert_eq!(
        r.script(),
        RunScript::Shell("echo hello\necho $HOME\n".into())
    );
    assert_eq!(i[1].line, 6);
}

#[test]
fn heredoc_chomp_strips_leading_tabs() {
    let Kind::Run(r) = one("RUN <<-EOT\n\t\techo a\n\techo b\n\tEOT") else {
        panic!()
    };
    assert_eq!(r.heredocs[0].content, "echo a\necho b\n");
    assert!(r.heredocs[0].chomp);
}

#[test]
fn heredoc_quoted_delimiter_disables_expansion() {
    let Kind::Run(r) = one("RUN <<\"EOF\" cat\n$X\nEOF") else {
        panic!()
    };
    assert_eq!(
        (r.heredocs[0].name.as_str(), r.heredocs[0].expand),
        ("EOF", false)
    );
    let Kind::Run(r) = one("RUN <<'E1' cat\n$X\nE1") else {
        panic!()
    };
    assert!(!r.heredocs[0].expand);
}

#[test]
fn several_heredocs_on_one_line() {
    let Kind::Run(r) = one("RUN 3<<A cat /dev/fd/3 && cat <<B\na\nA\nb\nB") else {
        panic!()
    };
    assert_eq!(r.heredocs.len(), 2);
    assert_eq!(
        (r.heredocs[0].fd, r.heredocs[0].content.as_str()),
        (Some(3), "a\n")
    );
    assert_eq!(r.heredocs[1].content, "b\n");
    assert_eq!(
        r.script(),
        RunScript::Shell("3<<A cat /dev/fd/3 && cat <<B\na\nA\nb\nB".into())
    );
}

#[test]
fn heredoc_with_shebang_becomes_a_file() {
    let Kind::Run(r) = one("RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF") else {
        panic!()
    };
    assert_eq!(
        r.script(),
        RunScript::File {
            name: "EOF".into(),
            content: "#!/usr/bin/env python3\nprint(1)\n".into()
        }
    );
}

#[test]
fn heredoc_copy_sources() {
    let Kind::Copy(c) =
        one("COPY <<one.txt <<\"two.txt\" /dest/\nhello $X\none.txt\nworld\ntwo.txt")
    else {
        panic!()
    };
    assert_eq!(c.dest, "/dest/");
    let [CopySource::Heredoc(a), CopySource::Heredoc(b)] = c.sources.as_slice() else {
        panic!("{c:?}")
    };
    assert_eq!(
        (a.name.as_str(), a.content.as_str(), a.expand),
        ("one.txt", "hello $X\n", true)
    );
    assert_eq!((b.name.as_str(), b.expand), ("two.txt", false));
    let ins = Instruction {
        line: 2,
        original: String::new(),
        kind: Kind::Copy(c),
    };
    let m = vars(&[("X", "\"world\"")]);
    let Kind::Copy(e) = ins
        .expanded('\\', &|k| m.get(k).cloned())
        .unwrap_or_else(|e| panic!("{e}"))
        .kind
    else {
        panic!()
    };
    let CopySource::Heredoc(a) = &e.sources[0] else {
        panic!()
    };
    assert_eq!(a.content, "hello \"world\"\n");
}

#[test]
fn heredoc_errors() {
    assert_eq!(
        err("FROM a\nRUN <<EOF\necho").message,
        "unterminated heredoc"
    );
    assert_eq!(
        err("FROM a\nCOPY a <<EOF\nx\nEOF").message,
        "COPY cannot accept a heredoc as a destination"
    );
}

#[test]
fn heredoc_not_read_for_json_or_other_instructions() {
    let d = p("FROM a\nRUN [\"echo\", \"<<EOF\"]\nUSER x");
    assert_eq!(d.stages[0].instructions.len(), 2);
    let d = p("FROM a\nLABEL a=<<EOF\nUSER x");
    assert_eq!(d.stages[0].instructions.len(), 2);
}

#[test]
fn heredoc_under_onbuild() {
    let d = p("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nUSER x");
    let i = &d.stages[0].instructions;
    assert_eq!(i.len(), 2);
    assert_eq!(
        i[0].onbuild_trigger().as_deref(),
        Some("RUN <<EOF\necho hi\nEOF")
    );
}

// ---- LABEL / ENV / ARG / MAINTAINER ----

#[test]
fn env_new_syntax_with_quotes() {
    assert_eq!(
        one("ENV a=1 b=\"x y\" c=it\\'s"),
        Kind::Env(vec![
            ("a".into(), "1".into()),
            ("b".into(), "\"x y\"".into()),
            ("c".into(), "it\\'s".into())
        ])
    );
}

#[test]
fn env_old_syntax_takes_rest_of_line() {
    assert_eq!(
        one("ENV PATH  /usr/bin:$PATH  and more"),
        Kind::Env(vec![("PATH".into(), "/usr/bin:$PATH  and more".into())])
    );
}

#[test]
fn env_errors() {
    assert_eq!(
        err("FROM a\nENV").message,
        "ENV requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nENV onlykey").message,
        "ENV must have two arguments"
    );
    assert_eq!(
        err("FROM a\nENV a=1 b").message,
        "Syntax error - can't find = in \"b\". Must be of the form: name=value"
    );
    assert_eq!(err("FROM a\nENV =1").message, "ENV names can not be blank");
}

#[test]
fn env_expansion_uses_values_before_the_instruction() {
    let d = p("FROM a\nENV A=new B=$A C=\"${A}x y\" D='$A'");
    let m = vars(&[("A", "old")]);
    let e = d.stages[0].instructions[0]
        .expanded('\\', &|k| m.get(k).cloned())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        e.kind,
        Kind::Env(vec![
            ("A".into(), "new".into()),
            ("B".into(), "old".into()),
            ("C".into(), "oldx y".into()),
            ("D".into(), "$A".into())
        ])
    );
}

#[test]
fn label_pairs_and_old_syntax() {
    assert_eq!(
        one("LABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0"),
        Kind::Label(vec![
            ("\"com.example.vendor\"".into(), "\"ACME Inc\"".into()),
            ("version".into(), "1.0".into())
        ])
    );
    assert_eq!(
        one("LABEL description This text"),
        Kind::Label(vec![("description".into(), "This text".into())])
    );
    let i = Instruction {
        line: 1,
        original: String::new(),
        kind: one("LABEL \"a b\"=\"c d\""),
    };
    assert_eq!(
        i.expanded('\\', &|_| None).map(|i| i.kind),
        Ok(Kind::Label(vec![("a b".into(), "c d".into())]))
    );
}

#[test]
fn arg_several_per_line() {
    assert_eq!(
        one("ARG A B=2 C=\"x y\""),
        Kind::Arg(vec![
            ("A".into(), None),
            ("B".into(), Some("2".into())),
            ("C".into(), Some("\"x y\"".into()))
        ])
    );
    assert_eq!(
        err("FROM a\nARG").message,
        "ARG requires at least one argument"
    );
    assert_eq!(err("FROM a\nARG =x").message, "ARG names can not be blank");
}

#[test]
fn maintainer_user_workdir_stopsignal_take_one_string() {
    assert_eq!(
        one("MAINTAINER Jane Doe <j@d>"),
        Kind::Maintainer("Jane Doe <j@d>".into())
    );
    assert_eq!(one("USER app:app"), Kind::User("app:app".into()));
    assert_eq!(one("WORKDIR /a b"), Kind::Workdir("/a b".into()));
    assert_eq!(
        one("STOPSIGNAL SIGKILL"),
        Kind::StopSignal("SIGKILL".into())
    );
    assert_eq!(
        err("FROM a\nUSER").message,
        "USER requires exactly one argument"
    );
    assert_eq!(
        err("FROM a\nWORKDIR").message,
        "WORKDIR requires exactly one argument"
    );
}

// ---- EXPOSE / VOLUME ----

#[test]
fn expose_words_and_expansion() {
    let d = p("FROM a\nEXPOSE 80/tcp $PORTS");
    let i = &d.stages[0].instructions[0];
    assert_eq!(i.kind, Kind::Expose(s(&["80/tcp", "$PORTS"])));
    let m = vars(&[("PORTS", "443 8080/udp")]);
    assert_eq!(
        i.expanded('\\', &|k| m.get(k).cloned()).map(|i| i.kind),
        Ok(Kind::Expose(s(&["80/tcp", "443", "8080/udp"])))
    );
    assert_eq!(
        err("FROM a\nEXPOSE").message,
        "EXPOSE requires at least one argument"
    );
}

#[test]
fn volume_json_and_words() {
    assert_eq!(
        one("VOLUME [\"/a b\", \"/c\"]"),
        Kind::Volume(s(&["/a b", "/c"]))
    );
    assert_eq!(one("VOLUME /a   /b"), Kind::Volume(s(&["/a", "/b"])));
    assert_eq!(
        err("FROM a\nVOLUME [\"\"]").message,
        "VOLUME specified can not be an empty string"
    );
    assert_eq!(
        err("FROM a\nVOLUME").message,
        "VOLUME requires at least one argument"
    );
}

// ---- COPY / ADD ----

#[test]
fn copy_flags_sources_dest() {
    let Kind::Copy(c) = one(
        "COPY --from=build --chown=1:1 --chmod=0644 --link --exclude=*.md --exclude=x a b* /dst/",
    ) else {
        panic!()
    };
    assert_eq!(c.from.as_deref(), Some("build"));
    assert_eq!(c.chown.as_deref(), Some("1:1"));
    assert_eq!(c.chmod.as_deref(), Some("0644"));
    assert!(c.link);
    assert_eq!(c.exclude, s(&["*.md", "x"]));
    assert_eq!(
        c.sources,
        vec![CopySource::Path("a".into()), CopySource::Path("b*".into())]
    );
    assert_eq!(c.dest, "/dst/");
    assert!(!c.json);
}

#[test]
fn copy_json_form() {
    let Kind::Copy(c) = one("COPY [\"a b\", \"/dst dir/\"]") else {
        panic!()
    };
    assert_eq!(c.sources, vec![CopySource::Path("a b".into())]);
    assert_eq!(c.dest, "/dst dir/");
    assert!(c.json);
}

#[test]
fn copy_and_add_errors() {
    assert_eq!(
        err("FROM a\nCOPY a").message,
        "COPY requires at least two arguments, but only one was provided. Destination could not be determined."
    );
    assert_eq!(
        err("FROM a\nCOPY --checksum=sha256:x a b").message,
        "Unknown flag: checksum"
    );
    assert_eq!(
        err("FROM a\nADD --from=x a b").message,
        "Unknown flag: from"
    );
    assert_eq!(
        err("FROM a\nCOPY --link=maybe a b").message,
        "Expecting boolean value for flag link, not: maybe"
    );
    assert_eq!(
        err("FROM a\nCOPY --chown a b").message,
        "Missing a value on flag: chown"
    );
    assert_eq!(
        err("FROM a\nCOPY --link= a b").message,
        "Missing a value on flag: link"
    );
}

#[test]
fn add_flags() {
    let Kind::Add(c) =
        one("ADD --checksum=sha256:abc --keep-git-dir --unpack=false --chown=u https://x/y.tgz /")
    else {
        panic!()
    };
    assert_eq!(c.checksum.as_deref(), Some("sha256:abc"));
    assert!(c.keep_git_dir);
    assert_eq!(c.unpack, Some(false));
    assert_eq!(c.chown.as_deref(), Some("u"));
    assert_eq!(c.sources, vec![CopySource::Path("https://x/y.tgz".into())]);
}

#[test]
fn copy_expansion() {
    let d = p("FROM a\nCOPY --from=$S --chown=${U}:${G:-0} \"$SRC\" /opt/$NAME");
    let m = vars(&[("S", "base"), ("U", "app"), ("SRC", "a b"), ("NAME", "x")]);
    let Kind::Copy(c) = d.stages[0].instructions[0]
        .expanded('\\', &|k| m.get(k).cloned())
        .unwrap_or_else(|e| panic!("{e}"))
        .kind
    else {
        panic!()
    };
    assert_eq!(c.from.as_deref(), Some("base"));
    assert_eq!(c.chown.as_deref(), Some("app:0"));
    assert_eq!(c.sources, vec![CopySource::Path("a b".into())]);
    assert_eq!(c.dest, "/opt/x");
}

#[test]
fn flags_with_quotes() {
    let Kind::Copy(c) = one("COPY --chown=\"a b\" x y") else {
        panic!()
    };
    assert_eq!(c.chown.as_deref(), Some("a b"));
}

// ---- ONBUILD / HEALTHCHECK ----

#[test]
fn onbuild_wraps_an_instruction() {
    let d = p("FROM a\nONBUILD COPY --chown=1 . /app");
    let i = &d.stages[0].instructions[0];
    let Kind::Onbuild(inner) = &i.kind else {
        panic!()
    };
    assert!(matches!(inner.kind, Kind::Copy(_)));
    assert_eq!(
        i.onbuild_trigger().as_deref(),
        Some("COPY --chown=1 . /app")
    );
}

#[test]
fn onbuild_refusals() {
    assert_eq!(
        err("FROM a\nONBUILD ONBUILD RUN x").message,
        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    );
    assert_eq!(
        err("FROM a\nONBUILD from b").message,
        "FROM isn't allowed as an ONBUILD trigger"
    );
    assert_eq!(
        err("FROM a\nONBUILD MAINTAINER me").message,
        "MAINTAINER isn't allowed as an ONBUILD trigger"
    );
    assert_eq!(
        err("FROM a\nONBUILD").message,
        "ONBUILD requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nONBUILD BOGUS x").message,
        "unknown instruction: BOGUS"
    );
}

#[test]
fn healthcheck_cmd_with_options() {
    let k = one(
        "HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=1.5s --start-interval=2s --retries=3 CMD curl -f http://x/ || exit 1",
    );
    assert_eq!(
        k,
        Kind::Healthcheck(Healthcheck::Check {
            test: s(&["CMD-SHELL", "curl -f http://x/ || exit 1"]),
            interval: Some(Duration::from_secs(90)),
            timeout: Some(Duration::from_millis(500)),
            start_period: Some(Duration::from_millis(1500)),
            start_interval: Some(Duration::from_secs(2)),
            retries: Some(3),
        })
    );
    let Kind::Healthcheck(Healthcheck::Check { test, interval, .. }) =
        one("HEALTHCHECK --interval=0s CMD [\"/bin/check\", \"-q\"]")
    else {
        panic!()
    };
    assert_eq!(test, s(&["CMD", "/bin/check", "-q"]));
    assert_eq!(interval, None);
}

#[test]
fn healthcheck_none_and_errors() {
    assert_eq!(
        one("HEALTHCHECK none"),
        Kind::Healthcheck(Healthcheck::None)
    );
    let e = |t: &str| err(&format!("FROM a\n{t}")).message;
    assert_eq!(
        e("HEALTHCHECK NONE x"),
        "HEALTHCHECK NONE takes no arguments"
    );
    assert_eq!(
        e("HEALTHCHECK"),
        "HEALTHCHECK requires at least one argument"
    );
    assert_eq!(
        e("HEALTHCHECK CMD"),
        "Missing command after HEALTHCHECK CMD"
    );
    assert_eq!(
        e("HEALTHCHECK RUN x"),
        "Unknown type \"RUN\" in HEALTHCHECK (try CMD)"
    );
    assert_eq!(
        e("HEALTHCHECK --interval=10 CMD x"),
        "time: missing unit in duration \"10\""
    );
    assert_eq!(
        e("HEALTHCHECK --timeout=1us CMD x"),
        "Interval \"timeout\" cannot be less than 1ms"
    );
    assert_eq!(
        e("HEALTHCHECK --retries=-1 CMD x"),
        "--retries cannot be negative (-1)"
    );
    assert_eq!(e("HEALTHCHECK --retry=1 CMD x"), "Unknown flag: retry");
}

#[test]
fn go_durations() {
    use super::instr::parse_go_duration as d;
    assert_eq!(d("1h2m3s"), Ok(Some(Duration::from_secs(3723))));
    assert_eq!(d("1.5h"), Ok(Some(Duration::from_secs(5400))));
    assert_eq!(d(".5s"), Ok(Some(Duration::from_millis(500))));
    assert_eq!(d("10µs"), Ok(Some(Duration::from_micros(10))));
    assert_eq!(d("0"), Ok(Some(Duration::ZERO)));
    assert_eq!(d("-1s"), Ok(None));
    assert!(d("1x").is_err());
    assert!(d("").is_err());
    assert!(d("s").is_err());
}

// ---- expansion ----

#[test]
fn expand_simple_and_braced() {
    let env = [("A", "a"), ("B", "b c")];
    assert_eq!(ex("$A-${B}/$", &env), Ok("a-b c/$".into()));
    assert_eq!(ex("$UNSET.x", &env), Ok(".x".into()));
    assert_eq!(ex("${A}_$A_", &env), Ok("a_".into()));
}

#[test]
fn expand_modifiers() {
    let env = [("SET", "v"), ("EMPTY", "")];
    assert_eq!(
        ex("${SET:-d} ${EMPTY:-d} ${NONE:-d}", &env),
        Ok("v d d".into())
    );
    assert_eq!(ex("${SET-d} ${EMPTY-d} ${NONE-d}", &env), Ok("v  d".into()));
    assert_eq!(
        ex("${SET:+a} ${EMPTY:+a} ${NONE:+a}", &env),
        Ok("a  ".into())
    );
    assert_eq!(ex("${SET+a} ${EMPTY+a} ${NONE+a}", &env), Ok("a a ".into()));
    assert_eq!(ex("${SET:?x} ${EMPTY?x}", &env), Ok("v ".into()));
}

#[test]
fn expand_required_errors() {
    let env = [("EMPTY", "")];
    assert_eq!(
        ex("${NONE?must be set}", &env),
        Err("failed to process \"${NONE?must be set}\": NONE: must be set".into())
    );
    assert_eq!(
        ex("${NONE:?}", &env),
        Err("failed to process \"${NONE:?}\": NONE: is not allowed to be unset".into())
    );
    assert_eq!(
        ex("${EMPTY:?}", &env),
        Err("failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty".into())
    );
}

#[test]
fn expand_nested_default() {
    assert_eq!(ex("${a:-${b}}", &[("b", "B")]), Ok("B".into()));
    assert_eq!(ex("${a:-${b:-x y}}", &[]), Ok("x y".into()));
    assert_eq!(
        ex("${a:+[${b}]}", &[("a", "1"), ("b", "2")]),
        Ok("[2]".into())
    );
}

#[test]
fn expand_quotes_and_escapes() {
    let env = [("A", "a")];
    assert_eq!(ex("'$A' \"$A\" \\$A", &env), Ok("$A a $A".into()));
    assert_eq!(
        ex("\"say \\\"hi\\\" \\n\"", &env),
        Ok("say \"hi\" \\n".into())
    );
    assert_eq!(ex("it\\'s", &env), Ok("it's".into()));
    assert_eq!(ex("trailing\\", &env), Ok("trailing".into()));
}

#[test]
fn expand_with_backtick_escape() {
    let m = vars(&[("A", "a")]);
    assert_eq!(
        expand("`$A c:\\dir", '`', &|k| m.get(k).cloned()),
        Ok("$A c:\\dir".into())
    );
}

#[test]
fn expand_syntax_errors() {
    assert!(
        ex("${A", &[])
            .unwrap_err()
            .ends_with("syntax error: missing '}'")
    );
    assert!(
        ex("${}", &[])
            .unwrap_err()
            .ends_with("syntax error: bad substitution")
    );
    assert!(
        ex("${:a}", &[])
            .unwrap_err()
            .ends_with("syntax error: bad substitution")
    );
    assert!(
        ex("'open", &[])
            .unwrap_err()
            .ends_with("unexpected end of statement while looking for matching single-quote")
    );
    assert!(
        ex("\"open", &[])
            .unwrap_err()
            .ends_with("unexpected end of statement while looking for matching double-quote")
    );
    assert!(
        ex("${A!x}", &[])
            .unwrap_err()
            .ends_with("unsupported modifier (!) in substitution")
    );
    assert!(
        ex("${A:#x}", &[])
            .unwrap_err()
            .ends_with("unsupported modifier (:#) in substitution")
    );
}

#[test]
fn expand_pattern_modifiers() {
    let env = [("F", "dir/file.tar.gz")];
    assert_eq!(ex("${F#*/}", &env), Ok("file.tar.gz".into()));
    assert_eq!(ex("${F%.*}", &env), Ok("dir/file.tar".into()));
    assert_eq!(ex("${F%%.*}", &env), Ok("dir/file".into()));
    assert_eq!(ex("${F##*.}", &env), Ok("gz".into()));
    assert_eq!(ex("${F#nomatch}", &env), Ok("dir/file.tar.gz".into()));
    assert_eq!(ex("${F/a/A}", &env), Ok("dir/file.tAr.gz".into()));
    assert_eq!(ex("${F//[a-z]/x}", &env), Ok("xxx/xxxx.xxx.xx".into()));
    assert_eq!(ex("${F/\\./_}", &env), Ok("dir/file_tar.gz".into()));
}

#[test]
fn expand_words_splitting() {
    let env = [("P", "80  443"), ("E", "")];
    assert_eq!(exw("$P 8080", &env), s(&["80", "443", "8080"]));
    assert_eq!(exw("\"$P\" x", &env), s(&["80  443", "x"]));
    assert_eq!(exw("a\\ b 'c d' \"\" $E", &env), s(&["a b", "c d"]));
}

#[test]
fn special_and_numeric_names() {
    assert_eq!(ex("$1x $@ ${1}", &[("1", "one")]), Ok("onex  one".into()));
}

// ---- stages ----

const MULTI: &str = "ARG BASE=alpine
FROM $BASE AS base
RUN true
FROM golang AS build
COPY --from=base /x /x
FROM scratch AS unused
FROM base AS final
COPY --from=build /app /app
RUN --mount=type=bind,from=1,target=/b true
COPY --from=docker.io/library/busybox /bin/sh /sh
";

#[test]
fn stage_lookup() {
    let d = p(MULTI);
    assert_eq!(d.stage_by_name_or_index("BUILD").map(|s| s.index), Some(1));
    assert_eq!(d.stage_by_name_or_index("2").map(|s| s.index), Some(2));
    assert!(d.stage_by_name_or_index("9").is_none());
    assert!(d.stage_by_name_or_index("nope").is_none());
}

#[test]
fn needed_stages_skip_unused_and_order_dependencies_first() {
    let d = p(MULTI);
    let none = |_: &str| None;
    assert_eq!(d.needed_stages(None, &none), Ok(vec![0, 1, 3]));
    assert_eq!(d.needed_stages(Some("build"), &none), Ok(vec![0, 1]));
    assert_eq!(d.needed_stages(Some("unused"), &none), Ok(vec![2]));
    assert_eq!(
        d.needed_stages(Some("x"), &none),
        Err("target stage x could not be found".into())
    );
}

#[test]
fn needed_stages_expand_from_with_global_args() {
    let d = p("ARG B=first\nFROM alpine AS first\nFROM alpine AS second\nFROM ${B}\n");
    let none = |_: &str| None;
    assert_eq!(d.needed_stages(None, &none), Ok(vec![2]));
    let args = |k: &str| (k == "B").then(|| "second".to_string());
    assert_eq!(d.needed_stages(None, &args), Ok(vec![1, 2]));
}

#[test]
fn needed_stages_detect_cycles() {
    let d = p("FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n");
    assert_eq!(
        d.needed_stages(None, &|_| None),
        // buildkit names the stage its search started from: the first one.
        Err("circular dependency detected on stage: a".into())
    );
    let d = p("FROM alpine AS a\nCOPY --from=a /x /x\n");
    assert_eq!(
        d.needed_stages(None, &|_| None),
        Err("circular dependency detected on stage: a".into())
    );
}

#[test]
fn needed_stages_buildkit_rules() {
    let none = |_: &str| None;
    // FROM only looks back: a later stage's name is an image.
    let d = p("FROM later AS first\nFROM alpine AS later\n");
    assert_eq!(d.needed_stages(Some("first"), &none), Ok(vec![0]));
    assert_eq!(d.base_stage(0, &none), Ok(None));
    // An unnamed stage copying from itself.
    let d = p("FROM busybox\nCOPY --from=0 /a /b\n");
    assert_eq!(
        d.needed_stages(None, &none),
        Err("circular dependency detected on stage: stage-0".into())
    );
    // A cycle between unused stages is still an error, as in buildkit.
    let d =
        p("FROM a AS x\nCOPY --from=y / /\nFROM a AS y\nCOPY --from=x / /\nFROM scratch AS t\n");
    assert!(d.needed_stages(Some("t"), &none).is_err());
    // An index out of range; a mount's from= is by name only.
    let d = p("FROM a\nCOPY --from=3 / /\n");
    assert_eq!(
        d.needed_stages(None, &none),
        Err("invalid stage index 3".into())
    );
    let d = p(
        "FROM a AS s\nFROM b\nRUN --mount=from=0,target=/x true\nRUN --mount=from=S,target=/y true\n",
    );
    assert_eq!(d.stage_sources(1, &none), Ok(vec![0]));
    assert_eq!(d.needed_stages(None, &none), Ok(vec![0, 1]));
    // The target is looked up by name only.
    assert_eq!(
        d.needed_stages(Some("0"), &none),
        Err("target stage 0 could not be found".into())
    );
}

// ---- history ----

#[test]
fn history_texts_match_buildah() {
    let d = p(
        "FROM a\nARG X=1 Y\nenv OLD  value\nRUN echo \\\n  hi\nRUN [\"/bin/busybox\", \"true\"]\nCMD [\"sh\"]\nCOPY --chmod=755 a /b\n",
    );
    let sh = s(&["/bin/sh", "-c"]);
    let i = &d.stages[0].instructions;
    assert_eq!(i[0].history_text(&sh), "/bin/sh -c #(nop) ARG X Y");
    assert_eq!(i[1].history_text(&sh), "/bin/sh -c #(nop) env OLD  value");
    assert_eq!(
        i[2].history_text_with_args(&sh, &[("X".into(), "1".into())]),
        "|1 X=1 /bin/sh -c echo   hi"
    );
    assert_eq!(
        i[3].history_text(&sh),
        "/bin/sh -c [\"/bin/busybox\", \"true\"]"
    );
    assert_eq!(i[4].history_text(&sh), "/bin/sh -c #(nop) CMD [\"sh\"]");
    assert_eq!(
        i[5].copy_history_text(&sh, "file:abc", "/b"),
        "/bin/sh -c #(nop) COPY file:abc in /b "
    );
}

#[test]
fn run_flags_not_in_history() {
    let d = p("FROM a\nRUN --network=none --mount=type=tmpfs,target=/t make");
    assert_eq!(
        d.stages[0].instructions[0].history_text(&s(&["/bin/sh", "-c"])),
        "/bin/sh -c make"
    );
}

// ---- docker's test data ----

#[test]
fn docker_testfile_continuations() {
    // Adapted from buildkit's parser test files (continuation with comments, ENV, EXPOSE).
    let text = "FROM ubuntu:14.04\nLABEL maintainer Tianon\n\nRUN apt-get update && apt-get install -y --no-install-recommends \\\n\tcurl \\\n# comment in the middle\n\tca-certificates \\\n\t&& rm -rf /var/lib/apt/lists/*\n\nENV GOLANG_VERSION 1.3.3\nEXPOSE 8080 8081\nVOLUME /var/lib/x\nCMD [\"/usr/bin/x\", \"-c\"]\n";
    let d = p(text);
    let i = &d.stages[0].instructions;
    assert_eq!(i.len(), 6);
    assert_eq!(
        i[1].original,
        "RUN apt-get update && apt-get install -y --no-install-recommends \tcurl \tca-certificates \t&& rm -rf /var/lib/apt/lists/*"
    );
    assert_eq!(i[2].line, 10);
    assert_eq!(
        i[2].kind,
        Kind::Env(vec![("GOLANG_VERSION".into(), "1.3.3".into())])
    );
}
