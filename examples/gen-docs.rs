//! Regenerate `man/` and `completions/` from the clap definitions:
//! `cargo run --example gen-docs` (or `scripts/gen-docs`).

fn main() -> std::io::Result<()> {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = rl::docs::write_all(repo)?;
    println!("wrote {n} files under man/ and completions/");
    Ok(())
}
