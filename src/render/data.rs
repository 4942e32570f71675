//! A dataset change as reviewers read it: rows and size before → after with the difference,
//! and the upload compared with. Renders only.

use super::units::{size, thousands};
use crate::plan::Change;

/// The lines of a dataset upload's [`crate::plan::DataChange`]; none for other changes.
pub(crate) fn data_lines(c: &Change) -> Vec<String> {
    let Some(d) = &c.data else {
        return Vec::new();
    };
    let rows = match d.rows_before {
        Some(before) => format!(
            "rows: {} → {} ({})",
            thousands(before),
            thousands(d.rows_after),
            delta(before, d.rows_after, thousands)
        ),
        None => format!(
            "rows: {} (the previous upload has no row count)",
            thousands(d.rows_after)
        ),
    };
    let bytes = format!(
        "size: {} → {} ({})",
        size(d.bytes_before),
        size(d.bytes_after),
        delta(d.bytes_before, d.bytes_after, size)
    );
    vec![rows, bytes, format!("compared with {}", d.previous)]
}

/// `+106, +8.8%`, `-3, -0.2%`, `same`; the percentage only when `before` is not zero.
fn delta(before: u64, after: u64, show: fn(u64) -> String) -> String {
    if before == after {
        return "same".into();
    }
    let sign = if after > before { '+' } else { '-' };
    let amount = show(after.abs_diff(before));
    if before == 0 {
        return format!("{sign}{amount}");
    }
    let percent = after.abs_diff(before) as f64 * 100.0 / before as f64;
    format!("{sign}{amount}, {sign}{percent:.1}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_carry_their_sign_and_share() {
        assert_eq!(delta(1204, 1310, thousands), "+106, +8.8%");
        assert_eq!(delta(1310, 1204, thousands), "-106, -8.1%");
        assert_eq!(delta(5, 5, thousands), "same");
        assert_eq!(delta(0, 2048, size), "+2.0 KiB");
        assert_eq!(delta(1024, 3072, size), "+2.0 KiB, +200.0%");
    }
}
