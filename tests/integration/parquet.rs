//! Parquet copies of the tidy outputs. With the `parquet` feature (`cargo test --release
//! --features parquet`, as `.ci/run` does): every CSV of `run --out` and a sweep's
//! `results.csv` read back from Parquet row for row and value for value. Without it:
//! `--parquet` is refused before anything runs.

use crate::support::{cgtsim, scratch};

#[cfg(feature = "parquet")]
fn rows_of_parquet(path: &std::path::Path) -> Vec<Vec<String>> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(_, f)| match f {
                    Field::Null => String::new(),
                    Field::Long(v) => v.to_string(),
                    Field::Double(v) => format!("{v}"),
                    Field::Str(s) => s.clone(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect()
        })
        .collect()
}

#[cfg(feature = "parquet")]
fn assert_same_table(csv: &std::path::Path) {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    let back = rows_of_parquet(&csv.with_extension("parquet"));
    assert_eq!(rows.len(), back.len(), "{}", csv.display());
    assert!(!rows.is_empty());
    for (a, b) in rows.iter().zip(&back) {
        for (x, y) in a.iter().zip(b) {
            // Numbers equal as numbers (the CSV may write 2.0 as 2), text as text.
            match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => {
                    assert_eq!(p.to_bits(), q.to_bits(), "{}: {x} vs {y}", csv.display())
                }
                _ => assert_eq!(x, y, "{}", csv.display()),
            }
        }
    }
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_copies_read_back_as_the_csv_files() {
    let dir = scratch("parquet-run");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ccrm-nordic.toml");
    let o = cgtsim(&[
        "run",
        scenario,
        "--replications",
        "5",
        "--timeseries",
        "month",
        "--out",
        dir.to_str().unwrap(),
        "--parquet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["summary", "replications", "costs", "timeseries"] {
        assert_same_table(&dir.join(format!("{name}.csv")));
    }
    // A run without --parquet leaves no Parquet file of an earlier run.
    let o = cgtsim(&[
        "run",
        scenario,
        "--replications",
        "5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(!dir.join("replications.parquet").exists());
    // A sweep's results, unsharded and merged from shards.
    let sweep = dir.join("s.toml");
    std::fs::write(
        &sweep,
        format!("base = \"{}/scenarios/validation/mm1.toml\"\nreplications = 3\n[grid]\n\"resources.server.capacity\" = [1, 2]\n", env!("CARGO_MANIFEST_DIR")),
    )
    .unwrap();
    let out = dir.join("sweep");
    let o = cgtsim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--parquet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_table(&out.join("results.csv"));
    let sharded = dir.join("sharded");
    for k in ["1/2", "2/2"] {
        assert!(
            cgtsim(&[
                "sweep",
                sweep.to_str().unwrap(),
                "--out",
                sharded.to_str().unwrap(),
                "--shard",
                k
            ])
            .status
            .success()
        );
    }
    assert!(
        cgtsim(&["merge", sharded.to_str().unwrap(), "--parquet"])
            .status
            .success()
    );
    assert_same_table(&sharded.join("results.csv"));
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_is_refused_by_a_build_without_it() {
    let dir = scratch("parquet-refused");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/validation/mm1.toml");
    let o = cgtsim(&["run", scenario, "--out", dir.to_str().unwrap(), "--parquet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--features parquet"));
    assert!(!dir.join("summary.json").exists(), "it ran before refusing");
}
