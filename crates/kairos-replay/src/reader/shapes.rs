//! The line shapes: one object per line, in the exact layout `kairos gen` writes (matched byte
//! for byte: the fast path) or any other (read field by field), and the objects inside it
//! (properties, profile, consent, scores).

use super::{err, Line, ScanError, Scanner, ScoreIn, Val, Wanted};
use std::borrow::Cow;

impl<'a> Scanner<'a> {
    /// The properties of a scanned line (`at`: [`Line::props_at`]) whose key `want` accepts,
    /// appended to `out`; the others are skipped unread.
    pub fn props(
        &mut self,
        at: usize,
        mut want: impl FnMut(&str) -> bool,
        out: &mut Vec<(Cow<'a, str>, Val<'a>)>,
    ) -> Result<(), ScanError> {
        self.i = at;
        self.object(|sc, k| {
            if want(&k) {
                let v = sc.value()?;
                out.push((k, v));
                Ok(())
            } else {
                sc.skip()
            }
        })
    }

    /// Reads one line into `out`: `Ok(false)` for a blank line. Leaves the cursor after the newline.
    pub fn line(&mut self, out: &mut Line<'a>, wanted: &mut impl Wanted) -> Result<bool, ScanError> {
        out.clear();
        self.blank();
        match self.peek() {
            None => return Ok(false),
            Some(b'\n') => {
                self.i += 1;
                return Ok(false);
            }
            Some(b'{') => {}
            Some(_) => return err(self.i, format!("expected a JSON object, found {}", self.found())),
        }
        let start = self.i;
        if !self.compact(out, wanted) {
            // Not the exact compact layout: the general scanner, from the start of the line.
            self.i = start;
            out.clear();
            self.object(|sc, key| sc.top_field(key, out, wanted))?;
        }
        self.blank();
        match self.peek() {
            None => {}
            Some(b'\n') => self.i += 1,
            Some(_) => {
                return err(self.i, format!("expected the end of the line after the object, found {}", self.found()))
            }
        }
        Ok(true)
    }

    /// `{ "key": value, … }`, calling `field` with the cursor on each value.
    pub(super) fn object(
        &mut self,
        field: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        self.expect(b'{', "`{`")?;
        self.blank();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        self.fields(field)
    }

