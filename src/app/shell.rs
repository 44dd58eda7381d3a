//! `techspec-bench completions SHELL` and `techspec-bench man`: generated from the clap
//! definition, printed on standard output. Must not read configuration or connect.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::{Error, Result, exit_code};

/// The binary's name, as completions and the man page call it.
const BIN_NAME: &str = "techspec-bench";

/// Prints the completion script for the shell asked for.
pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    let mut bytes = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN_NAME, &mut bytes);
    print_bytes(&bytes)
}

/// Prints the man page (roff).
pub fn man() -> Result<i32> {
    print_bytes(&man_page()?)
}

/// The man page, rendered.
fn man_page() -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut bytes)
        .map_err(|e| Error::environment(format!("cannot render the man page: {e}")))?;
    Ok(bytes)
}

fn print_bytes(bytes: &[u8]) -> Result<i32> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            Error::environment(format!(
                "cannot print on standard output: {e}; check that whatever reads it is still open"
            ))
        })?;
    Ok(exit_code::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_names_the_commands() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.contains(".TH techspec-bench"), "{}", &page[..200]);
        for command in ["run", "list", "check", "init"] {
            assert!(page.contains(command), "{command}");
        }
    }
}
