//! Request bodies as ingestion accepts them: JSON or `text/plain` (sendBeacon), optionally gzip.
//!
//! Decompression is bounded: a small gzip body that inflates past the limit (a decompression
//! bomb) is refused after reading at most the limit, never inflated whole.

use std::io::Read;

use flate2::read::MultiGzDecoder;

/// Largest compressed or uncompressed body accepted, in bytes (1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("content type {0:?} is not accepted; send application/json or text/plain")]
    UnsupportedType(String),
    #[error("content encoding {0:?} is not accepted; send gzip or no encoding")]
    UnsupportedEncoding(String),
    #[error("body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("body is empty")]
    Empty,
    #[error("gzip body is invalid: {0}")]
    BadGzip(String),
}

/// Checks the content type: JSON, plain text (sendBeacon) or none at all.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), BodyError> {
    let Some(ct) = content_type else {
        return Ok(());
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "" | "application/json" | "text/plain" | "application/csp-report" => Ok(()),
        _ => Err(BodyError::UnsupportedType(ct.chars().take(100).collect())),
    }
}

/// Returns the uncompressed body, inflating gzip within [`MAX_BODY_BYTES`].
pub fn decode(content_encoding: Option<&str>, body: &[u8]) -> Result<Vec<u8>, BodyError> {
    if body.is_empty() {
        return Err(BodyError::Empty);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    match content_encoding
        .map(|e| e.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("identity") => Ok(body.to_vec()),
        Some("gzip") | Some("x-gzip") => {
            let mut out = Vec::with_capacity(body.len() * 4);
            let mut reader = MultiGzDecoder::new(body).take(MAX_BODY_BYTES as u64 + 1);
            reader
                .read_to_end(&mut out)
                .map_err(|e| BodyError::BadGzip(e.to_string()))?;
            if out.len() > MAX_BODY_BYTES {
                return Err(BodyError::TooLarge);
            }
            Ok(out)
        }
        Some(other) => Err(BodyError::UnsupportedEncoding(
            other.chars().take(40).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_bodies_inflate() {
        assert_eq!(
            decode(Some("gzip"), &gzip(b"{\"a\":1}")).unwrap(),
            b"{\"a\":1}"
        );
        assert_eq!(decode(None, b"{}").unwrap(), b"{}");
    }

    #[test]
    fn decompression_bombs_stop_at_the_limit() {
        let bomb = gzip(&vec![b' '; 64 << 20]);
        assert!(bomb.len() < MAX_BODY_BYTES);
        assert_eq!(decode(Some("gzip"), &bomb), Err(BodyError::TooLarge));
    }

    #[test]
    fn bad_gzip_and_unknown_encodings_are_named() {
        assert!(matches!(
            decode(Some("gzip"), b"not gzip"),
            Err(BodyError::BadGzip(_))
        ));
        assert!(matches!(
            decode(Some("br"), b"x"),
            Err(BodyError::UnsupportedEncoding(_))
        ));
        assert_eq!(decode(None, b""), Err(BodyError::Empty));
    }

    #[test]
    fn content_types() {
        assert!(check_content_type(Some("application/json; charset=utf-8")).is_ok());
        assert!(check_content_type(Some("text/plain;charset=UTF-8")).is_ok());
        assert!(check_content_type(None).is_ok());
        assert!(check_content_type(Some("multipart/form-data")).is_err());
    }
}
