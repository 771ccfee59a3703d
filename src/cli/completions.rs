//! Shell completions and the man page, generated from the clap definitions of the
//! command line, so they never disagree with it.
//!
//! This module only prints what clap describes.

use super::Failure;
use clap::CommandFactory;
use std::io::Write as _;

/// Prints the completion script of `shell` for the command line `C`.
pub(super) fn completions<C: CommandFactory>(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut cmd = C::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "cgtsim", &mut out);
    write_stdout(&out)
}

/// Prints the man page (roff) of the command line `C`, with a section per subcommand.
pub(super) fn man<C: CommandFactory>() -> Result<(), Failure> {
    let cmd = C::command();
    let mut out = Vec::new();
    let io = |e: std::io::Error| Failure::Io(format!("man page: {e}"));
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .map_err(io)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("cgtsim-{}", sub.get_name());
        let sub = sub.clone().display_name(name).bin_name("cgtsim");
        out.extend_from_slice(b"\n");
        clap_mangen::Man::new(sub).render(&mut out).map_err(io)?;
    }
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    std::io::stdout()
        .write_all(bytes)
        .map_err(|e| Failure::Io(format!("stdout: {e}")))
}
