//! The JSON Schema of the scenario and sweep files (`cgtsim schema`): every bundled file
//! is valid against it, a mistake an editor should flag is not, and the copies in
//! `schemas/` are what `cgtsim schema` prints.

use crate::support::cgtsim;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn schema(of: &str) -> serde_json::Value {
    let o = cgtsim(&["schema", of]);
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A TOML text as the JSON an editor validates.
fn as_json(text: &str) -> serde_json::Value {
    serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap()
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    validator
        .iter_errors(&as_json(text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_bundled_scenario_and_sweep_is_valid_against_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = jsonschema::draft7::new(&schema("scenario")).unwrap();
    let sweep = jsonschema::draft7::new(&schema("sweep")).unwrap();
    let mut all = Vec::new();
    files(&root.join("scenarios"), &mut all);
    let mut checked = (0, 0);
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        let is_sweep = f.components().any(|c| c.as_os_str() == "sweeps");
        let v = if is_sweep { &sweep } else { &scenario };
        let e = errors(v, &text);
        assert!(e.is_empty(), "{}: {e:?}", f.display());
        if is_sweep {
            checked.1 += 1;
        } else {
            checked.0 += 1;
        }
    }
    assert!(checked.0 >= 15 && checked.1 >= 1, "{checked:?}");
}

#[test]
fn the_schema_flags_what_cgtsim_would_refuse() {
    let v = jsonschema::draft7::new(&schema("scenario")).unwrap();
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/validation/mm1.toml"
    ))
    .unwrap();
    assert!(errors(&v, &good).is_empty());
    for (from, to, what) in [
        (
            "horizon = \"20000d\"",
            "horizon = 20000",
            "a duration without a unit",
        ),
        (
            "replications = 40",
            "replications = 40\nreplicatoins = 4",
            "an unknown key",
        ),
        (
            "server = { capacity = 1 }",
            "server = { capacity = 1, colour = \"red\" }",
            "an unknown resource key",
        ),
        ("type = \"autologous\"", "type = 3", "a number for a name"),
    ] {
        let bad = crate::support::replaced(&good, from, to);
        assert!(!errors(&v, &bad).is_empty(), "{what} passed the schema");
        // cgtsim refuses it too.
        let dir = crate::support::scratch("schema-bad");
        let f = dir.join("bad.toml");
        std::fs::write(&f, &bad).unwrap();
        assert_eq!(
            cgtsim(&["run", f.to_str().unwrap()]).status.code(),
            Some(2),
            "{what}"
        );
    }
}

#[test]
fn the_schemas_in_the_repository_are_what_cgtsim_prints() {
    for of in ["scenario", "sweep"] {
        let file = format!("{}/schemas/{of}.schema.json", env!("CARGO_MANIFEST_DIR"));
        let shipped: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(
            shipped,
            schema(of),
            "{file} is out of date: cgtsim schema {of} > {file}"
        );
        assert_eq!(
            shipped["$schema"],
            "http://json-schema.org/draft-07/schema#"
        );
    }
}
