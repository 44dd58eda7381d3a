//! Where a run spends its wall clock, for `run -v`: the phases (cluster init, server
//! start, migrate or connect, seed, explain, scenarios, ratio pairs) and the part of the
//! scenarios spent in timed loops, as one line. Must not print.

use std::time::{Duration, Instant};

use crate::app::database::SetupTimes;
use crate::report;
use crate::results::RunReport;

/// The wall-clock phases of one run, for `-v`: where a run spends its time.
pub struct PhaseClock {
    phases: Vec<(&'static str, Duration)>,
    started: Instant,
    lap_start: Instant,
}

impl Default for PhaseClock {
    fn default() -> Self {
        PhaseClock::new()
    }
}

impl PhaseClock {
    pub fn new() -> PhaseClock {
        let now = Instant::now();
        PhaseClock {
            phases: Vec::new(),
            started: now,
            lap_start: now,
        }
    }

    /// Ends the phase `name` now.
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.lap_start));
        self.lap_start = now;
    }

    /// Ends opening the database: a throwaway cluster's own phases, else one `connect`.
    pub fn opened(&mut self, setup: Option<SetupTimes>) {
        let Some(setup) = setup else {
            return self.lap("connect");
        };
        self.phases.extend([
            ("cluster init", setup.cluster_init),
            ("server start", setup.server_start),
            ("migrate", setup.migrate),
        ]);
        self.lap_start = Instant::now();
    }

    /// The phase-times line; `timed` is the part of `scenarios` spent in timed loops.
    pub fn line(&self, timed: Duration) -> String {
        phase_times_line(&self.phases, timed, self.started.elapsed())
    }
}

/// The time the scenarios spent in their timed loops (the rest of the `scenarios`
/// phase is plan checks, connections and client start).
pub fn timed_total(report: &RunReport) -> Duration {
    let seconds: f64 = report.scenarios.iter().map(|s| s.duration_s).sum();
    Duration::try_from_secs_f64(seconds).unwrap_or_default()
}

/// `phase times: cluster init 1.20s, ..., scenarios 5.00s (timed 3.10s), total 9.00s`.
fn phase_times_line(phases: &[(&str, Duration)], timed: Duration, total: Duration) -> String {
    use report::units::format_latency_us as us;
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let mut parts: Vec<String> = phases
        .iter()
        .map(|(name, took)| format!("{name} {}", us(micros(*took))))
        .collect();
    if let Some(scenarios) = phases.iter().position(|(name, _)| *name == "scenarios") {
        parts[scenarios].push_str(&format!(" (timed {})", us(micros(timed))));
    }
    parts.push(format!("total {}", us(micros(total))));
    format!("phase times: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phase_times_line_names_every_phase_and_the_timed_part() {
        let ms = Duration::from_millis;
        let phases = [
            ("cluster init", ms(1200)),
            ("seed", ms(2000)),
            ("scenarios", ms(5000)),
        ];
        assert_eq!(
            phase_times_line(&phases, ms(3100), ms(8300)),
            "phase times: cluster init 1.20s, seed 2.00s, scenarios 5.00s (timed 3.10s), total 8.30s"
        );
        let mut clock = PhaseClock::new();
        clock.opened(Some(SetupTimes {
            cluster_init: ms(10),
            server_start: ms(20),
            migrate: ms(30),
        }));
        clock.lap("seed");
        let names: Vec<&str> = clock.phases.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["cluster init", "server start", "migrate", "seed"]);
        let mut named = PhaseClock::new();
        named.opened(None);
        assert_eq!(named.phases[0].0, "connect");
    }
}
