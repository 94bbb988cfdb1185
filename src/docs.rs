//! Man pages and shell completions, generated from the one clap definition. `cargo run --example
//! gen-docs` writes them into `man/` and `completions/`; a test fails when the committed files
//! differ from what the code generates.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::cli::completion::{self, CompletionShell};

/// Every generated file: its path relative to the repository root, and its content.
pub fn generate() -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut root = Cli::command();
    root.build();
    man_pages(&root, "rl", &mut files)?;
    for (shell, name) in [
        (CompletionShell::Bash, "rl.bash"),
        (CompletionShell::Zsh, "_rl"),
        (CompletionShell::Fish, "rl.fish"),
    ] {
        files.push((
            Path::new("completions").join(name),
            completion::script(shell),
        ));
    }
    Ok(files)
}

fn man_pages(
    cmd: &clap::Command,
    name: &str,
    files: &mut Vec<(PathBuf, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut page = Vec::new();
    let named = cmd
        .clone()
        .name(name.to_string())
        .bin_name(name.replace('-', " "));
    clap_mangen::Man::new(named).render(&mut page)?;
    files.push((Path::new("man").join(format!("{name}.1")), page));
    for sub in cmd.get_subcommands() {
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files)?;
    }
    Ok(())
}

/// Write every generated file under `repo`, removing stale pages from `man/`.
pub fn write_all(repo: &Path) -> std::io::Result<usize> {
    let files = generate()?;
    for dir in ["man", "completions"] {
        let d = repo.join(dir);
        std::fs::create_dir_all(&d)?;
        for entry in std::fs::read_dir(&d)? {
            let p = entry?.path();
            if !files.iter().any(|(rel, _)| repo.join(rel) == p) {
                std::fs::remove_file(&p)?;
            }
        }
    }
    for (rel, bytes) in &files {
        std::fs::write(repo.join(rel), bytes)?;
    }
    Ok(files.len())
}
