//! Draws parameter values for each iteration from the scenario's generators and one
//! seeded RNG; runs `sample` queries once up front. Must not execute scenario statements.

use std::collections::HashMap;
use std::sync::Arc;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Zipf};

use crate::config::model::{IntDist, Literal, ParamGen, Scenario, Step};
use crate::db::missing;
use crate::db::stat_statements::TOOL_MARKER;
use crate::params::value::ParamValue;

/// Arrays captured by earlier steps of the current iteration, by name.
pub type Captures = HashMap<String, ParamValue>;

/// Why a drawer could not be prepared.
#[derive(Debug)]
pub enum PrepareFailure {
    /// The scenario cannot run on this database (a missing relation or schema): skip it.
    Skip(String),
    /// Something else went wrong (connection, a sample without rows, an unreadable sample
    /// column).
    Error(crate::Error),
}

/// Draws the `$n` values of each step from one seeded ChaCha8 stream.
/// The same seed, scenario and sequence of `draw` calls give the same values; a clone
/// draws what the original would have drawn (a paired run draws both sides' values so).
#[derive(Debug)]
pub struct ParamDrawer {
    seed: u64,
    rng: ChaCha8Rng,
    /// Values of each `sample` query (first column of every row), by SQL text.
    samples: Arc<HashMap<String, Vec<ParamValue>>>,
}

impl ParamDrawer {
    /// Runs every `sample` query of `scenario` once and seeds the RNG.
    /// A missing relation is a `Skip` naming it; a sample with no rows is an environment
    /// error (exit 3) naming the scenario, the query and how to seed.
    pub async fn prepare(
        client: &tokio_postgres::Client,
        scenario: &Scenario,
        rng_seed: u64,
    ) -> Result<ParamDrawer, PrepareFailure> {
        let mut samples = HashMap::new();
        for sql in sample_queries(scenario) {
            if samples.contains_key(sql) {
                continue;
            }
            let values = load_sample(client, scenario, sql).await?;
            samples.insert(sql.to_string(), values);
        }
        Ok(ParamDrawer::with_samples(rng_seed, samples))
    }

    /// A drawer with samples already loaded (no database needed).
    pub fn with_samples(rng_seed: u64, samples: HashMap<String, Vec<ParamValue>>) -> ParamDrawer {
        ParamDrawer {
            seed: rng_seed,
            rng: stream(rng_seed, 0),
            samples: Arc::new(samples),
        }
    }

    /// One value per generator of `step`, in `$n` order. A `captured` name that is not in
    /// `captures` (its step returned nothing to capture) binds an empty array.
    pub fn draw(&mut self, step: &Step, captures: &Captures) -> Vec<ParamValue> {
        step.params
            .iter()
            .map(|generator| self.draw_one(generator, captures))
            .collect()
    }

    /// An independent, deterministic stream for client `client_index`, sharing the samples.
    pub fn fork(&self, client_index: u32) -> ParamDrawer {
        ParamDrawer {
            seed: self.seed,
            rng: stream(self.seed, u64::from(client_index) + 1),
            samples: Arc::clone(&self.samples),
        }
    }

    fn draw_one(&mut self, generator: &ParamGen, captures: &Captures) -> ParamValue {
        match generator {
            ParamGen::Value(literal) => literal_value(literal),
            ParamGen::Int { low, high, dist } => {
                ParamValue::Int(draw_int(&mut self.rng, *low, *high, *dist))
            }
            ParamGen::Float { low, high } => {
                ParamValue::Float(draw_float(&mut self.rng, *low, *high))
            }
            ParamGen::Choice(options) => match options.len() {
                0 => ParamValue::Null,
                len => literal_value(&options[self.rng.random_range(0..len)]),
            },
            ParamGen::Uuid => {
                ParamValue::Uuid(uuid::Builder::from_random_bytes(self.rng.random()).into_uuid())
            }
            ParamGen::Sample(sql) => match self.samples.get(sql) {
                Some(values) if !values.is_empty() => {
                    values[self.rng.random_range(0..values.len())].clone()
                }
                _ => ParamValue::Null,
            },
            ParamGen::Captured(name) => captures
                .get(name)
                .cloned()
                .unwrap_or(ParamValue::Array(Vec::new())),
        }
    }
}

impl Clone for ParamDrawer {
    /// The same position in the same stream (ChaCha's state is its seed, stream and word
    /// position).
    fn clone(&self) -> ParamDrawer {
        let mut rng = ChaCha8Rng::from_seed(self.rng.get_seed());
        rng.set_stream(self.rng.get_stream());
        rng.set_word_pos(self.rng.get_word_pos());
        ParamDrawer {
            seed: self.seed,
            rng,
            samples: Arc::clone(&self.samples),
        }
    }
}

/// ChaCha8 seeded from `seed`, on its own stream (0 for the base drawer, 1+i for client i).
fn stream(seed: u64, stream_id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream_id);
    rng
}

