//! A scenario's definition hash: SHA-256 over its SQL, parameter generators, captures,
//! transaction mode, load shape, statement timeout and expectations — everything that
//! changes what is measured. Name, group, description and file position are left out.
//! A baseline whose hash differs measured something else and is not compared. Pure.

use sha2::{Digest, Sha256};

use crate::config::Scenario;

/// `sha256:` and the first 16 hex digits of the hash of `scenario`'s definition.
pub fn definition_hash(scenario: &Scenario) -> String {
    let mut hasher = Sha256::new();
    for step in &scenario.steps {
        hasher.update(format!("sql\0{}\0", step.sql));
        hasher.update(format!("params\0{:?}\0", step.params));
        hasher.update(format!("captures\0{:?}\0", step.captures));
    }
    hasher.update(format!("transaction\0{:?}\0", scenario.transaction));
    hasher.update(format!("load\0{:?}\0", scenario.load));
    hasher.update(format!("timeout\0{:?}\0", scenario.statement_timeout));
    hasher.update(format!("expect\0{:?}\0", scenario.expect));
    let digest = hasher.finalize();
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadAmount, Scenario};

    fn scenario() -> Scenario {
        let text = r#"
[[scenario]]
name = "by_id"
sql = "SELECT * FROM t WHERE id = $1"
params = [{ int = [1, 100] }]
iterations = 200
"#;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("queries.toml");
        std::fs::write(&path, text).unwrap();
        crate::config::load_scenarios(&[path]).unwrap().remove(0)
    }

    #[test]
    fn the_hash_is_stable_and_ignores_name_and_description() {
        let original = scenario();
        let hash = definition_hash(&original);
        assert!(hash.starts_with("sha256:") && hash.len() == 23, "{hash}");
        let mut renamed = original.clone();
        renamed.name = "other".into();
        renamed.description = Some("said differently".into());
        renamed.origin.line = 99;
        assert_eq!(definition_hash(&renamed), hash);
    }

    #[test]
    fn sql_parameters_load_and_expectations_change_the_hash() {
        let original = scenario();
        let hash = definition_hash(&original);
        let mut sql = original.clone();
        sql.steps[0].sql.push_str(" LIMIT 1");
        let mut load = original.clone();
        load.load.amount = LoadAmount::Iterations(300);
        let mut expect = original.clone();
        expect.expect.max_buffers = Some(10);
        let mut params = original.clone();
        params.steps[0].params.clear();
        for changed in [sql, load, expect, params] {
            assert_ne!(definition_hash(&changed), hash);
        }
    }
}
