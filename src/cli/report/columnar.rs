//! Parquet copies of the tidy CSV outputs (with the `parquet` feature): a CSV table
//! becomes a Parquet file of the same columns and rows, each column typed by what it
//! holds (whole numbers: INT64; numbers, empty for none: DOUBLE, optional; else UTF-8
//! text), Snappy-compressed, in row groups of a million rows.
//!
//! This module only converts bytes; the caller writes them.

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::io;
use std::sync::Arc;

/// Rows per row group.
const ROW_GROUP: usize = 1_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Double,
    Text,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The Parquet file of a CSV table (with a header row).
pub fn parquet_of_csv(csv: &[u8]) -> io::Result<Vec<u8>> {
    let mut reader = csv::Reader::from_reader(csv);
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let kinds: Vec<Kind> = (0..header.len())
        .map(|c| {
            let values = || rows.iter().map(move |r| r.get(c).unwrap_or(""));
            if values().all(|v| v.parse::<i64>().is_ok()) && !rows.is_empty() {
                Kind::Int
            } else if values().all(|v| v.is_empty() || v.parse::<f64>().is_ok()) {
                Kind::Double
            } else {
                Kind::Text
            }
        })
        .collect();
    let fields: Vec<String> = header
        .iter()
        .zip(&kinds)
        .map(|(name, k)| {
            let name = name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
            match k {
                Kind::Int => format!("required int64 {name};"),
                Kind::Double => format!("optional double {name};"),
                Kind::Text => format!("required binary {name} (UTF8);"),
            }
        })
        .collect();
    let schema = Arc::new(
        parse_message_type(&format!("message cgtsim {{ {} }}", fields.join(" "))).map_err(other)?,
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, props).map_err(other)?;
    for group in rows.chunks(ROW_GROUP.max(1)) {
        let mut rg = writer.next_row_group().map_err(other)?;
        let mut c = 0;
        while let Some(mut col) = rg.next_column().map_err(other)? {
            let cell = |r: &csv::StringRecord| r.get(c).unwrap_or("").to_string();
            match kinds[c] {
                Kind::Int => {
                    let v: Vec<i64> = group.iter().map(|r| cell(r).parse().unwrap_or(0)).collect();
                    col.typed::<Int64Type>()
                        .write_batch(&v, None, None)
                        .map_err(other)?;
                }
                Kind::Double => {
                    let cells: Vec<Option<f64>> =
                        group.iter().map(|r| cell(r).parse().ok()).collect();
                    let defs: Vec<i16> = cells.iter().map(|x| i16::from(x.is_some())).collect();
                    let v: Vec<f64> = cells.into_iter().flatten().collect();
                    col.typed::<DoubleType>()
                        .write_batch(&v, Some(&defs), None)
                        .map_err(other)?;
                }
                Kind::Text => {
                    let v: Vec<ByteArray> = group
                        .iter()
                        .map(|r| ByteArray::from(cell(r).as_str()))
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&v, None, None)
                        .map_err(other)?;
                }
            }
            col.close().map_err(other)?;
            c += 1;
        }
        rg.close().map_err(other)?;
    }
    writer.into_inner().map_err(other)
}
