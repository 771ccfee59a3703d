//! A sweep's output directory: the manifest `sweep.json`, the shards' part files in
//! `variants/` (one per shard, see `part`) and the merged `results.csv`.
//!
//! Which variants are done: a shard trusts the blocks of its own part that check (its
//! writer reads them all) and the variants that the indexes of parts of other shard
//! counts name (a sweep begun with one split and going on with another; checked when
//! merged). `merge` checks every block, refuses damaged parts and parts of another sweep,
//! names the shards whose variants are missing, and writes `results.csv` a block at a
//! time, so its memory does not grow with the sweep.
//!
//! Must not: write a table with a variant missing, damaged or of another sweep.

use super::super::report::{write_atomic, write_atomic_with};
use super::part::{self, Block};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why a sweep or a merge stopped: the user's input (exit 2) or the system (exit 1).
#[derive(Debug)]
pub enum SweepError {
    Usage(String),
    Io(String),
    /// Ctrl-C: what was finished is stored; the message says how much.
    Interrupted(String),
}

/// Writes the manifest, refusing a directory that holds another sweep's results.
pub fn write_manifest(dir: &Path, manifest: &serde_json::Value) -> Result<(), SweepError> {
    let path = dir.join("sweep.json");
    let text = format!("{manifest:#}\n");
    if let Ok(old_text) = std::fs::read_to_string(&path) {
        if old_text == text {
            return Ok(()); // the other shards of an array find it written
        }
        let old: serde_json::Value = serde_json::from_str(&old_text).unwrap_or_default();
        if old["sweep_sha256"] != manifest["sweep_sha256"] {
            return Err(SweepError::Usage(format!(
                "{} holds results of a different sweep (its SHA-256 differs); use another --out directory",
                dir.display()
            )));
        }
    }
    write_atomic(&path, text.as_bytes())
        .map_err(|e| SweepError::Io(format!("cannot write {}: {e}", path.display())))
}

/// The columns after the axes in a sweep's results; `results.csv` adds `sweep_sha256`.
const COLUMNS: [&str; 9] = [
    "metric",
    "unit",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "n",
    "replications",
    "seed",
];

/// The header line (no newline) of a sweep's part files, for axes named `axes`.
pub fn header(axes: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let names = std::iter::once("variant")
        .chain(axes.iter().map(String::as_str))
        .chain(COLUMNS);
    w.write_record(names).expect("writing to memory");
    let line = String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8");
    line.trim_end().to_string()
}

/// A part file's path and its shard `(k, n)`.
pub type Part = (PathBuf, (usize, usize));

