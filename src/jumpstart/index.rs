//! The JumpStart model manifest (`models_manifest.json`) and version selection, as the
//! SDK's cache does it: filter by model id and SDK compatibility, then match the pattern.

use serde::Deserialize;

use super::error::ResolveError;
use super::version::{Version, VersionPattern, SDK_COMPAT_VERSION};

/// One header of the model manifest: a published version of a model and where its spec is.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) model_id: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) min_version: Option<String>,
    pub(crate) spec_key: String,
}

/// Parses the manifest (a JSON array of headers).
pub(crate) fn parse(bytes: &[u8], what: &str) -> Result<Vec<Header>, ResolveError> {
    serde_json::from_slice(bytes).map_err(|e| ResolveError::Invalid {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

/// The header the SDK would choose for `model_id` and `pattern`.
pub(crate) fn select<'a>(
    headers: &'a [Header],
    model_id: &str,
    pattern: &VersionPattern,
    source_name: &str,
) -> Result<&'a Header, ResolveError> {
    let sdk = Version::parse(SDK_COMPAT_VERSION).expect("valid constant");
    let mut all: Vec<(Version, &Header)> = headers
        .iter()
        .filter(|h| h.model_id == model_id)
        .filter_map(|h| Version::parse(&h.version).map(|v| (v, h)))
        .collect();
    if all.is_empty() {
        return Err(ResolveError::UnknownModel {
            model_id: model_id.to_string(),
            source_name: source_name.to_string(),
        });
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let compatible = |h: &Header| {
        h.min_version
            .as_deref()
            .and_then(Version::parse)
            .is_none_or(|min| min <= sdk)
    };
    let usable: Vec<&(Version, &Header)> = all.iter().filter(|(_, h)| compatible(h)).collect();
    if let Some(v) = pattern.select(usable.iter().map(|(v, _)| v)) {
        let (_, header) = usable
            .iter()
            .find(|(uv, _)| uv == v)
            .expect("selected from usable");
        return Ok(header);
    }
    if let Some(v) = pattern.select(all.iter().map(|(v, _)| v)) {
        let (_, header) = all
            .iter()
            .find(|(av, _)| av == v)
            .expect("selected from all");
        return Err(ResolveError::NeedsNewerSdk {
            model_id: model_id.to_string(),
            version: header.version.clone(),
            min_version: header.min_version.clone().unwrap_or_default(),
            sdk: SDK_COMPAT_VERSION,
        });
    }
    Err(ResolveError::NoMatchingVersion {
        model_id: model_id.to_string(),
        requested: pattern_text(pattern),
        available: all.iter().map(|(v, _)| v.to_string()).collect(),
    })
}

fn pattern_text(p: &VersionPattern) -> String {
    match p {
        VersionPattern::Latest => "*".into(),
        VersionPattern::Prefix(parts) => {
            let nums: Vec<String> = parts.iter().map(u64::to_string).collect();
            format!("{}.*", nums.join("."))
        }
        VersionPattern::Exact(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(id: &str, v: &str, min: &str) -> Header {
        Header {
            model_id: id.into(),
            version: v.into(),
            min_version: Some(min.into()),
            spec_key: format!("community_models/{id}/specs_v{v}.json"),
        }
    }

    fn headers() -> Vec<Header> {
        vec![
            h("m", "2.0.0", "2.49.0"),
            h("m", "3.2.13", "2.189.0"),
            h("m", "3.10.1", "2.189.0"),
            h("m", "4.0.0", "2.300.0"),
            h("other", "9.0.0", "2.0.0"),
        ]
    }

    fn pick(pattern: &str) -> Result<String, ResolveError> {
        let hs = headers();
        select(&hs, "m", &VersionPattern::parse(pattern).unwrap(), "test")
            .map(|h| h.version.clone())
    }

    #[test]
    fn selection_table() {
        assert_eq!(pick("*").unwrap(), "3.10.1", "4.0.0 needs a newer SDK");
        assert_eq!(pick("3.*").unwrap(), "3.10.1");
        assert_eq!(pick("3.2.13").unwrap(), "3.2.13");
        assert_eq!(pick("2.*").unwrap(), "2.0.0");
        match pick("4.*") {
            Err(ResolveError::NeedsNewerSdk {
                version,
                min_version,
                ..
            }) => assert_eq!(
                (version.as_str(), min_version.as_str()),
                ("4.0.0", "2.300.0")
            ),
            other => panic!("{other:?}"),
        }
        match pick("5.*") {
            Err(ResolveError::NoMatchingVersion { available, .. }) => {
                assert_eq!(available.len(), 4);
            }
            other => panic!("{other:?}"),
        }
        let hs = headers();
        assert!(matches!(
            select(&hs, "nope", &VersionPattern::Latest, "test"),
            Err(ResolveError::UnknownModel { .. })
        ));
    }

    #[test]
    fn bad_manifest_json_is_an_error() {
        assert!(matches!(
            parse(b"{}", "x"),
            Err(ResolveError::Invalid { .. })
        ));
        assert_eq!(parse(b"[]", "x").unwrap().len(), 0);
    }
}
