use super::*;

fn ig(text: &str) -> Ignore {
    Ignore::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn ex(text: &str, path: &str) -> bool {
    ig(text).excluded(path, false)
}

#[test]
fn empty_file_excludes_nothing() {
    let i = ig("# only a comment\n\n   \n");
    assert!(i.is_empty());
    assert!(!i.excluded("a", false));
}

#[test]
fn exact_name_matches_at_root_only() {
    assert!(ex("foo", "foo"));
    assert!(!ex("foo", "a/foo"));
    assert!(!ex("foo", "foobar"));
}

#[test]
fn parent_directory_match_excludes_contents() {
    assert!(ex("build", "build/x/y.o"));
    assert!(ex("a/b", "a/b/c"));
    assert!(!ex("a/b", "a/bc"));
}

#[test]
fn comments_only_at_column_zero() {
    assert!(!ex("#foo", "#foo"));
    // An indented '#' is a pattern, as in docker.
    assert!(ex("  #foo", "#foo"));
}

#[test]
fn whitespace_trimmed() {
    assert!(ex("   foo   \n", "foo"));
    assert!(ex("\tbar\r\n", "bar"));
}

#[test]
fn leading_slash_removed_and_paths_cleaned() {
    assert!(ex("/foo", "foo"));
    assert!(ex("./a/./b/", "a/b"));
    assert!(ex("a//b", "a/b"));
    assert!(ex("a/../b", "b"));
    assert!(ex("!/x\n*", "y"));
    assert!(!ex("*\n!/x", "x"));
}

#[test]
fn dotdot_after_cleaning() {
    assert!(ex("a/b/../../c", "c"));
    // A leading ".." survives cleaning and can never match a path inside the context.
    assert!(!ex("../a", "a"));
    assert_eq!(clean("../a/../../b"), "../../b");
    assert_eq!(clean("/../a"), "/a");
    assert_eq!(clean(""), ".");
    assert_eq!(clean("a/.."), ".");
}

#[test]
fn star_does_not_cross_directories() {
    assert!(ex("*.md", "README.md"));
    assert!(!ex("*.md", "docs/x.md"));
    assert!(ex("*/*.md", "docs/x.md"));
    assert!(!ex("*/*.md", "a/b/x.md"));
}

#[test]
fn star_matches_directory_then_contents() {
    assert!(ex("*/temp*", "sub/temporary/file"));
    assert!(ex("temp?", "tempA"));
    assert!(!ex("temp?", "temp"));
    assert!(!ex("a?b", "a/b"));
}

#[test]
fn doublestar_any_depth() {
    assert!(ex("**/*.go", "main.go"));
    assert!(ex("**/*.go", "a/b/c.go"));
    assert!(!ex("**/*.go", "a/b/c.gox"));
}

#[test]
fn doublestar_at_end() {
    assert!(ex("dir/**", "dir/a"));
    assert!(ex("dir/**", "dir/a/b"));
    // moby: a trailing ** is a prefix match on "dir/", not "dir" itself.
    assert!(!ex("dir/**", "dir"));
    assert!(ex("**", "anything/at/all"));
}

#[test]
fn doublestar_in_the_middle() {
    assert!(ex("dir/**/x", "dir/x"));
    assert!(ex("dir/**/x", "dir/a/b/x"));
    assert!(!ex("dir/**/x", "other/a/x"));
    assert!(ex("a/**/b/*.c", "a/z/b/f.c"));
}

#[test]
fn leading_doublestar_suffix_quirk() {
    // moby turns "**/foo" into a plain suffix match, so "xfoo" matches too.
    assert!(ex("**/foo", "a/b/foo"));
    assert!(ex("**/foo", "foo"));
    assert!(ex("**/foo", "a/xfoo"));
}

#[test]
fn doublestar_with_wildcard_after() {
    assert!(ex("a/**/*", "a/b"));
    assert!(ex("**/sub/**", "x/sub/y"));
}

#[test]
fn character_classes() {
    assert!(ex("file[0-9].txt", "file7.txt"));
    assert!(!ex("file[0-9].txt", "filex.txt"));
    assert!(ex("[abc]", "b"));
    assert!(!ex("[abc]", "d"));
    assert!(ex("x[^a-c]", "xd"));
    assert!(!ex("x[^a-c]", "xb"));
    assert!(ex("[a-cx-z]y", "zy"));
}

#[test]
fn class_with_escaped_bracket() {
    assert!(ex("a[\\]]b", "a]b"));
    assert!(ex("a[\\-]b", "a-b"));
}

#[test]
fn escaped_characters() {
    assert!(ex("\\*", "*"));
    assert!(!ex("\\*", "x"));
    assert!(ex("a\\?b", "a?b"));
    assert!(!ex("a\\?b", "axb"));
    assert!(ex("\\[x\\]", "[x]"));
}

#[test]
fn regexp_special_characters_are_literal() {
    assert!(ex("a.b", "a.b"));
    assert!(!ex("a.b", "axb"));
    assert!(ex("f(1)+{2}|$*", "f(1)+{2}|$x"));
    assert!(!ex("a.*", "ab"));
}

#[test]
fn invalid_patterns_are_errors() {
    for bad in ["[", "a[", "[]", "[a-]", "[-a]", "x\\", "[^]"] {
        let e = Ignore::parse(&format!("ok\n{bad}\n")).err();
        assert!(e.is_some(), "{bad}");
        let e = e.unwrap_or_else(|| unreachable!());
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "syntax error in pattern"),
            "{bad}"
        );
    }
}

