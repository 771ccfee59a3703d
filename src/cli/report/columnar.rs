//! Parquet copies of the tidy CSV outputs (with the `parquet` feature): a CSV table
//! becomes a Parquet file of the same columns and rows, each column typed by what it
//! holds (whole numbers: INT64; numbers, empty for none: DOUBLE, optional; else UTF-8
//! text), Snappy-compressed, in row groups of [`ROW_GROUP`] rows.
//!
//! The table is read twice, once for the columns' types and once for the rows, a row
//! group at a time: memory does not grow with the table (a sweep's `results.csv` can
//! be gigabytes). This module converts; the caller opens and writes the files.

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::io;
use std::sync::Arc;

/// Rows per row group: ~50 MB of parsed rows in memory at a time.
const ROW_GROUP: usize = 1 << 18;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Double,
    Text,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes the Parquet file of the CSV table that `open` reads (it is called twice) to
/// `out`, and returns `out`.
pub fn write_parquet_of_csv<R: io::Read, W: io::Write + Send>(
    open: impl Fn() -> io::Result<R>,
    out: W,
) -> io::Result<W> {
    write_in_groups(open, out, ROW_GROUP)
}

fn write_in_groups<R: io::Read, W: io::Write + Send>(
    open: impl Fn() -> io::Result<R>,
    out: W,
    rows_per_group: usize,
) -> io::Result<W> {
    let mut reader = csv::Reader::from_reader(open()?);
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    // A column's type: the narrowest that all its cells fit.
    let (mut int, mut double) = (vec![true; header.len()], vec![true; header.len()]);
    let mut any = false;
    for rec in reader.records() {
        let rec = rec?;
        any = true;
        for (c, v) in rec.iter().enumerate().take(header.len()) {
            int[c] = int[c] && v.parse::<i64>().is_ok();
            double[c] = double[c] && (v.is_empty() || v.parse::<f64>().is_ok());
        }
    }
    let kinds: Vec<Kind> = (0..header.len())
        .map(|c| match (int[c] && any, double[c]) {
            (true, _) => Kind::Int,
            (false, true) => Kind::Double,
            (false, false) => Kind::Text,
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
    let mut writer = SerializedFileWriter::new(out, schema, props).map_err(other)?;
    let mut records = csv::Reader::from_reader(open()?).into_records();
    let mut group: Vec<csv::StringRecord> = Vec::with_capacity(rows_per_group);
    loop {
        group.clear();
        for rec in records.by_ref().take(rows_per_group.max(1)) {
            group.push(rec?);
        }
        if group.is_empty() {
            break;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    #[test]
    fn parquet_of_a_table_longer_than_a_row_group_reads_back_whole_and_typed() {
        let csv = "variant,metric,mean\n0,a,1.5\n1,b,\n2,c,2\n3,d,-0.25\n4,e,7\n";
        let path = std::env::temp_dir().join(format!("cgtsim-columnar-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        write_in_groups(|| Ok(csv.as_bytes()), file, 2).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 3);
        let rows: Vec<Vec<Field>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| {
                r.unwrap()
                    .get_column_iter()
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .collect();
        let _ = std::fs::remove_file(&path);
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows[1],
            [Field::Long(1), Field::Str("b".into()), Field::Null]
        );
        assert_eq!(rows[3][2], Field::Double(-0.25));
        assert_eq!(rows[4][2], Field::Double(7.0));
    }
}
