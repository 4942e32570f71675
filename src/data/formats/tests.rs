//! Every format's checks, line by line and chunk by chunk.

use super::*;

fn run(format: Format, input: &str, col: Option<&str>) -> Result<Counts, ScanError> {
    check(format, &mut input.as_bytes(), col)
}

#[test]
fn an_unterminated_csv_quote_is_an_error_at_its_row() {
    let (line, _, message) = err_at(run(
        Format::Csv,
        "id,text\n1,fine\n2,\"never closed\n3,more\n4,text\n",
        None,
    ));
    assert_eq!(line, 3);
    assert!(message.contains("never closed"), "{message}");
    let ok = run(Format::Csv, "id,text\n1,\"a \"\"quoted\"\" word\"\n", None).unwrap();
    assert_eq!(ok.rows, 1);
}

#[test]
fn txt_lines_are_counted_across_chunks_without_holding_them() {
    // Tiny chunks split lines and the three bytes of U+3000 (ideographic space).
    let text = "a\n\u{3000}\u{3000}\n   \r\nb b b b b b b b b b\n\u{3000}x";
    for capacity in [1, 2, 3, 5, 7, 64] {
        let mut r = std::io::BufReader::with_capacity(capacity, text.as_bytes());
        let c = check(Format::Txt, &mut r, None).unwrap();
        assert_eq!((c.rows, c.empty_rows), (5, 2), "chunks of {capacity}");
    }
    let blank = "  \n\u{3000}\n";
    let mut r = std::io::BufReader::with_capacity(2, blank.as_bytes());
    assert!(check(Format::Txt, &mut r, None).is_err(), "no text at all");
}

#[test]
fn the_script_column_is_text_else_the_first_whatever_was_chosen() {
    let script = |f, input: &str, col| run(f, input, col).unwrap().script_column;
    assert_eq!(
        script(Format::Csv, "id,body\n1,a\n", Some("body")).as_deref(),
        Some("id")
    );
    assert_eq!(
        script(Format::Csv, "id,text\n1,a\n", Some("id")).as_deref(),
        Some("text")
    );
    assert_eq!(
        script(Format::Csv, "body,id\na,1\n", None).as_deref(),
        Some("body")
    );
    let jsonl = "{\"id\": \"1\", \"body\": \"a\"}\n";
    assert_eq!(
        script(Format::Jsonl, jsonl, Some("body")).as_deref(),
        Some("id")
    );
    let with_text = "[{\"id\": \"1\", \"text\": \"a\", \"body\": \"b\"}]";
    assert_eq!(
        script(Format::Json, with_text, Some("body")).as_deref(),
        Some("text")
    );
    assert_eq!(script(Format::Txt, "a\n", None), None);
}

fn err_at(r: Result<Counts, ScanError>) -> (u64, u64, String) {
    match r {
        Err(ScanError::Content(c)) => (c.line, c.column, c.message),
        other => panic!("expected a content error, got {other:?}"),
    }
}

#[test]
fn txt_counts_lines_and_blank_lines() {
    let c = run(Format::Txt, "a\n\n  \nb\r\nlast", None).unwrap();
    assert_eq!((c.rows, c.empty_rows), (5, 2));
    assert_eq!(run(Format::Txt, "\u{feff}x\n", None).unwrap().rows, 1);
}

#[test]
fn txt_errors() {
    assert_eq!(
        err_at(run(Format::Txt, "  \n\n", None)).2,
        "the file has no text"
    );
    assert_eq!(
        err_at(run(Format::Txt, "\u{3000}\n", None)).2,
        "the file has no text"
    );
}

#[test]
fn csv_picks_text_then_first_column() {
    let c = run(
        Format::Csv,
        "id,text\n1,hello\n2,\"\"\n3,\"multi\nline\"\n",
        None,
    )
    .unwrap();
    assert_eq!(
        (c.rows, c.empty_rows, c.text_column.as_deref()),
        (3, 1, Some("text"))
    );
    let c = run(Format::Csv, "body,id\nhello,1\n", None).unwrap();
    assert_eq!(c.text_column.as_deref(), Some("body"));
    let c = run(Format::Csv, "body,id\nhello,1\n", Some("id")).unwrap();
    assert_eq!(c.text_column.as_deref(), Some("id"));
}

