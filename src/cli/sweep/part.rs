//! A shard's part file, `variants/part-K-of-N.csv`: append-only, one per shard, with its
//! index `part-K-of-N.idx`. This module reads and writes one part; which variants are
//! done across parts, and the merged table, are `store`'s.
//!
//! A part opens with the results' CSV header (less the `sweep_sha256` column, which the
//! seal carries). Each finished variant appends a *block*: its rows, closed by a seal
//! line `#end,VARIANT,ROWS,SHA256,SWEEP_SHA256` (the number of rows, the SHA-256 of the
//! rows and the sweep's hash). Then one line `VARIANT,OFFSET,LENGTH` is appended to the
//! index. A block is trusted only when its seal checks; a block of another sweep is
//! *foreign*.
//!
//! A reader keeps the longest prefix of whole blocks: those the index names, in order and
//! each checked, then any whole blocks after them (their index line lost to a kill). What
//! follows is torn (a write cut short) or damaged. A [`Writer`] (one per shard, holding an
//! exclusive lock on its part) cuts that off, rewrites the index to match and appends
//! after it. It writes each block as it comes, so a kill loses at most the blocks being
//! written, and forces the files to disk every few seconds and at the end.
//!
//! Must not: hold more than one block in memory while reading, or trust a block it has
//! not checked.

use super::store::SweepError;
use crate::cli::report::write_atomic;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Longest block a reader accepts: a variant's rows are a few kB, so more is damage.
const MAX_BLOCK: u64 = 64 << 20;

/// How often a writer forces its part and index to disk.
const SYNC_EVERY: Duration = Duration::from_secs(5);

/// The file name of shard `k` of `n`'s part.
pub fn part_name(k: usize, n: usize) -> String {
    format!("part-{k}-of-{n}.csv")
}

/// `(k, n)` of a part's file name, if it is one.
pub fn shard_of(name: &str) -> Option<(usize, usize)> {
    let (k, n) = name
        .strip_prefix("part-")?
        .strip_suffix(".csv")?
        .split_once("-of-")?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

/// A part's index file.
pub fn index_path(part: &Path) -> PathBuf {
    part.with_extension("idx")
}

/// One whole block of a part: variant `variant`'s rows and seal, `len` bytes at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub variant: usize,
    pub offset: u64,
    pub len: u64,
}

/// What a block's bytes hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Seal {
    /// Whole rows of this variant of this sweep.
    Whole(usize),
    /// Cut short or altered.
    Damaged,
    /// Whole rows of another sweep.
    Foreign,
}

/// Closes a variant's rows (CSV lines, each ending in a newline) with its seal.
pub fn seal(variant: usize, rows: &str, sweep_sha: &str) -> String {
    let n = rows.lines().count();
    let sha = Sha256::digest(rows.as_bytes());
    format!("{rows}#end,{variant},{n},{sha:x},{sweep_sha}\n")
}

/// Checks a block: one or more rows closed by a seal that matches them.
pub fn check(block: &[u8], sweep_sha: &str) -> Seal {
    let Some(body) = block.strip_suffix(b"\n") else {
        return Seal::Damaged;
    };
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let (rows, line) = (&block[..start], &body[start..]);
    let Some(fields) = std::str::from_utf8(line)
        .ok()
        .and_then(|l| l.strip_prefix("#end,"))
    else {
        return Seal::Damaged;
    };
    let fields: Vec<&str> = fields.split(',').collect();
    let [variant, n, sha, sweep] = fields[..] else {
        return Seal::Damaged;
    };
    let (Ok(variant), Ok(n)) = (variant.parse::<usize>(), n.parse::<usize>()) else {
        return Seal::Damaged;
    };
    let lines = rows.iter().filter(|&&b| b == b'\n').count();
    if n == 0 || n != lines || sha != format!("{:x}", Sha256::digest(rows)) {
        return Seal::Damaged;
    }
    if sweep != sweep_sha {
        return Seal::Foreign;
    }
    Seal::Whole(variant)
}

/// The rows of a whole block (its seal line removed).
pub fn rows_of(block: &[u8]) -> &[u8] {
    let body = &block[..block.len().saturating_sub(1)];
    &block[..body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)]
}

