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
        assert_eq!(plural(0), "s");
        assert_eq!(money(Some(0.0)), "$0.00");
        assert_eq!(money(Some(1.515)), "$1.52");
        assert_eq!(money(Some(1090.8)), "$1,090.80");
        assert_eq!(money(Some(1234567.891)), "$1,234,567.89");
        assert_eq!(money(None), "unknown");
    }
}