#[test]
fn csv_errors() {
    let (line, _, msg) = err_at(run(Format::Csv, "a,b\n1,2\n3\n", None));
    assert_eq!(
        (line, msg.as_str()),
        (3, "this row has 1 fields but the header has 2")
    );
    assert!(err_at(run(Format::Csv, "", None)).2.contains("empty"));
    assert!(err_at(run(Format::Csv, "text\n", None))
        .2
        .contains("no data rows"));
    assert!(err_at(run(Format::Csv, "text\n\"\"\n", None))
        .2
        .contains("every row"));
    match run(Format::Csv, "a,b\n1,2\n", Some("body")) {
        Err(ScanError::MissingColumn { column, available }) => {
            assert_eq!(
                (column.as_str(), available),
                ("body", vec!["a".to_string(), "b".into()])
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn text_values_are_judged_as_written() {
    for (raw, empty) in [
        (r#""""#, true),
        (r#"" \n\t\r\f \u00a0\u2003""#, true),
        ("null", true),
        (r#""\u0041""#, false),
        (r#""\\""#, false),
        (r#""\"""#, false),
        (r#"" é""#, false),
        (r#""\ud83d\ude00""#, false),
    ] {
        assert_eq!(matches!(Text::of_json(raw), Text::Empty), empty, "{raw}");
    }
    assert!(matches!(Text::of_json("3.5"), Text::Other("a number")));
    assert!(matches!(Text::of_json("[1]"), Text::Other("an array")));
    assert!(matches!(Text::of_json("false"), Text::Other("a boolean")));
}

#[test]
fn json_lines_and_arrays() {
    let c = run(
        Format::Jsonl,
        "{\"text\":\"a\"}\n\n{\"text\":\"  \",\"x\":1}\n",
        None,
    )
    .unwrap();
    assert_eq!(
        (c.rows, c.empty_rows, c.text_column.as_deref()),
        (2, 1, Some("text"))
    );
    let c = run(
        Format::Json,
        " [ {\"body\": \"a\"},\n {\"body\": \"b\"} ]",
        None,
    )
    .unwrap();
    assert_eq!((c.rows, c.text_column.as_deref()), (2, Some("body")));
    let c = run(Format::Json, "{\"body\": \"a\"}\n", None).unwrap();
    assert_eq!(c.rows, 1);
}

#[test]
fn json_errors_carry_the_line() {
    let (line, _, msg) = err_at(run(
        Format::Jsonl,
        "{\"text\":\"a\"}\n{\"text\": 3}\n",
        None,
    ));
    assert_eq!(
        (line, msg.as_str()),
        (2, "the text field `text` is a number; it must be a string")
    );
    let (line, _, msg) = err_at(run(
        Format::Jsonl,
        "{\"text\":\"a\"}\n{\"other\":\"b\"}\n",
        None,
    ));
    assert_eq!(line, 2);
    assert!(msg.starts_with("the record has no field `text`"), "{msg}");
    let (line, col, _) = err_at(run(
        Format::Jsonl,
        "{\"text\":\"a\"}\n{\"text\": \"b\"\n",
        None,
    ));
    assert_eq!((line, col), (2, 12));
    let (line, _, msg) = err_at(run(Format::Json, "[\n{\"text\":\"a\"},\n[1]\n]", None));
    assert_eq!(line, 3);
    assert!(msg.contains("array, not a JSON object"), "{msg}");
    assert!(matches!(
        run(Format::Jsonl, "{\"a\":\"x\"}\n", Some("body")),
        Err(ScanError::MissingColumn { .. })
    ));
}

/// The byte parser `record` used before it read records as text: the reference.
fn record_by_bytes(bytes: &[u8], column: &mut Column) -> Result<bool, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let row = RowSeed { column }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(row.is_empty)
}

fn record_as_checked(bytes: &[u8], column: &mut Column) -> Result<bool, String> {
    let mut counts = Counts::default();
    record(bytes, column, &mut counts).map_err(|e| e.to_string())?;
    Ok(counts.empty_rows == 1)
}

#[test]
fn a_record_read_as_text_is_judged_as_the_byte_parser_judges_it() {
    let cases: &[&[u8]] = &[
        br#"{"text": "plain"}"#,
        br#"{"text": "", "id": 1}"#,
        br#"{"id": 1, "text": "  \n\t "}"#,
        br#"{"text": "\u00e9t\u00e9 \ud83d\ude00", "meta": {"a": [1, 2.5e3, null, true]}}"#,
        "{\"text\": \"caf\u{e9} \u{5b57} \u{43f}\u{440}\u{438}\"}".as_bytes(),
        br#"{"text": "bad \x escape"}"#,
        b"{\"text\": \"raw \x01 control\"}",
        br#"{"text": "unterminated}"#,
        br#"{"text": 12}"#,
        br#"{"title": "no text field"}"#,
        br#"[1, 2]"#,
        br#"{"text": "a",}"#,
        br#"{"text": "a"} trailing"#,
        br#"{"text": "\ud800"}"#,
        br#"{"text": "x", "text": ""}"#,
        b"{\"text\": \"not utf-8 \xff\"}",
        br#"{"text": "a", "n": 01}"#,
        br#"{"text": "a", "n": 1.}"#,
        br#"{"text": "a", "n": -}"#,
        br#"{"text": "a", "n": 1e}"#,
        br#"{"text": "a", "n": .5}"#,
        br#"{"text": "a", "n": +1}"#,
        br#"{"text": "a", "n": NaN}"#,
        br#"{"text": "a", "s": "\q"}"#,
        br#"{"text": "a", "s": "\u12"}"#,
        br#"{"text": "a", "s": "\udc00"}"#,
        b"{\"text\": \"a\", \"s\": \"tab\there\"}",
        br#"{"text": "a", "o": {"k" 1}}"#,
        br#"{"text": "a", "o": {"k": [1,]}}"#,
        br#"{"text": "a", "o": tru}"#,
        br#"{"text": "a", "o": nul}"#,
        br#"{"text": "a"}{"text": "b"}"#,
        br#"{"text": "a"} "#,
        br#" {"text": "\/\b\f"} "#,
        br#"{"text": "\uD83D\uDE00"}"#,
        br#"{"text": null}"#,
        br#"{"text": "a", "deep": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}"#,
        br#"{'text': 'single quotes'}"#,
        br#"{text: "bare key"}"#,
    ];
    for case in cases {
        let (mut a, mut b) = (Column::new(None), Column::new(None));
        assert_eq!(
            record_as_checked(case, &mut a),
            record_by_bytes(case, &mut b),
            "{}",
            String::from_utf8_lossy(case)
        );
        assert_eq!((&a.name, &a.script), (&b.name, &b.script));
        let (mut a, mut b) = (Column::new(Some("title")), Column::new(Some("title")));
        assert_eq!(
            record_as_checked(case, &mut a),
            record_by_bytes(case, &mut b)
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
    #[test]
    fn any_record_is_judged_as_the_byte_parser_judges_it(
        head in proptest::sample::select(vec!["", "{\"text\": \"a\", \"x\": ", "{\"id\": 1, \"text\": "]),
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\"text\"", "\"id\"", "\"", "\\", "\\u00e9", "\\ud83d",
                "\\udc00", "\\n", "\\/", "\\x", "1", "01", "-", "-0.5e2", "1e", ".", "e5", "null",
                "nul", "true", "false", " ", "\t", "\n", "\r", "\u{1}", "\u{7f}", "é", "字", "a", "\"a\"",
                "\"\"", "{\"k\":1}", "[1,2]",
            ]),
            0..24,
        ),
        decided in proptest::bool::ANY,
    ) {
        let text: String = format!("{head}{}", parts.concat());
        let column = || match decided {
            true => Column {
                name: Some("text".into()),
                explicit: false,
                script: Some("text".into()),
            },
            false => Column::new(None),
        };
        let (mut a, mut b) = (column(), column());
        proptest::prop_assert_eq!(
            record_as_checked(text.as_bytes(), &mut a),
            record_by_bytes(text.as_bytes(), &mut b)
        );
        proptest::prop_assert_eq!((&a.name, &a.script), (&b.name, &b.script));
    }
}
