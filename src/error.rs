//! Errors: one stable [`ErrorCode`] per kind of problem, and one error type per phase (compiling
//! rules, loading a compiled bundle, reading a decision context). Each says where (JSON path, and
//! line/column when the input was text) and what was expected. docs/errors.md is the catalogue.

use crate::limits::TooDeep;
use std::fmt;

/// Declares [`ErrorCode`] from one list, so that its variants, [`ErrorCode::ALL`] and
/// [`ErrorCode::as_str`] cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $wire:literal,)*) => {
        /// The stable code of an error, for callers to branch on.
        ///
        /// Each code has a wire form ([`ErrorCode::as_str`], `E_…`) that JavaScript callers see as
        /// an `Error`'s `code` and that the CLI prints; those strings are a public contract and never
        /// change. New codes may be added, hence `#[non_exhaustive]`.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in catalogue order (docs/errors.md).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// What the code means: its documentation above, for generated catalogues (the
            /// JavaScript types of crates/kairos-wasm). Unused code, so no build ships it.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc, "\n"),*),)*
                }
            }

            /// The wire form: `"E_SYNTAX"`, `"E_BUNDLE_MAGIC"`, ….
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                }
            }
        }
    };
}

error_codes! {
    // ---- reading and compiling rules ----
    /// Rules (JSON or text), or another JSON document, cannot be read: malformed syntax, a value
    /// of the wrong JSON type, an unknown field or operator, a JSON operator with the wrong number
    /// of arguments, input over the size limit, or bytes that are neither a bundle nor UTF-8 text.
    Syntax = "E_SYNTAX",
    /// Rules nest expressions or content deeper than the limits of [`crate::limits`]
    /// (`MAX_EXPR_DEPTH`, `MAX_CONTENT_DEPTH`, the text parser's `MAX_PARSE_DEPTH`), or a JSON
    /// document deeper than serde_json reads.
    Depth = "E_DEPTH",
    /// The bundle's `kairos` field names a rule-language version other than 1.
    Version = "E_VERSION",
    /// A bundle has no slot, or a tier table has no level.
    Empty = "E_EMPTY",
    /// Rules go over a count or size limit of [`crate::limits`]: slots, variants, segments, tier
    /// tables and levels, expression nodes, string literals, content strings, `max_history`.
    Limit = "E_LIMIT",
    /// A name is empty, too long, or (for identifiers) uses characters other than letters,
    /// digits, `_` and `-`.
    Name = "E_NAME",
    /// Segments or tier tables refer to each other in a cycle.
    Cycle = "E_CYCLE",
    /// A time-zone name is not a known IANA zone (a bundle's `default_timezone`), or an offset
    /// is malformed ([`crate::time::TzError`]).
    Timezone = "E_TIMEZONE",
    /// A number is outside its range: a holdout percent not within 0–100, a cap's `max` below 1.
    Range = "E_RANGE",
    /// A variant id is used twice in one slot.
    Duplicate = "E_DUPLICATE",
    /// A `{{…}}` template is malformed: a bad hole or filter, `{{#if}}`/`{{else}}`/`{{/if}}` that
    /// do not nest, a template in a slot's default, or a malformed `{{decision.…}}` reference.
    Template = "E_TEMPLATE",
    /// A template hole sits where no escaping makes a value safe (a script, a style, an event
    /// handler, a URL's scheme, a comment…), or `raw` is used where it is not allowed.
    TemplateContext = "E_TEMPLATE_CONTEXT",
    /// `{{decision.SLOT.FIELD}}` names a slot the bundle does not have.
    UnknownSlot = "E_UNKNOWN_SLOT",
    /// `{{decision.SLOT.FIELD}}` names a field that no content of that slot has.
    UnknownField = "E_UNKNOWN_FIELD",
    /// A template hole names no var of its variant and no context path.
    UnknownVar = "E_UNKNOWN_VAR",
    /// A duration is malformed (not like `30m` or `48h`) or a window is zero.
    Duration = "E_DURATION",
    /// An operand has the wrong type: a number compared with a string, a condition ordered, a
    /// value where a condition is expected, ….
    Type = "E_TYPE",
    /// An operator that takes a list of operands (`all`, `any`, `coalesce`) was given none.
    Arity = "E_ARITY",
    /// A time of day is not `HH:MM` (`local_time_between`), or a timestamp is not RFC 3339.
    Time = "E_TIME",
    /// A `weekday_in` entry is not a weekday.
    Weekday = "E_WEEKDAY",
    /// A sequence has neither or both of `then` and `then_not`.
    Sequence = "E_SEQUENCE",
    /// A rule refers to a segment the bundle does not define.
    UnknownSegment = "E_UNKNOWN_SEGMENT",
    /// A rule refers to a tier table the bundle does not define.
    UnknownTier = "E_UNKNOWN_TIER",
    /// A rule reads a signal kairos does not know (`session.devise`).
    UnknownSignal = "E_UNKNOWN_SIGNAL",
    /// An aggregate that reads an event property (`sum`, `avg`, …) has no `prop`.
    Prop = "E_PROP",

    // ---- loading compiled bundles ----
    /// The bytes are not a compiled bundle (no `KAIROS` header).
    BundleMagic = "E_BUNDLE_MAGIC",
    /// The bundle was compiled by a kairos with another bundle format version.
    BundleVersion = "E_BUNDLE_VERSION",
    /// The bundle is truncated, altered (checksum) or structurally invalid.
    BundleCorrupt = "E_BUNDLE_CORRUPT",
    /// The bundle is larger than [`crate::limits::MAX_BUNDLE_BYTES`].
    BundleTooLarge = "E_BUNDLE_TOO_LARGE",
    /// The bundle goes over a limit of [`crate::limits`] that the compiler enforces: a crafted or
    /// foreign bundle.
    BundleLimit = "E_BUNDLE_LIMIT",
    /// A signature is required and the bundle is not signed.
    BundleUnsigned = "E_BUNDLE_UNSIGNED",
    /// The bundle is signed by another key than the one required.
    BundleKey = "E_BUNDLE_KEY",
    /// The signed envelope is malformed, or its signature does not match the bundle.
    BundleSignature = "E_BUNDLE_SIGNATURE",
    /// A public or signing key is malformed or not a valid Ed25519 key.
    Key = "E_KEY",
    /// A preview token (src/preview.rs) that is malformed, altered, or not signed by the site's key.
    Preview = "E_PREVIEW",
    /// A preview token past its expiry.
    PreviewExpired = "E_PREVIEW_EXPIRED",

    // ---- deciding ----
    /// A decision context cannot be read: malformed, a wrong type, over a limit, nested too deep.
    Context = "E_CONTEXT",
    /// [`crate::Engine::render`] was asked for a slot the bundle does not have.
    Slot = "E_SLOT",
    /// A surface could not turn a decision into its output form (wasm: a JavaScript value).
    Output = "E_OUTPUT",

    // ---- answering at the edge (crates/kairos-edge) ----
    /// A posted body over the edge's body limit (1 MiB).
    BodyTooLarge = "E_BODY_TOO_LARGE",
    /// A posted body that could not be read, or is not UTF-8 text.
    Body = "E_BODY",
    /// A route asked with a method it does not answer.
    Method = "E_METHOD",
    /// No usable bundle: signatures are required and none is valid.
    NoBundle = "E_NO_BUNDLE",
    /// No `ORIGIN` is configured for the proxy.
    NoOrigin = "E_NO_ORIGIN",
    /// The origin could not be reached (refused, reset, unresolvable): there is no page to show.
    OriginUnreachable = "E_ORIGIN_UNREACHABLE",
    /// A customer record line (`kairos kv-customers`) cannot be read or has no `customer_id`.
    Record = "E_RECORD",
    /// The Worker's `TRACK` setting is not a valid list of track rules.
    Track = "E_TRACK",

    // ---- resident visitors (src/visitor) ----
    /// Saved visitor bytes of another format version, or bytes that are not a saved visitor.
    VisitorVersion = "E_VISITOR_VERSION",
    /// Saved visitor bytes packed for another bundle.
    VisitorBundle = "E_VISITOR_BUNDLE",
    /// Saved visitor bytes that are truncated, altered, over the size limit or inconsistent.
    VisitorCorrupt = "E_VISITOR_CORRUPT",

    // ---- the command line (crates/kairos-cli) ----
    /// The command line is wrong: unknown flag or subcommand, missing or invalid argument (exit 2).
    Usage = "E_USAGE",
    /// A file or stream cannot be read or written (missing, unreadable, already exists…).
    Io = "E_IO",
    /// Input that must be text is not UTF-8.
    Utf8 = "E_UTF8",
    /// An environment variable the command needs is unset or too short (`sign-id`, `token`).
    Env = "E_ENV",
    /// A secret key file that others can read (`compile --sign`).
    KeyMode = "E_KEY_MODE",
    /// An event that cannot be kept: `Visitor::track` (Rust, JS) refused it (no name, a time out of
    /// range, a string over the limit, a number not finite), or `token --event FILE` holds none.
    Event = "E_EVENT",
    /// A line of a replay event log is invalid.
    EventLog = "E_EVENT_LOG",
    /// A columnar event log (Parquet) cannot be read: not Parquet, damaged, compressed with a
    /// codec the CLI lacks, or a column missing or of the wrong type (the column is named).
    Column = "E_COLUMN",
    /// `fmt --check`: the file is not canonical.
    NotFormatted = "E_NOT_FORMATTED",
    /// Should not happen (a serialisation or clock failure).
    Internal = "E_INTERNAL",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Compares with a wire string (`code == "E_DEPTH"`), as JavaScript callers and older tests do.
impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Compares with a wire string (`code == "E_DEPTH"`), as JavaScript callers and older tests do.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Where in the input something is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// JSON path such as `slots.offer.variants[0].when.all[1]` (`.` = the root).
    pub path: String,
    /// 1-based line when known (0 = unknown: JavaScript values have no lines).
    pub line: usize,
    /// 1-based column when known (0 = unknown).
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
    /// What kind of problem (`E_DEPTH` for nesting past a limit, whichever reader found it).
    pub code: ErrorCode,
    /// Where in the rules.
    pub at: Location,
    /// What is wrong and what was expected, for people.
    pub message: String,
}

