//! Embeds every `migrations/NNNN_name.sql` file, in version order, by generating
//! `$OUT_DIR/migrations.rs` (a table of `include_str!`s). Must not do anything else.

use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut entries: Vec<(u32, String, String)> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("migrations/ must exist") {
        let path = entry.expect("readable migrations/ entry").path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = file_name.strip_suffix(".sql") else {
            continue;
        };
        let (version, name) = stem
            .split_once('_')
            .filter(|(v, n)| v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
            .unwrap_or_else(|| panic!("migrations/{file_name}: name it NNNN_description.sql"));
        let version: u32 = version.parse().expect("four digits");
        if let Some(clash) = entries.iter().find(|(v, _, _)| *v == version) {
            panic!(
                "migrations/{file_name}: version {version:04} is already used by {}",
                clash.1
            );
        }
        entries.push((version, name.to_string(), path.display().to_string()));
    }
    entries.sort();
    let mut code = String::from("&[\n");
    for (version, name, path) in entries {
        code.push_str(&format!(
            "    EmbeddedMigration {{ version: {version}, name: {name:?}, sql: include_str!({path:?}) }},\n"
        ));
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(out, code).expect("write migrations.rs");
}
