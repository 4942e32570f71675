//! The rules' pure helpers, checked.

use super::*;

#[test]
fn every_artifacts_uri_a_help_suggests_is_valid() {
    for bad in [
        "s3://My_Bucket/sagetune/",
        "s3://My_Bucket/sagetune",
        "s3://My_Bucket",
        "s3://x/data/",
        "s3://-a..b-/p/",
        "s3://bucket/a//b/",
        "s3://bucket/p",
        "s3://bucket/../../",
        "s3://bucket/a/./b/",
    ] {
        let (problem, help) = artifacts_problem(bad).expect(bad);
        for suggested in help.split('`').filter(|t| t.starts_with("s3://")) {
            assert_eq!(
                artifacts_problem(suggested),
                None,
                "{bad}: {problem}; suggests {suggested}"
            );
        }
    }
    assert!(artifacts_problem("s3://My_Bucket/sagetune")
        .unwrap()
        .1
        .contains("s3://my-bucket/sagetune/"));
    assert!(artifacts_problem("s3://bucket/../../")
        .unwrap()
        .0
        .contains("`..`"));
    assert_eq!(artifacts_problem("s3://my-ml-bucket/sagetune/"), None);
    assert_eq!(artifacts_problem("s3://my-ml-bucket/"), None);
}

#[test]
fn max_runtime_bounds() {
    let cases = [
        ("10h", Ok(Duration::from_secs(36000))),
        ("28days", Ok(MAX_RUNTIME_LIMIT)),
        ("90m", Ok(Duration::from_secs(5400))),
        ("29days", Err("exceeds")),
        ("0s", Err("shorter")),
        ("ten hours", Err("is not a duration")),
    ];
    for (input, want) in cases {
        match (parse_max_runtime(input), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{input}: {got}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn name_patterns() {
    for ok in ["a", "sec-filings", "gptj-sec", "a1", &"a".repeat(38)] {
        assert!(name_re().is_match(ok), "{ok}");
    }
    for bad in ["", "Sec", "1abc", "sec_filings", "sec-", &"a".repeat(39)] {
        assert!(!name_re().is_match(bad), "{bad}");
    }
    for ok in ["finance-llm", "a", &"a".repeat(24)] {
        assert!(stack_re().is_match(ok), "{ok}");
    }
    for bad in ["Finance", "9x", &"a".repeat(25)] {
        assert!(!stack_re().is_match(bad), "{bad}");
    }
}

#[test]
fn instance_and_version_patterns() {
    for ok in [
        "ml.g5.12xlarge",
        "ml.p4de.24xlarge",
        "ml.trn1n.32xlarge",
        "ml.inf2.xlarge",
    ] {
        assert!(instance_re().is_match(ok), "{ok}");
    }
    for bad in ["g5.12xlarge", "ml.g5", "ML.G5.2XLARGE"] {
        assert!(!instance_re().is_match(bad), "{bad}");
    }
    for ok in ["*", "3.*", "4.1.*", "3.2.13", "4"] {
        assert!(version_re().is_match(ok), "{ok}");
    }
    for bad in ["latest", "3.x", "*.1", ">=3"] {
        assert!(!version_re().is_match(bad), "{bad}");
    }
}

#[test]
fn role_arns() {
    assert!(role_arn_re().is_match("arn:aws:iam::123456789012:role/SageMakerExecution"));
    assert!(role_arn_re().is_match("arn:aws-cn:iam::123456789012:role/service-role/Exec"));
    assert!(!role_arn_re().is_match("arn:aws:iam::12345:role/X"));
    assert!(!role_arn_re().is_match("arn:aws:iam::123456789012:user/X"));
}

#[test]
fn suggested_names_follow_the_rule() {
    for input in ["Sec_Filings", "9lives", "a--b_", "X"] {
        let s = suggest_name(input);
        assert!(name_re().is_match(&s), "{input} -> {s}");
    }
}
