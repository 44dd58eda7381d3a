//! Results where CI users look: the Markdown summary appended to `$GITHUB_STEP_SUMMARY`,
//! `::error`/`::warning` annotations at each failing or skipped scenario's line in its
//! file (under `GITHUB_ACTIONS=true`), the warning about server settings that make
//! timings unrealistic, `--json -` (JSON on stdout, the table on stderr), and the commit
//! being measured (from the CI service's environment).
//! Must not decide statuses or render result formats (reporters do).

use std::path::{Path, PathBuf};

use crate::config::Scenario;
use crate::results::{RunReport, Status};

/// The `--json` value that means standard output.
pub const STDOUT_PATH: &str = "-";

/// True for `-`: write to standard output instead of a file.
pub fn is_stdout_path(path: &Path) -> bool {
    path == Path::new(STDOUT_PATH)
}

/// The file GitHub Actions shows as the job summary, when set.
pub fn step_summary_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("GITHUB_STEP_SUMMARY")
        .filter(|path| !path.trim().is_empty())
        .map(PathBuf::from)
}

/// True when running as a GitHub Actions step.
pub fn in_github_actions(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("GITHUB_ACTIONS").is_some_and(|value| value == "true")
}

/// The process environment, as the functions above take it.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Prints `text` on stdout, or on stderr when stdout carries the JSON (`--json -`).
pub fn print_beside(json_on_stdout: bool, text: &str) {
    if json_on_stdout {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

/// One annotation per failed or errored scenario (`::error`) and per skip (`::warning`),
/// at the scenario's line in its file (no file for the built-in scenarios).
pub fn annotations(report: &RunReport, scenarios: &[Scenario]) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter_map(|result| {
            let level = match result.status {
                Status::Pass => return None,
                Status::Skip => "warning",
                Status::Fail | Status::Error => "error",
            };
            let what = match result.status {
                Status::Skip => "skipped",
                Status::Error => "errored",
                _ => "failed",
            };
            let origin = scenarios
                .iter()
                .find(|s| s.name == result.name)
                .map(|s| &s.origin);
            let mut properties = Vec::new();
            if let Some(origin) = origin.filter(|o| !o.file.starts_with("<built-in>")) {
                properties.push(format!(
                    "file={}",
                    escape_property(&origin.file.to_string_lossy())
                ));
                properties.push(format!("line={}", origin.line));
            }
            properties.push(format!(
                "title={}",
                escape_property(&format!("{} {what}", result.name))
            ));
            let reason = result.reason.as_deref().unwrap_or("no reason recorded");
            let message = format!("{} {what}: {reason}", result.name);
            Some(format!(
                "::{level} {}::{}",
                properties.join(","),
                escape_data(&message)
            ))
        })
        .collect()
}

/// Escapes an annotation message (GitHub's workflow-command encoding).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an annotation property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The environment variables CI services name the commit being built in, in the order
/// they are read: GitHub Actions, GitLab CI, Buildkite, CircleCI, Bitbucket Pipelines, and
/// `GIT_COMMIT` (Jenkins' git plugin; set it yourself anywhere else).
pub const COMMIT_VARIABLES: [&str; 6] = [
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILDKITE_COMMIT",
    "CIRCLE_SHA1",
    "BITBUCKET_COMMIT",
    "GIT_COMMIT",
];

/// The commit being measured, from the first of [`COMMIT_VARIABLES`] that is set and not
/// empty.
pub fn commit(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    COMMIT_VARIABLES
        .iter()
        .filter_map(|name| env(name))
        .map(|value| value.trim().to_string())
        .find(|value| !value.is_empty())
}

/// The stderr warning about settings such as `fsync=off` (notes from the server), if any.
pub fn settings_warning(settings: &[String]) -> Option<String> {
    if settings.is_empty() {
        return None;
    }
    Some(format!(
        "warning: the server runs with {}: timings are unrealistic (faster than any durable \
         production server) and not comparable with other runs; turn these settings back on \
         for measurements that matter",
        settings.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ScenarioResult, Summary};

    fn report(results: Vec<ScenarioResult>) -> RunReport {
        RunReport {
            format: String::new(),
            tool_version: String::new(),
            started_at: String::new(),
            database: Default::default(),
            dataset: Default::default(),
            rng_seed: None,
            seed: None,
            machine: None,
            commit: None,
            against: None,
            reference: Vec::new(),
            run_change: None,
            summary: Summary::of(&results),
            scenarios: results,
        }
    }

    #[test]
    fn the_commit_comes_from_the_first_ci_variable_set() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(commit(&env(&[])), None);
        assert_eq!(
            commit(&env(&[("GIT_COMMIT", "abc"), ("CI_COMMIT_SHA", "def")])),
            Some("def".into())
        );
        assert_eq!(
            commit(&env(&[("GITHUB_SHA", " "), ("GIT_COMMIT", "abc")])),
            Some("abc".into())
        );
    }

    fn scenario(name: &str, file: &str, line: usize) -> Scenario {
        let mut scenario = crate::config::load_built_in_scenarios().expect("built in")[0].clone();
        scenario.name = name.into();
        scenario.origin = crate::config::Origin {
            file: file.into(),
            line,
        };
        scenario
    }

    #[test]
    fn failures_and_skips_are_annotated_at_their_line() {
        let mut failed =
            ScenarioResult::unmeasured("slow", "g", Status::Fail, "p95 9 ms > 5 ms".into());
        failed.reason = Some("p95 9 ms, limit 5 ms\nsecond line 100%".into());
        let skipped = ScenarioResult::unmeasured("gone", "g", Status::Skip, "table missing".into());
        let passed = ScenarioResult::unmeasured("fine", "g", Status::Pass, String::new());
        let scenarios = [
            scenario("slow", "scenarios/a,b.toml", 12),
            scenario("gone", "<built-in>/queries.toml", 3),
            scenario("fine", "x.toml", 1),
        ];
        let lines = annotations(&report(vec![failed, skipped, passed]), &scenarios);
        assert_eq!(
            lines,
            [
                "::error file=scenarios/a%2Cb.toml,line=12,title=slow failed::slow failed: p95 9 ms, limit 5 ms%0Asecond line 100%25",
                "::warning title=gone skipped::gone skipped: table missing",
            ]
        );
    }

    #[test]
    fn github_variables_are_read_from_the_environment_given() {
        let env = |key: &str| match key {
            "GITHUB_STEP_SUMMARY" => Some("/tmp/summary.md".to_string()),
            "GITHUB_ACTIONS" => Some("true".to_string()),
            _ => None,
        };
        assert_eq!(
            step_summary_path(&env),
            Some(PathBuf::from("/tmp/summary.md"))
        );
        assert!(in_github_actions(&env));
        assert_eq!(step_summary_path(&|_| None), None);
        assert!(!in_github_actions(&|_| Some("false".into())));
    }

    #[test]
    fn unrealistic_settings_are_named_in_the_warning() {
        assert_eq!(settings_warning(&[]), None);
        let warning =
            settings_warning(&["fsync=off".into(), "full_page_writes=off".into()]).unwrap();
        assert!(
            warning.starts_with("warning: the server runs with fsync=off, full_page_writes=off")
        );
        assert!(is_stdout_path(Path::new("-")));
        assert!(!is_stdout_path(Path::new("out.json")));
    }
}