/// A part as a reader finds it.
#[derive(Debug, Default)]
pub struct Found {
    /// Whole blocks, in file order.
    pub blocks: Vec<Block>,
    /// Where the header and the whole blocks end (0: no header yet); what follows is
    /// torn or damaged.
    pub end: u64,
    /// Variants the index names whose blocks are not among the whole ones (damaged, cut
    /// off, or after a damaged block).
    pub dropped: Vec<usize>,
}

/// The index's entries: whole lines only (the last may be torn).
pub fn index_entries(part: &Path) -> Vec<Block> {
    let Ok(text) = std::fs::read(index_path(part)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        let parsed = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.strip_suffix('\n'))
            .and_then(|l| {
                let mut f = l.split(',').map(|x| x.parse::<u64>().ok());
                let b = Block {
                    variant: usize::try_from(f.next()??).ok()?,
                    offset: f.next()??,
                    len: f.next()??,
                };
                f.next().is_none().then_some(b)
            });
        match parsed {
            Some(b) => out.push(b),
            None => break,
        }
    }
    out
}

/// Reads `part`'s whole blocks (see the module docs). `header` is the line it must open
/// with (without its newline). A missing or empty part has none.
pub fn read(part: &Path, header: &str, sweep_sha: &str) -> Result<Found, SweepError> {
    let io = |e: io::Error| SweepError::Io(format!("cannot read {}: {e}", part.display()));
    let mut file = match File::open(part) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::default()),
        Err(e) => return Err(io(e)),
    };
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(Found::default());
    }
    let head = format!("{header}\n");
    let mut first = vec![0; head.len().min(len as usize)];
    file.read_exact(&mut first).map_err(io)?;
    if len < head.len() as u64 && head.as_bytes().starts_with(&first) {
        return Ok(Found::default()); // the header itself was cut short
    }
    if first != head.as_bytes() {
        return Err(SweepError::Usage(format!(
            "{} does not open with this sweep's header: it is damaged or belongs to another sweep; remove it (its shard then runs again) or use another --out directory",
            part.display()
        )));
    }
    let foreign = || {
        SweepError::Usage(format!(
            "{} holds results of a different sweep (its SHA-256 differs); remove it or use another --out directory",
            part.display()
        ))
    };
    let mut found = Found {
        end: head.len() as u64,
        ..Found::default()
    };
    let indexed = index_entries(part);
    let mut buf = Vec::new();
    for entry in &indexed {
        if entry.offset != found.end || entry.len > MAX_BLOCK || entry.offset + entry.len > len {
            break;
        }
        buf.resize(entry.len as usize, 0);
        file.seek(SeekFrom::Start(entry.offset)).map_err(io)?;
        file.read_exact(&mut buf).map_err(io)?;
        match check(&buf, sweep_sha) {
            Seal::Whole(v) if v == entry.variant => {}
            Seal::Foreign => return Err(foreign()),
            _ => break,
        }
        found.blocks.push(*entry);
        found.end += entry.len;
    }
    // Whole blocks after the indexed ones: their index lines were lost.
    file.seek(SeekFrom::Start(found.end)).map_err(io)?;
    let mut tail = BufReader::new(file.take(len - found.end));
    buf.clear();
    loop {
        let before = buf.len();
        if tail.read_until(b'\n', &mut buf).map_err(io)? == 0 || buf.len() as u64 > MAX_BLOCK {
            break;
        }
        if !buf[before..].starts_with(b"#end,") {
            continue;
        }
        match check(&buf, sweep_sha) {
            Seal::Whole(variant) => {
                let len = buf.len() as u64;
                found.blocks.push(Block {
                    variant,
                    offset: found.end,
                    len,
                });
                found.end += len;
                buf.clear();
            }
            Seal::Foreign => return Err(foreign()),
            Seal::Damaged => break,
        }
    }
    let mut kept: Vec<usize> = found.blocks.iter().map(|b| b.variant).collect();
    kept.sort_unstable();
    found.dropped = indexed
        .iter()
        .map(|b| b.variant)
        .filter(|v| kept.binary_search(v).is_err())
        .collect();
    Ok(found)
}

