//! The bytes of a batch on disk (spool records and dead letters), and how older ones are read.
//!
//! Batches are postcard-encoded, which is compact and fast but not self-describing: a record
//! written by an older footfall decodes as garbage, or not at all, under newer types. Records
//! left in the spool by a crash, or dead letters waiting for a replay, must survive an upgrade,
//! so every encoding since the heatmap fields (version 2) starts with [`MAGIC`], and anything
//! without it is read as version 1 ([`v1`]) and converted.
//!
//! A version 1 record starts with the site id's length as a postcard varint: `MAGIC` would be
//! a length of several million bytes, longer than any record, so the two cannot be confused.

pub(crate) mod v1;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::Batch;

/// Starts every encoding of version 2 and later; the last byte is the version.
pub const MAGIC: [u8; 4] = [0xff, 0xff, 0xff, 0x02];

/// Encodes `value` (a batch, or a record holding one) in the current version.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_extend(value, MAGIC.to_vec())
}

/// Decodes bytes written by [`encode`], or by a footfall before it (`Legacy` converts).
pub fn decode<T, Legacy>(bytes: &[u8]) -> Result<T, postcard::Error>
where
    T: DeserializeOwned,
    Legacy: DeserializeOwned + Into<T>,
{
    match bytes.strip_prefix(&MAGIC) {
        Some(current) => postcard::from_bytes(current),
        None => postcard::from_bytes::<Legacy>(bytes).map(Into::into),
    }
}

/// A batch as the spool holds it.
pub fn encode_batch(batch: &Batch) -> Vec<u8> {
    // Serialising our own types into a Vec cannot fail.
    encode(batch).unwrap_or_default()
}

/// A spool record's batch, whichever version wrote it.
pub fn decode_batch(bytes: &[u8]) -> Option<Batch> {
    decode::<Batch, v1::Batch>(bytes).ok()
}
