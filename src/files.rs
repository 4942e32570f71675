//! Small file helpers shared by the lock, the caches and the data scan: atomic writes and
//! SHA-256 digests in hex. No policy lives here.

use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, so readers
/// see the old content or the new one, never a torn file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Lowercase hex of a byte string.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Opens a file planned at `bytes` bytes for reading, after checking on the open handle that
/// it is still a regular file of exactly that size (not a device, FIFO or folder swapped in
/// since planning, which could be read forever). Read it through `take(bytes)`.
pub(crate) fn open_planned(path: &Path, bytes: u64) -> std::io::Result<std::fs::File> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "it is no longer a regular file (a device, FIFO or folder took its place)",
        ));
    }
    if meta.len() != bytes {
        return Err(std::io::Error::other(format!(
            "its size changed since planning ({bytes} → {} bytes)",
            meta.len()
        )));
    }
    Ok(file)
}

/// Lowercase hex SHA-256 of a file's content, read in 1 MiB blocks.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_and_atomic_writes() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
