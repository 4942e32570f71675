//! The embedded, dated price table (`prices.csv`, sources in `docs/cost.md`): USD per
//! instance-hour by region and instance type. Reference data, like the catalog: no I/O. A
//! type without a price is unknown, never guessed.

const TABLE: &str = include_str!("prices.csv");

/// The date the embedded prices were last checked.
pub(crate) fn prices_as_of() -> &'static str {
    TABLE
        .lines()
        .find_map(|l| l.strip_prefix("# prices_as_of: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("unknown")
}

/// USD per instance-hour of `instance_type` in `region`, when the table has it.
pub(crate) fn price(region: &str, instance_type: &str) -> Option<f64> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("region,"))
        .find_map(|l| {
            let mut cols = l.split(',');
            let (r, t, p) = (cols.next()?, cols.next()?, cols.next()?);
            (r == region && t == instance_type)
                .then(|| p.parse().ok())
                .flatten()
        })
}
