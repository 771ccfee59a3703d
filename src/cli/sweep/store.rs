//! A sweep's output directory: the manifest, one file per finished variant, and the
//! assembled `results.csv`.
//!
//! A variant file is a CSV table (one row per metric) closed by an end marker,
//! `#end,ROWS,SHA256`: the number of rows and the SHA-256 of everything before the
//! marker. A file without a valid marker (cut short by a full disk, a kill during a
//! copy, an edit) is *damaged*: a resumed sweep runs that variant again, and `merge`
//! refuses it. Every row also carries the sweep's hash, so files of another sweep are
//! recognised and refused.

use super::super::report::write_atomic;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a sweep or a merge stopped: the user's input (exit 2) or the system (exit 1).
#[derive(Debug)]
pub enum SweepError {
    Usage(String),
    Io(String),
}

/// What a variant file holds, as far as resuming is concerned.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    /// No file: the variant is still to run.
    Missing,
    /// A whole file of this sweep.
    Done,
    /// A file cut short or altered: run the variant again.
    Damaged,
    /// A whole file of a different sweep.
    Foreign,
}

pub fn variant_file(vdir: &Path, v: usize) -> PathBuf {
    vdir.join(format!("v{v:05}.csv"))
}

/// Closes a variant's CSV text with its end marker.
pub fn seal(csv: &str) -> String {
    let rows = csv.lines().count().saturating_sub(1);
    format!("{csv}#end,{rows},{:x}\n", Sha256::digest(csv.as_bytes()))
}

/// The CSV text of a sealed file, if its marker is whole and matches.
pub fn unseal(text: &str) -> Option<&str> {
    let body_end = text.trim_end_matches('\n').rfind('\n')? + 1;
    let (body, marker) = text.split_at(body_end);
    let mut parts = marker.trim_end().strip_prefix("#end,")?.split(',');
    let rows: usize = parts.next()?.parse().ok()?;
    let sha = parts.next()?;
    let ok = parts.next().is_none()
        && rows == body.lines().count().saturating_sub(1)
        && rows > 0
        && sha == format!("{:x}", Sha256::digest(body.as_bytes()));
    ok.then_some(body)
}

/// The state of variant `v`'s file for the sweep with hash `sha`.
pub fn stored(vdir: &Path, v: usize, sha: &str) -> Stored {
    let Ok(text) = std::fs::read_to_string(variant_file(vdir, v)) else {
        return Stored::Missing;
    };
    match unseal(&text) {
        None => Stored::Damaged,
        Some(body) if of_sweep(body, sha) => Stored::Done,
        Some(_) => Stored::Foreign,
    }
}

/// True when a variant file's rows carry the sweep hash `sha` (its last column).
fn of_sweep(text: &str, sha: &str) -> bool {
    text.lines().skip(1).all(|row| row.ends_with(sha)) && text.lines().nth(1).is_some()
}

/// Writes the manifest, refusing a directory that holds another sweep's results.
pub fn write_manifest(dir: &Path, manifest: &serde_json::Value) -> Result<(), SweepError> {
    let path = dir.join("sweep.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let old: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if old["sweep_sha256"] != manifest["sweep_sha256"] {
            return Err(SweepError::Usage(format!(
                "{} holds results of a different sweep (its SHA-256 differs); use another --out directory",
                dir.display()
            )));
        }
    }
    write_atomic(&path, format!("{manifest:#}\n").as_bytes())
        .map_err(|e| SweepError::Io(format!("cannot write {}: {e}", path.display())))
}

/// Assembles `dir/results.csv` from the variant files; returns the number of variants.
/// Refuses damaged files and files of another sweep, and names the shards whose variants
/// are missing.
pub fn merge(dir: &Path) -> Result<usize, SweepError> {
    let manifest_path = dir.join("sweep.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        SweepError::Usage(format!(
            "{} is not a sweep output directory (no sweep.json: {e})",
            dir.display()
        ))
    })?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| SweepError::Usage(format!("{} is damaged: {e}", manifest_path.display())))?;
    let (Some(sha), Some(n), Some(shards)) = (
        m["sweep_sha256"].as_str(),
        m["variants"].as_u64(),
        m["shards"].as_u64(),
    ) else {
        return Err(SweepError::Usage(format!(
            "{} is damaged: missing keys",
            manifest_path.display()
        )));
    };
    let vdir = dir.join("variants");
    let mut all = String::new();
    let mut missing = Vec::new();
    for v in 0..n as usize {
        let file = variant_file(&vdir, v);
        let Ok(text) = std::fs::read_to_string(&file) else {
            missing.push(v);
            continue;
        };
        let Some(body) = unseal(&text) else {
            return Err(SweepError::Usage(format!(
                "{} is damaged (cut short or altered); run the sweep (or its shard) again to redo that variant",
                file.display()
            )));
        };
        if !of_sweep(body, sha) {
            return Err(SweepError::Usage(format!(
                "{} belongs to a different sweep than {}; remove it or use another directory",
                file.display(),
                manifest_path.display()
            )));
        }
        let mut lines = body.lines();
        let header = lines.next().unwrap_or_default();
        if all.is_empty() {
            all.push_str(header);
            all.push('\n');
        }
        for l in lines {
            all.push_str(l);
            all.push('\n');
        }
    }
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
    write_atomic(&dir.join("results.csv"), all.as_bytes())
        .map_err(|e| SweepError::Io(format!("cannot write results.csv: {e}")))?;
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_file_unseals_and_a_cut_or_edited_one_does_not() {
        let csv = "variant,metric,mean\n0,a,1\n0,b,2\n";
        let sealed = seal(csv);
        assert_eq!(unseal(&sealed), Some(csv));
        for cut in [sealed.len() - 3, csv.len() + 4, csv.len(), 12] {
            assert_eq!(unseal(&sealed[..cut]), None, "cut at {cut}");
        }
        assert_eq!(unseal(&sealed.replace("0,b,2", "0,b,3")), None, "edited");
        assert_eq!(unseal(&seal("variant\n")), None, "no rows");
    }
}
