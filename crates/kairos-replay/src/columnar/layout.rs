//! The columnar layout: which columns a row's line is made of, how a schema's columns are
//! matched to them (ignoring case and underscores: `user_id`, `userId` and `USER_ID` are one),
//! and which Arrow types each accepts. Everything here is checked before any row is read.

use super::ColumnError;
use arrow_schema::{DataType, Schema};

/// How a column's values are written into the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Text, written as a JSON string.
    Text,
    /// A timestamp, epoch ms or RFC 3339 text.
    Time,
    /// Text holding JSON, written as it is.
    Json,
}

/// A column of the layout.
pub(super) struct Field {
    /// As documented (snake_case, as warehouses write).
    pub(super) name: &'static str,
    /// The key of the analytics line it is written under.
    pub(super) key: &'static str,
    pub(super) kind: Kind,
}

/// The layout's columns, in the order their keys are written.
pub(super) const FIELDS: [Field; 8] = [
    Field { name: "type", key: "type", kind: Kind::Text },
    Field { name: "user_id", key: "userId", kind: Kind::Text },
    Field { name: "anonymous_id", key: "anonymousId", kind: Kind::Text },
    Field { name: "event", key: "event", kind: Kind::Text },
    Field { name: "timestamp", key: "timestamp", kind: Kind::Time },
    Field { name: "properties", key: "properties", kind: Kind::Json },
    Field { name: "traits", key: "traits", kind: Kind::Json },
    Field { name: "context", key: "context", kind: Kind::Json },
];

const TYPE: usize = 0;
pub(super) const USER_ID: usize = 1;
pub(super) const ANONYMOUS_ID: usize = 2;
pub(super) const EVENT: usize = 3;
pub(super) const TIMESTAMP: usize = 4;
pub(super) const PROPERTIES: usize = 5;
pub(super) const TRAITS: usize = 6;
pub(super) const CONTEXT: usize = 7;

/// A layout column found in the schema.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// Position in the schema.
    pub(super) index: usize,
    /// As the schema names it.
    pub(super) name: String,
}

/// Where each of [`FIELDS`] is in a schema (`None`: absent).
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub(super) found: [Option<Found>; FIELDS.len()],
}

impl Layout {
    /// Finds the layout's columns in `schema` and checks their types; other columns are ignored.
    pub(super) fn of(schema: &Schema) -> Result<Layout, ColumnError> {
        let mut found: [Option<Found>; FIELDS.len()] = Default::default();
        for (field, slot) in FIELDS.iter().zip(&mut found) {
            let mut matches =
                schema.fields().iter().enumerate().filter(|(_, f)| squash(f.name()) == squash(field.name));
            let Some((index, column)) = matches.next() else { continue };
            if let Some((_, other)) = matches.next() {
                return Err(ColumnError::column(
                    column.name(),
                    format!("`{}` names the same column: keep one", other.name()),
                ));
            }
            if !accepts(field.kind, column.data_type()) {
                return Err(ColumnError::column(
                    column.name(),
                    format!("expected {}, found {}", expected(field.kind), column.data_type()),
                ));
            }
            *slot = Some(Found { index, name: column.name().clone() });
        }
        let missing = |what: String| format!("{what} (columns: {})", names(schema));
        if found[TIMESTAMP].is_none() {
            return Err(ColumnError {
                column: Some(FIELDS[TIMESTAMP].name.into()),
                message: missing("no `timestamp` column".into()),
            });
        }
        if found[USER_ID].is_none() && found[ANONYMOUS_ID].is_none() {
            return Err(ColumnError::input(missing("neither `user_id` nor `anonymous_id` column".into())));
        }
        // Without `type` every row is a track call, which needs its event name.
        if found[EVENT].is_none() && found[TYPE].is_none() {
            return Err(ColumnError {
                column: Some(FIELDS[EVENT].name.into()),
                message: missing("no `event` column, nor a `type` column for page and identify calls".into()),
            });
        }
        Ok(Layout { found })
    }

    /// The schema positions of the columns found, ascending (what a reader needs to decode).
    pub(super) fn indices(&self) -> Vec<usize> {
        let mut at: Vec<usize> = self.found.iter().flatten().map(|f| f.index).collect();
        at.sort_unstable();
        at
    }
}

/// Whether a column of type `t` can be read as `kind`.
pub(super) fn accepts(kind: Kind, t: &DataType) -> bool {
    match kind {
        Kind::Text | Kind::Json => is_text(t),
        Kind::Time => matches!(t, DataType::Timestamp(..) | DataType::Int64) || is_text(t),
    }
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => {
            matches!(**values, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        }
        _ => false,
    }
}

pub(super) fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text (Utf8, LargeUtf8, Utf8View or a dictionary of them)",
        Kind::Time => "a timestamp, int64 epoch ms or RFC 3339 text",
        Kind::Json => "JSON text (Utf8, LargeUtf8, Utf8View or a dictionary of them)",
    }
}

/// A name as matched: ASCII lower case, without underscores.
fn squash(name: &str) -> String {
    name.chars().filter(|&c| c != '_').map(|c| c.to_ascii_lowercase()).collect()
}

/// The schema's column names for a message, the first 20 of them.
fn names(schema: &Schema) -> String {
    const SHOWN: usize = 20;
    let fields = schema.fields();
    // A name is cut at 64 characters: a file's names can be of any length.
    let list: Vec<String> = fields.iter().take(SHOWN).map(|f| f.name().chars().take(64).collect()).collect();
    if list.is_empty() {
        return "none".into();
    }
    let more = fields.len().saturating_sub(SHOWN);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("{}{more}", list.join(", "))
}
