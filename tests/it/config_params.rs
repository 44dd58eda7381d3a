//! Scenario statements, one element at a time: `$n` placeholders, parameter generators,
//! captures between steps and plan expectations.

use crate::config_support;

use config_support::{assert_error, load_one};
use techspec_bench::config::{IntDist, NoSeqScan, ParamGen};

#[test]
fn each_placeholder_needs_one_generator() {
    let base = "[[scenario]]\nname = \"x\"\niterations = 1\n";
    assert_error(
        &format!("{base}sql = \"SELECT $1, $2\"\nparams = [{{ value = 1 }}]\n"),
        "5:10",
        &["2 parameter(s)", "has 1 entry"],
    );
    assert_error(
        &format!("{base}sql = \"SELECT $1\"\n"),
        "4:7",
        &["1 parameter(s)", "has 0 entries"],
    );
    assert_error(
        &format!("{base}sql = \"SELECT 1\"\nparams = [{{ value = 1 }}]\n"),
        "5:10",
        &["uses no $n parameter"],
    );
    assert_error(&format!("{base}sql = \"SELECT $0\"\n"), "4:7", &["$0"]);
    let in_literal = load_one(&format!(
        "{base}sql = \"SELECT '$2', ($1::uuid[])[2]\"\nparams = [{{ uuid = \"v4\" }}]\n"
    ));
    assert_eq!(in_literal.steps[0].params, [ParamGen::Uuid]);
}

#[test]
fn each_parameter_has_exactly_one_valid_generator() {
    let base = "[[scenario]]\nname = \"x\"\niterations = 1\nsql = \"SELECT $1\"\n";
    let with = |param: &str| format!("{base}params = [{param}]\n");
    assert_error(&with("{}"), "5:11", &["needs a generator"]);
    assert_error(
        &with("{ value = 1, uuid = \"v4\" }"),
        "5:11",
        &["several generators (value, uuid)"],
    );
    assert_error(
        &with("{ int = [9, 1] }"),
        "5:11",
        &["reversed: 9 > 1", "int = [1, 9]"],
    );
    assert_error(&with("{ int = [1] }"), "5:11", &["exactly two bounds"]);
    assert_error(&with("{ float = [2.0, 1.0] }"), "5:11", &["reversed"]);
    assert_error(&with("{ choice = [] }"), "5:11", &["`choice` is empty"]);
    assert_error(
        &with("{ uuid = \"v7\" }"),
        "5:20",
        &["unknown uuid version `v7`"],
    );
    assert_error(&with("{ sample = \"\" }"), "5:11", &["`sample` is empty"]);
    assert_error(
        &with("{ sample = \"DELETE FROM t RETURNING id\" }"),
        "5:11",
        &["must only read"],
    );
    assert_error(
        &with("{ value = [1, 2] }"),
        "5:11",
        &["string, integer, float or boolean"],
    );
    assert_eq!(
        load_one(&with("{ int = [3, 3] }")).steps[0].params,
        [ParamGen::Int {
            low: 3,
            high: 3,
            dist: IntDist::Uniform
        }]
    );
}

#[test]
fn zipf_goes_with_int_only_and_needs_a_positive_exponent() {
    let base = "[[scenario]]\nname = \"x\"\niterations = 1\nsql = \"SELECT $1\"\n";
    let with = |param: &str| format!("{base}params = [{param}]\n");
    let zipf = load_one(&with("{ int = [1, 9], dist = \"zipf\" }"));
    assert_eq!(
        zipf.steps[0].params,
        [ParamGen::Int {
            low: 1,
            high: 9,
            dist: IntDist::Zipf { s: 1.0 }
        }]
    );
    assert_error(
        &with("{ choice = [1], dist = \"zipf\" }"),
        "5:11",
        &["without `int`"],
    );
    assert_error(
        &with("{ int = [1, 9], dist = \"zipff\" }"),
        "5:34",
        &["unknown distribution", "did you mean `zipf`?"],
    );
    assert_error(
        &with("{ int = [1, 9], dist = \"zipf\", s = 0 }"),
        "5:46",
        &["must be > 0"],
    );
    assert_error(
        &with("{ int = [1, 9], s = 1.2 }"),
        "5:31",
        &["needs dist = \"zipf\""],
    );
}

#[test]
fn captured_must_name_a_capture_of_an_earlier_step() {
    let steps = |first: &str, second: &str| {
        format!(
            "[[scenario]]\nname = \"x\"\niterations = 1\n[[scenario.step]]\nsql = \"SELECT id FROM t\"\n{first}\n\
             [[scenario.step]]\nsql = \"SELECT $1\"\n{second}\n"
        )
    };
    assert_error(
        &steps(
            "capture = { ids = \"id\" }",
            "params = [{ captured = \"idz\" }]",
        ),
        "9:24",
        &["no earlier step captures `idz`", "did you mean `ids`?"],
    );
    assert_error(
        &steps(
            "",
            "params = [{ captured = \"ids\" }]\ncapture = { ids = \"id\" }",
        ),
        "9:24",
        &["captured by this or a later step"],
    );
    assert_error(
        &steps("capture = { \"1x\" = \"id\" }", ""),
        "6:13",
        &["not an identifier"],
    );
    assert_error(
        &steps(
            "capture = { ids = \"id\" }",
            "params = [{ captured = \"ids\" }]\ncapture = { ids = \"id\" }",
        ),
        "10:13",
        &["already captured"],
    );
    let single = "[[scenario]]\nname = \"x\"\niterations = 1\nsql = \"SELECT $1\"\nparams = [{ captured = \"ids\" }]\n";
    assert_error(single, "5:24", &["no earlier step captures `ids`"]);
}

#[test]
fn expectations_are_validated() {
    let base = "[[scenario]]\nname = \"x\"\niterations = 1\nsql = \"SELECT 1\"\n";
    let with = |expect: &str| format!("{base}expect = {expect}\n");
    assert_eq!(
        load_one(&with("{ no_seq_scan = true }")).expect.no_seq_scan,
        NoSeqScan::AllTables
    );
    assert_eq!(
        load_one(&with("{ no_seq_scan = false }"))
            .expect
            .no_seq_scan,
        NoSeqScan::Off
    );
    assert_error(&with("{ no_seq_scan = [] }"), "5:26", &["lists no table"]);
    assert_error(
        &with("{ no_seq_scan = \"yes\" }"),
        "5:26",
        &["true, false or a list"],
    );
    assert_error(
        &with("{ max_buffers = -1 }"),
        "5:26",
        &["`max_buffers` must be >= 0"],
    );
    assert_error(
        &with("{ max_row_estimate_error = 0.5 }"),
        "5:37",
        &["must be >= 1"],
    );
    assert_error(&with("{ index = \"\" }"), "1:1", &["empty index"]);
    assert_eq!(
        load_one(&with("{ max_row_estimate_error = 1 }"))
            .expect
            .max_row_estimate_error,
        Some(1.0)
    );
}
