//! The crate's error type.
//!
//! Owns: [`WorldError`], one enum for reading and writing msav files and world streams.
//! Invariant: cheap to build; hostile input produces these, never a panic.

use std::path::PathBuf;

use multidustry_protocol::io::{DecodeError, StringTooLong};
use multidustry_protocol::typeio::EncodeError;

/// A map, save or world stream could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// Bytes did not follow the format.
    #[error("malformed {section}: {source}")]
    Decode {
        /// The region or section being read (`meta`, `map`, `entities`, …).
        section: &'static str,
        /// What went wrong.
        source: DecodeError,
    },
    /// The file is not an msav (wrong magic).
    #[error("not an msav file (starts with {0:02x?}, expected \"MSAV\")")]
    BadMagic(Vec<u8>),
    /// A save version this reader does not handle.
    #[error("unsupported save version {0} (this reader handles 2 to 13)")]
    UnsupportedVersion(i32),
    /// A save version this writer does not produce.
    #[error("cannot write save version {0} (this writer produces 11 and 13)")]
    UnsupportedWriteVersion(i32),
    /// A region declared one length and its contents another.
    #[error("region {region}: declared {declared} bytes, contents took {used}")]
    RegionLength {
        /// Region name.
        region: &'static str,
        /// Declared length.
        declared: usize,
        /// Bytes its parser consumed.
        used: usize,
    },
    /// A size beyond this crate's limits (map dimensions, inflated size, counts).
    #[error("{what} too large: {value} (limit {limit})")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The size.
        value: usize,
        /// The limit.
        limit: usize,
    },
    /// zlib data was corrupt.
    #[error("zlib: {0}")]
    Zlib(std::io::Error),
    /// A value the format cannot represent (string over 65535 bytes, count over its prefix).
    #[error("cannot encode: {0}")]
    Encode(#[from] EncodeError),
    /// Something in the model is inconsistent (e.g. a building record that is not in the modern layout).
    #[error("invalid world: {0}")]
    Invalid(String),
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<WorldError>,
    },
    /// Operating-system IO.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<StringTooLong> for WorldError {
    fn from(e: StringTooLong) -> Self {
        Self::Encode(EncodeError::StringTooLong(e))
    }
}

impl WorldError {
    pub(crate) fn too_large(what: &'static str, value: usize) -> Self {
        Self::TooLarge { what, value, limit: i16::MAX as usize }
    }

    /// Wraps the error with the file it concerns.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        Self::File { path: path.into(), source: Box::new(self) }
    }
}

/// Attaches a section name to decode errors.
pub(crate) trait Section<T> {
    fn section(self, section: &'static str) -> Result<T, WorldError>;
}

impl<T> Section<T> for Result<T, DecodeError> {
    fn section(self, section: &'static str) -> Result<T, WorldError> {
        self.map_err(|source| WorldError::Decode { section, source })
    }
}