fn sample_queries(scenario: &Scenario) -> impl Iterator<Item = &str> {
    scenario
        .steps
        .iter()
        .flat_map(|step| &step.params)
        .filter_map(|generator| match generator {
            ParamGen::Sample(sql) => Some(sql.as_str()),
            _ => None,
        })
}

async fn load_sample(
    client: &tokio_postgres::Client,
    scenario: &Scenario,
    sql: &str,
) -> Result<Vec<ParamValue>, PrepareFailure> {
    // Marked as the tool's own, so `capture` and `watch` leave it out.
    let marked = format!("{TOOL_MARKER} {sql}");
    let rows = client
        .query(&marked, &[])
        .await
        .map_err(|e| match missing::skip_reason(&e) {
            Some(reason) => PrepareFailure::Skip(reason),
            None => PrepareFailure::Error(crate::Error::database(
                format!("scenario `{}`: sample `{sql}` failed", scenario.name),
                &e,
            )),
        })?;
    if rows.is_empty() {
        return Err(PrepareFailure::Error(empty_sample(scenario, sql)));
    }
    rows.iter()
        .map(|row| row.try_get::<_, ParamValue>(0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            PrepareFailure::Error(crate::Error::config(format!(
                "scenario `{}` ({}:{}): sample `{sql}`: cannot use its first column: {e}",
                scenario.name,
                scenario.origin.file.display(),
                scenario.origin.line
            )))
        })
}

/// A `sample` query that returned no rows: the database lacks the data the scenario
/// draws its parameters from, so measuring it would measure nothing (exit 3).
fn empty_sample(scenario: &Scenario, sql: &str) -> crate::Error {
    crate::Error::environment(format!(
        "scenario `{}` ({}:{}): sample `{sql}` returned no rows, so there is no value to draw \
         its parameter from; seed the database (`techspec-bench seed`, or `run --seed`), or \
         change the query to return rows on this data",
        scenario.name,
        scenario.origin.file.display(),
        scenario.origin.line
    ))
}

fn literal_value(literal: &Literal) -> ParamValue {
    match literal {
        Literal::Bool(b) => ParamValue::Bool(*b),
        Literal::Int(i) => ParamValue::Int(*i),
        Literal::Float(f) => ParamValue::Float(*f),
        Literal::Text(s) => ParamValue::Text(s.clone()),
    }
}

/// An integer in `[low, high]`, uniform or zipf (`low` the most frequent).
fn draw_int(rng: &mut ChaCha8Rng, low: i64, high: i64, dist: IntDist) -> i64 {
    if low >= high {
        return low;
    }
    match dist {
        IntDist::Uniform => rng.random_range(low..=high),
        IntDist::Zipf { s } => {
            let count = (high as f64) - (low as f64) + 1.0;
            match Zipf::new(count, s) {
                // The rank is in [1, count]; rank 1 is the most frequent.
                Ok(zipf) => low.saturating_add(zipf.sample(rng) as i64 - 1).min(high),
                Err(_) => low,
            }
        }
    }
}