impl CompileError {
    /// The code, as [`LoadError::code`] and the others spell it.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.at, self.message, self.code)
    }
}

impl std::error::Error for CompileError {}

/// A compiled bundle that cannot be loaded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The bytes do not start with the `KAIROS` magic.
    NotABundle,
    /// Compiled by an incompatible kairos.
    WrongVersion {
        /// The bundle's format version.
        found: u16,
        /// The version this kairos reads.
        expected: u16,
    },
    /// Truncated, altered or structurally invalid.
    Corrupt(String),
    /// Over the size limit.
    TooLarge {
        /// The bundle's size.
        bytes: usize,
        /// The largest size accepted.
        limit: usize,
    },
    /// Over another limit of src/limits.rs (slots, variants, nodes…).
    OverLimit(String),
    /// An expression deeper than [`crate::limits::MAX_EXPR_DEPTH`]: only a crafted bundle has one,
    /// and it is refused here rather than evaluated.
    TooDeep {
        /// The node that roots the too-deep tree.
        node: usize,
        /// Which limit it breaks.
        depth: TooDeep,
    },
    /// A signature is required and the bundle is not signed.
    Unsigned,
    /// Signed, but by another key than the one required (key ids in hex).
    WrongKey {
        /// The id of the key that signed the bundle.
        found: String,
        /// The id of the key required.
        expected: String,
    },
    /// The signed envelope is malformed, or its signature does not match the bundle.
    BadSignature(String),
}

