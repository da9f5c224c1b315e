//! Reading: chunks of lines scanned one by one, each applied to its customer (created on its
//! first line).

use super::customer::Customer;
use super::options::{ReplayError, LISTED_BAD_LINES, MAX_LINE_BYTES};
use super::step::Flow;
use super::Replay;
use crate::ids::IdKey;
use crate::reader::{each_text, ChunkError, Line, ScanError, Scanner, Text, TextError, Val};
use kairos::context::MAX_STRING_BYTES;
use std::io::Read;

/// What is wrong with a line: as a whole, or at a place.
enum Bad {
    Line(String),
    At(ScanError),
}

impl From<String> for Bad {
    fn from(m: String) -> Bad {
        Bad::Line(m)
    }
}

impl Replay<'_> {
    /// Reads NDJSON lines to the end of `input` (or past `to`). Can be called again with more.
    pub fn read<R: Read>(&mut self, input: R) -> Result<(), ReplayError> {
        let read = each_text(input, MAX_LINE_BYTES, |text| {
            if self.done {
                return Ok(false);
            }
            match text {
                Text::Lines(text) => self.lines(text)?,
                Text::NotUtf8 { valid } => {
                    self.line_no += 1;
                    self.bad(self.line_no, valid.chars().count() + 1, "invalid UTF-8".into())?;
                }
            }
            Ok(!self.done)
        });
        match read {
            Ok(()) => Ok(()),
            Err(TextError::Each(e)) => Err(e),
            Err(TextError::Chunk(ChunkError::LineTooLong(n))) => {
                Err(ReplayError { line: self.line_no + 1, column: 1, message: format!("line longer than {n} bytes") })
            }
            Err(TextError::Chunk(ChunkError::Io(e))) => Err(ReplayError { line: 0, column: 0, message: e.to_string() }),
        }
    }

    fn lines(&mut self, text: &str) -> Result<(), ReplayError> {
        let mut sc = Scanner::new(text);
        let mut line = Line::default();
        while !sc.at_end() && !self.done {
            let start = sc.i;
            self.line_no += 1;
            match sc.line(&mut line, &mut self.names) {
                Ok(false) => {}
                Ok(true) => {
                    self.stats.lines += 1;
                    if let Err((at, message)) = self.apply(&mut line, text) {
                        let column = at.and_then(|at| text.get(start..at)).map_or(1, |s| s.chars().count() + 1);
                        self.bad(self.line_no, column, message)?;
                    }
                }
                Err(e) => {
                    let column = text.get(start..e.at).map_or(1, |s| s.chars().count() + 1);
                    sc.i = e.at;
                    sc.skip_line();
                    self.stats.lines += 1;
                    self.bad(self.line_no, column, e.message)?;
                }
            }
        }
        Ok(())
    }

    fn bad(&mut self, line: u64, column: usize, message: String) -> Result<(), ReplayError> {
        if !self.opts.skip_bad {
            return Err(ReplayError { line, column, message });
        }
        self.stats.skipped += 1;
        if self.stats.bad_lines.len() < LISTED_BAD_LINES {
            self.stats.bad_lines.push((line, column, message));
        }
        Ok(())
    }

    /// Applies one scanned line of `text`. Errors carry the offset in `text` they are about, if
    /// not the whole line.
    fn apply<'a>(&mut self, line: &mut Line<'a>, text: &'a str) -> Result<(), (Option<usize>, String)> {
        self.apply_line(line, text).map_err(|e| match e {
            Bad::Line(m) => (None, m),
            Bad::At(e) => (Some(e.at), e.message),
        })
    }

    fn apply_line<'a>(&mut self, line: &mut Line<'a>, text: &'a str) -> Result<(), Bad> {
        let id =
            line.customer.as_ref().or(line.anonymous.as_ref()).ok_or_else(|| {
                "no customer id: give one in `c`, `customer_id`, `userId` or `anonymousId`".to_string()
            })?;
        if id.is_empty() || id.len() > MAX_STRING_BYTES {
            return Err(format!("the customer id must be 1 to {MAX_STRING_BYTES} bytes").into());
        }
        let at = line.at.ok_or_else(|| "no time: give one in `t` (epoch ms) or `timestamp` (RFC 3339)".to_string())?;
        let name: Option<&str> = match (line.name.as_deref(), line.kind.as_deref()) {
            (Some(n), _) => Some(n),
            (None, Some("page")) => Some("page_viewed"),
            (None, Some("identify")) => Some("identify"),
            (None, None) if line.has_profile => None,
            _ => return Err(Bad::Line("no event name: give one in `e` or `event`".into())),
        };
        if let Some(n) = name {
            if n.len() > MAX_STRING_BYTES {
                return Err(format!("the event name exceeds {MAX_STRING_BYTES} bytes").into());
            }
        }
        if self.advance(at)? == Flow::Stop {
            return Ok(());
        }
        if self.counted.is_some_and(|c| at <= c) {
            self.stats.late += 1;
        }
        self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
        let info = match (line.name_id, name) {
            (Some(id), Some(_)) if line.name.is_some() => Some(id),
            (_, n) => n.map(|n| self.names.lookup(n)),
        };
        if let (Some(at), Some(info)) = (line.props_at, info.and_then(|i| self.names.infos.get(i as usize))) {
            if !info.want.is_empty() {
                let want = &info.want;
                Scanner::new(text).props(at, |k| want.iter().any(|w| w == k), &mut line.props).map_err(Bad::At)?;
            }
        }
        if let Some((k, _)) = line.props.iter().find(|(_, v)| matches!(v, Val::Str(s) if s.len() > MAX_STRING_BYTES)) {
            return Err(format!("property `{k}`: a string longer than {MAX_STRING_BYTES} bytes").into());
        }
        let (engine, assume, timeout) = (self.engine, self.opts.assume_consent, self.opts.session_timeout);
        let max_history = engine.program.max_history as usize;
        let segments = engine.program.segments.len();
        let key = IdKey::new(id);
        let slot = match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                let customer = Customer::new(id, assume, segments);
                let slot = match self.free.pop() {
                    Some(s) => {
                        self.customers[s as usize] = Some(customer);
                        s
                    }
                    None => {
                        self.customers.push(Some(customer));
                        (self.customers.len() - 1) as u32
                    }
                };
                self.index.insert(key, slot);
                self.stats.resident += 1;
                self.stats.peak_resident = self.stats.peak_resident.max(self.stats.resident);
                slot
            }
        };
        let Some(Some(c)) = self.customers.get_mut(slot as usize) else { return Ok(()) };
        c.last_seen = c.last_seen.max(at);
        if line.has_profile {
            self.stats.profile_updates += 1;
            c.update_profile(line, at, &self.names);
        }
        if let Some((id, info)) = info.and_then(|i| self.names.infos.get(i as usize).map(|n| (i, n))) {
            self.stats.events += 1;
            c.session.note(info.role, at, &line.props, timeout);
            if info.read {
                let before = c.log.len();
                c.keep(info, id, at, &line.props, max_history);
                self.stats.held_events = (self.stats.held_events + c.log.len()).saturating_sub(before);
            }
        }
        Ok(())
    }
}
