//! The `cgtsim` binary: everything is in `cgtsim::cli`.
fn main() -> std::process::ExitCode {
    cgtsim::cli::main()
}
