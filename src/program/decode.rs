//! The compiled types read from their postcard bytes by hand ([`crate::decode`]): fields in
//! declaration order, variants by index. Kept beside the types so a change to one shows here.

use super::{
    Content, HoldoutSpec, Lit, Node, Program, PropTest, Query, Question, SegmentDef, SeqSpec, Signal, SlotDef, TierDef,
    Tok, VariantDef,
};
use crate::decode::{decode_struct, decode_unit_enum, variant, Bytes, Decode, Result, UNKNOWN_VARIANT};
use crate::rules::ast::{AggOp, ArithOp, CmpOp, StrOp};

decode_struct!(Program {
    name,
    default_timezone,
    holdout,
    max_history,
    events,
    nodes,
    questions,
    segments,
    tiers,
    slots
});
decode_struct!(HoldoutSpec { salt, threshold });
decode_struct!(SegmentDef { name, root });
decode_struct!(TierDef { name, levels });
decode_struct!(SlotDef { name, default_id, default_content, variants });
decode_struct!(VariantDef { id, when, priority, score, content, vars, cap, suppress_after_conversion });
decode_struct!(Query { event, within, filter, prop });
decode_struct!(SeqSpec { first, then, negated, gap });
decode_unit_enum!(Signal, CmpOp, StrOp, ArithOp, AggOp);

fn d<T: Decode>(b: &mut Bytes<'_>) -> Result<T> {
    T::decode(b)
}

impl Decode for Content {
    fn decode(b: &mut Bytes<'_>) -> Result<Content> {
        d(b).map(Content)
    }
}

impl Decode for Tok {
    fn decode(b: &mut Bytes<'_>) -> Result<Tok> {
        Ok(match variant(b)? {
            0 => Tok::Null,
            1 => Tok::Bool(d(b)?),
            2 => Tok::Num(d(b)?),
            3 => Tok::Str(d(b)?),
            4 => Tok::Arr(d(b)?),
            5 => Tok::Obj(d(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}

impl Decode for Lit {
    fn decode(b: &mut Bytes<'_>) -> Result<Lit> {
        Ok(match variant(b)? {
            0 => Lit::Num(d(b)?),
            1 => Lit::Str(d(b)?),
            2 => Lit::Bool(d(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}

impl Decode for PropTest {
    fn decode(b: &mut Bytes<'_>) -> Result<PropTest> {
        Ok(match variant(b)? {
            0 => PropTest::Cmp(d(b)?, d(b)?),
            1 => PropTest::In(d(b)?),
            2 => PropTest::Str(d(b)?, d(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}

impl Decode for Question {
    fn decode(b: &mut Bytes<'_>) -> Result<Question> {
        Ok(match variant(b)? {
            0 => Question::Agg(d(b)?, d(b)?),
            1 => Question::Sequence(d(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}

impl Decode for Node {
    fn decode(b: &mut Bytes<'_>) -> Result<Node> {
        Ok(match variant(b)? {
            0 => Node::Lit(d(b)?),
            1 => Node::Dur(d(b)?),
            2 => Node::List(d(b)?),
            3 => Node::All(d(b)?),
            4 => Node::Any(d(b)?),
            5 => Node::Not(d(b)?),
            6 => Node::Cmp(d(b)?, d(b)?, d(b)?),
            7 => Node::Between(d(b)?, d(b)?, d(b)?),
            8 => Node::In(d(b)?, d(b)?),
            9 => Node::Exists(d(b)?),
            10 => Node::Missing(d(b)?),
            11 => Node::Str(d(b)?, d(b)?, d(b)?),
            12 => Node::Lower(d(b)?),
            13 => Node::Round(d(b)?, d(b)?),
            14 => Node::Arith(d(b)?, d(b)?),
            15 => Node::Coalesce(d(b)?),
            16 => Node::Signal(d(b)?),
            17 => Node::Profile(d(b)?),
            18 => Node::Consent(d(b)?),
            19 => Node::Score { name: d(b)?, max_age: d(b)? },
            20 => Node::LocalTimeBetween(d(b)?, d(b)?),
            21 => Node::WeekdayIn(d(b)?),
            22 => Node::DaysUntil(d(b)?),
            23 => Node::DaysSince(d(b)?),
            24 => Node::Ask(d(b)?),
            25 => Node::Segment(d(b)?),
            26 => Node::Tier(d(b)?),
            27 => Node::Bucket(d(b)?),
            28 => Node::Trigger(d(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}
