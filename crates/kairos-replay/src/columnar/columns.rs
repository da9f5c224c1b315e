//! One batch's columns of the layout, typed once per batch so that each row reads its values
//! without looking at types again: text (plain, large, view, or a dictionary of them), JSON text,
//! and times (instants of any unit, epoch ms, or text).

use super::layout::{accepts, expected, Kind, Layout, FIELDS};
use super::ColumnError;
use crate::gen::json_str;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use std::io::Write;

/// The layout's columns of `batch`, typed.
pub(super) fn columns(layout: &Layout, batch: &RecordBatch) -> Result<Vec<(usize, Col)>, ColumnError> {
    let mut cols = Vec::new();
    for (field, found) in layout.found.iter().enumerate() {
        let Some(found) = found else { continue };
        let kind = FIELDS[field].kind;
        let array = batch.columns().get(found.index);
        let col = array.filter(|a| accepts(kind, a.data_type())).and_then(|a| Col::of(kind, a)).ok_or_else(|| {
            let had = array.map_or("nothing".into(), |a| a.data_type().to_string());
            ColumnError::column(&found.name, format!("a batch holds {had}, expected {}", expected(kind)))
        })?;
        cols.push((field, col));
    }
    Ok(cols)
}

/// A column of one batch, typed.
pub(super) enum Col {
    Text(Text),
    Json(Text),
    Time(Time),
}

impl Col {
    fn of(kind: Kind, a: &ArrayRef) -> Option<Col> {
        Some(match kind {
            Kind::Text => Col::Text(Text::of(a)?),
            Kind::Json => Col::Json(Text::of(a)?),
            Kind::Time => Col::Time(Time::of(a)?),
        })
    }
}

/// A text column, plain or dictionary-encoded.
pub(super) enum Text {
    Utf8(arrow_array::StringArray),
    Large(arrow_array::LargeStringArray),
    View(arrow_array::StringViewArray),
    /// Each row's index into `values` (`None`: null, or an index out of range).
    Dict {
        keys: Vec<Option<usize>>,
        values: Box<Text>,
    },
}

impl Text {
    fn of(a: &ArrayRef) -> Option<Text> {
        match a.data_type() {
            DataType::Utf8 => Some(Text::Utf8(a.as_string_opt::<i32>()?.clone())),
            DataType::LargeUtf8 => Some(Text::Large(a.as_string_opt::<i64>()?.clone())),
            DataType::Utf8View => Some(Text::View(a.as_string_view_opt()?.clone())),
            DataType::Dictionary(key, _) => {
                let dict = a.as_any_dictionary_opt()?;
                let keys = dict.keys();
                let keys = match **key {
                    DataType::Int8 => keys_of::<Int8Type>(keys),
                    DataType::Int16 => keys_of::<Int16Type>(keys),
                    DataType::Int32 => keys_of::<Int32Type>(keys),
                    DataType::Int64 => keys_of::<Int64Type>(keys),
                    DataType::UInt8 => keys_of::<UInt8Type>(keys),
                    DataType::UInt16 => keys_of::<UInt16Type>(keys),
                    DataType::UInt32 => keys_of::<UInt32Type>(keys),
                    DataType::UInt64 => keys_of::<UInt64Type>(keys),
                    _ => None,
                }?;
                // Values that are themselves dictionaries are not valid Arrow: refused here.
                let values = match dict.values().data_type() {
                    DataType::Dictionary(..) => return None,
                    _ => Text::of(dict.values())?,
                };
                Some(Text::Dict { keys, values: Box::new(values) })
            }
            _ => None,
        }
    }

    /// The row's text; `None` for null (or past the end, which a valid batch never asks).
    pub(super) fn get(&self, row: usize) -> Option<&str> {
        fn at<A: Array>(a: &A, row: usize) -> Option<usize> {
            (row < a.len() && a.is_valid(row)).then_some(row)
        }
        match self {
            Text::Utf8(a) => at(a, row).map(|r| a.value(r)),
            Text::Large(a) => at(a, row).map(|r| a.value(r)),
            Text::View(a) => at(a, row).map(|r| a.value(r)),
            Text::Dict { keys, values } => values.get((*keys.get(row)?)?),
        }
    }
}

/// Dictionary keys as indices (negative ones as `None`).
fn keys_of<K>(keys: &dyn Array) -> Option<Vec<Option<usize>>>
where
    K: ArrowDictionaryKeyType,
    K::Native: TryInto<usize>,
{
    let keys = keys.as_primitive_opt::<K>()?;
    Some(keys.iter().map(|k| k.and_then(|k| k.try_into().ok())).collect())
}

/// A time column: instants (any unit, any or no zone: read as UTC) or epoch ms, or text.
pub(super) enum Time {
    Epoch { values: Int64Array, unit: TimeUnit },
    Text(Text),
}

impl Time {
    fn of(a: &ArrayRef) -> Option<Time> {
        let epoch = |values: Int64Array, unit| Some(Time::Epoch { values, unit });
        macro_rules! instants {
            ($t:ty, $unit:expr) => {{
                let p = a.as_primitive_opt::<$t>()?;
                epoch(Int64Array::new(p.values().clone(), p.nulls().cloned()), $unit)
            }};
        }
        match a.data_type() {
            DataType::Int64 => epoch(a.as_primitive_opt::<Int64Type>()?.clone(), TimeUnit::Millisecond),
            DataType::Timestamp(TimeUnit::Second, _) => instants!(TimestampSecondType, TimeUnit::Second),
            DataType::Timestamp(TimeUnit::Millisecond, _) => instants!(TimestampMillisecondType, TimeUnit::Millisecond),
            DataType::Timestamp(TimeUnit::Microsecond, _) => instants!(TimestampMicrosecondType, TimeUnit::Microsecond),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => instants!(TimestampNanosecondType, TimeUnit::Nanosecond),
            _ => Text::of(a).map(Time::Text),
        }
    }

    /// Writes the row's time (epoch ms, or the text as a JSON string); `false` for null.
    pub(super) fn write(&self, row: usize, out: &mut Vec<u8>) -> bool {
        match self {
            Time::Epoch { .. } => match self.epoch_ms(row) {
                Some(ms) => {
                    let _ = write!(out, "{ms}");
                    true
                }
                None => false,
            },
            Time::Text(t) => t.get(row).map(|s| json_str(out, s)).is_some(),
        }
    }

    /// The row's instant in epoch ms, when the column holds instants (not text) and it is set.
    pub(super) fn epoch_ms(&self, row: usize) -> Option<i64> {
        let Time::Epoch { values, unit } = self else { return None };
        if row >= values.len() || values.is_null(row) {
            return None;
        }
        let v = values.value(row);
        // Out of range seconds saturate: the replay then refuses the year, on this row.
        Some(match unit {
            TimeUnit::Second => v.saturating_mul(1000),
            TimeUnit::Millisecond => v,
            TimeUnit::Microsecond => v.div_euclid(1000),
            TimeUnit::Nanosecond => v.div_euclid(1_000_000),
        })
    }
}
