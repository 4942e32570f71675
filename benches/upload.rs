//! Times sagetune's own upload path (`Cloud::upload`: one PUT, or parallel checksummed
//! multipart parts for a large file) against whatever S3 endpoint the standard AWS variables
//! name. `scripts/bench.sh` runs it against a local S3 server beside `aws s3 cp` of the same
//! file, never against AWS.
//!
//!   cargo bench --bench upload -- FILE s3://BUCKET/KEY

#![allow(clippy::print_stderr, clippy::print_stdout)] // a bench's output is its result

use std::time::Instant;

use sagetune::cloud::{AwsCloud, AwsOptions, Cloud, Upload};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [file, target] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench upload -- FILE s3://BUCKET/KEY");
        std::process::exit(64);
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_default();
    if !endpoint.starts_with("http://127.0.0.1") {
        eprintln!(
            "refusing to upload anywhere but a local server (AWS_ENDPOINT_URL[_S3] = {endpoint:?})"
        );
        std::process::exit(1);
    }
    let (bucket, key) = target
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .expect("s3://BUCKET/KEY");
    let path = std::path::PathBuf::from(file);
    let bytes = std::fs::metadata(&path).expect("the file exists").len();
    // Apply knows the hash from validation; it is not part of the upload's time.
    let sha256 = sha256_of(&path);
    let cloud = AwsCloud::new(AwsOptions::default(), "us-east-1");
    let upload = Upload {
        bucket: bucket.to_string(),
        key: key.to_string(),
        path,
        sha256,
        bytes,
        rows: None,
        derive_from: None,
    };
    let start = Instant::now();
    if let Err(e) = cloud.upload(&upload, &|_| {}) {
        eprintln!("upload failed: {e}");
        std::process::exit(1);
    }
    println!("{:.3}", start.elapsed().as_secs_f64());
}

fn sha256_of(path: &std::path::Path) -> String {
    use sha2::Digest;
    let mut file = std::fs::File::open(path).expect("the file opens");
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher).expect("the file reads");
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