fn draw_float(rng: &mut ChaCha8Rng, low: f64, high: f64) -> f64 {
    if low < high {
        rng.random_range(low..=high)
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(params: Vec<ParamGen>) -> Step {
        Step {
            sql: "SELECT $1".into(),
            params,
            captures: Vec::new(),
        }
    }

    fn draws(drawer: &mut ParamDrawer, step: &Step, n: usize) -> Vec<ParamValue> {
        (0..n)
            .flat_map(|_| drawer.draw(step, &Captures::new()))
            .collect()
    }

    fn ints(values: &[ParamValue]) -> Vec<i64> {
        values
            .iter()
            .map(|v| {
                if let ParamValue::Int(i) = v {
                    *i
                } else {
                    panic!("{v:?}")
                }
            })
            .collect()
    }

    #[test]
    fn a_clone_draws_what_the_original_draws_next() {
        let int = step(vec![ParamGen::Int {
            low: 0,
            high: 1_000_000,
            dist: IntDist::Uniform,
        }]);
        let mut original = ParamDrawer::with_samples(9, HashMap::new()).fork(3);
        draws(&mut original, &int, 5);
        let mut twin = original.clone();
        let ahead = draws(&mut original, &int, 20);
        assert_eq!(draws(&mut twin, &int, 20), ahead);
    }

    #[test]
    fn the_same_seed_draws_the_same_values_and_another_seed_does_not() {
        let s = step(vec![
            ParamGen::Int {
                low: 1,
                high: 1_000_000,
                dist: IntDist::Uniform,
            },
            ParamGen::Uuid,
            ParamGen::Float {
                low: 0.0,
                high: 1.0,
            },
            ParamGen::Choice(vec![Literal::Text("a".into()), Literal::Text("b".into())]),
        ]);
        let first = draws(&mut ParamDrawer::with_samples(42, HashMap::new()), &s, 100);
        let again = draws(&mut ParamDrawer::with_samples(42, HashMap::new()), &s, 100);
        let other = draws(&mut ParamDrawer::with_samples(43, HashMap::new()), &s, 100);
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn forks_are_deterministic_and_independent_of_each_other() {
        let s = step(vec![ParamGen::Int {
            low: 0,
            high: i64::MAX,
            dist: IntDist::Uniform,
        }]);
        let base = ParamDrawer::with_samples(7, HashMap::new());
        let a = draws(&mut base.fork(0), &s, 20);
        assert_eq!(a, draws(&mut base.fork(0), &s, 20));
        assert_ne!(a, draws(&mut base.fork(1), &s, 20));
        assert_ne!(
            a,
            draws(&mut ParamDrawer::with_samples(7, HashMap::new()), &s, 20)
        );
    }

    #[test]
    fn uniform_ints_and_floats_stay_within_bounds_and_reach_both_ends() {
        let mut drawer = ParamDrawer::with_samples(1, HashMap::new());
        let values = ints(&draws(
            &mut drawer,
            &step(vec![ParamGen::Int {
                low: -3,
                high: 3,
                dist: IntDist::Uniform,
            }]),
            2000,
        ));
        assert!(values.iter().all(|v| (-3..=3).contains(v)));
        assert!(values.contains(&-3) && values.contains(&3));
        for value in draws(
            &mut drawer,
            &step(vec![ParamGen::Float {
                low: 2.5,
                high: 3.5,
            }]),
            1000,
        ) {
            let ParamValue::Float(f) = value else {
                panic!("{value:?}")
            };
            assert!((2.5..=3.5).contains(&f));
        }
    }

    #[test]
    fn zipf_favours_the_low_end_and_stays_within_bounds() {
        let mut drawer = ParamDrawer::with_samples(3, HashMap::new());
        let s = step(vec![ParamGen::Int {
            low: 10,
            high: 109,
            dist: IntDist::Zipf { s: 1.1 },
        }]);
        let values = ints(&draws(&mut drawer, &s, 20_000));
        assert!(values.iter().all(|v| (10..=109).contains(v)));
        let count = |x: i64| values.iter().filter(|&&v| v == x).count();
        // With s = 1.1 over 100 values, P(rank 1) is about 0.19 and P(rank 100) about 0.001.
        assert!(count(10) > 2_500, "lowest value drawn {} times", count(10));
        assert!(count(10) > 2 * count(11) - 500 && count(11) > count(20));
        assert!(count(109) < 200);
    }

    #[test]
    fn degenerate_ranges_return_the_low_end_instead_of_panicking() {
        let mut drawer = ParamDrawer::with_samples(1, HashMap::new());
        let s = step(vec![
            ParamGen::Int {
                low: 5,
                high: 5,
                dist: IntDist::Uniform,
            },
            ParamGen::Int {
                low: 9,
                high: 1,
                dist: IntDist::Zipf { s: 1.0 },
            },
            ParamGen::Float {
                low: 1.0,
                high: 1.0,
            },
            ParamGen::Choice(Vec::new()),
        ]);
        assert_eq!(
            drawer.draw(&s, &Captures::new()),
            vec![
                ParamValue::Int(5),
                ParamValue::Int(9),
                ParamValue::Float(1.0),
                ParamValue::Null
            ]
        );
    }

    #[test]
    fn values_choices_samples_and_captures_are_taken_from_their_source() {
        let samples = HashMap::from([(
            "SELECT id FROM t".to_string(),
            vec![ParamValue::Int(11), ParamValue::Int(12)],
        )]);
        let mut drawer = ParamDrawer::with_samples(9, samples);
        let mut captures = Captures::new();
        captures.insert("ids".into(), ParamValue::Array(vec![ParamValue::Int(1)]));
        let s = step(vec![
            ParamGen::Value(Literal::Bool(true)),
            ParamGen::Choice(vec![Literal::Text("only".into())]),
            ParamGen::Sample("SELECT id FROM t".into()),
            ParamGen::Captured("ids".into()),
            ParamGen::Captured("absent".into()),
        ]);
        for _ in 0..50 {
            let drawn = drawer.draw(&s, &captures);
            assert_eq!(drawn[0], ParamValue::Bool(true));
            assert_eq!(drawn[1], ParamValue::Text("only".into()));
            assert!(matches!(drawn[2], ParamValue::Int(11 | 12)));
            assert_eq!(drawn[3], ParamValue::Array(vec![ParamValue::Int(1)]));
            assert_eq!(drawn[4], ParamValue::Array(Vec::new()));
        }
    }

    #[test]
    fn uuids_are_version_4() {
        let mut drawer = ParamDrawer::with_samples(1, HashMap::new());
        let ParamValue::Uuid(id) = drawer.draw(&step(vec![ParamGen::Uuid]), &Captures::new())[0]
        else {
            panic!("not a uuid")
        };
        assert_eq!(id.get_version_num(), 4);
    }
}
