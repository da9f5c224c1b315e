//! The command line, declared once: clap derives the parser, `--help`, `kairos help SUBCOMMAND`,
//! the usage lines in errors and the suggestions for misspellings from these structs and their
//! doc comments. Names, short forms and defaults are the ones scripts, docs and tests use.

use crate::args::{customer_id, positive_duration};
use clap::{Args, Parser, Subcommand, ValueEnum};
use kairos::time::{parse_duration as duration, parse_timestamp as timestamp};

/// kairos: real-time personalisation rules
#[derive(Parser, Debug)]
#[command(
    name = "kairos",
    version,
    arg_required_else_help = true,
    after_help = "`-` as a file reads standard input.\n\
                  Errors print `error[E_…]: …` on stderr and exit 1; usage errors exit 2.\n\
                  `kairos help SUBCOMMAND` (or `kairos SUBCOMMAND --help`) describes one subcommand."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate rules, JSON or text (located errors, exit 1 on error)
    Check {
        /// Rules file (JSON or text)
        #[arg(value_name = "RULES")]
        rules: String,
    },
    /// Compile rules (JSON or text) to a postcard bundle, signed with --sign KEYFILE when given
    Compile {
        /// Rules file (JSON or text)
        #[arg(value_name = "RULES")]
        rules: String,
        /// Where to write the bundle (`-`: standard output)
        #[arg(short = 'o', long = "output", value_name = "BUNDLE")]
        output: String,
        /// Sign with this secret key (from `kairos keygen`; mode 0600)
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<String>,
    },
    /// Print rules as canonical text (or JSON)
    Fmt(FmtArgs),
    /// Decide every slot (JSON on standard output)
    Decide {
        #[command(flatten)]
        load: Load,
        /// Add to each slot why it got its variant: every candidate, the condition that failed, what was missing
        #[arg(long)]
        explain: bool,
        /// Force what this preview token names (`kairos preview`), checked with --public-key
        #[arg(long, value_name = "TOKEN", requires = "public_key")]
        preview: Option<String>,
    },
    /// A bundle signing key: PREFIX.key (secret, mode 0600) and PREFIX.pub; never overwrites
    Keygen {
        /// File name prefix
        #[arg(short = 'o', long = "output", value_name = "PREFIX", default_value = "kairos-bundle")]
        output: String,
    },
    /// Print the customer's bucket (0-9999)
    Bucket {
        #[arg(value_name = "SALT")]
        salt: String,
        #[arg(value_name = "CUSTOMER_ID")]
        customer_id: String,
    },
    /// Print one slot's rendered content: its `html`, else its text (as every surface shows it), else JSON
    Render {
        #[command(flatten)]
        load: Load,
        /// The slot to render
        #[arg(short = 's', long, value_name = "SLOT")]
        slot: String,
    },
    /// Print the page with its data-kairos-slot elements decided
    Rewrite {
        #[command(flatten)]
        load: Load,
        /// The HTML page
        #[arg(value_name = "PAGE.html")]
        page: String,
    },
    /// Validate customer records (JSON Lines), print `wrangler kv bulk put` JSON
    #[command(name = "kv-customers")]
    KvCustomers {
        #[arg(value_name = "RECORDS.jsonl")]
        records: String,
        /// Also pack each record for this bundle (rules or compiled): `visitor/<id>` entries the
        /// Worker restores without parsing the history
        #[arg(long, value_name = "BUNDLE")]
        bundle: Option<String>,
    },
    /// The signed kairos_uid cookie value (key: $KAIROS_IDENTITY_KEY)
    #[command(name = "sign-id")]
    SignId {
        #[arg(value_name = "CUSTOMER_ID", value_parser = customer_id)]
        customer_id: String,
    },
    /// An email open token for GET /v1/open/<token> (key: $KAIROS_OPEN_KEY)
    Token(TokenArgs),
    /// A synthetic event log (NDJSON or Parquet, sorted by time; same seed, same bytes)
    Gen(GenArgs),
    /// Segment sizes, entries and exits, variants and missing signals per step of an event log
    Replay(ReplayArgs),
    /// Incremental lift of each slot against the holdout, from exposures and conversions
    Lift(LiftArgs),
    /// A signed QA preview token that forces variants (?kairos_preview=TOKEN), or --read one
    Preview(PreviewArgs),
}

