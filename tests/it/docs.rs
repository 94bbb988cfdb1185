//! The committed man pages and completions are what the code generates.

use std::fs;
use std::path::Path;

#[test]
fn committed_docs_are_fresh() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = rl::docs::generate().unwrap();
    let mut stale = Vec::new();
    for (rel, bytes) in &files {
        match fs::read(repo.join(rel)) {
            Ok(on_disk) if &on_disk == bytes => {}
            _ => stale.push(rel.display().to_string()),
        }
    }
    for dir in ["man", "completions"] {
        for e in fs::read_dir(repo.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if !files.iter().any(|(rel, _)| repo.join(rel) == p) {
                stale.push(format!("{} (no longer generated)", p.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "man/ and completions/ are stale; run scripts/gen-docs and commit: {stale:?}"
    );
    assert!(
        files
            .iter()
            .any(|(p, _)| p == Path::new("man/rl-image-ls.1"))
    );
    assert!(files.iter().any(|(p, _)| p == Path::new("man/rl-run.1")));
}
