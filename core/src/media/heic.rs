//! HEIC/HEIF photos (what iPhones take) through libheif's `heif-convert`, where it is installed:
//! the primary image is decoded by libheif (with its rotation and mirroring applied) into a
//! high-quality JPEG that the pipeline then fits like any other photo. Without it, the user is told
//! how to get it or how to export the photo instead.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::MediaError;

/// The longest a conversion may take before it is stopped.
const TIMEOUT: Duration = Duration::from_secs(30);

pub fn heif_convert() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("heif-convert")).find(|p| p.is_file())
}

fn unavailable() -> MediaError {
    MediaError::Unsupported(
        "HEIC/HEIF photos (iPhone) need libheif's heif-convert (Debian/Ubuntu: apt install \
         libheif-examples), or export the photo as JPEG (on iPhone: Settings → Camera → Formats → \
         Most Compatible)"
            .into(),
    )
}

/// Decodes a HEIC/HEIF file into JPEG bytes (quality 95) through libheif.
pub fn to_jpeg(input: &[u8]) -> Result<Vec<u8>, MediaError> {
    let tool = heif_convert().ok_or_else(unavailable)?;
    let dir = std::env::temp_dir().join(format!("fanout-heic-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| MediaError::Unsupported(format!("cannot use the temporary folder: {e}")))?;
    let result = convert(&tool, input, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn convert(tool: &PathBuf, input: &[u8], dir: &std::path::Path) -> Result<Vec<u8>, MediaError> {
    let source = dir.join("in.heic");
    let target = dir.join("out.jpg");
    std::fs::write(&source, input)
        .map_err(|e| MediaError::Unsupported(format!("cannot write a temporary file: {e}")))?;
    let mut child = Command::new(tool)
        .args(["-q", "95"])
        .arg(&source)
        .arg(&target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| unavailable())?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(MediaError::Corrupt("libheif took too long to decode the HEIC photo".into()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(MediaError::Unsupported(format!("heif-convert failed: {e}"))),
        }
    };
    if !status.success() {
        let mut reason = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut err, &mut reason);
        }
        let reason =
            reason.lines().find(|l| !l.trim().is_empty()).unwrap_or("it could not be decoded").trim().to_owned();
        return Err(MediaError::Corrupt(format!("libheif: {reason}")));
    }
    // With several top-level images heif-convert numbers its outputs; the first is the primary.
    let written = [target.clone(), dir.join("out-1.jpg")].into_iter().find(|p| p.is_file());
    let written = written.ok_or_else(|| MediaError::Corrupt("libheif wrote no image".into()))?;
    std::fs::read(written).map_err(|e| MediaError::Corrupt(format!("cannot read libheif's output: {e}")))
}
