//! An OpenFeature evaluation context as kairos reads it (OFREP's `{"context": {…}}` at the edge;
//! docs/openfeature.md has the table). `targetingKey` is the customer id. A kairos context's own
//! fields keep their meaning. Any other key is a profile attribute (`profile.KEY` in rules),
//! which must be a string, number, boolean or null. `now` may be left out: the caller's clock
//! stands in.

use super::super::{read_telling, JsonError, Reader};
use super::{invalid, owned, Error, CONTEXT_FIELDS, R};
use crate::context::{Context, Scalar, Timestamp};

/// What an evaluation request carries.
#[derive(Debug, Clone)]
pub struct EvaluationRequest {
    /// The context, its `now` zero when the request gave none (see [`EvaluationRequest::at`]).
    pub context: Context,
    /// Whether the request gave `now`.
    pub has_now: bool,
}

impl EvaluationRequest {
    /// The context, at `now_ms` unless the request gave its own instant.
    pub fn at(mut self, now_ms: i64) -> Context {
        if !self.has_now {
            self.context.now = Timestamp(now_ms);
        }
        self.context
    }
}

/// Why a request could not be read, in OpenFeature's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Not JSON, over a size or depth limit, or not an object with a `context`: `PARSE_ERROR`.
    Parse(JsonError),
    /// A context with a field of the wrong type or out of bounds: `INVALID_CONTEXT`.
    InvalidContext(JsonError),
}

impl<'de> Reader<'de> {
    /// `{"context": {…}}`; other top-level keys are skipped.
    fn evaluation_request(&mut self) -> R<EvaluationRequest> {
        let mut out = None;
        self.object("an evaluation request", &mut |r, key, step| {
            if &*owned(key) == "context" {
                out = Some(r.value(step, Self::evaluation_context)?);
                Ok(())
            } else {
                r.value(step, Self::skipped)
            }
        })?;
        match out {
            Some(request) => Ok(request),
            None => self.here(|_| Err(<Error as serde::de::Error>::missing_field("context"))),
        }
    }

    fn evaluation_context(&mut self) -> R<EvaluationRequest> {
        let mut c = Context::default();
        let mut has_now = false;
        self.object("an evaluation context", &mut |r, key, step| {
            let key = r.text_key(key, step)?;
            let field = match key.as_str() {
                "targetingKey" => Some(1),
                "anonymousId" => Some(11),
                name => CONTEXT_FIELDS.iter().position(|f| *f == name),
            };
            match field {
                // `profile` adds to the attributes given beside it, in either order.
                Some(5) => {
                    let profile = r.value(step, |r| r.map(Self::scalar))?;
                    c.profile.extend(profile);
                }
                Some(i) => {
                    has_now |= i == 0;
                    r.value(step, |r| r.context_field(&mut c, i))?;
                }
                None => {
                    let value = r.value(step, Self::attribute)?;
                    c.profile.insert(key, value);
                }
            }
            Ok(())
        })?;
        Ok(EvaluationRequest { context: c, has_now })
    }

    /// An attribute that becomes `profile.KEY`: a scalar (a nested value is refused, not read as
    /// null as a profile's own nested values are: the caller meant something by it).
    fn attribute(&mut self) -> R<Scalar> {
        match self.value_start()? {
            b'{' | b'[' => self.here(|_| Err(invalid("a string, number, boolean or null (an attribute)"))),
            _ => self.scalar(),
        }
    }
}

/// An OFREP evaluation request (`{"context": {…}}`) from JSON text.
pub fn evaluation_request(text: &str) -> Result<EvaluationRequest, RequestError> {
    read_telling(text, Reader::evaluation_request).map_err(|(e, malformed)| {
        if malformed || e.at.path.is_empty() {
            RequestError::Parse(e)
        } else {
            RequestError::InvalidContext(e)
        }
    })
}
