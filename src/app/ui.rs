//! Terminal decisions made once per command: quiet/verbose, colour, progress bars on a
//! terminal, or plain progress lines when stderr is a pipe or a CI log (one line as each
//! scenario ends, a status line every 10 s during a long window, as `pgbench -P` does).
//! Must not print results itself (reporters render; commands print).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, ColorChoice};
use crate::config::{LoadAmount, LoadShape};
use crate::report::cells::status_label;
use crate::report::units::format_latency_us;
use crate::results::ScenarioResult;

/// How often a progress line is printed during a long scenario without a terminal.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(10);

/// How this command talks to the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
    /// Progress bars on stderr: only on a terminal and without `-q`.
    pub progress: bool,
    /// Plain progress lines on stderr instead: stderr is not a terminal, no `-q`.
    pub lines: bool,
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
            lines: !cli.quiet && !std::io::stderr().is_terminal(),
            color,
        }
    }

    /// A progress bar for one scenario, or None when bars and lines are off. Without a
    /// terminal the bar is hidden and a thread prints its state every [`STATUS_INTERVAL`]
    /// until the bar is finished or dropped.
    pub fn scenario_bar(&self, name: &str) -> Option<ProgressBar> {
        if self.lines {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            status_lines(&bar, name.to_string(), STATUS_INTERVAL);
            return Some(bar);
        }
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

    /// Without a terminal: one line on stderr with the scenario's status when it ends.
    pub fn scenario_finished(&self, index: usize, total: usize, result: &ScenarioResult) {
        if self.lines {
            eprintln!("{}", finished_line(index, total, result));
        }
    }

    /// Prints a status line on stderr unless quiet.
    pub fn note(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }
}

/// Prints `bar`'s progress on stderr every `interval` from a thread of its own.
fn status_lines(bar: &ProgressBar, name: String, interval: Duration) {
    let weak = bar.downgrade();
    let started = Instant::now();
    std::thread::spawn(move || {
        let mut next = interval;
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let Some(bar) = weak.upgrade() else { return };
            if bar.is_finished() {
                return;
            }
            let elapsed = started.elapsed();
            if elapsed >= next {
                eprintln!(
                    "{}",
                    status_line(&name, bar.position(), bar.length(), elapsed)
                );
                next += interval;
            }
        }
    });
}

/// `  session_by_id: 34% after 10 s`.
fn status_line(name: &str, position: u64, length: Option<u64>, elapsed: Duration) -> String {
    let done = match length {
        Some(length) if length > 0 => format!("{}%", (position.min(length) * 100) / length),
        _ => format!("{position} done"),
    };
    format!("  {name}: {done} after {} s", elapsed.as_secs())
}

/// `[2/14] session_by_id: PASS in 2.1 s, p95 0.22 ms`.
fn finished_line(index: usize, total: usize, result: &ScenarioResult) -> String {
    let mut line = format!(
        "[{index}/{total}] {}: {} in {:.1} s",
        result.name,
        status_label(result.status),
        result.duration_s
    );
    if let Some(latency) = &result.latency_us {
        line.push_str(&format!(", p95 {}", format_latency_us(latency.p95 as f64)));
    }
    if let Some(reason) = &result.reason {
        line.push_str(&format!(": {reason}"));
    }
    line
}

/// `1000 iterations, 4 clients, warmup 10, rate 50/s` (parts at their defaults left out).
pub fn load_text(load: &LoadShape) -> String {
    let mut parts = vec![match load.amount {
        LoadAmount::Iterations(n) => format!("{n} iterations"),
        LoadAmount::Duration(d) => humantime::format_duration(d).to_string(),
        LoadAmount::Budget(d) => format!("budget {}", humantime::format_duration(d)),
    }];
    parts.push(match load.clients {
        1 => "1 client".to_string(),
        n => format!("{n} clients"),
    });
    if load.warmup > 0 {
        parts.push(format!("warmup {}", load.warmup));
    }
    if let Some(rate) = load.rate {
        parts.push(format!("rate {rate}/s"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(amount: LoadAmount, clients: u32, warmup: u64, rate: Option<f64>) -> LoadShape {
        LoadShape {
            amount,
            warmup,
            clients,
            rate,
        }
    }

    #[test]
    fn load_shapes_read_as_short_phrases() {
        let plain = shape(LoadAmount::Iterations(1000), 1, 0, None);
        assert_eq!(load_text(&plain), "1000 iterations, 1 client");
        let full = shape(
            LoadAmount::Duration(Duration::from_secs(30)),
            4,
            10,
            Some(50.0),
        );
        assert_eq!(load_text(&full), "30s, 4 clients, warmup 10, rate 50/s");
    }

    #[test]
    fn status_lines_show_percent_and_elapsed_seconds() {
        let line = status_line("s", 340, Some(1000), Duration::from_secs(10));
        assert_eq!(line, "  s: 34% after 10 s");
        assert_eq!(
            status_line("s", 7, None, Duration::from_secs(20)),
            "  s: 7 done after 20 s"
        );
        assert_eq!(
            status_line("s", 2000, Some(1000), Duration::from_secs(1)),
            "  s: 100% after 1 s"
        );
    }

    #[test]
    fn a_hidden_bar_stops_its_status_thread_when_finished() {
        let bar = ProgressBar::with_draw_target(Some(10), ProgressDrawTarget::hidden());
        status_lines(&bar, "s".into(), Duration::from_millis(10));
        bar.inc(5);
        bar.finish_and_clear();
        assert!(bar.is_finished());
    }
}
