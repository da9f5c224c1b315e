//! The one error type of the CLI: every failure prints as `error[CODE]: message` on stderr.
//!
//! Codes from the core are used as they are (`LoadError::code()`, `CompileError.code`,
//! `ContextError::CODE`, `KeyError::CODE`). Failures only the CLI can have use the codes below,
//! short names for their [`ErrorCode`] variants (one catalogue: docs/errors.md).
//!
//! Exit status: 2 for usage errors (the command line itself is wrong), 1 for errors in the work.

use kairos::{CompileError, ContextError, ErrorCode, LoadError};
use std::fmt::Display;

/// The command line is wrong: unknown flag or subcommand, missing or invalid argument (exit 2).
pub const E_USAGE: ErrorCode = ErrorCode::Usage;
/// A file or stream cannot be read or written (missing, unreadable, already exists…).
pub const E_IO: ErrorCode = ErrorCode::Io;
/// Input that must be text is not UTF-8.
pub const E_UTF8: ErrorCode = ErrorCode::Utf8;
/// An environment variable the command needs is unset or too short (`sign-id`, `token`).
pub const E_ENV: ErrorCode = ErrorCode::Env;
/// A secret key file that others can read (`compile --sign`).
pub const E_KEY_MODE: ErrorCode = ErrorCode::KeyMode;
/// `token --event FILE` does not hold a valid event.
pub const E_EVENT: ErrorCode = ErrorCode::Event;
/// A line of a replay event log is invalid.
pub const E_EVENT_LOG: ErrorCode = ErrorCode::EventLog;
/// A Parquet event log cannot be read: not Parquet, damaged, or a column missing or mistyped.
pub const E_COLUMN: ErrorCode = ErrorCode::Column;
/// `render --slot` names no slot of the bundle (the wasm binding's code for the same failure).
pub const E_SLOT: ErrorCode = ErrorCode::Slot;
/// `fmt --check`: the file is not canonical.
pub const E_NOT_FORMATTED: ErrorCode = ErrorCode::NotFormatted;
/// Should not happen (a serialisation or clock failure).
pub const E_INTERNAL: ErrorCode = ErrorCode::Internal;

#[derive(Debug)]
pub enum CliError {
    Coded {
        code: String,
        message: String,
        /// Exit 2 rather than 1.
        usage: bool,
    },
    /// A located rule error from `kairos::rules::text::render_error`: it already starts with
    /// `error[E_…]: ` and goes on with the file, line and a caret, so it is printed as is.
    Rendered(String),
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    pub fn new(code: impl Display, message: impl Into<String>) -> CliError {
        CliError::Coded { code: code.to_string(), message: message.into(), usage: false }
    }

    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::Coded { code: E_USAGE.to_string(), message: message.into(), usage: true }
    }

    /// A file that cannot be read or written, named first.
    pub fn io(path: &str, e: &std::io::Error) -> CliError {
        CliError::new(E_IO, format!("{path}: {e}"))
    }

    pub fn load(path: &str, e: &LoadError) -> CliError {
        CliError::new(e.code(), format!("{path}: {e}"))
    }

    pub fn context(path: &str, e: &ContextError) -> CliError {
        CliError::new(ContextError::CODE, format!("{path}: {e}"))
    }

    /// Rules that do not compile, shown with the line and a caret when the location is known.
    pub fn compile(src: &str, path: &str, e: &CompileError) -> CliError {
        CliError::Rendered(kairos::rules::text::render_error(src, path, e))
    }

    pub fn internal(e: impl Display) -> CliError {
        CliError::new(E_INTERNAL, e.to_string())
    }

    /// The message without its code.
    pub fn message(&self) -> &str {
        match self {
            CliError::Coded { message, .. } => message,
            CliError::Rendered(text) => text,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Coded { usage: true, .. } => 2,
            _ => 1,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Coded { code, message, .. } => writeln!(f, "error[{code}]: {message}"),
            CliError::Rendered(text) => f.write_str(text),
        }
    }
}

impl From<clap::Error> for CliError {
    /// clap's own rendering (the problem, a suggestion, the usage line), headed with the code.
    fn from(e: clap::Error) -> CliError {
        let text = e.render().to_string();
        let text = text.strip_prefix("error: ").unwrap_or(&text).trim_end();
        CliError::usage(text)
    }
}
