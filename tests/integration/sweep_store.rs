//! A sweep's part files (`variants/part-K-of-N.csv` and their indexes): nothing finished
//! is lost to a kill, Ctrl-C, a failed write, a torn or altered block or a lost index;
//! blocks of another sweep, an earlier cgtsim's layout and a shard run twice at once are
//! refused; a sweep begun unsharded goes on in shards.

use crate::limits::MINI;
use crate::support::{cgtsim, replaced, scratch};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A sweep of `variants` arrival rates over the small scenario, in `dir`.
fn small_sweep(dir: &Path, variants: usize) -> PathBuf {
    std::fs::write(dir.join("base.toml"), MINI).unwrap();
    let rates: Vec<String> = (1..=variants)
        .map(|i| format!("{:.2}", 0.05 * i as f64))
        .collect();
    let path = dir.join("sweep.toml");
    let text = format!(
        "base = \"base.toml\"\nreplications = 3\n[grid]\n\"products.car-t.arrivals.rate\" = [{}]\n",
        rates.join(", ")
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// 24 variants of ten years of reference model B: a few seconds on 2 cores.
fn long_sweep(dir: &Path) -> PathBuf {
    let cart = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/reference/cart.toml"
    ))
    .unwrap();
    let base = replaced(&cart, "horizon = \"730d\"", "horizon = \"3650d\"");
    std::fs::write(dir.join("cart.toml"), base).unwrap();
    let caps: Vec<String> = (20..44).map(|c| c.to_string()).collect();
    let path = dir.join("sweep.toml");
    let text = format!(
        "base = \"cart.toml\"\nreplications = 4\n[grid]\n\"resources.suite.capacity\" = [{}]\n",
        caps.join(", ")
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `cgtsim sweep PATH --out OUT --threads 1` and `more` arguments.
pub fn sweep(path: &Path, out: &Path, more: &[&str]) -> Output {
    let mut args = vec![
        "sweep",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
    ];
    args.extend(more);
    cgtsim(&args)
}

fn spawn_sweep(path: &Path, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cgtsim"))
        .args(["sweep", path.to_str().unwrap(), "--threads", "1", "--out"])
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn part(out: &Path, name: &str) -> PathBuf {
    out.join("variants").join(name)
}

/// The whole lines of a part's index: (variant, offset, length).
fn index(out: &Path, name: &str) -> Vec<(usize, u64, u64)> {
    let text = std::fs::read_to_string(part(out, name).with_extension("idx")).unwrap_or_default();
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| {
            let f: Vec<u64> = l.trim().split(',').map(|x| x.parse().unwrap()).collect();
            (f[0] as usize, f[1], f[2])
        })
        .collect()
}

/// Cuts an unsharded sweep's part to its first `bytes` and its index to its first
/// `lines`, and removes `results.csv`: what a kill at some moment leaves.
fn cut_unsharded(out: &Path, bytes: u64, lines: usize) {
    let p = part(out, "part-1-of-1.csv");
    let whole = std::fs::read(&p).unwrap();
    std::fs::write(&p, &whole[..bytes as usize]).unwrap();
    let kept: String = index(out, "part-1-of-1.csv")[..lines]
        .iter()
        .map(|(v, o, l)| format!("{v},{o},{l}\n"))
        .collect();
    std::fs::write(p.with_extension("idx"), kept).unwrap();
    std::fs::remove_file(out.join("results.csv")).unwrap();
}

fn results(out: &Path) -> String {
    std::fs::read_to_string(out.join("results.csv")).unwrap()
}

/// Waits (at most a minute) until `out`'s part of an unsharded sweep indexes `n` blocks.
fn wait_for_blocks(out: &Path, n: usize) {
    let waited = Instant::now();
    while index(out, "part-1-of-1.csv").len() < n && waited.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The number in `text` just after `words`: `number_after("ran 3, skipped 2", "ran ")` is 3.
fn number_after(text: &str, words: &str) -> usize {
    let at = text
        .find(words)
        .unwrap_or_else(|| panic!("no `{words}` in {text}"))
        + words.len();
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn one_part_file_per_shard_holds_every_variant_and_its_index_points_at_each_block() {
    let dir = scratch("store-layout");
    let path = small_sweep(&dir, 6);
    let out = dir.join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    let mut names: Vec<String> = std::fs::read_dir(out.join("variants"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["part-1-of-1.csv", "part-1-of-1.idx"]);
    let bytes = std::fs::read(part(&out, "part-1-of-1.csv")).unwrap();
    let entries = index(&out, "part-1-of-1.csv");
    let mut variants: Vec<usize> = entries.iter().map(|e| e.0).collect();
    variants.sort();
    assert_eq!(variants, [0, 1, 2, 3, 4, 5]);
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() as u64 + 1;
    assert_eq!(
        entries[0].1, header_end,
        "the first block follows the header"
    );
    for w in entries.windows(2) {
        assert_eq!(w[0].1 + w[0].2, w[1].1, "blocks follow each other");
    }
    let last = entries.last().unwrap();
    assert_eq!(
        last.1 + last.2,
        bytes.len() as u64,
        "nothing after the last block"
    );
    for &(v, offset, len) in &entries {
        let block = std::str::from_utf8(&bytes[offset as usize..(offset + len) as usize]).unwrap();
        let seal = block.lines().last().unwrap();
        assert!(seal.starts_with(&format!("#end,{v},")), "{seal}");
        assert!(
            block
                .lines()
                .rev()
                .skip(1)
                .all(|row| row.starts_with(&format!("{v},"))),
            "a block holds its variant's rows"
        );
    }
    // The merged table: the part's rows in variant order, each with the sweep's hash.
    let table = results(&out);
    let rows_in_parts = String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.starts_with("#end,"))
        .count();
    assert_eq!(table.lines().count(), rows_in_parts);
    let firsts: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut sorted = firsts.clone();
    sorted.sort_by_key(|v| v.parse::<usize>().unwrap());
    assert_eq!(firsts, sorted, "results.csv lists variants in order");
}

#[test]
fn a_torn_block_and_a_lost_index_line_are_found_on_resume() {
    let dir = scratch("store-torn");
    let path = small_sweep(&dir, 4);
    let out = dir.join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    let whole = results(&out);
    let part_path = part(&out, "part-1-of-1.csv");
    let bytes = std::fs::read(&part_path).unwrap();
    let entries = index(&out, "part-1-of-1.csv");
    // A kill mid-block: the last block cut in half, its index line gone, and the one
    // before it written but not yet indexed.
    let (_, offset, len) = entries[3];
    cut_unsharded(&out, offset + len / 2, 2);
    let o = sweep(&path, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("ran 1, skipped 3"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(results(&out), whole);
    assert_eq!(std::fs::read(&part_path).unwrap().len(), bytes.len());
    assert_eq!(index(&out, "part-1-of-1.csv").len(), 4);
    // Without any index the blocks are found by reading the part.
    std::fs::remove_file(part_path.with_extension("idx")).unwrap();
    let o = sweep(&path, &out, &[]);
    assert!(
        text(&o.stdout).contains("ran 0, skipped 4"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(results(&out), whole);
}

#[test]
fn an_altered_block_is_refused_by_merge_and_run_again_on_resume() {
    let dir = scratch("store-altered");
    let path = small_sweep(&dir, 4);
    let out = dir.join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    let whole = results(&out);
    let part_path = part(&out, "part-1-of-1.csv");
    let mut bytes = std::fs::read(&part_path).unwrap();
    let entries = index(&out, "part-1-of-1.csv");
    let (v, offset, _) = entries[2];
    let at = offset as usize + 3;
    bytes[at] = if bytes[at] == b'9' { b'8' } else { b'9' };
    std::fs::write(&part_path, &bytes).unwrap();
    // merge refuses the damaged part rather than write a short or wrong results.csv
    let m = cgtsim(&["merge", out.to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(2));
    let err = text(&m.stderr);
    assert!(
        err.contains(&format!(
            "part-1-of-1.csv is damaged: the stored results of 2 variant(s) (the first: variant {v}) are cut short or altered; run the sweep again"
        )),
        "{err}"
    );
    // A resume keeps the blocks before the damage and runs the rest again.
    let o = sweep(&path, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout)
            .contains("ran 2 (2 again: their stored results were cut short or altered), skipped 2"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(results(&out), whole);
}

#[test]
fn a_failed_write_stops_the_sweep_and_a_resume_finishes_it() {
    let dir = scratch("store-full");
    let path = small_sweep(&dir, 8);
    let fresh = dir.join("fresh");
    assert!(sweep(&path, &fresh, &[]).status.success());
    let entries = index(&fresh, "part-1-of-1.csv");
    // A file-size limit that lets three blocks and half of the fourth through (the
    // limit is in KiB; a block here is a few KiB).
    let (_, offset, len) = entries[3];
    let limit_kib = (offset + len / 2) / 1024;
    assert!(
        limit_kib * 1024 > entries[2].1 + entries[2].2,
        "test bug: blocks too small"
    );
    let out = dir.join("out");
    // An ignored SIGXFSZ stays ignored across exec: the write then fails with EFBIG.
    let o = Command::new("bash")
        .args([
            "-c",
            &format!(
                "trap '' XFSZ; ulimit -f {limit_kib}; exec \"$0\" sweep \"$1\" --out \"$2\" --threads 1"
            ),
            env!("CARGO_BIN_EXE_cgtsim"),
            path.to_str().unwrap(),
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("cannot write")
            && err.contains("part-1-of-1.csv")
            && err.contains("the sweep stopped"),
        "{err}"
    );
    assert!(!out.join("results.csv").exists());
    assert_eq!(
        index(&out, "part-1-of-1.csv").len(),
        3,
        "it went on after the failure"
    );
    let o = sweep(&path, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("ran 5, skipped 3"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(results(&out), results(&fresh));
    let temporaries: Vec<_> = std::fs::read_dir(out.join("variants"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .collect();
    assert!(temporaries.is_empty(), "{temporaries:?}");
}

#[test]
fn a_killed_sweep_keeps_what_it_finished_and_completes_on_rerun() {
    let dir = scratch("store-kill");
    let path = long_sweep(&dir);
    let out = dir.join("out");
    let mut child = spawn_sweep(&path, &out);
    wait_for_blocks(&out, 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let finished = index(&out, "part-1-of-1.csv").len();
    assert!(
        (2..24).contains(&finished),
        "killed with {finished} of 24 variants stored"
    );
    assert!(
        !out.join("results.csv").exists(),
        "the table is assembled only when all variants are done"
    );
    let (_, offset, len) = *index(&out, "part-1-of-1.csv").last().unwrap();
    let before = std::fs::read(part(&out, "part-1-of-1.csv")).unwrap();
    let o = sweep(&path, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A block written just before the kill, but not yet indexed, is found too.
    let skipped = number_after(&text(&o.stdout), "skipped ");
    assert!(
        (finished..=finished + 1).contains(&skipped),
        "{}",
        text(&o.stdout)
    );
    let after = std::fs::read(part(&out, "part-1-of-1.csv")).unwrap();
    let kept = (offset + len) as usize;
    assert_eq!(
        after[..kept],
        before[..kept],
        "the part is only appended to"
    );
    let fresh = dir.join("fresh");
    assert!(sweep(&path, &fresh, &[]).status.success());
    assert_eq!(results(&out), results(&fresh));
}

#[test]
fn ctrl_c_stores_the_variants_finished_and_a_rerun_goes_on() {
    let dir = scratch("store-sigint");
    let path = long_sweep(&dir);
    let out = dir.join("out");
    let child = spawn_sweep(&path, &out);
    wait_for_blocks(&out, 2);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let stored = number_after(&err, "interrupted: ");
    assert!(
        err.contains(" variants to run stored in ")
            && err.contains("run the same command again to go on"),
        "{err}"
    );
    let entries = index(&out, "part-1-of-1.csv");
    assert_eq!(entries.len(), stored, "{err}");
    let (_, offset, len) = *entries.last().unwrap();
    assert_eq!(
        std::fs::metadata(part(&out, "part-1-of-1.csv"))
            .unwrap()
            .len(),
        offset + len,
        "a stop by Ctrl-C leaves no torn block"
    );
    let o = sweep(&path, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains(&format!("ran {}, skipped {stored}", 24 - stored)),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_sweep_begun_unsharded_goes_on_in_shards_and_merges_whole() {
    let dir = scratch("store-reshard");
    let path = small_sweep(&dir, 7);
    let whole = dir.join("whole");
    assert!(sweep(&path, &whole, &[]).status.success());
    let out = dir.join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    // Keep the first three blocks of the unsharded run, as if it had been stopped.
    let (_, offset, len) = index(&out, "part-1-of-1.csv")[2];
    cut_unsharded(&out, offset + len, 3);
    let mut ran = 0;
    for k in 1..=2 {
        let o = sweep(&path, &out, &["--shard", &format!("{k}/2")]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        ran += number_after(&text(&o.stdout), "ran ");
    }
    assert_eq!(ran, 4, "the shards skip what the unsharded run stored");
    let o = cgtsim(&["merge", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(results(&out), results(&whole));
}

#[test]
fn another_sweeps_part_an_earlier_layout_and_a_shard_run_twice_are_refused() {
    let dir = scratch("store-refused");
    let a = dir.join("a");
    std::fs::create_dir_all(&a).unwrap();
    let path_a = small_sweep(&a, 2);
    let b = dir.join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(
        b.join("base.toml"),
        replaced(MINI, "duration = \"10d\"", "duration = \"11d\""),
    )
    .unwrap();
    std::fs::write(
        b.join("sweep.toml"),
        std::fs::read_to_string(&path_a).unwrap(),
    )
    .unwrap();
    assert!(sweep(&path_a, &a.join("out"), &[]).status.success());
    assert!(
        sweep(&b.join("sweep.toml"), &b.join("out"), &[])
            .status
            .success()
    );
    // Another sweep's part (same axes, another base) copied in as if it were a shard's.
    for ext in ["csv", "idx"] {
        std::fs::copy(
            part(&b.join("out"), &format!("part-1-of-1.{ext}")),
            part(&a.join("out"), &format!("part-2-of-2.{ext}")),
        )
        .unwrap();
    }
    let m = cgtsim(&["merge", a.join("out").to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(2));
    assert!(
        text(&m.stderr).contains("part-2-of-2.csv holds results of a different sweep"),
        "{}",
        text(&m.stderr)
    );
    let o = sweep(&path_a, &a.join("out"), &["--shard", "2/2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("holds results of a different sweep"));
    // One file per variant: an earlier cgtsim's layout.
    let old = dir.join("old");
    std::fs::create_dir_all(old.join("variants")).unwrap();
    std::fs::write(old.join("variants/v00000.csv"), "variant\n").unwrap();
    let o = sweep(&path_a, &old, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("holds one file per variant (v00000.csv, ...), written by an earlier cgtsim"),
        "{}",
        text(&o.stderr)
    );
    // A shard already running holds a lock on its part.
    let held = std::fs::File::open(part(&a.join("out"), "part-1-of-1.csv")).unwrap();
    held.lock().unwrap();
    let o = sweep(&path_a, &a.join("out"), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("is being written by another cgtsim: shard 1/1 is already running"),
        "{}",
        text(&o.stderr)
    );
}
