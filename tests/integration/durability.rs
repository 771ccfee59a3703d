//! Nothing lost: finished work survives a failed write, Ctrl-C or a kill; files are
//! written whole and renamed into place; a resumed sweep checks what it trusts.

use crate::limits::MINI;
use crate::support::{cgtsim, replaced, scratch};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_unwritable_out_directory_is_found_before_simulating() {
    let dir = scratch("unwritable");
    let path = dir.join("s.toml");
    // A long run: if the check came after the simulation, this test would take minutes.
    std::fs::write(
        &path,
        replaced(MINI, "horizon = \"100d\"", "horizon = \"3000000d\""),
    )
    .unwrap();
    std::fs::write(dir.join("file"), "not a directory").unwrap();
    let started = Instant::now();
    let o = cgtsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        dir.join("file/out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write results to"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_failed_write_still_shows_the_table_and_never_mixes_two_runs() {
    let dir = scratch("failed-write");
    let path = dir.join("s.toml");
    std::fs::write(&path, MINI).unwrap();
    let out = dir.join("out");
    let first = cgtsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(first.status.success());
    let old_csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    // `summary.json` becomes a directory: the new set cannot replace it.
    std::fs::remove_file(out.join("summary.json")).unwrap();
    std::fs::create_dir(out.join("summary.json")).unwrap();
    std::fs::write(out.join("summary.json/keep"), "x").unwrap();
    let o = cgtsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Product car-t"),
        "the table is printed"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write results to"));
    // Either the old files or none of the new ones: here the old CSV files stay whole.
    assert_eq!(
        std::fs::read_to_string(out.join("summary.csv")).unwrap(),
        old_csv
    );
    assert!(
        names_in(&out).iter().all(|n| !n.contains(".tmp")),
        "temporaries removed: {:?}",
        names_in(&out)
    );
}

#[test]
fn ctrl_c_during_a_run_says_what_finished_and_writes_nothing() {
    let dir = scratch("sigint");
    let path = dir.join("s.toml");
    // Replications of a few tenths of a second each.
    let text = replaced(MINI, "horizon = \"100d\"", "horizon = \"200000d\"");
    let text = replaced(&text, "rate = 0.1", "rate = 0.15");
    std::fs::write(&path, text).unwrap();
    let out = dir.join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_cgtsim"))
        .args([
            "run",
            path.to_str().unwrap(),
            "--replications",
            "400",
            "--threads",
            "1",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: ")
            && err.contains(" of 400 replications finished; no files written"),
        "{err}"
    );
    assert!(names_in(&out).is_empty(), "{:?}", names_in(&out));
}

#[test]
fn an_invalid_sweep_value_is_located_in_the_sweep_file() {
    let dir = scratch("sweep-located");
    std::fs::write(dir.join("base.toml"), MINI).unwrap();
    let path = dir.join("sweep.toml");
    std::fs::write(
        &path,
        "base = \"base.toml\"\n[grid]\n\"products.car-t.arrivals.rate\" = [0.1, 1e-300]\n",
    )
    .unwrap();
    let o = crate::sweep_store::sweep(&path, &dir.join("out"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("sweep.toml:3:40: `products.car-t.arrivals.rate = 1e-300` makes the base scenario invalid: a rate of 1e-300 means fewer than one arrival"),
        "{err}"
    );
}