/// The part files in `vdir` with their shards, by name. Refuses a directory of one file
/// per variant (an earlier cgtsim's layout), which this one would not read.
pub fn parts(vdir: &Path) -> Result<Vec<Part>, SweepError> {
    let entries = match std::fs::read_dir(vdir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(SweepError::Io(format!(
                "cannot read {}: {e}",
                vdir.display()
            )));
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| SweepError::Io(format!("cannot read {}: {e}", vdir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let legacy = name
            .strip_prefix('v')
            .and_then(|n| n.strip_suffix(".csv"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if legacy {
            return Err(SweepError::Usage(format!(
                "{} holds one file per variant ({name}, ...), written by an earlier cgtsim; this one keeps a shard's variants in one part file and does not read those: finish that sweep with the cgtsim that began it, or use another --out directory",
                vdir.display()
            )));
        }
        if let Some(shard) = part::shard_of(&name) {
            out.push((entry.path(), shard));
        }
    }
    out.sort();
    Ok(out)
}

/// Marks in `done` the variants that the indexes of parts of other shard counts than
/// `n` name, where their part is long enough to hold them (their blocks are checked
/// when merged): a sweep begun with one split goes on with another. Parts of the same
/// count are skipped: the other shards' hold none of shard `k`'s variants.
pub fn indexed_elsewhere(vdir: &Path, n: usize, done: &mut [bool]) -> Result<(), SweepError> {
    for (path, _) in parts(vdir)?.iter().filter(|(_, (_, of))| *of != n) {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        for b in part::index_entries(path) {
            if b.offset.saturating_add(b.len) <= len && b.variant < done.len() {
                done[b.variant] = true;
            }
        }
    }
    Ok(())
}

/// The manifest's sweep hash, number of variants and of shards, and axes.
fn manifest(dir: &Path) -> Result<(String, usize, u64, Vec<String>), SweepError> {
    let path = dir.join("sweep.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        SweepError::Usage(format!(
            "{} is not a sweep output directory (no sweep.json: {e})",
            dir.display()
        ))
    })?;
    let damaged = |why: String| SweepError::Usage(format!("{} is damaged: {why}", path.display()));
    let m: serde_json::Value = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
    let axes: Option<Vec<String>> = m["axes"]
        .as_array()
        .and_then(|a| a.iter().map(|x| x.as_str().map(String::from)).collect());
    match (
        m["sweep_sha256"].as_str(),
        m["variants"].as_u64(),
        m["shards"].as_u64(),
        axes,
    ) {
        (Some(sha), Some(n), Some(shards), Some(axes)) if shards > 0 => {
            let n = usize::try_from(n).map_err(|_| damaged("too many variants".into()))?;
            Ok((sha.to_string(), n, shards, axes))
        }
        _ => Err(damaged("missing keys".into())),
    }
}

/// Assembles `dir/results.csv` from the part files; returns the number of variants.
/// Refuses damaged parts and parts of another sweep, and names the shards whose variants
/// are missing.
pub fn merge(dir: &Path) -> Result<usize, SweepError> {
    let (sha, n, shards, axes) = manifest(dir)?;
    let header = header(&axes);
    let vdir = dir.join("variants");
    let parts = parts(&vdir)?;
    // Where each variant's block is: (part, offset, length); the first part found wins
    // (a variant run by two shards has the same rows in both).
    let mut at: Vec<Option<(usize, u64, u64)>> = vec![None; n];
    for (p, (path, (k, of))) in parts.iter().enumerate() {
        let found = part::read(path, &header, &sha)?;
        if let Some(first) = found.dropped.first() {
            let rerun = match of {
                1 => "run the sweep again".to_string(),
                _ => format!("run shard {k}/{of} again"),
            };
            return Err(SweepError::Usage(format!(
                "{} is damaged: the stored results of {} variant(s) (the first: variant {first}) are cut short or altered; {rerun} (the same sweep file and --out) to redo them, then merge",
                path.display(),
                found.dropped.len()
            )));
        }
        for Block {
            variant,
            offset,
            len,
        } in found.blocks
        {
            let Some(slot) = at.get_mut(variant) else {
                return Err(SweepError::Usage(format!(
                    "{} holds variant {variant}, but the sweep has {n}; it belongs to another sweep: remove it",
                    path.display()
                )));
            };
            slot.get_or_insert((p, offset, len));
        }
    }
    let missing: Vec<usize> = (0..n).filter(|&v| at[v].is_none()).collect();
    if !missing.is_empty() {
        let mut shard_list: Vec<u64> = missing.iter().map(|&v| v as u64 % shards + 1).collect();
        shard_list.sort();
        shard_list.dedup();
        let names = shard_list
            .iter()
            .map(|k| format!("{k}/{shards}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(SweepError::Usage(format!(
            "{} of {n} variants are missing; run shard(s) {names} (with the same sweep file and --out) and merge again",
            missing.len()
        )));
    }
    let path = dir.join("results.csv");
    let fill = |out: &mut BufWriter<File>| {
        let mut files = Vec::new();
        for (p, _) in &parts {
            files.push(File::open(p)?);
        }
        writeln!(out, "{header},sweep_sha256")?;
        let mut block = Vec::new();
        for &(p, offset, len) in at.iter().flatten() {
            block.resize(len as usize, 0);
            files[p].seek(SeekFrom::Start(offset))?;
            files[p].read_exact(&mut block)?;
            for row in part::rows_of(&block).split_inclusive(|&b| b == b'\n') {
                out.write_all(&row[..row.len() - 1])?;
                out.write_all(b",")?;
                out.write_all(sha.as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    };
    write_atomic_with(&path, fill)
        .map_err(|e| SweepError::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok(n)
}
