//! The byte-level codec under every share link: LEB128 varints, zigzag for signed
//! numbers, and a bounds-checked [`Reader`] that turns any malformed input into a
//! [`DecodeError`] instead of a panic.
//!
//! The scenario codec (the share link) and topic operations
//! ([`super::action::RawOperation`]) both write with these functions, so a link is
//! one format from the first byte to the last.

use std::fmt;

/// Why encoded bytes could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    /// A character outside the base64url alphabet, at this position.
    BadCharacter(usize),
    UnsupportedVersion(u8),
    /// The data ends in the middle of a field.
    Truncated,
    /// A name (topic, preset, bug, parameter) that is too long or not a slug.
    BadName,
    /// A field with a value out of its range.
    BadValue(&'static str, u64),
    UnknownAction(u8),
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "the scenario is empty"),
            DecodeError::BadCharacter(at) => {
                write!(
                    f,
                    "character {at} is not part of a scenario link (base64url)"
                )
            }
            DecodeError::UnsupportedVersion(v) => {
                write!(f, "scenario format version {v} is not supported")
            }
            DecodeError::Truncated => write!(f, "the scenario is cut short"),
            DecodeError::BadName => write!(f, "the scenario contains an invalid name"),
            DecodeError::BadValue(what, value) => write!(f, "invalid {what}: {value}"),
            DecodeError::UnknownAction(tag) => write!(f, "unknown action type {tag}"),
            DecodeError::TrailingBytes(n) => {
                write!(f, "{n} unexpected bytes after the end of the scenario")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Maps signed to unsigned so small magnitudes stay small varints.
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends `value` as a LEB128 varint (7 bits a byte, low bits first).
pub fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads what the `write_*` functions wrote, never past the end of its bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self.bytes.get(self.at).ok_or(DecodeError::Truncated)?;
        self.at += 1;
        Ok(byte)
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = (byte & 0x7f) as u64;
            if shift == 63 && bits > 1 {
                return Err(DecodeError::BadValue("varint", bits));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::BadValue("varint", value))
    }

    /// A count of items each taking at least `min_bytes`, bounded by what is left,
    /// so a forged count cannot make the decoder allocate more than the input holds.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, DecodeError> {
        let count = self.varint()?;
        let left = self.remaining() as u64;
        if count.saturating_mul(min_bytes as u64) > left + min_bytes as u64 {
            return Err(DecodeError::Truncated);
        }
        Ok(count as usize)
    }

    /// `len` raw bytes.
    pub fn bytes(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(len).ok_or(DecodeError::Truncated)?;
        let raw = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        Ok(raw)
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(DecodeError::TrailingBytes(extra)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_and_zigzag_round_trip(value in any::<u64>(), signed in any::<i64>()) {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            write_varint(&mut out, zigzag(signed));
            let mut reader = Reader::new(&out);
            prop_assert_eq!(reader.varint(), Ok(value));
            prop_assert_eq!(reader.varint().map(unzigzag), Ok(signed));
            prop_assert_eq!(reader.finish(), Ok(()));
        }

        #[test]
        fn reading_junk_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut reader = Reader::new(&bytes);
            while reader.varint().is_ok() {}
            let _ = reader.count(1);
            let _ = reader.bytes(usize::MAX);
        }
    }
}
