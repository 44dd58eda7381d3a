//! Unit tests of the sweep renderers on a fixed two-scenario sweep.

use super::*;
use crate::growth::GrowthClass;
use crate::growth::sweep::{LevelInfo, SCALE_FORMAT, ScaleSummary, judge};
use crate::results::{DatabaseInfo, Status};

fn level(sessions: u64, p50: f64, buffers: u64) -> LevelMeasure {
    LevelMeasure {
        sessions,
        status: Status::Pass,
        p50_us: Some(p50),
        p95_us: Some(p50 * 2.0),
        buffers: Some(buffers),
        reason: None,
    }
}

fn sweep() -> ScaleReport {
    let sizes = [100, 1_000, 10_000];
    let by_id = sizes.iter().map(|n| level(*n, 80.0, 4)).collect();
    let like = sizes
        .iter()
        .map(|n| level(*n, *n as f64, *n / 10))
        .collect();
    let scenarios = vec![
        judge(
            "session_by_id",
            "queries",
            Some(GrowthClass::Log),
            by_id,
            1_000_000,
        ),
        judge(
            "conversation_like",
            "queries",
            Some(GrowthClass::Log),
            like,
            1_000_000,
        ),
    ];
    ScaleReport {
        format: SCALE_FORMAT.to_string(),
        tool_version: "0.0.0".to_string(),
        started_at: "2026-01-01T00:00:00Z".to_string(),
        database: DatabaseInfo {
            server_version: "17.2".to_string(),
            target: "127.0.0.1:5432/x".to_string(),
            throwaway: true,
            notes: vec![],
        },
        rng_seed: 42,
        as_of: "2026-01-01T00:00:00Z".to_string(),
        project: 1_000_000,
        levels: sizes
            .iter()
            .map(|n| LevelInfo {
                sessions: *n,
                dataset: "grown".to_string(),
                seed_s: 1.0,
                measure_s: 2.0,
            })
            .collect(),
        summary: ScaleSummary::of(&scenarios),
        scenarios,
    }
}

#[test]
fn the_table_shows_classes_projections_levels_and_the_failure() {
    let text = table(&sweep());
    assert!(
        text.contains("sizes: 100 (grown, 1.0s + 2.0s measuring), 1,000"),
        "{text}"
    );
    let by_id = text
        .lines()
        .find(|l| l.starts_with("session_by_id"))
        .unwrap();
    assert!(by_id.contains("constant  buffers"), "{by_id}");
    assert!(by_id.contains("80µs (80µs–80µs)"), "{by_id}");
    assert!(by_id.ends_with("pass (max log)"), "{by_id}");
    let like = text
        .lines()
        .find(|l| l.starts_with("conversation_like"))
        .unwrap();
    assert!(like.contains("linear    buffers  1.00±0.00"), "{like}");
    assert!(like.contains("1.00s (1.00s–1.00s)"), "{like}");
    assert!(text.contains("FAIL conversation_like: grows linear (buffers k = 1.00, p50 k = 1.00) but max_growth = \"log\""));
    assert!(
        text.contains("buffers per execution  100  1,000  10,000"),
        "{text}"
    );
    assert!(text.ends_with("scale: 1 pass, 1 fail, 0 unclassified\n"));
}

#[test]
fn markdown_and_html_carry_the_same_tables_and_the_chart_is_inline() {
    let report = sweep();
    let md = markdown(&report);
    assert!(
        md.starts_with("# Scale sweep\n\nPostgreSQL 17.2 at 127.0.0.1:5432/x (throwaway cluster)")
    );
    assert!(md.contains("| scenario | growth | by |"));
    assert!(md.contains("| session_by_id | constant | buffers |"));
    let page = html(&report);
    assert!(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(
        page.matches("http").count(),
        1,
        "no link but the SVG namespace"
    );
    assert_eq!(
        page.matches("<polyline").count(),
        2,
        "one line per scenario"
    );
    assert!(page.contains("session_by_id (constant)"));
}

#[test]
fn json_reads_back_with_its_verdicts() {
    let report = sweep();
    let bytes = render(Format::Json, &report).unwrap();
    let back: ScaleReport = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back.summary, report.summary);
    assert_eq!(back.levels, report.levels);
    let verdicts = |r: &ScaleReport| -> Vec<_> {
        r.scenarios
            .iter()
            .map(|s| (s.class, s.basis, s.ok, s.reason.clone()))
            .collect()
    };
    assert_eq!(verdicts(&back), verdicts(&report));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"format\": \"techspec-bench-scale/1\""));
    assert!(text.contains("\"class\": \"linear\""));
}
