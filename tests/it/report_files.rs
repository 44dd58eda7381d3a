//! Result files on disk: atomic writes, the sink that rewrites every format after each
//! scenario, and loading baselines.

use crate::report_fixtures;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use report_fixtures::*;
use techspec_bench::Error;
use techspec_bench::report::{
    HtmlReporter, JsonReporter, JunitReporter, MarkdownReporter, Reporter, ResultSink, Target,
    WithBaseline, compare, load_baseline, save_baseline, write_atomic,
};
use techspec_bench::results::RunReport;

fn entries(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn write_atomic_creates_then_replaces_and_leaves_no_temporary_files() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("results.json");
    write_atomic(&path, b"first version, rather long").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"first version, rather long");
    write_atomic(&path, b"second").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second");
    assert_eq!(entries(directory.path()), ["results.json"]);
}

#[test]
fn write_atomic_creates_missing_directories() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("out/nested/junit.xml");
    write_atomic(&path, b"<x/>").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"<x/>");
}

#[test]
fn write_atomic_gives_new_files_readable_permissions_and_keeps_existing_ones() {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("report.html");
    write_atomic(&path, b"a").unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    write_atomic(&path, b"b").unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn write_atomic_failure_names_the_path_and_is_an_environment_error() {
    let directory = tempfile::tempdir().unwrap();
    let blocker = directory.path().join("not_a_directory");
    fs::write(&blocker, b"file").unwrap();
    let path = blocker.join("results.json");
    let error = write_atomic(&path, b"x").unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert_eq!(error.exit_code(), 3);
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("choose another path"), "{message}");
}

