//! The AWS regions a stack can live in: those with JumpStart content buckets, as the SageMaker
//! Python SDK's `region_config.json` lists them. Offline; lets `validate` refuse a region that
//! does not exist before anything asks AWS.

/// Every region with `jumpstart-cache-prod-<region>` and its gated twin.
pub(crate) const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Whether JumpStart has content in `region`.
pub(crate) fn is_known(region: &str) -> bool {
    REGIONS.contains(&region)
}

/// The known name closest to `wanted` (edit distance), when one is close enough to be a typo.
pub(crate) fn closest<'a>(wanted: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(wanted, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 6))
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_near_misses() {
        assert!(is_known("us-east-1") && is_known("eu-central-2"));
        assert!(!is_known("us-east-9"));
        assert_eq!(closest("us-east-9", REGIONS), Some("us-east-1"));
        assert_eq!(closest("eu-west-4", REGIONS), Some("eu-west-1"));
        assert_eq!(closest("mars-north-1", REGIONS), None);
        let types = ["ml.g5.12xlarge", "ml.g5.2xlarge", "ml.p4d.24xlarge"];
        assert_eq!(closest("ml.g5.12xlage", &types), Some("ml.g5.12xlarge"));
    }
}
