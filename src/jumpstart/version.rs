//! JumpStart model versions and version patterns, ordered and matched as the SageMaker
//! Python SDK does (PEP 440 release numbers, `*`, `3.*` prefixes, exact `==` matches).

use std::cmp::Ordering;
use std::fmt;

/// The SageMaker Python SDK version sagetune declares compatibility with; manifest headers
/// whose `min_version` is newer are not selectable, as in that SDK.
pub(crate) const SDK_COMPAT_VERSION: &str = "2.257.6";

/// A PEP 440 version as it occurs in JumpStart: release numbers and an optional
/// pre-release (`a`, `b`, `rc`) or post/dev tag. Equality is PEP 440's: `3.2` == `3.2.0`.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    release: Vec<u64>,
    /// (rank, number): pre-releases sort before the release, post after.
    suffix: (i8, u64),
    text: String,
}

impl Version {
    /// Parses `3.2.13`, `4.0`, `2.0.0rc1`, `1.0.0.post1`; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let t = text.trim().trim_start_matches('v');
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (nums, rest) = t.split_at(split);
        let nums = nums.trim_end_matches('.');
        if nums.is_empty() {
            return None;
        }
        let release = nums
            .split('.')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<_>>>()?;
        let rest = rest
            .trim_start_matches(['.', '-', '_'])
            .to_ascii_lowercase();
        let suffix = if rest.is_empty() {
            (0, 0)
        } else {
            let (tag, n) = rest.split_at(
                rest.find(|c: char| c.is_ascii_digit())
                    .unwrap_or(rest.len()),
            );
            let n = if n.is_empty() { 0 } else { n.parse().ok()? };
            let rank = match tag {
                "dev" => -4,
                "a" | "alpha" => -3,
                "b" | "beta" => -2,
                "rc" | "c" => -1,
                "post" => 1,
                _ => return None,
            };
            (rank, n)
        };
        Some(Self {
            release,
            suffix,
            text: text.trim().to_string(),
        })
    }

    /// Whether this is a pre-release (or dev release), which `*` and prefixes skip.
    pub(crate) fn is_prerelease(&self) -> bool {
        self.suffix.0 < 0
    }

    fn padded(&self, len: usize) -> impl Iterator<Item = u64> + '_ {
        self.release
            .iter()
            .copied()
            .chain(std::iter::repeat(0))
            .take(len)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.release.len().max(other.release.len());
        self.padded(len)
            .cmp(other.padded(len))
            .then(self.suffix.cmp(&other.suffix))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a manifest's `model_version` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VersionPattern {
    /// `*`: the highest version.
    Latest,
    /// `3.*`, `4.1.*`: the highest version whose release starts with these numbers.
    Prefix(Vec<u64>),
    /// `3.2.13`: PEP 440 `==` (zero-padded, so `3.2` equals `3.2.0`).
    Exact(Version),
}

impl VersionPattern {
    /// Parses a `model_version` value; `None` when it is not a pattern.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t == "*" {
            return Some(Self::Latest);
        }
        if let Some(prefix) = t.strip_suffix(".*") {
            return prefix
                .split('.')
                .map(|p| p.parse::<u64>().ok())
                .collect::<Option<Vec<_>>>()
                .map(Self::Prefix);
        }
        Version::parse(t).map(Self::Exact)
    }

    /// Whether `v` satisfies the pattern.
    pub(crate) fn matches(&self, v: &Version) -> bool {
        match self {
            Self::Latest => !v.is_prerelease(),
            Self::Prefix(p) => {
                !v.is_prerelease()
                    && v.padded(p.len().max(v.release.len()))
                        .take(p.len())
                        .eq(p.iter().copied())
            }
            Self::Exact(want) => want == v,
        }
    }

    /// The highest of `versions` that matches, if any.
    pub(crate) fn select<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a Version>,
    ) -> Option<&'a Version> {
        versions.into_iter().filter(|v| self.matches(v)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn ordering_is_numeric_and_pep440() {
        let cases = [
            ("3.2.13", "3.2.9", Ordering::Greater),
            ("4.0", "4.0.0", Ordering::Equal),
            ("10.0.0", "9.9.9", Ordering::Greater),
            ("2.0.0rc1", "2.0.0", Ordering::Less),
            ("2.0.0a1", "2.0.0b1", Ordering::Less),
            ("2.0.0.post1", "2.0.0", Ordering::Greater),
            ("1.0.0.dev1", "1.0.0a1", Ordering::Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(v(a).cmp(&v(b)), want, "{a} vs {b}");
        }
        for bad in ["", "x", "1.x", "1..2", "1.0.0-foo"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn patterns_select_like_the_sdk() {
        let all: Vec<Version> = [
            "1.0.0", "2.1.1", "3.0.0", "3.2.13", "3.10.0", "4.0.0rc1", "4.18.0",
        ]
        .into_iter()
        .map(v)
        .collect();
        let pick = |p: &str| {
            VersionPattern::parse(p)
                .unwrap()
                .select(&all)
                .map(std::string::ToString::to_string)
        };
        assert_eq!(pick("*").as_deref(), Some("4.18.0"));
        assert_eq!(pick("3.*").as_deref(), Some("3.10.0"));
        assert_eq!(pick("3.2.*").as_deref(), Some("3.2.13"));
        assert_eq!(pick("2.1.1").as_deref(), Some("2.1.1"));
        assert_eq!(pick("3").as_deref(), Some("3.0.0"));
        assert_eq!(pick("4.0.0rc1").as_deref(), Some("4.0.0rc1"));
        assert_eq!(pick("5.*"), None);
        assert_eq!(pick("3.2.14"), None);
        assert!(VersionPattern::parse("latest").is_none());
        assert!(VersionPattern::parse("3.x.*").is_none());
    }
}