#[test]
fn lone_exclamation_is_an_error() {
    let e = Ignore::parse("!\n").err().map(|e| e.message);
    assert_eq!(e.as_deref(), Some("illegal exclusion pattern: \"!\""));
    assert!(Ignore::parse("!   \n").is_err());
}

#[test]
fn last_match_wins() {
    assert!(!ex("*.md\n!README.md", "README.md"));
    assert!(ex("*.md\n!README.md", "CHANGES.md"));
    assert!(ex("!README.md\n*.md", "README.md"));
}

#[test]
fn exception_reincludes_under_excluded_directory() {
    let i = ig("docs\n!docs/keep.md");
    assert!(i.excluded("docs", true));
    assert!(i.excluded("docs/other.md", false));
    assert!(!i.excluded("docs/keep.md", false));
    assert!(i.may_include_under("docs"));
}

#[test]
fn exception_of_a_directory_reincludes_its_contents() {
    let i = ig("a\n!a/b\n");
    assert!(!i.excluded("a/b/c/d", false));
    assert!(i.excluded("a/x", false));
}

#[test]
fn exclusion_after_exception_wins_again() {
    let i = ig("*\n!src\nsrc/*.tmp");
    assert!(!i.excluded("src/main.rs", false));
    assert!(i.excluded("src/x.tmp", false));
    assert!(i.excluded("other", false));
}

#[test]
fn may_include_under_docker_cases() {
    let i = ig("node_modules\n!README.md");
    assert!(!i.may_include_under("node_modules"));
    let i = ig("build");
    assert!(!i.may_include_under("build"));
    let i = ig("a\n!a/b/c");
    assert!(i.may_include_under("a"));
    assert!(i.may_include_under("a/b"));
    assert!(!i.may_include_under("a/x"));
}

#[test]
fn may_include_under_accounts_for_wildcards() {
    let i = ig("vendor\n!**/*.go");
    assert!(i.may_include_under("vendor"));
    let i = ig("vendor\n!*/keep");
    assert!(i.may_include_under("vendor"));
    assert!(!i.may_include_under("vendor/deep"));
    let i = ig("vendor\n!ven*/x");
    assert!(i.may_include_under("vendor"));
    let i = ig("out\n!other/**");
    assert!(!i.may_include_under("out"));
    let i = ig("out\n!o**");
    assert!(i.may_include_under("out"));
}

#[test]
fn new_from_pattern_list() {
    let i = Ignore::new(&["*.txt", "  ", "!keep.txt"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(i.excluded("a.txt", false));
    assert!(!i.excluded("keep.txt", false));
    assert!(Ignore::new(&["[x"]).is_err());
}

#[test]
fn byte_order_mark_is_stripped() {
    assert!(ex("\u{feff}foo", "foo"));
}

#[test]
fn is_dir_does_not_change_the_answer() {
    let i = ig("foo");
    assert_eq!(i.excluded("foo", true), i.excluded("foo", false));
}

fn tree(files: &[&str], dirs: &[&str]) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for d in dirs {
        fs::create_dir_all(t.path().join(d)).unwrap_or_else(|e| panic!("{e}"));
    }
    for f in files {
        let p = t.path().join(f);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        fs::write(p, b"x").unwrap_or_else(|e| panic!("{e}"));
    }
    t
}

fn listed(t: &tempfile::TempDir, ignore: &str) -> Vec<String> {
    walk(t.path(), &ig(ignore))
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn walk_lists_sorted_and_excludes() {
    let t = tree(
        &["b.txt", "a/x.md", "a/y.txt", "Dockerfile", "a-b"],
        &["empty"],
    );
    assert_eq!(
        listed(&t, ""),
        [
            "Dockerfile",
            "a",
            "a/x.md",
            "a/y.txt",
            "a-b",
            "b.txt",
            "empty"
        ]
    );
    // "*.txt" only matches at the top level; "**/*.md" at any depth.
    assert_eq!(
        listed(&t, "*.txt\n**/*.md"),
        ["Dockerfile", "a", "a/y.txt", "a-b", "empty"]
    );
}

#[test]
fn walk_descends_into_excluded_dir_only_for_exceptions() {
    let t = tree(
        &[
            "docs/keep.md",
            "docs/drop.md",
            "docs/sub/keep.md",
            "build/out.o",
        ],
        &[],
    );
    assert_eq!(
        listed(&t, "docs\nbuild\n!docs/keep.md"),
        ["docs", "docs/keep.md"]
    );
    assert_eq!(
        listed(&t, "docs\n!**/keep.md"),
        [
            "build",
            "build/out.o",
            "docs",
            "docs/keep.md",
            "docs/sub",
            "docs/sub/keep.md"
        ]
    );
    assert_eq!(listed(&t, "docs\n!docs/none"), ["build", "build/out.o"]);
}

#[test]
fn walk_does_not_follow_symlinks() {
    let t = tree(&["real/f"], &[]);
    std::os::unix::fs::symlink(t.path().join("real"), t.path().join("link"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed(&t, ""), ["link", "real", "real/f"]);
}

#[test]
fn walk_missing_context_is_an_error() {
    assert!(
        walk(
            Path::new("/nonexistent/rl-test-context"),
            &Ignore::default()
        )
        .is_err()
    );
}
