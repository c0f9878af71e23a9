//! JSON documents that carry a CRC-32C of themselves (the manifest, the backup snapshot): the
//! checksum is computed over the pretty-printed JSON with the `checksum` field set to 0,
//! stored in that field, and checked on load.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A document with a `checksum` field.
pub trait Sealed: Serialize + DeserializeOwned + Clone {
    fn checksum_mut(&mut self) -> &mut u32;
}

fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing plain data to a Vec cannot fail.
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

/// The JSON of `doc`, its checksum filled in.
pub fn seal<T: Sealed>(doc: &T) -> Vec<u8> {
    let mut d = doc.clone();
    *d.checksum_mut() = 0;
    let sum = crc32c::crc32c(&to_json(&d));
    *d.checksum_mut() = sum;
    to_json(&d)
}

/// Checks the `format` and `format_version` fields first (a newer version's document may
/// not parse as this one's), so the error says what it is.
pub fn check_format(bytes: &[u8], format: &str, version: u32) -> Result<(), String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    if v["format"] != format {
        return Err(format!("format {}, expected {format:?}", v["format"]));
    }
    if v["format_version"] != version {
        return Err(format!(
            "format version {} (this Strata reads {version})",
            v["format_version"]
        ));
    }
    Ok(())
}

/// Parses `bytes` and checks the checksum; the error is a reason for a message.
pub fn open<T: Sealed>(bytes: &[u8]) -> Result<T, String> {
    let doc: T = serde_json::from_slice(bytes).map_err(|e| format!("not valid: {e}"))?;
    let mut zeroed = doc.clone();
    let stored = std::mem::take(zeroed.checksum_mut());
    let want = crc32c::crc32c(&to_json(&zeroed));
    if want != stored {
        return Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {want:08x}): the object is corrupt"
        ));
    }
    Ok(doc)
}
