//! The dataset hash cache: the SHA-256 and check summary of each data file, kept in
//! `.sagetune/cache/files/` next to the manifest and keyed by the file's canonical path, size,
//! modification time and inode, so an unchanged multi-GB file is not read again. Anything
//! unexpected (a changed file, a corrupt or foreign entry) means a fresh scan.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::files::{sha256_hex, write_atomic};
use serde::{Deserialize, Serialize};

use super::report::{FileReport, ScanError};
use super::scan::scan;
use super::Format;

/// Version 2 added `script_column` to the report.
const FORMAT_VERSION: u32 = 2;

/// A file modified this recently may change again within the clock's resolution without its
/// mtime moving, so its result is not cached (as git treats "racily clean" files).
const SETTLE: Duration = Duration::from_secs(2);

/// What identifies one state of a file, plus the inputs the report depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    path: PathBuf,
    size: u64,
    mtime_ns: i128,
    inode: u64,
    device: u64,
    format: Format,
    text_column: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    version: u32,
    key: Key,
    report: FileReport,
}

/// Whether a report came from the cache or from reading the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Cache,
    Scan,
}

/// Scans `path` unless the cache in `cache_dir` holds a report for exactly this state of it.
pub(crate) fn scan_cached(
    cache_dir: &Path,
    path: &Path,
    format: Format,
    text_column: Option<&str>,
) -> Result<(FileReport, Source), ScanError> {
    scan_watched(cache_dir, path, format, text_column, || {})
}

/// [`scan_cached`], with `meanwhile` run between the read and the second look at the file
/// (tests edit the file there).
fn scan_watched(
    cache_dir: &Path,
    path: &Path,
    format: Format,
    text_column: Option<&str>,
    meanwhile: impl FnOnce(),
) -> Result<(FileReport, Source), ScanError> {
    let key = key(path, format, text_column)?;
    let entry_path = cache_dir.join("files").join(format!(
        "{}.json",
        sha256_hex(key.path.as_os_str().as_encoded_bytes())
    ));
    if let Some(report) = read(&entry_path, &key) {
        return Ok((report, Source::Cache));
    }
    let report = scan(path, format, text_column)?;
    meanwhile();
    // The file must not have changed while it was read (its hash and figures would describe
    // no version of it), and must have settled before it is cached.
    let after = self::key(path, format, text_column)?;
    if after != key {
        return Err(ScanError::Changed);
    }
    let settled = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|now| now.as_nanos() as i128 - after.mtime_ns > SETTLE.as_nanos() as i128)
        .unwrap_or(false);
    if settled {
        write(&entry_path, key, &report);
    }
    Ok((report, Source::Scan))
}

fn key(path: &Path, format: Format, text_column: Option<&str>) -> Result<Key, ScanError> {
    let canonical = path.canonicalize()?;
    let meta = std::fs::metadata(&canonical)?;
    Ok(Key {
        path: canonical,
        size: meta.size(),
        mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
        inode: meta.ino(),
        device: meta.dev(),
        format,
        text_column: text_column.map(str::to_string),
    })
}

fn read(entry_path: &Path, key: &Key) -> Option<FileReport> {
    let bytes = std::fs::read(entry_path).ok()?;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    (entry.version == FORMAT_VERSION && &entry.key == key && entry.report.bytes == key.size)
        .then_some(entry.report)
}

/// Best effort: a cache that cannot be written only costs a later re-read.
fn write(entry_path: &Path, key: Key, report: &FileReport) {
    let Some(dir) = entry_path.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let entry = Entry {
        version: FORMAT_VERSION,
        key,
        report: report.clone(),
    };
    if let Ok(bytes) = serde_json::to_vec(&entry) {
        let _ = write_atomic(entry_path, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_changes_while_it_is_read_is_an_error_not_a_stale_hash() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.txt");
        std::fs::write(&file, "Revenue grew.\n").unwrap();
        let cache = dir.path().join("cache");
        let edit = || std::fs::write(&file, "Revenue grew, then fell sharply.\n").unwrap();
        let got = scan_watched(&cache, &file, Format::Txt, None, edit);
        assert_eq!(got, Err(ScanError::Changed));
        assert!(!cache.join("files").exists(), "nothing cached");
        let (report, _) = scan_cached(&cache, &file, Format::Txt, None).unwrap();
        assert_eq!(report.bytes, 33);
    }
    use std::fs::File;

    fn settle(path: &Path) {
        let past = SystemTime::now() - Duration::from_secs(60);
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(past)
            .unwrap();
    }

    #[test]
    fn unchanged_files_come_from_the_cache_and_changes_invalidate() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join(".sagetune/cache");
        let data = dir.path().join("train.txt");
        std::fs::write(&data, "Revenue grew.\n").unwrap();
        settle(&data);
        let (first, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!(src, Source::Scan);
        let (second, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!((second.clone(), src), (first.clone(), Source::Cache));

        // Another text column is another question.
        let (_, src) = scan_cached(&cache, &data, Format::Txt, Some("x")).unwrap();
        assert_eq!(src, Source::Scan);

        // Same size, new content and mtime: rescanned.
        std::fs::write(&data, "Revenue fell.\n").unwrap();
        settle(&data);
        let (third, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!(src, Source::Scan);
        assert_ne!(third.sha256, first.sha256);
    }

    #[test]
    fn fresh_files_are_not_cached_and_corrupt_entries_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("c");
        let data = dir.path().join("train.txt");
        std::fs::write(&data, "Revenue grew.\n").unwrap();
        scan_cached(&cache, &data, Format::Txt, None).unwrap();
        let (_, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!(
            src,
            Source::Scan,
            "a just-written file is not trusted to the cache"
        );

        settle(&data);
        scan_cached(&cache, &data, Format::Txt, None).unwrap();
        for entry in std::fs::read_dir(cache.join("files")).unwrap() {
            std::fs::write(entry.unwrap().path(), b"{ not json").unwrap();
        }
        let (report, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!(src, Source::Scan);
        assert_eq!(report.rows, 1);
        let (_, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!(src, Source::Cache, "the corrupt entry was rebuilt");
    }

    #[test]
    fn a_forged_entry_for_another_state_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("c");
        let data = dir.path().join("train.txt");
        std::fs::write(&data, "Revenue grew.\n").unwrap();
        settle(&data);
        scan_cached(&cache, &data, Format::Txt, None).unwrap();
        let entry_file = std::fs::read_dir(cache.join("files"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut entry: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&entry_file).unwrap()).unwrap();
        entry["key"]["size"] = serde_json::json!(999);
        std::fs::write(&entry_file, serde_json::to_vec(&entry).unwrap()).unwrap();
        let (_, src) = scan_cached(&cache, &data, Format::Txt, None).unwrap();
        assert_eq!(src, Source::Scan);
    }
}
