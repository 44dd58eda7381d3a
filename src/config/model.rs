//! The typed, validated configuration model that the engine, explain and reports use.
//! Must not parse TOML or hold serde mirrors: only values that passed validation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Where a scenario was defined, for messages ("scenarios/queries.toml:12").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// File name as given (or `<built-in>/queries.toml`).
    pub file: PathBuf,
    /// 1-based line of the `[[scenario]]` entry.
    pub line: usize,
}

/// A validated scenario, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Unique name, `[a-z0-9_]+`.
    pub name: String,
    /// The group: the file stem (`queries`, `cross_schema`).
    pub group: String,
    pub description: Option<String>,
    pub origin: Origin,
    pub load: LoadShape,
    /// One step for a single-statement scenario; one per `[[scenario.step]]` otherwise.
    pub steps: Vec<Step>,
    /// Wrap each iteration in BEGIN ... ROLLBACK/COMMIT.
    pub transaction: Option<TransactionMode>,
    pub expect: Expectations,
    /// Per-statement timeout; a statement past it counts as an error (default 30 s).
    pub statement_timeout: Duration,
    /// The fastest growth with the dataset `scale` accepts (`None`: not gated).
    pub max_growth: Option<crate::growth::GrowthClass>,
    /// How the timed statements are sent (`protocol`, or `run --protocol`).
    pub protocol: Protocol,
}

/// How the timed statements reach the server (pgbench's `-M` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Named prepared statements, prepared once per connection, then Bind/Execute/Sync.
    #[default]
    Prepared,
    /// The unnamed statement of the extended protocol: Parse/Bind/Execute/Sync each time.
    Extended,
    /// The simple query protocol: parameters inlined as quoted literals.
    Simple,
}

impl Protocol {
    /// Every protocol, in the order the documentation lists them.
    pub const ALL: [Protocol; 3] = [Protocol::Prepared, Protocol::Extended, Protocol::Simple];

    /// The name used in files, flags and results.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Prepared => "prepared",
            Protocol::Extended => "extended",
            Protocol::Simple => "simple",
        }
    }

    /// The protocol named `text`, if any.
    pub fn from_name(text: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.name() == text)
    }
}

impl Scenario {
    /// True when this scenario has more than one statement.
    pub fn is_multi_step(&self) -> bool {
        self.steps.len() > 1
    }
}

/// How much load, how many clients, at what rate.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadShape {
    pub amount: LoadAmount,
    /// Iterations run per client before recording starts (never recorded).
    pub warmup: u64,
    /// Concurrent clients, each with its own connection.
    pub clients: u32,
    /// Open-loop rate in iterations per second across all clients.
    pub rate: Option<f64>,
}

/// Stop after a number of iterations (across all clients), after a duration, or when the
/// estimate is precise enough within a time budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadAmount {
    Iterations(u64),
    Duration(Duration),
    /// Measure until the p50 is precise enough (see `bench::budget`), or until this much
    /// measuring time is spent, whichever comes first; never fewer than a minimum number
    /// of iterations per window. The default when a scenario fixes neither.
    Budget(Duration),
}

/// One SQL statement of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub sql: String,
    /// One generator per `$n`, in order.
    pub params: Vec<ParamGen>,
    /// Columns whose values (all rows) are captured into named arrays for later steps.
    pub captures: Vec<Capture>,
}

/// `capture = { ids = "id" }`: column `id` of all rows into the array named `ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub name: String,
    pub column: String,
}

/// A parameter generator (see docs/scenario-format.md).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamGen {
    /// `{ value = X }`
    Value(Literal),
    /// `{ int = [lo, hi] }`, inclusive, optionally zipf-distributed.
    Int { low: i64, high: i64, dist: IntDist },
    /// `{ float = [lo, hi] }`
    Float { low: f64, high: f64 },
    /// `{ choice = [...] }`
    Choice(Vec<Literal>),
    /// `{ uuid = "v4" }`
    Uuid,
    /// `{ sample = "SELECT ..." }`: run once before the scenario, draw one value per iteration.
    Sample(String),
    /// `{ captured = "name" }`: the array captured by an earlier step.
    Captured(String),
}

/// Distribution of `int` draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntDist {
    Uniform,
    /// Zipf with exponent `s` (> 0); `low` is the most frequent value.
    Zipf {
        s: f64,
    },
}

/// A literal value from a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// `transaction = "rollback" | "commit"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionMode {
    Rollback,
    Commit,
}

/// Plan expectations (`expect`), all optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectations {
    /// Each must appear as Index Scan, Index Only Scan or Bitmap Index Scan.
    pub indexes: Vec<String>,
    /// Each table must be reached through some index.
    pub any_index_on: Vec<String>,
    pub no_seq_scan: NoSeqScan,
    /// A node type that must appear, e.g. "Index Only Scan".
    pub node: Option<String>,
    /// Shared hit + read blocks per execution.
    pub max_buffers: Option<u64>,
    /// Largest allowed ratio between estimated and actual rows on any node.
    pub max_row_estimate_error: Option<f64>,
}

impl Expectations {
    /// True when no expectation is set.
    pub fn is_empty(&self) -> bool {
        *self == Expectations::default()
    }
}

/// `no_seq_scan = true` or a list of tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NoSeqScan {
    #[default]
    Off,
    AllTables,
    Tables(Vec<String>),
}

/// All thresholds, by scenario name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thresholds {
    pub by_scenario: BTreeMap<String, Vec<ThresholdExpr>>,
    /// `[regression]`: per-scenario limits of the baseline gate.
    pub regression: BTreeMap<String, RegressionOverride>,
}

/// `[regression] name = { max = "20%", min = "100us", buffers = "2x" }`: each key set
/// replaces the flag's value for that scenario.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RegressionOverride {
    /// Relative change in percent (`--max-regression`).
    pub max_percent: Option<f64>,
    /// Microseconds (`--min-regression`).
    pub min_us: Option<f64>,
    /// Factor (`--max-buffers-ratio`).
    pub max_buffers_ratio: Option<f64>,
}

/// One gate such as `p95 < 5ms`, `errors == 0` or `throughput > 500/s`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdExpr {
    /// The expression in canonical form, e.g. "p95 < 5ms".
    pub text: String,
    pub metric: Metric,
    pub comparison: Comparison,
    /// Microseconds for latency metrics, a count for `errors`, per second for `throughput`;
    /// the factor for a ratio gate (`relative_to` set).
    pub limit: f64,
    /// A ratio gate (`"p50 faster_than other by 5x"`): the scenario it is compared with.
    /// Judged once every scenario ran: `other.metric / this.metric` must be `>= limit`.
    pub relative_to: Option<String>,
}

impl ThresholdExpr {
    /// True for a ratio gate, judged against another scenario after the run.
    pub fn is_ratio(&self) -> bool {
        self.relative_to.is_some()
    }
}

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    Min,
    Mean,
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
    Errors,
    Throughput,
    /// Shared buffers (hit + read) per execution, from the scenario's plan.
    Buffers,
}

/// The comparison of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}
