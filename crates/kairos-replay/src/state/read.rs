//! Reading: chunks of lines scanned one by one, each applied to its customer (created on its
//! first line).

use super::customer::Customer;
use super::options::{ReplayError, LISTED_BAD_LINES, MAX_LINE_BYTES};
use super::shards::Routed;
use super::step::Flow;
use super::Replay;
use crate::ids::IdKey;
use crate::reader::{each_text, ChunkError, Key, Line, ScanError, Scanner, Text, TextError, Val};
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
            self.text(text)?;
            Ok(!self.done)
        });
        match read {
            Ok(()) => Ok(()),
            Err(TextError::Each(e)) => Err(e),
            Err(TextError::Chunk(e)) => Err(self.input_error(e)),
        }
    }

    /// Whether this replay has read all it will (past `to`, or too many steps).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// One run of whole lines (or one line that is not UTF-8).
    pub(super) fn text(&mut self, text: Text) -> Result<(), ReplayError> {
        if self.done {
            return Ok(());
        }
        match text {
            Text::Lines(text) => self.lines(text),
            Text::NotUtf8 { valid } => {
                self.line_no += 1;
                if self.shard.index > 0 {
                    return Ok(());
                }
                self.bad(self.line_no, valid.chars().count() + 1, "invalid UTF-8".into())
            }
        }
    }

    /// The input could not be read in whole lines: at the next line, or (I/O) not at a line.
    pub(super) fn input_error(&self, e: ChunkError) -> ReplayError {
        match e {
            ChunkError::LineTooLong(n) => {
                ReplayError { line: self.line_no + 1, column: 1, message: format!("line longer than {n} bytes") }
            }
            ChunkError::Io(e) => ReplayError { line: 0, column: 0, message: e.to_string() },
        }
    }

    fn lines(&mut self, text: &str) -> Result<(), ReplayError> {
        let mut sc = Scanner::new(text);
        let mut line = Line::default();
        while !sc.at_end() && !self.done {
            self.line_no += 1;
            self.one_line(&mut sc, &mut line, text)?;
        }
        Ok(())
    }

    /// A shard's own lines of a chunk, as the reading thread routed them ([`Routed`]): before
    /// each, the clock moves to the first line's time (which lays the step grid) and to the
    /// latest time of the lines before it (what reading those lines' keys would have done), and
    /// after the last, to the chunk's latest.
    pub(super) fn routed(&mut self, piece: &Routed) -> Result<(), ReplayError> {
        let text = &*piece.text;
        let mut sc = Scanner::new(text);
        let mut line = Line::default();
        for &(start, line_no, before) in &piece.lines {
            self.catch_up(piece.first, before);
            if self.done {
                return Ok(());
            }
            self.line_no = line_no;
            sc.i = start;
            self.one_line(&mut sc, &mut line, text)?;
        }
        self.catch_up(piece.first, piece.latest);
        self.line_no = piece.lines_read;
        Ok(())
    }

    /// Moves the clock as the other shards' lines would have: to the input's first time if no
    /// grid is laid yet, then to the latest time read. Too many steps is reported by the line's
    /// owner; here it only stops.
    fn catch_up(&mut self, first: Option<i64>, latest: Option<i64>) {
        if let (None, Some(first)) = (self.next, first) {
            let _ = self.clock(first);
        }
        if let Some(at) = latest {
            let _ = self.clock(at);
        }
    }

    /// The line at the cursor (number `self.line_no`): its key moves the clock; only its owner
    /// reads the rest.
    fn one_line<'a>(&mut self, sc: &mut Scanner<'a>, line: &mut Line<'a>, text: &'a str) -> Result<(), ReplayError> {
        let start = sc.i;
        // Every shard moves its clock by every line's key; only the line's owner reads the
        // rest. A line without a key is bad, and shard 0 says why.
        let key = sc.key();
        let owned = match &key {
            Some(key) => self.shard.owns(&key.id),
            None => self.shard.index == 0,
        };
        if !owned {
            if let Some(key) = key {
                // Too many steps is reported by the line's owner; here it only stops.
                let _ = self.clock(key.at);
            }
            sc.skip_line();
            return Ok(());
        }
        match sc.line(line, &mut self.names) {
            Ok(false) => {}
            Ok(true) => {
                self.stats.lines += 1;
                if let Err((at, message)) = self.apply(line, text, key) {
                    let column = at.and_then(|at| text.get(start..at)).map_or(1, |s| s.chars().count() + 1);
                    self.bad(self.line_no, column, message)?;
                }
            }
            Err(e) => {
                let column = text.get(start..e.at).map_or(1, |s| s.chars().count() + 1);
                sc.i = e.at;
                sc.skip_line();
                self.stats.lines += 1;
                if let Some(key) = key {
                    // The clock moves by the key whatever the rest of the line holds.
                    let _ = self.clock(key.at);
                }
                self.bad(self.line_no, column, e.message)?;
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
    fn apply<'a>(
        &mut self,
        line: &mut Line<'a>,
        text: &'a str,
        key: Option<Key<'a>>,
    ) -> Result<(), (Option<usize>, String)> {
        self.apply_line(line, text, key).map_err(|e| match e {
            Bad::Line(m) => (None, m),
            Bad::At(e) => (Some(e.at), e.message),
        })
    }

    /// Moves the clock to a line's time: counts the step boundaries before it.
    fn clock(&mut self, at: i64) -> Result<Flow, String> {
        let flow = self.advance(at)?;
        if flow == Flow::Go {
            self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
        }
        Ok(flow)
    }

    fn apply_line<'a>(&mut self, line: &mut Line<'a>, text: &'a str, key: Option<Key<'a>>) -> Result<(), Bad> {
        let Some(Key { id, at }) = key else { return Err(why_no_key(line).into()) };
        // First, so that every shard's clock moves by every keyed line, bad or not.
        if self.clock(at)? == Flow::Stop {
            return Ok(());
        }
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
        if self.counted.is_some_and(|c| at <= c) {
            self.stats.late += 1;
        }
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
        let segments = engine.program.segments.len();
        let key = IdKey::new(&id);
        let slot = match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                let customer = Customer::new(engine, &id, assume, segments);
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
                self.waking.line_came(slot);
                self.stats.resident += 1;
                self.stats.peak_resident = self.stats.peak_resident.max(self.stats.resident);
                slot
            }
        };
        let Some(Some(c)) = self.customers.get_mut(slot as usize) else { return Ok(()) };
        c.last_seen = c.last_seen.max(at);
        if !c.dirty {
            // The first line since the last step: the next step visits it.
            self.waking.line_came(slot);
        }
        c.dirty = true;
        if line.has_profile {
            self.stats.profile_updates += 1;
            c.update_profile(line, at, &self.names);
        }
        if let Some(info) = info.and_then(|i| self.names.infos.get(i as usize)) {
            self.stats.events += 1;
            c.session.note(info.role, at, &line.props, timeout);
            if info.read {
                let before = c.resident.len();
                c.keep(engine, info, at, &line.props, &mut self.event);
                self.stats.held_events = (self.stats.held_events + c.resident.len()).saturating_sub(before);
            }
        }
        Ok(())
    }
}

/// Why a line has no key, in the words of the field to fix.
fn why_no_key(line: &Line) -> String {
    match (line.customer.as_ref().or(line.anonymous.as_ref()), line.at) {
        (None, _) => "no customer id: give one in `c`, `customer_id`, `userId` or `anonymousId`".into(),
        (Some(id), _) if id.is_empty() || id.len() > MAX_STRING_BYTES => {
            format!("the customer id must be 1 to {MAX_STRING_BYTES} bytes")
        }
        (Some(_), None) => "no time: give one in `t` (epoch ms) or `timestamp` (RFC 3339)".into(),
        (Some(_), Some(_)) => "the customer id and time could not be read".into(),
    }
}
