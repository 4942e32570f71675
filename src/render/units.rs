//! Numbers as people read them: byte sizes, grouped counts, plurals and money. Pure.

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A byte count in binary units with one decimal (`412.3 KiB`); plain bytes below 1 KiB.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The plural `s` for a count: empty for exactly one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Dollars rounded to the cent and grouped (`$1,234.56`), or `unknown`.
pub(crate) fn money(v: Option<f64>) -> String {
    let Some(v) = v else {
        return "unknown".into();
    };
    let cents = (v * 100.0).round() as u64;
    format!("${}.{:02}", thousands(cents / 100), cents % 100)
}

/// `text` with every 64-hex-digit hash (a SHA-256) cut to its first 12 digits and `…`, for
/// the human and Markdown plans; the JSON plan keeps them whole.
pub(crate) fn short_hashes(text: &str) -> String {
    static SHA256: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\b[0-9a-f]{64}\b").expect("a valid regex"));
    SHA256
        .replace_all(text, |c: &regex::Captures<'_>| format!("{}…", &c[0][..12]))
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(1 << 30), "1.0 GiB");
        assert_eq!(plural(1), "");
        let sha = "062c5951a2af89568ac528ab39eacabd782ab0054233ca2564f8c04a8247b0b8";
        assert_eq!(
            short_hashes(&format!("s3://b/d/{sha}/t.txt and {sha}x")),
            format!("s3://b/d/062c5951a2af…/t.txt and {sha}x"),
            "whole 64-digit hashes only"
        );
        assert_eq!(plural(0), "s");
        assert_eq!(money(Some(0.0)), "$0.00");
        assert_eq!(money(Some(1.515)), "$1.52");
        assert_eq!(money(Some(1090.8)), "$1,090.80");
        assert_eq!(money(Some(1234567.891)), "$1,234,567.89");
        assert_eq!(money(None), "unknown");
    }
}