#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// The site's secret key (`kairos keygen`, the one bundles are signed with; mode 0600)
    #[arg(long, value_name = "KEYFILE", required_unless_present = "read")]
    pub key: Option<String>,
    /// A slot and the variant (or default) it shows: `hero=evening_offer`; repeat for more slots
    #[arg(long = "slot", value_name = "SLOT=VARIANT", required_unless_present = "read")]
    pub slots: Vec<String>,
    /// How long the token works (at most 7 days)
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = positive_duration)]
    pub ttl: i64,
    /// Check every slot and variant against these rules or this bundle first
    #[arg(short = 'b', long, value_name = "FILE")]
    pub bundle: Option<String>,
    /// Print this page's address with the token added, instead of the token alone
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Check a token with --public-key and print what it forces (JSON)
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["key", "slots", "bundle", "url"], requires = "public_key")]
    pub read: Option<String>,
    /// With --read: the site's public key, 64 hex digits or a .pub file
    #[arg(long = "public-key", value_name = "KEY")]
    pub public_key: Option<String>,
}

/// What `decide`, `render` and `rewrite` load.
#[derive(Args, Debug)]
pub struct Load {
    /// Rules (JSON or text) or a compiled bundle, signed or not
    #[arg(short = 'b', long, value_name = "FILE")]
    pub bundle: String,
    /// The decision context (JSON)
    #[arg(short = 'c', long, value_name = "CTX.json")]
    pub context: String,
    /// Only accept a bundle signed by this key: 64 hex digits, or a .pub file
    #[arg(long = "public-key", value_name = "KEY")]
    pub public_key: Option<String>,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Rules file (JSON or text)
    #[arg(value_name = "RULES")]
    pub rules: String,
    /// Print canonical JSON rather than text
    #[arg(long)]
    pub json: bool,
    /// Print nothing; exit 1 if the file is not canonical
    #[arg(long, conflicts_with = "write")]
    pub check: bool,
    /// Rewrite the file canonically
    #[arg(short = 'w', long)]
    pub write: bool,
    /// With -w, write here instead of over RULES
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "write")]
    pub output: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The customer the token opens for
    #[arg(long, value_name = "ID", value_parser = customer_id)]
    pub customer: String,
    /// The slot it renders
    #[arg(long, value_name = "SLOT")]
    pub slot: String,
    /// Campaign id, carried for reporting
    #[arg(long, value_name = "C", default_value = "")]
    pub campaign: String,
    /// The triggering event: {"e": name, "p": {props}, "t": RFC 3339 or epoch ms}
    #[arg(long, value_name = "EVENT.json")]
    pub event: Option<String>,
    /// How long the token stays valid (at most 400 days)
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = duration)]
    pub ttl: i64,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// How many customers
    #[arg(long, value_name = "N")]
    pub customers: u32,
    /// How many days of events (at most 3660)
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(..=3660))]
    pub days: u32,
    /// Random seed: the same seed gives the same bytes
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// When the log starts (RFC 3339) [default: 2026-11-01T00:00:00Z]
    #[arg(long, value_name = "RFC3339", value_parser = timestamp)]
    pub start: Option<i64>,
    /// Event layout [default: compact; Parquet is always track]
    #[arg(long, value_enum)]
    pub shape: Option<ShapeArg>,
    /// File format: NDJSON lines, or Parquet (in the track layout; needs -o FILE)
    #[arg(short = 'f', long, value_enum, default_value_t = GenFormat::Ndjson)]
    pub format: GenFormat,
    /// Write exposures and conversions with a known true lift instead (for `kairos lift`);
    /// --customers is then the number of visitors, decided by --bundle
    #[arg(long, requires = "bundle")]
    pub exposures: bool,
    /// The bundle (rules or compiled) that decides each visitor, with --exposures
    #[arg(short = 'b', long, value_name = "FILE", requires = "exposures")]
    pub bundle: Option<String>,
    /// With --exposures: the holdout's conversion rate [default: 0.05]
    #[arg(long, value_name = "P", requires = "exposures")]
    pub base_rate: Option<f64>,
    /// With --exposures: the true absolute lift (treated convert at base rate + lift) [default: 0.01]
    #[arg(long, value_name = "D", allow_negative_numbers = true, requires = "exposures")]
    pub lift: Option<f64>,
    /// With --exposures: force this holdout share (default: the bundle's own bucketing)
    #[arg(long, value_name = "P", requires = "exposures")]
    pub holdout_share: Option<f64>,
    /// With --exposures: the conversion event's name [default: "Order Completed"]
    #[arg(long, value_name = "EVENT", requires = "exposures")]
    pub conversion: Option<String>,
    /// With --exposures: each conversion's mean `revenue` (exponential; none without it)
    #[arg(long, value_name = "X", requires = "exposures")]
    pub value_mean: Option<f64>,
    /// Where to write the log (default, or `-`: standard output)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenFormat {
    /// One JSON object per line
    Ndjson,
    /// Parquet, the columns of docs/replay.md#parquet
    Parquet,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeArg {
    /// Compact lines: {"c","e","t","p"}
    Compact,
    /// Analytics `track`, `page` and `identify` calls with RFC 3339 timestamps
    Track,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Rules (JSON or text) or a compiled bundle
    #[arg(short = 'b', long, value_name = "FILE")]
    pub bundle: String,
    /// The event log in time order: NDJSON, or a Parquet file (docs/replay.md#parquet)
    #[arg(short = 'e', long, value_name = "LOG.ndjson")]
    pub events: String,
    /// First step boundary (RFC 3339; default: the first whole step after the first line)
    #[arg(long, value_name = "T", value_parser = timestamp)]
    pub from: Option<i64>,
    /// Last step boundary (RFC 3339; default: the first at or after the last line)
    #[arg(long, value_name = "T", value_parser = timestamp)]
    pub to: Option<i64>,
    /// Step length (at most 1,000,000 steps) [default: 1h]
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub step: Option<i64>,
    /// How long a customer is kept without any line [default: the bundle's longest window]
    #[arg(long, value_name = "D", value_parser = positive_duration)]
    pub lookback: Option<i64>,
    /// A session ends after this long without an on-site event [default: 30m]
    #[arg(long = "session-timeout", value_name = "DURATION", value_parser = positive_duration)]
    pub session_timeout: Option<i64>,
    /// Output format
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Where to write the report (default, or `-`: standard output)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Count bad lines and go on (the report lists the first five) instead of stopping at the first
    #[arg(long = "skip-bad")]
    pub skip_bad: bool,
    /// Customers whose log never states consent get no personalisation (default: assumed given)
    #[arg(long = "require-consent")]
    pub require_consent: bool,
    /// Decide every active customer at every step, also those whose decisions cannot have changed
    /// (the report is the same: for checking that it is)
    #[arg(long = "decide-all")]
    pub decide_all: bool,
    /// Threads to replay on (customers are split between them; the report is the same whatever
    /// the count) [default: every core]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Args, Debug)]
pub struct LiftArgs {
    /// Rules (JSON or text) or a compiled bundle: its holdout share for the sample-ratio check
    #[arg(short = 'b', long, value_name = "FILE")]
    pub bundle: String,
    /// Exposures (`Experiment Viewed`) and conversions, NDJSON in time order
    #[arg(short = 'e', long, value_name = "LOG.ndjson")]
    pub events: String,
    /// The conversion event's name
    #[arg(long, value_name = "EVENT")]
    pub conversion: String,
    /// A numeric property of the conversion to compare per visitor (Welch interval)
    #[arg(long, value_name = "PROP")]
    pub value: Option<String>,
    /// How long after a visitor's first exposure in a slot a conversion counts
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = positive_duration)]
    pub within: i64,
    /// Output format
    #[arg(short = 'f', long, value_enum, default_value_t = LiftFormat::Table)]
    pub format: LiftFormat,
    /// Where to write the report (default, or `-`: standard output)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Count bad lines and go on (the report lists the first ones) instead of stopping at the first
    #[arg(long = "skip-bad")]
    pub skip_bad: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiftFormat {
    Table,
    Json,
    Svg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Svg,
    /// Every number, named (docs/replay.md); what the Python package's `Report.to_dict()` returns
    Json,
}
