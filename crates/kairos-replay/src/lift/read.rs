//! Reading a log for a lift: chunks of whole lines, each scanned by the replay's scanner, which
//! reads only the exposure's `slot`, `variant` and `holdout` and the conversion's value, and
//! skips every other property and event unread.

use super::{BadLine, Lift, LiftOptions, MAX_BAD_KEPT};
use crate::reader::{each_text, ChunkError, Line, Scanner, Text, TextError, Val, Wanted};
use crate::state::MAX_LINE_BYTES;
use std::io::Read;

const OTHER: u16 = 0;
const EXPOSURE: u16 = 1;
const CONVERSION: u16 = 2;
/// Distinct event names remembered; past that, names are classified line by line.
const MAX_NAMES_CACHED: usize = 1024;

/// Which events and properties a lift reads.
pub(super) struct Names {
    conversion: String,
    value: Option<String>,
    seen: Vec<(Box<str>, u16)>,
}

impl Names {
    pub(super) fn new(options: &LiftOptions) -> Names {
        Names { conversion: options.conversion.clone(), value: options.value.clone(), seen: Vec::new() }
    }

    fn classify(&self, raw: &str) -> u16 {
        if raw == kairos::exposure::EVENT {
            EXPOSURE
        } else if kairos::context::normalize_event_name(raw) == self.conversion {
            CONVERSION
        } else {
            OTHER
        }
    }
}

impl Wanted for Names {
    fn event(&mut self, raw: &str) -> u16 {
        if let Some((_, id)) = self.seen.iter().find(|(name, _)| &**name == raw) {
            return *id;
        }
        let id = self.classify(raw);
        if self.seen.len() < MAX_NAMES_CACHED {
            self.seen.push((raw.into(), id));
        }
        id
    }
    fn any(&self, event: u16) -> bool {
        event == EXPOSURE || (event == CONVERSION && self.value.is_some())
    }
    fn wants(&self, event: u16, key: &str) -> bool {
        match event {
            EXPOSURE => matches!(key, "slot" | "variant" | "holdout"),
            CONVERSION => self.value.as_deref() == Some(key),
            _ => false,
        }
    }
    fn wants_attribute(&self, _: &str) -> bool {
        false
    }
    fn wants_score(&self, _: &str) -> bool {
        false
    }
}

impl Lift {
    /// Reads NDJSON lines to the end of `input`. Every bad line is counted (the first few kept
    /// for the report); without `skip_bad` the first one stops the reading and is returned.
    pub fn read<R: Read>(&mut self, input: R, skip_bad: bool) -> Result<(), BadLine> {
        let read = each_text(input, MAX_LINE_BYTES, |text| {
            match text {
                Text::Lines(text) => self.lines_of(text, skip_bad)?,
                Text::NotUtf8 { valid } => {
                    self.lines += 1;
                    let bad = self.bad(self.lines, Some(valid.chars().count() + 1), "invalid UTF-8".into());
                    if !skip_bad {
                        return Err(bad);
                    }
                }
            }
            Ok(true)
        });
        match read {
            Ok(()) => Ok(()),
            Err(TextError::Each(bad)) => Err(bad),
            Err(TextError::Chunk(ChunkError::LineTooLong(n))) => {
                Err(self.bad(self.lines + 1, None, format!("line longer than {n} bytes")))
            }
            Err(TextError::Chunk(ChunkError::Io(e))) => {
                Err(BadLine { line: self.lines, column: None, why: e.to_string() })
            }
        }
    }

    /// Reads one line (tests, and callers with lines in hand).
    pub fn push_line(&mut self, text: &str) -> Result<(), BadLine> {
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            self.lines += 1;
            return Ok(());
        }
        if text.contains('\n') {
            self.lines += 1;
            return Err(self.bad(self.lines, None, "a line break inside the line".into()));
        }
        self.lines_of(text, false)
    }

    fn lines_of(&mut self, text: &str, skip_bad: bool) -> Result<(), BadLine> {
        let mut sc = Scanner::new(text);
        let mut line = Line::default();
        while !sc.at_end() {
            let start = sc.i;
            self.lines += 1;
            let column = |at: usize| text.get(start..at).map_or(1, |s| s.chars().count() + 1);
            let problem = match sc.line(&mut line, &mut self.names) {
                Ok(false) => None,
                Ok(true) => self.apply(&mut line, text).err().map(|(at, why)| (at.map(column), why)),
                Err(e) => {
                    sc.i = e.at;
                    sc.skip_line();
                    Some((Some(column(e.at)), e.message))
                }
            };
            if let Some((column, why)) = problem {
                let bad = self.bad(self.lines, column, why);
                if !skip_bad {
                    return Err(bad);
                }
            }
        }
        Ok(())
    }

    fn bad(&mut self, line: u64, column: Option<usize>, why: String) -> BadLine {
        let bad = BadLine { line, column, why };
        self.bad_count += 1;
        if self.bad.len() < MAX_BAD_KEPT {
            self.bad.push(bad.clone());
        }
        bad
    }

    /// Counts a scanned line. Errors carry the offset in `text` they are about, if not the line.
    fn apply<'a>(&mut self, line: &mut Line<'a>, text: &'a str) -> Result<(), (Option<usize>, String)> {
        let Some(name) = line.name.as_deref() else { return Ok(()) };
        let event = match line.name_id {
            Some(id) => id,
            None => self.names.event(name),
        };
        if event == OTHER {
            return Ok(());
        }
        if let Some(at) = line.props_at {
            // The properties came before the event's name: read them now.
            let names = &self.names;
            Scanner::new(text)
                .props(at, |k| names.wants(event, k), &mut line.props)
                .map_err(|e| (Some(e.at), e.message))?;
        }
        let visitor = line
            .customer
            .as_deref()
            .or(line.anonymous.as_deref())
            .ok_or((None, "no userId or anonymousId".to_owned()))?;
        let at = line.at.ok_or((None, "no timestamp".to_owned()))?;
        let prop = |key: &str| line.props.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        if event == EXPOSURE {
            let text = |key: &str| match prop(key) {
                Some(Val::Str(s)) => Ok(&**s),
                _ => Err((None, format!("properties.{key} missing or not a string"))),
            };
            let holdout = match prop("holdout") {
                Some(Val::Bool(b)) => *b,
                _ => return Err((None, "properties.holdout missing or not true/false".into())),
            };
            self.exposed(visitor, at, text("slot")?, text("variant")?, holdout);
            return Ok(());
        }
        let value = match self.options.value.as_deref().map(prop) {
            None | Some(None | Some(Val::Null)) => 0.0,
            Some(Some(Val::Num(v))) => *v,
            Some(Some(_)) => {
                let key = self.options.value.as_deref().unwrap_or_default();
                return Err((None, format!("properties.{key} is not a number")));
            }
        };
        self.converted(visitor, at, value);
        Ok(())
    }
}
