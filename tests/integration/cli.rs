//! The command line as a user meets it: exit codes, messages, and output that does not
//! depend on the number of threads.

use crate::support::cgtsim;

use std::process::{Command, Output};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn version_and_help() {
    let v = cgtsim(&["--version"]);
    assert!(v.status.success());
    assert_eq!(
        stdout(&v).trim(),
        format!("cgtsim {}", env!("CARGO_PKG_VERSION"))
    );
    let h = cgtsim(&["--help"]);
    assert!(h.status.success());
    assert!(stdout(&h).contains("validate"), "{}", stdout(&h));
}

#[test]
fn bad_arguments_exit_with_code_2_and_say_what_to_fix() {
    let o = cgtsim(&["validate", "--replications", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--replications must be from 2 to"));
    let o = cgtsim(&["validate", "--threads", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let o = cgtsim(&["validate", "--replications", "many"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "clap's own usage errors also exit with 2"
    );
    let o = cgtsim(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn validate_is_identical_on_one_and_two_threads() {
    let table = |threads: &str| {
        let o = cgtsim(&[
            "validate",
            "--replications",
            "6",
            "--seed",
            "3",
            "--threads",
            threads,
        ]);
        assert!(o.status.success());
        // Everything but the thread count and the timing line.
        stdout(&o)
            .lines()
            .filter(|l| !l.contains("threads") && !l.contains("events/s"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let one = table("1");
    assert!(
        one.contains("Erlang A") && one.contains("(R, Q) inventory"),
        "{one}"
    );
    assert_eq!(one, table("2"));
}

#[test]
fn validate_reproduces_every_oracle_and_says_so() {
    let o = cgtsim(&["validate"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("14 passed, 0 failed"), "{out}");
    for oracle in [
        "M/M/1 ",
        "M/M/5 (model A)",
        "M/D/1",
        "M/G/1 lognormal",
        "Erlang B",
        "priority M/M/1",
        "Erlang A",
        "(R, Q) inventory",
    ] {
        assert!(out.contains(oracle), "{oracle} missing:\n{out}");
    }
}

#[test]
fn threads_follow_the_flag_then_rayon_then_slurm() {
    let threads = |envs: &[(&str, &str)], extra: &[&str]| {
        let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/reference/mmc.toml");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cgtsim"));
        cmd.args(["run", scenario, "--replications", "2", "--json"])
            .args(extra);
        cmd.env_remove("RAYON_NUM_THREADS")
            .env_remove("SLURM_CPUS_PER_TASK");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success());
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        json["threads"].as_u64().unwrap()
    };
    assert_eq!(threads(&[("SLURM_CPUS_PER_TASK", "1")], &[]), 1);
    assert_eq!(
        threads(
            &[("SLURM_CPUS_PER_TASK", "1"), ("RAYON_NUM_THREADS", "3")],
            &[]
        ),
        3
    );
    assert_eq!(
        threads(&[("RAYON_NUM_THREADS", "3")], &["--threads", "2"]),
        2
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    // Every subcommand and a few options appear; bash accepts the bash script's syntax.
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = crate::support::cgtsim(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&o.stdout);
        for word in ["sweep", "size", "validate", "max-replications", "minimise"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            let dir = crate::support::scratch("completions");
            let file = dir.join("cgtsim.bash");
            std::fs::write(&file, text.as_bytes()).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&file)
                .output();
            if let Ok(check) = check {
                assert!(
                    check.status.success(),
                    "{}",
                    String::from_utf8_lossy(&check.stderr)
                );
            }
        }
    }
    let o = crate::support::cgtsim(&["man"]);
    assert!(o.status.success());
    let man = String::from_utf8_lossy(&o.stdout);
    for sub in ["run", "sweep", "merge", "size", "validate", "completions"] {
        assert!(
            man.contains(&format!(".TH cgtsim-{sub} 1")),
            "no page for {sub}"
        );
    }
    let o = crate::support::cgtsim(&["completions", "nushell"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn verbose_says_what_was_read_and_written_and_is_quiet_otherwise() {
    let dir = crate::support::scratch("verbose");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/published/ishipment/ishipment-1000a.toml"
    );
    let out = dir.join("out");
    let o = cgtsim(&["-v", "run", scenario, "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for said in [
        "read ",
        "read arrival log ",
        "c1-1000a.csv (SHA-256 ",
        "running 2 replications",
        "wrote ",
        "summary.json",
        "costs.csv",
    ] {
        assert!(err.contains(said), "no `{said}` in:\n{err}");
    }
    assert!(!err.contains('\u{1b}'), "colours on a pipe:\n{err}");
    let o = cgtsim(&["run", scenario, "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("INFO"),
        "logging without -v"
    );
}