impl LoadError {
    /// Stable code for callers to branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            LoadError::NotABundle => ErrorCode::BundleMagic,
            LoadError::WrongVersion { .. } => ErrorCode::BundleVersion,
            LoadError::Corrupt(_) => ErrorCode::BundleCorrupt,
            LoadError::TooLarge { .. } => ErrorCode::BundleTooLarge,
            LoadError::OverLimit(_) | LoadError::TooDeep { .. } => ErrorCode::BundleLimit,
            LoadError::Unsigned => ErrorCode::BundleUnsigned,
            LoadError::WrongKey { .. } => ErrorCode::BundleKey,
            LoadError::BadSignature(_) => ErrorCode::BundleSignature,
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
            LoadError::TooDeep { node, depth } => write!(f, "bundle over a limit: node {node}: {depth}"),
            LoadError::Unsigned => f.write_str("the bundle is not signed, and a signature is required"),
            LoadError::WrongKey { found, expected } => {
                write!(f, "the bundle is signed by key {found}, not by the required key {expected}")
            }
            LoadError::BadSignature(why) => write!(f, "bad bundle signature: {why}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::TooDeep { depth, .. } => Some(depth),
            _ => None,
        }
    }
}

/// A decision context that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError {
    /// Where in the context.
    pub at: Location,
    /// What is wrong and what was expected, for people.
    pub message: String,
    /// Set when a value nests deeper than [`crate::limits::MAX_SKIPPED_DEPTH`] (or than the JSON
    /// reader allows): the code stays `E_CONTEXT`, this tells the cause by type.
    pub too_deep: Option<TooDeep>,
}

impl ContextError {
    /// The one code of context errors.
    pub const CODE: ErrorCode = ErrorCode::Context;

    /// Always [`ContextError::CODE`]; a method too, like the other errors' codes.
    pub fn code(&self) -> ErrorCode {
        Self::CODE
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "context {}: {}", self.at, self.message)
    }
}

impl std::error::Error for ContextError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.too_deep.as_ref().map(|d| d as _)
    }
}