    /// The `"key": value` pairs of an object from the cursor (after `{` or a `,`) to its `}`.
    fn fields(
        &mut self,
        mut field: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        loop {
            self.blank();
            if self.peek() != Some(b'"') {
                return err(self.i, format!("expected a key in quotes, found {}", self.found()));
            }
            let key = self.string()?;
            self.expect(b':', "`:` after the key")?;
            self.blank();
            field(self, key)?;
            self.blank();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return err(self.i, format!("expected `,` or `}}`, found {}", self.found())),
            }
        }
    }

    /// The layout `kairos gen` writes, byte for byte: `{"c":"ID","e":"NAME","t":MS}` with an
    /// optional `,"p":{…}` before the closing brace, no spaces, no escapes in the id or name.
    /// False (nothing consumed that matters) for anything else, which the general scanner reads.
    fn compact(&mut self, out: &mut Line<'a>, wanted: &mut impl Wanted) -> bool {
        let b = self.b;
        let lit = |i: &mut usize, text: &[u8]| {
            let ok = b.get(*i..*i + text.len()) == Some(text);
            *i += text.len();
            ok
        };
        let Some(head) = self.compact_head() else { return false };
        let (Some(id), Some(name)) = (self.s.get(head.id), self.s.get(head.name)) else { return false };
        let mut i = head.end;
        out.customer = Some(Cow::Borrowed(id));
        out.name = Some(Cow::Borrowed(name));
        out.at = Some(head.at);
        if b.get(i) == Some(&b'}') {
            self.i = i + 1;
            return true;
        }
        if !lit(&mut i, b",\"p\":{") {
            // Other fields follow (a profile update, say): read them like any object's.
            if b.get(i - 6) != Some(&b',') {
                return false;
            }
            self.i = i - 5;
            return self.fields(|sc, key| sc.top_field(key, out, wanted)).is_ok();
        }
        self.i = i - 1;
        let event = wanted.event(name);
        out.name_id = Some(event);
        let read = if wanted.any(event) {
            let props = &mut out.props;
            self.object(|sc, k| {
                if wanted.wants(event, &k) {
                    let v = sc.value()?;
                    props.push((k, v));
                    Ok(())
                } else {
                    sc.skip()
                }
            })
        } else {
            self.skip()
        };
        if read.is_err() || self.peek() != Some(b'}') {
            return false;
        }
        self.i += 1;
        true
    }

    fn top_field(&mut self, key: Cow<'a, str>, out: &mut Line<'a>, wanted: &mut impl Wanted) -> Result<(), ScanError> {
        match &*key {
            "c" | "customer_id" | "userId" | "user_id" => out.customer = Some(self.text("a customer id string")?),
            "anonymousId" => out.anonymous = Some(self.text("an id string")?),
            "e" | "event" | "name" => {
                let at = self.i;
                let name = self.text("an event name string")?;
                if out.name.is_some() {
                    return err(at, "the event name is given twice");
                }
                out.name = Some(name);
            }
            "t" | "timestamp" | "ts" | "time" => out.at = Some(self.timestamp()?),
            // Read now if the event is known, only what is wanted; else checked now and read
            // later ([`Scanner::props`]).
            "p" | "properties" | "props" => {
                let start = self.i;
                match (self.peek(), &out.name) {
                    (Some(b'{'), Some(name)) => {
                        let event = wanted.event(name);
                        out.name_id = Some(event);
                        if wanted.any(event) {
                            let props = &mut out.props;
                            self.object(|sc, k| {
                                if wanted.wants(event, &k) {
                                    let v = sc.value()?;
                                    props.push((k, v));
                                    Ok(())
                                } else {
                                    sc.skip()
                                }
                            })?;
                        } else {
                            self.skip()?;
                        }
                    }
                    (Some(b'{'), None) => {
                        self.skip()?;
                        out.props_at = Some(start);
                    }
                    _ => self.literal("null")?,
                }
            }
            "type" => out.kind = Some(self.text("a type string")?),
            "profile" => {
                out.has_profile = true;
                if self.peek() == Some(b'n') {
                    self.literal("null")?;
                } else {
                    self.object(|sc, k| sc.attribute(k, &mut out.attrs, wanted))?;
                }
            }
            "traits" => {
                out.has_profile = true;
                self.object(|sc, k| match &*k {
                    "consent" => sc.consent(&mut out.consent),
                    "scores" => sc.scores(&mut out.scores, wanted),
                    _ => sc.attribute(k, &mut out.attrs, wanted),
                })?;
            }
            "consent" => {
                out.has_profile = true;
                self.consent(&mut out.consent)?;
            }
            "scores" => {
                out.has_profile = true;
                self.scores(&mut out.scores, wanted)?;
            }
            "timezone" => {
                out.has_profile = true;
                out.timezone = Some(self.text("a time zone string")?);
            }
            "context" if self.peek() == Some(b'{') => self.object(|sc, k| {
                if k == "timezone" && sc.peek() == Some(b'"') {
                    out.has_profile = true;
                    out.timezone = Some(sc.string()?);
                    Ok(())
                } else {
                    sc.skip()
                }
            })?,
            _ => self.skip()?,
        }
        Ok(())
    }

    fn consent(&mut self, out: &mut Vec<(Cow<'a, str>, bool)>) -> Result<(), ScanError> {
        self.object(|sc, k| {
            let at = sc.i;
            match sc.value()? {
                Val::Bool(b) => {
                    out.push((k, b));
                    Ok(())
                }
                _ => err(at, format!("consent `{k}` must be true or false")),
            }
        })
    }

    /// A profile attribute, read if wanted (checked and skipped otherwise).
    fn attribute(
        &mut self,
        key: Cow<'a, str>,
        out: &mut Vec<(Cow<'a, str>, Val<'a>)>,
        wanted: &impl Wanted,
    ) -> Result<(), ScanError> {
        if wanted.wants_attribute(&key) {
            let v = self.value()?;
            out.push((key, v));
            Ok(())
        } else {
            self.skip()
        }
    }

    /// `{"name": {"value": 0.9, "computed_at": T}}` or `{"name": 0.9}` (computed at the line's
    /// time); scores not wanted are checked and skipped.
    fn scores(&mut self, out: &mut Vec<ScoreIn<'a>>, wanted: &impl Wanted) -> Result<(), ScanError> {
        self.object(|sc, name| {
            if !wanted.wants_score(&name) {
                return sc.skip();
            }
            if sc.peek() == Some(b'{') {
                let (mut value, mut computed_at) = (Val::Null, None);
                sc.object(|sc, k| match &*k {
                    "value" => {
                        value = sc.value()?;
                        Ok(())
                    }
                    "computed_at" => {
                        computed_at = Some(sc.timestamp()?);
                        Ok(())
                    }
                    _ => sc.skip(),
                })?;
                out.push(ScoreIn { name, value, computed_at });
            } else {
                let value = sc.value()?;
                out.push(ScoreIn { name, value, computed_at: None });
            }
            Ok(())
        })
    }

    pub(super) fn text(&mut self, what: &str) -> Result<Cow<'a, str>, ScanError> {
        if self.peek() == Some(b'"') {
            self.string()
        } else {
            err(self.i, format!("expected {what}, found {}", self.found()))
        }
    }
}
