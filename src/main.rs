//! The `rl` binary: everything lives in the library; this only hands over the arguments and exits
//! with the status [`rl::cli::main`] chose.

fn main() {
    std::process::exit(rl::cli::main(std::env::args_os()));
}
