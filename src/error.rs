//! One error type per phase: compiling rules, loading a compiled bundle, and
//! reading a decision context. Each says where (JSON path, and line/column
//! when the input was text) and what was expected.

use std::fmt;

/// Where in the input something is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// JSON path such as `slots.offer.variants[0].when.all[1]` (`.` = the root).
    pub path: String,
    /// 1-based line and column when known (0 = unknown).
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() { "." } else { &self.path };
        if self.line > 0 {
            write!(f, "{path} (line {}, column {})", self.line, self.column)
        } else {
            f.write_str(path)
        }
    }
}

/// A rule bundle that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub code: &'static str,
    pub at: Location,
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.at, self.message, self.code)
    }
}

impl std::error::Error for CompileError {}

/// A compiled bundle that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The bytes do not start with the `KAIROS` magic.
    NotABundle,
    /// Compiled by an incompatible kairos.
    WrongVersion { found: u16, expected: u16 },
    /// Truncated, altered or structurally invalid.
    Corrupt(String),
    /// Over the size limit.
    TooLarge { bytes: usize, limit: usize },
    /// Over another limit of src/limits.rs (slots, variants, nodes, nesting…).
    OverLimit(String),
    /// A signature is required and the bundle is not signed.
    Unsigned,
    /// Signed, but by another key than the one required (key ids in hex).
    WrongKey { found: String, expected: String },
    /// The signed envelope is malformed, or its signature does not match the bundle.
    BadSignature(String),
}

impl LoadError {
    /// Stable code for callers to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::NotABundle => "E_BUNDLE_MAGIC",
            LoadError::WrongVersion { .. } => "E_BUNDLE_VERSION",
            LoadError::Corrupt(_) => "E_BUNDLE_CORRUPT",
            LoadError::TooLarge { .. } => "E_BUNDLE_TOO_LARGE",
            LoadError::OverLimit(_) => "E_BUNDLE_LIMIT",
            LoadError::Unsigned => "E_BUNDLE_UNSIGNED",
            LoadError::WrongKey { .. } => "E_BUNDLE_KEY",
            LoadError::BadSignature(_) => "E_BUNDLE_SIGNATURE",
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotABundle => f.write_str("not a compiled kairos bundle (missing KAIROS header)"),
            LoadError::WrongVersion { found, expected } => {
                write!(f, "bundle format version {found}, this kairos reads version {expected}: recompile the rules")
            }
            LoadError::Corrupt(why) => write!(f, "corrupt bundle: {why}"),
            LoadError::TooLarge { bytes, limit } => write!(f, "bundle is {bytes} bytes, the limit is {limit}"),
            LoadError::OverLimit(what) => write!(f, "bundle over a limit: {what}"),
            LoadError::Unsigned => f.write_str("the bundle is not signed, and a signature is required"),
            LoadError::WrongKey { found, expected } => {
                write!(f, "the bundle is signed by key {found}, not by the required key {expected}")
            }
            LoadError::BadSignature(why) => write!(f, "bad bundle signature: {why}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A decision context that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError {
    pub at: Location,
    pub message: String,
}

impl ContextError {
    pub const CODE: &'static str = "E_CONTEXT";
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "context {}: {}", self.at, self.message)
    }
}

impl std::error::Error for ContextError {}
