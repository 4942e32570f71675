//! Resolving a manifest path to exactly one data file, with the folder, hidden-file and
//! path-escape rules of the manifest.

use std::path::{Path, PathBuf};

use super::Format;

/// The single data file a `train` or `validation` entry stands for.
#[derive(Debug, Clone)]
pub(crate) struct DataFile {
    /// The path as shown to the user (manifest folder joined with the entry, then the file).
    pub(crate) display: PathBuf,
    /// The canonical path (symlinks resolved).
    pub(crate) canonical: PathBuf,
    /// The file name, as it will be uploaded.
    pub(crate) file_name: String,
    pub(crate) format: Format,
}

/// Why an entry does not resolve to one data file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DiscoverError {
    /// Nothing exists at the path.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The path (or a symlink on it) leads outside the manifest's folder.
    #[error("{path} leads outside the manifest's folder, to {target}")]
    Outside {
        path: String,
        /// Where it leads, relative to the manifest's folder (`../../x`).
        target: String,
    },
    /// A folder without any visible entry.
    #[error("folder {0} has no data file")]
    EmptyFolder(String),
    /// A folder with more than one visible entry.
    #[error("folder {dir} holds {} entries; it must hold exactly one data file", found.len())]
    SeveralEntries { dir: String, found: Vec<String> },
    /// The file (or the folder's only entry) is not a .csv/.json/.jsonl/.txt file.
    #[error("{0} is not a .csv, .json, .jsonl or .txt file")]
    NotDataFile(String),
    /// The path is a FIFO, device or socket: reading it could block or never end.
    #[error("{path} is a {kind}, not a regular file")]
    NotRegular { path: String, kind: &'static str },
    /// Symbolic links on the path point at each other.
    #[error("{0} is a loop of symbolic links")]
    SymlinkLoop(String),
    /// Reading the folder or the file's metadata failed.
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
}

/// What a non-regular file is, for messages; `None` for a regular file or a folder.
pub(crate) fn special_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        None
    } else if t.is_fifo() {
        Some("named pipe (FIFO)")
    } else if t.is_char_device() {
        Some("character device")
    } else if t.is_block_device() {
        Some("block device")
    } else if t.is_socket() {
        Some("socket")
    } else {
        Some("special file")
    }
}

/// Whether an I/O error is the kernel's "too many levels of symbolic links".
pub(crate) fn is_symlink_loop(e: &std::io::Error) -> bool {
    e.to_string().contains("levels of symbolic links")
}

impl DiscoverError {
    /// How the user fixes it.
    pub(crate) fn help(&self) -> String {
        match self {
            DiscoverError::NotFound(_) => "paths are relative to the manifest's folder; check the spelling".into(),
            DiscoverError::Outside { .. } => "move the data under the manifest's folder, or pass --allow-outside if this is intended".into(),
            DiscoverError::EmptyFolder(_) => "put one .csv, .json, .jsonl or .txt file in the folder (hidden files are ignored)".into(),
            DiscoverError::SeveralEntries { found, .. } => format!(
                "JumpStart reads a single file per channel; found: {}. Merge the data into one file or point at one file",
                found.join(", ")
            ),
            DiscoverError::NotDataFile(_) => "domain adaptation reads CSV, JSON, JSON Lines or plain text; convert the data or rename the file with the right extension".into(),
            DiscoverError::NotRegular { .. } => "point at a regular .csv, .json, .jsonl or .txt file (sagetune reads it twice: to check and to upload)".into(),
            DiscoverError::SymlinkLoop(_) => "fix the symbolic links so that they end at the data file".into(),
            DiscoverError::Io { .. } => "check the permissions of the path".into(),
        }
    }
}

/// Resolves `entry` (relative to `base`, the manifest's folder) to its one data file.
pub(crate) fn discover(
    base: &Path,
    entry: &str,
    allow_outside: bool,
) -> Result<DataFile, DiscoverError> {
    let display = base.join(entry);
    let shown = display.display().to_string();
    let io = |e: std::io::Error| DiscoverError::Io {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let root = base.canonicalize().map_err(io)?;
    let canonical = match display.canonicalize() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DiscoverError::NotFound(shown));
        }
        Err(e) if is_symlink_loop(&e) => return Err(DiscoverError::SymlinkLoop(shown)),
        Err(e) => return Err(io(e)),
    };
    let check_inside = |target: &Path, path: &Path| {
        if allow_outside || target.starts_with(&root) {
            Ok(())
        } else {
            Err(DiscoverError::Outside {
                path: path.display().to_string(),
                target: relative(&root, target),
            })
        }
    };
    check_inside(&canonical, &display)?;
    let meta = std::fs::metadata(&canonical).map_err(io)?;
    if let Some(kind) = special_kind(&meta) {
        return Err(DiscoverError::NotRegular { path: shown, kind });
    }
    let (display, canonical) = if meta.is_dir() {
        let file_display = display.join(only_entry(&display)?);
        let file_canonical = only_file(&file_display)?;
        check_inside(&file_canonical, &file_display)?;
        regular_data_file(&file_display, &file_canonical)?;
        (file_display, file_canonical)
    } else {
        (display, canonical)
    };
    let file_name = display
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = Format::from_name(&file_name)
        .ok_or_else(|| DiscoverError::NotDataFile(display.display().to_string()))?;
    Ok(DataFile {
        display,
        canonical,
        file_name,
        format,
    })
}

