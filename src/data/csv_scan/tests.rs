//! The CSV scan held to the `csv` crate: counts, errors and the derived file.

use super::*;
use proptest::prelude::*;

fn counts(text: &str, chunk: usize) -> Result<Counts, ScanError> {
    let mut r = std::io::BufReader::with_capacity(chunk, text.as_bytes());
    scan(&mut r, None)
}

/// Rows, empty rows and the text column as the `csv` crate reads the same text.
fn by_csv_crate(text: &str) -> (u64, u64) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let index = headers.iter().position(|h| h == "text").unwrap_or(0);
    let (mut rows, mut empty) = (0, 0);
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        empty += u64::from(record[index].trim().is_empty());
    }
    (rows, empty)
}

#[test]
fn terminators_quotes_and_empty_lines_read_as_the_csv_crate_reads_them() {
    let text = "id,text\r\n1,\"a, \"\"b\"\"\r\nc\"\r\n\r\n2,  \n3,\"\"\r4,x\"y\n5,\"q\"z";
    for chunk in 1..10 {
        let c = counts(text, chunk).unwrap();
        assert_eq!((c.rows, c.empty_rows), by_csv_crate(text), "chunk {chunk}");
    }
}

#[test]
fn a_row_with_another_number_of_fields_is_located() {
    let text = "id,text\n1,\"two\nlines\"\n2,a,b\n";
    match counts(text, 4) {
        Err(ScanError::Content(c)) => {
            assert_eq!((c.line, c.line_offset), (4, Some(22)));
            assert_eq!(c.message, "this row has 3 fields but the header has 2");
        }
        other => panic!("{other:?}"),
    }
}

/// The derived file as the `csv` crate reads `text` and writes its `body` column.
fn derived_by_csv_crate(text: &str) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let index = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "body")
        .unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["text"]).unwrap();
    for record in reader.byte_records() {
        w.write_record([&record.unwrap()[index]]).unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn the_derived_column_is_hashed_as_the_csv_crate_would_write_it() {
    let text = "id,body\r\n1,\"a, \"\"b\"\"\r\nc\"\r\n\r\n2,  \n3,\"\"\r4,x\"y\n5,\"q\"z\n6,\"\r\"";
    let expected = derived_by_csv_crate(text);
    for chunk in 1..12 {
        let mut r = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        let d = scan(&mut r, Some("body"))
            .unwrap()
            .derived
            .expect("derived");
        assert_eq!(d.bytes, expected.len() as u64, "chunk {chunk}");
        assert_eq!(
            d.sha256,
            crate::files::sha256_hex(&expected),
            "chunk {chunk}"
        );
    }
    // The script's own column needs no derived file.
    let mut r = std::io::BufReader::new("text,body\na,b\n".as_bytes());
    assert!(scan(&mut r, Some("text")).unwrap().derived.is_none());
}

/// `rows` under `header`, written by the `csv` crate with `\r\n` or `\n` terminators.
fn written(header: [&str; 2], rows: &[(String, String)], crlf: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    w.write_record(header).unwrap();
    for (a, b) in rows {
        w.write_record([a.as_str(), b.as_str()]).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

proptest! {
    #[test]
    fn any_csv_derives_as_the_csv_crate_writes_it(
        rows in prop::collection::vec(("[a-z]{0,3}", "[a-z ,\"\r\n]{0,8}"), 1..8),
        crlf in any::<bool>(),
        chunk in 1usize..30,
    ) {
        let text = written(["id", "body"], &rows, crlf);
        let mut r = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        match scan(&mut r, Some("body")) {
            Ok(c) => {
                let expected = derived_by_csv_crate(&text);
                let d = c.derived.expect("derived");
                prop_assert_eq!(d.bytes, expected.len() as u64);
                prop_assert_eq!(d.sha256, crate::files::sha256_hex(&expected));
            }
            Err(ScanError::Content(c)) => prop_assert!(c.message.contains("no text"), "{}", c.message),
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }

    #[test]
    fn any_csv_counts_as_the_csv_crate_counts(
        rows in prop::collection::vec(("[a-z ,\"\n]{0,8}", "[a-z]{0,3}"), 1..8),
        crlf in any::<bool>(),
        chunk in 1usize..30,
    ) {
        let text = written(["text", "id"], &rows, crlf);
        match counts(&text, chunk) {
            Ok(c) => prop_assert_eq!((c.rows, c.empty_rows), by_csv_crate(&text)),
            Err(ScanError::Content(c)) => prop_assert!(c.message.contains("no text"), "{}", c.message),
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }
}