/// Appends blocks to one shard's part and its index.
pub struct Writer {
    part: File,
    index: File,
    path: PathBuf,
    end: u64,
    synced: Instant,
}

impl Writer {
    /// Opens shard `(k, n)`'s part in `vdir`, creating it, and returns it with what it
    /// already held: the whole blocks are kept, the rest cut off, the index rewritten.
    pub fn open(
        vdir: &Path,
        (k, n): (usize, usize),
        header: &str,
        sweep_sha: &str,
    ) -> Result<(Writer, Found), SweepError> {
        let path = vdir.join(part_name(k, n));
        let io = |e: io::Error| SweepError::Io(format!("cannot write {}: {e}", path.display()));
        let mut part = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match part.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(SweepError::Usage(format!(
                    "{} is being written by another cgtsim: shard {k}/{n} is already running (run each shard once at a time)",
                    path.display()
                )));
            }
            // A file system without locks (some cluster file systems): go on unguarded.
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::debug!("{}: no lock ({e})", path.display());
            }
        }
        let mut found = read(&path, header, sweep_sha)?;
        if found.end == 0 {
            part.set_len(0).map_err(io)?;
            part.write_all(format!("{header}\n").as_bytes())
                .map_err(io)?;
            found.end = header.len() as u64 + 1;
        }
        part.set_len(found.end).map_err(io)?;
        part.seek(SeekFrom::Start(found.end)).map_err(io)?;
        let index = index_path(&path);
        let lines: String = found
            .blocks
            .iter()
            .map(|b| format!("{},{},{}\n", b.variant, b.offset, b.len))
            .collect();
        write_atomic(&index, lines.as_bytes()).map_err(io)?;
        let index = OpenOptions::new().append(true).open(&index).map_err(io)?;
        // The new files' names reach the disk with the directory.
        if let Ok(d) = File::open(vdir) {
            let _ = d.sync_all();
        }
        let end = found.end;
        Ok((
            Writer {
                part,
                index,
                path,
                end,
                synced: Instant::now(),
            },
            found,
        ))
    }

    /// The part's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends variant `v`'s rows as a sealed block, then its index line.
    pub fn append(&mut self, v: usize, rows: &str, sweep_sha: &str) -> io::Result<()> {
        let block = seal(v, rows, sweep_sha);
        self.part.write_all(block.as_bytes())?;
        let line = format!("{v},{},{}\n", self.end, block.len());
        self.index.write_all(line.as_bytes())?;
        self.end += block.len() as u64;
        if self.synced.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Forces the part and its index to disk.
    pub fn sync(&mut self) -> io::Result<()> {
        self.part.sync_data()?;
        self.index.sync_data()?;
        self.synced = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "abc";

    #[test]
    fn a_sealed_block_checks_and_a_cut_or_edited_one_does_not() {
        let rows = "7,a,1\n7,b,2\n";
        let block = seal(7, rows, SHA);
        assert_eq!(check(block.as_bytes(), SHA), Seal::Whole(7));
        assert_eq!(rows_of(block.as_bytes()), rows.as_bytes());
        assert_eq!(check(block.as_bytes(), "abd"), Seal::Foreign);
        for cut in [
            block.len() - 1,
            block.len() - 3,
            rows.len() + 4,
            rows.len(),
            0,
        ] {
            assert_eq!(
                check(&block.as_bytes()[..cut], SHA),
                Seal::Damaged,
                "cut at {cut}"
            );
        }
        let edited = block.replace("7,b,2", "7,b,3");
        assert_eq!(check(edited.as_bytes(), SHA), Seal::Damaged, "edited");
        assert_eq!(
            check(seal(7, "", SHA).as_bytes(), SHA),
            Seal::Damaged,
            "no rows"
        );
    }

    #[test]
    fn part_names_round_trip() {
        assert_eq!(shard_of(&part_name(3, 40)), Some((3, 40)));
        assert_eq!(shard_of("part-3-of-40.idx"), None);
        assert_eq!(shard_of("v00001.csv"), None);
    }
}
