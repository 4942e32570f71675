//! Model archives (`model.tar.gz`): the script-mode repack, as the SageMaker Python SDK's
//! `repack_model` does it — the trained archive is rewritten with the model's inference code
//! under `code/`, streaming from file to file so a multi-GB model never sits in memory. Local
//! files only; no AWS, no knowledge of plans.

use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::path::{Component, Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

/// Writes `out`: every entry of the model archive except an old `code/` folder, then every
/// entry of the code archive under `code/`. Both inputs are `.tar.gz`.
pub(crate) fn repack(model: &Path, code: &Path, out: &Path) -> io::Result<()> {
    let writer = BufWriter::new(File::create(out)?);
    let mut builder = tar::Builder::new(GzEncoder::new(writer, Compression::default()));
    builder.mode(tar::HeaderMode::Deterministic);

    let mut archive = tar::Archive::new(GzDecoder::new(BufReader::new(File::open(model)?)));
    for entry in archive.entries()? {
        let entry = entry?;
        let path = clean(&entry.path()?)?;
        if path.starts_with("code") || path.as_os_str().is_empty() {
            continue;
        }
        let mut header = entry.header().clone();
        builder.append_data(&mut header, &path, entry)?;
    }

    let mut archive = tar::Archive::new(GzDecoder::new(BufReader::new(File::open(code)?)));
    for entry in archive.entries()? {
        let entry = entry?;
        let path = clean(&entry.path()?)?;
        if path.as_os_str().is_empty() {
            continue;
        }
        let mut header = entry.header().clone();
        builder.append_data(&mut header, Path::new("code").join(&path), entry)?;
    }
    builder.into_inner()?.finish()?.into_inner()?.sync_all()
}

/// An archive path without `./`, refusing `..` and absolute paths (a hostile archive must not
/// write outside the model).
fn clean(path: &Path) -> io::Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("archive entry {} leaves the archive", path.display()),
                ))
            }
        }
    }
    Ok(out)
}

/// A small `.tar.gz` of `(path, content)` files (tests and the fake's trained models).
#[cfg(any(test, feature = "fake"))]
pub fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (path, body) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, path, *body)
            .expect("writing to memory");
    }
    builder
        .into_inner()
        .and_then(flate2::write::GzEncoder::finish)
        .expect("writing to memory")
}

/// The file names in a `.tar.gz`, in order (tests).
#[cfg(any(test, feature = "fake"))]
pub fn names(archive: &Path) -> io::Result<Vec<String>> {
    let mut a = tar::Archive::new(GzDecoder::new(BufReader::new(File::open(archive)?)));
    a.entries()?
        .map(|e| Ok(e?.path()?.display().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_lands_under_code_and_replaces_an_old_one() {
        let dir = std::env::temp_dir().join(format!("sagetune-repack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let model = dir.join("model.tar.gz");
        let code = dir.join("sourcedir.tar.gz");
        let out = dir.join("repacked.tar.gz");
        std::fs::write(
            &model,
            archive(&[
                ("config.json", b"{}"),
                ("./weights/part-1.bin", b"1234"),
                ("code/old.py", b"old"),
            ]),
        )
        .unwrap();
        std::fs::write(
            &code,
            archive(&[("inference.py", b"def model_fn(): pass\n")]),
        )
        .unwrap();
        repack(&model, &code, &out).unwrap();
        assert_eq!(
            names(&out).unwrap(),
            ["config.json", "weights/part-1.bin", "code/inference.py"]
        );
        // A hostile archive (tar's own builder refuses `..`, so write the header by hand).
        let mut evil = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..10].copy_from_slice(b"../evil.py");
        header.set_size(1);
        header.set_cksum();
        evil.append(&header, &b"x"[..]).unwrap();
        std::fs::write(&code, evil.into_inner().unwrap().finish().unwrap()).unwrap();
        let err = repack(&model, &code, &out).unwrap_err();
        assert!(err.to_string().contains("leaves the archive"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