#[test]
fn result_sink_writes_every_requested_format_and_rewrites_them() {
    let directory = tempfile::tempdir().unwrap();
    let file = |name: &str| Target::File(directory.path().join(name));
    let sink = ResultSink::default()
        .with(JsonReporter, file("r.json"))
        .with(JunitReporter, file("r.xml"))
        .with(MarkdownReporter::default(), file("r.md"))
        .with(HtmlReporter::default(), file("r.html"));
    let first = report_of(vec![passing()]);
    sink.write_files(&first).unwrap();
    let after_one: RunReport =
        serde_json::from_slice(&fs::read(directory.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(after_one, first);

    let second = full_report();
    sink.write_files(&second).unwrap();
    let after_all: RunReport =
        serde_json::from_slice(&fs::read(directory.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(after_all, second);
    let xml = fs::read_to_string(directory.path().join("r.xml")).unwrap();
    assert!(xml.contains("design_outputs_load"));
    let markdown = fs::read_to_string(directory.path().join("r.md")).unwrap();
    assert!(markdown.contains("cross_schema_join"));
    assert!(!markdown.contains("Δ p95"), "no baseline, no delta column");
    let html = fs::read_to_string(directory.path().join("r.html")).unwrap();
    assert!(html.contains("relationship_eager_load"));
    assert_eq!(
        entries(directory.path()),
        ["r.html", "r.json", "r.md", "r.xml"]
    );
}

#[test]
fn result_sink_with_a_baseline_shows_deltas_in_markdown() {
    let directory = tempfile::tempdir().unwrap();
    let baseline = Some(Arc::new(report_of(vec![passing()])));
    let markdown = WithBaseline::new(baseline, |baseline| MarkdownReporter { baseline });
    let sink = ResultSink::default().with(markdown, Target::File(directory.path().join("r.md")));
    sink.write_files(&full_report()).unwrap();
    let markdown = fs::read_to_string(directory.path().join("r.md")).unwrap();
    assert!(markdown.contains("Δ p95"), "{markdown}");
    assert!(
        markdown.contains("### Compared with the baseline of"),
        "{markdown}"
    );
}

#[test]
fn result_sink_writes_the_other_files_when_one_path_fails() {
    let directory = tempfile::tempdir().unwrap();
    let blocker = directory.path().join("file");
    fs::write(&blocker, b"x").unwrap();
    let sink = ResultSink::default()
        .with(JsonReporter, Target::File(blocker.join("r.json")))
        .with(
            MarkdownReporter::default(),
            Target::File(directory.path().join("r.md")),
        );
    let error = sink.write_files(&full_report()).unwrap_err();
    assert!(error.to_string().contains("r.json"), "{error}");
    assert!(directory.path().join("r.md").exists());
}

#[test]
fn an_empty_sink_writes_nothing() {
    let sink = ResultSink::default();
    assert!(sink.is_empty());
    sink.write_files(&full_report()).unwrap();
}

#[test]
fn file_writes_leave_stdout_outputs_for_the_end() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("r.json");
    let sink = ResultSink::default()
        .with(JsonReporter, Target::Stdout)
        .with(JsonReporter, Target::File(path.clone()));
    sink.write_files(&full_report()).unwrap();
    assert_eq!(entries(directory.path()), ["r.json"]);
}

#[test]
fn a_reporter_with_a_baseline_compares_each_report_afresh() {
    let baseline = Arc::new(report_of(vec![passing()]));
    let markdown = WithBaseline::new(Some(Arc::clone(&baseline)), |baseline| MarkdownReporter {
        baseline,
    });
    let report = full_report();
    let expected = MarkdownReporter {
        baseline: Some(compare(&report, &baseline)),
    };
    assert_eq!(
        markdown.render(&report).unwrap(),
        expected.render(&report).unwrap()
    );
    let without = WithBaseline::new(None, |baseline| MarkdownReporter { baseline });
    assert_eq!(
        without.render(&report).unwrap(),
        MarkdownReporter::default().render(&report).unwrap()
    );
}

#[test]
fn a_saved_baseline_loads_back_and_compares_to_itself_as_unchanged() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("baseline.json");
    let report = full_report();
    save_baseline(&path, &report).unwrap();
    let loaded = load_baseline(&path).unwrap();
    assert_eq!(loaded, report);
    let comparison = compare(&report, &loaded);
    assert_eq!(comparison.scenarios.len(), report.scenarios.len());
    let unchanged = comparison
        .scenario("session_by_id")
        .unwrap()
        .deltas
        .unwrap();
    assert_eq!(unchanged.p95.change_us, 0);
    assert_eq!(unchanged.p95.change_percent, Some(0.0));
    assert!(
        comparison
            .scenario("cross_schema_join")
            .unwrap()
            .deltas
            .is_none()
    );
    assert!(comparison.missing_from_current.is_empty());
}

#[test]
fn compare_reports_new_and_missing_scenarios() {
    let current = report_of(vec![passing(), with_steps()]);
    let baseline = report_of(vec![passing(), failing()]);
    let comparison = compare(&current, &baseline);
    assert!(
        comparison.scenario("relationship_eager_load").is_none(),
        "new in this run"
    );
    assert_eq!(comparison.missing_from_current, ["session_list_by_status"]);
}

fn config_error_for(contents: &str) -> String {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("baseline.json");
    fs::write(&path, contents).unwrap();
    let error = load_baseline(&path).unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "names the path: {message}"
    );
    message
}

#[test]
fn a_baseline_of_another_format_is_a_configuration_error() {
    let mut other = serde_json::to_value(full_report()).unwrap();
    other["format"] = "techspec-bench/2".into();
    let message = config_error_for(&other.to_string());
    assert!(message.contains("\"techspec-bench/2\""), "{message}");
    assert!(message.contains("techspec-bench/1"), "{message}");
}

#[test]
fn a_baseline_without_a_format_is_a_configuration_error() {
    let message = config_error_for(r#"{"results": []}"#);
    assert!(message.contains("no \"format\" field"), "{message}");
}

#[test]
fn a_baseline_with_bad_json_names_line_and_column() {
    let message = config_error_for("{\n  \"format\": \"techspec-bench/1\",\n  oops\n}");
    assert!(message.contains("baseline.json:3:3"), "{message}");
}

#[test]
fn a_baseline_with_the_right_format_but_wrong_fields_is_a_configuration_error() {
    let message = config_error_for(r#"{"format": "techspec-bench/1", "scenarios": 5}"#);
    assert!(
        message.contains("does not match format techspec-bench/1"),
        "{message}"
    );
}

#[test]
fn a_missing_baseline_says_how_to_make_one() {
    let error = load_baseline(Path::new("/nonexistent/baseline.json")).unwrap_err();
    assert!(matches!(error, Error::Config(_)));
    assert!(error.to_string().contains("--save-baseline"), "{error}");
}

#[test]
fn a_failed_rename_leaves_no_temporary_file_behind() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("taken");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("inside"), b"x").unwrap();
    let error = write_atomic(&path, b"x").unwrap_err();
    assert!(error.to_string().contains("rename"), "{error}");
    assert_eq!(entries(directory.path()), ["taken"]);
}