/// The canonical path of a folder's only entry.
fn only_file(file_display: &Path) -> Result<PathBuf, DiscoverError> {
    file_display.canonicalize().map_err(|e| {
        if is_symlink_loop(&e) {
            DiscoverError::SymlinkLoop(file_display.display().to_string())
        } else {
            DiscoverError::Io {
                path: file_display.display().to_string(),
                reason: e.to_string(),
            }
        }
    })
}

/// A folder's only entry is a regular file (not a device, FIFO or socket, not a folder).
fn regular_data_file(file_display: &Path, file_canonical: &Path) -> Result<(), DiscoverError> {
    let meta = std::fs::metadata(file_canonical).ok();
    if let Some(kind) = meta.as_ref().and_then(special_kind) {
        return Err(DiscoverError::NotRegular {
            path: file_display.display().to_string(),
            kind,
        });
    }
    if !file_canonical.is_file() {
        return Err(DiscoverError::NotDataFile(
            file_display.display().to_string(),
        ));
    }
    Ok(())
}

/// `target` as seen from `root`, both canonical (`../../data/x.txt`).
fn relative(root: &Path, target: &Path) -> String {
    let common = root
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = root.components().count() - common;
    let mut rel = PathBuf::new();
    for _ in 0..ups {
        rel.push("..");
    }
    for c in target.components().skip(common) {
        rel.push(c);
    }
    rel.display().to_string()
}

/// The one visible entry of a folder, or the error that lists what is there.
fn only_entry(dir: &Path) -> Result<String, DiscoverError> {
    let shown = dir.display().to_string();
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| DiscoverError::Io {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| DiscoverError::Io {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let is_dir = entry.path().is_dir();
        found.push(if is_dir { format!("{name}/") } else { name });
    }
    found.sort();
    match found.len() {
        0 => Err(DiscoverError::EmptyFolder(shown)),
        1 if !found[0].ends_with('/') => Ok(found.remove(0)),
        1 => Err(DiscoverError::NotDataFile(
            dir.join(&found[0]).display().to_string(),
        )),
        _ => Err(DiscoverError::SeveralEntries { dir: shown, found }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        fs::create_dir_all(p.join("one")).unwrap();
        fs::write(p.join("one/train.TXT"), "hello").unwrap();
        fs::write(p.join("one/.DS_Store"), "x").unwrap();
        fs::create_dir_all(p.join("two")).unwrap();
        fs::write(p.join("two/a.csv"), "text\nx").unwrap();
        fs::write(p.join("two/b.csv"), "text\nx").unwrap();
        fs::create_dir_all(p.join("empty")).unwrap();
        fs::write(p.join("empty/.hidden"), "x").unwrap();
        fs::create_dir_all(p.join("nested/inner")).unwrap();
        fs::write(p.join("notes.md"), "x").unwrap();
        t
    }

    #[test]
    fn folder_with_one_visible_file_resolves_to_it() {
        let t = tree();
        let f = discover(t.path(), "one/", false).unwrap();
        assert_eq!(f.file_name, "train.TXT");
        assert_eq!(f.format, Format::Txt);
        let f = discover(t.path(), "two/a.csv", false).unwrap();
        assert_eq!(f.format, Format::Csv);
    }

    #[test]
    fn folder_rules_are_errors_that_list_what_was_found() {
        let t = tree();
        match discover(t.path(), "two", false) {
            Err(DiscoverError::SeveralEntries { found, .. }) => {
                assert_eq!(found, ["a.csv", "b.csv"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            discover(t.path(), "empty", false),
            Err(DiscoverError::EmptyFolder(_))
        ));
        assert!(matches!(
            discover(t.path(), "nested", false),
            Err(DiscoverError::NotDataFile(_))
        ));
        assert!(matches!(
            discover(t.path(), "notes.md", false),
            Err(DiscoverError::NotDataFile(_))
        ));
        assert!(matches!(
            discover(t.path(), "missing/", false),
            Err(DiscoverError::NotFound(_))
        ));
    }

    #[test]
    fn escaping_paths_and_symlinks_need_allow_outside() {
        let outer = tempfile::tempdir().unwrap();
        fs::write(outer.path().join("secret.txt"), "x").unwrap();
        let base = outer.path().join("project");
        fs::create_dir_all(base.join("data")).unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret.txt"), base.join("data/link.txt"))
            .unwrap();
        match discover(&base, "../secret.txt", false) {
            Err(DiscoverError::Outside { target, .. }) => assert_eq!(target, "../secret.txt"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            discover(&base, "data", false),
            Err(DiscoverError::Outside { .. })
        ));
        assert!(discover(&base, "data", true).is_ok());
        assert!(discover(&base, "../secret.txt", true).is_ok());
    }
}
