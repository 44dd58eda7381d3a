//! Terminal decisions made once per command: quiet/verbose, colour, progress bars.
//! Must not print results itself (reporters render; commands print).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, ColorChoice};

/// How this command talks to the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
    /// Progress bars on stderr: only on a terminal and without `-q`.
    pub progress: bool,
    /// Colour in stdout tables.
    pub color: bool,
}

impl Ui {
    /// Decides from the flags and whether stdout/stderr are terminals.
    pub fn from_cli(cli: &Cli) -> Ui {
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Ui {
            quiet: cli.quiet,
            verbose: cli.verbose,
            progress: !cli.quiet && std::io::stderr().is_terminal(),
            color,
        }
    }

    /// A progress bar for one scenario, or None when bars are off.
    pub fn scenario_bar(&self, name: &str) -> Option<ProgressBar> {
        if !self.progress {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>28.bold} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(name.to_string());
        Some(bar)
    }

    /// Prints a status line on stderr unless quiet.
    pub fn note(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }
}
