//! The stored form: header + postcard payload, and the checks loading makes (header, checksum,
//! limits, and the structural invariant that every child index is smaller than its parent's;
//! question, segment, tier and event indices in range).

use super::{
    Content, Node, Program, Query, Question, Tok, FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_BUNDLE_BYTES,
    MAX_CONTENT_DEPTH,
};
use crate::error::LoadError;

/// FNV-1a 32-bit: a checksum against truncation and bit rot, not an authenticity check.
pub(crate) fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

impl Program {
    /// Encodes as header + postcard payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = postcard::to_allocvec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&fnv1a32(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes a compiled bundle, checking header, checksum, limits and structure. A signed
    /// envelope is opened without checking its signature: see [`crate::Engine::load_verified`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, LoadError> {
        Program::decode(crate::signing::unwrap(bytes)?)
    }

    /// The id of a compiled bundle (signed or not) without decoding it: its payload's length and
    /// FNV-1a checksum from the header, `"<len hex>-<checksum hex>"`. Two bundles with the same
    /// rules compile to the same id; it names a version, it does not authenticate one (signatures
    /// do, docs/signing.md). None for bytes that are not a bundle.
    pub fn bundle_id(bytes: &[u8]) -> Option<String> {
        let bytes = crate::signing::unwrap(bytes).ok()?;
        if bytes.len() < HEADER_LEN || &bytes[..6] != MAGIC {
            return None;
        }
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        let sum = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        Some(format!("{len:x}-{sum:08x}"))
    }

    /// Decodes a plain compiled bundle (no envelope).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Program, LoadError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(LoadError::TooLarge { bytes: bytes.len(), limit: MAX_BUNDLE_BYTES });
        }
        if bytes.starts_with(crate::signing::MAGIC) {
            return Err(LoadError::BadSignature("a signed envelope inside a signed envelope".into()));
        }
        if bytes.len() < HEADER_LEN || &bytes[..6] != MAGIC {
            return Err(LoadError::NotABundle);
        }
        let version = u16::from_le_bytes([bytes[6], bytes[7]]);
        if version != FORMAT_VERSION {
            return Err(LoadError::WrongVersion { found: version, expected: FORMAT_VERSION });
        }
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let sum = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        let payload = &bytes[HEADER_LEN..];
        if payload.len() != len {
            return Err(LoadError::Corrupt(format!("payload is {} bytes, header says {len}", payload.len())));
        }
        if fnv1a32(payload) != sum {
            return Err(LoadError::Corrupt("checksum mismatch".into()));
        }
        let program: Program = crate::decode::from_bytes(payload)
            .map_err(|e| LoadError::Corrupt(format!("undecodable payload: {}", e.0)))?;
        program.check_limits()?;
        program.check_structure()?;
        Ok(program)
    }

    /// The counts of src/limits.rs, which the compiler enforces, hold for loaded bundles too.
    fn check_limits(&self) -> Result<(), LoadError> {
        use crate::limits::*;
        let variants: usize = self.slots.iter().map(|s| s.variants.len()).sum();
        let widest = self.slots.iter().map(|s| s.variants.len()).max().unwrap_or(0);
        let levels = self.tiers.iter().map(|t| t.levels.len()).max().unwrap_or(0);
        let counts = [
            ("slots", self.slots.len(), MAX_SLOTS),
            ("variants in a slot", widest, MAX_VARIANTS),
            ("variants", variants, MAX_TOTAL_VARIANTS),
            ("segments", self.segments.len(), MAX_SEGMENTS),
            ("tier tables", self.tiers.len(), MAX_TIERS),
            ("levels in a tier table", levels, MAX_TIER_LEVELS),
            ("expression nodes", self.nodes.len(), MAX_NODES),
            ("history questions", self.questions.len(), MAX_QUESTIONS),
            ("max_history", self.max_history as usize, MAX_HISTORY as usize),
        ];
        for (what, n, limit) in counts {
            if n > limit {
                return Err(LoadError::OverLimit(format!("{n} {what}, the limit is {limit}")));
            }
        }
        Ok(())
    }

    /// The invariants evaluation relies on: children before parents, references in range,
    /// bounded content depth. Linear in the bundle size.
    fn check_structure(&self) -> Result<(), LoadError> {
        let n = self.nodes.len() as u32;
        let bad = |what: String| Err(LoadError::Corrupt(what));
        // Compiled expressions are trees: a node shared by two parents could make
        // evaluation exponential in a crafted bundle, so sharing is rejected.
        let mut has_parent = vec![false; self.nodes.len()];
        // Levels of the tree each node roots: the compiler's nesting limit holds for loaded
        // bundles too, so a crafted chain of 100,000 `Not`s is refused here, not evaluated.
        let mut depth = vec![0u8; self.nodes.len()];
        let mut buf = [0; 3];
        for (i, node) in self.nodes.iter().enumerate() {
            let mut below = 0;
            for &c in node.children_in(&mut buf) {
                if c >= i as u32 {
                    return bad(format!("node {i} refers forward"));
                }
                if std::mem::replace(&mut has_parent[c as usize], true) {
                    return bad(format!("node {c} has two parents"));
                }
                below = below.max(depth[c as usize]);
            }
            if usize::from(below) >= crate::limits::MAX_EXPR_DEPTH {
                let depth = crate::limits::TooDeep { what: "expression", limit: crate::limits::MAX_EXPR_DEPTH };
                return Err(LoadError::TooDeep { node: i, depth });
            }
            depth[i] = below + 1;
            let ok = match node {
                Node::Ask(q) => (*q as usize) < self.questions.len(),
                Node::Segment(s) => (*s as usize) < self.segments.len(),
                Node::Tier(t) => (*t as usize) < self.tiers.len(),
                _ => true,
            };
            if !ok {
                return bad(format!("node {i} refers to a missing question, segment or tier"));
            }
        }
        let query_ok = |q: &Query| (q.event as usize) < self.events.len();
        for (i, question) in self.questions.iter().enumerate() {
            let ok = match question {
                Question::Agg(_, q) => query_ok(q),
                Question::Sequence(s) => query_ok(&s.first) && query_ok(&s.then),
            };
            if !ok {
                return bad(format!("question {i} refers to a missing event"));
            }
        }
        let root_ok = |r: &u32| *r < n;
        let roots_ok = self.segments.iter().all(|s| root_ok(&s.root))
            && self.tiers.iter().all(|t| t.levels.iter().all(|(_, w)| w.as_ref().is_none_or(root_ok)))
            && self.slots.iter().all(|s| {
                s.variants.iter().all(|v| {
                    v.when.as_ref().is_none_or(root_ok)
                        && v.score.as_ref().is_none_or(root_ok)
                        && v.vars.iter().all(|(_, r)| root_ok(r))
                })
            });
        if !roots_ok {
            return bad("a rule refers past the end of the node table".into());
        }
        // One stack for every content check: a bundle has a content per variant.
        let mut owed = Vec::with_capacity(MAX_CONTENT_DEPTH + 2);
        for slot in &self.slots {
            check_content(&slot.default_content, &mut owed)?;
            for v in &slot.variants {
                check_content(&v.content, &mut owed)?;
            }
        }
        Ok(())
    }
}

/// Content must be exactly one well-formed value, nested at most `MAX_CONTENT_DEPTH`.
fn check_content(content: &Content, owed: &mut Vec<u64>) -> Result<(), LoadError> {
    // Each stack entry: values still owed by an open container.
    owed.clear();
    owed.push(1);
    let mut toks = content.0.iter();
    if content.0.is_empty() {
        return Ok(());
    }
    while let Some(top) = owed.last_mut() {
        if *top == 0 {
            owed.pop();
            continue;
        }
        *top -= 1;
        let tok = toks.next().ok_or_else(|| LoadError::Corrupt("content ends early".into()))?;
        match tok {
            Tok::Arr(n) => owed.push(u64::from(*n)),
            Tok::Obj(n) => owed.push(u64::from(*n) * 2),
            _ => {}
        }
        if owed.len() > MAX_CONTENT_DEPTH + 1 {
            return Err(LoadError::Corrupt("content nested too deeply".into()));
        }
    }
    if toks.next().is_some() {
        return Err(LoadError::Corrupt("content has trailing tokens".into()));
    }
    Ok(())
}
