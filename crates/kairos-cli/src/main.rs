//! `kairos`: check, compile, decide and rewrite from the command line.
//!
//! Owns: argument parsing, files, standard streams and exit codes. Deciding, compiling, rewriting
//! and replaying are library calls into kairos, kairos-edge and kairos-replay; must not import
//! wasm-bindgen or the `worker` crate.

use args::{flag, read, read_text};
use kairos::html::patches;
use kairos::json::{decision_to_json, parse_context};
use kairos::Options;
use kairos_edge::customer::bulk_from_jsonl;
use kairos_edge::PageRewriter;
use kairos_edge::{identity, open_token};
use std::process::ExitCode;

mod args;
mod fmt;
mod gen;
mod keys;
mod replay;

const USAGE: &str = "\
kairos: real-time personalisation rules

usage:
  kairos check RULES                    validate rules, JSON or text (located errors, exit 1 on error)
  kairos compile RULES -o BUNDLE [--sign KEYFILE]
                                        compile rules (JSON or text) to a postcard bundle, signed
                                        with KEYFILE (from keygen) when given
  kairos fmt RULES [--json] [--check | -w]
                                        print rules as canonical text (or JSON); --check: exit 1 if not
                                        canonical; -w: rewrite the file
  kairos decide --bundle FILE --context CTX.json [--explain] [--public-key KEY]
                                        decide every slot (FILE: rules JSON or compiled bundle; with
                                        --public-key, only a bundle signed by KEY: hex or a .pub file)
  kairos keygen [-o PREFIX]             a bundle signing key: PREFIX.key (secret, mode 0600), PREFIX.pub
  kairos bucket SALT CUSTOMER_ID        print the customer's bucket (0-9999)
  kairos render --bundle FILE --context CTX.json --slot SLOT [--public-key KEY]
                                        print one slot's rendered content (its `html`, its text, or JSON)
  kairos rewrite --bundle FILE --context CTX.json [--public-key KEY] PAGE.html
                                        print the page with its data-kairos-slot elements decided
  kairos kv-customers RECORDS.jsonl     validate customer records, print `wrangler kv bulk put` JSON
  kairos sign-id CUSTOMER_ID            the signed kairos_uid cookie value (key: $KAIROS_IDENTITY_KEY)
  kairos token --customer ID --slot SLOT [--campaign C] [--event EVENT.json] [--ttl 30d]
                                        an email open token for GET /v1/open/<token> (key: $KAIROS_OPEN_KEY)
  kairos gen --customers N --days D [--seed S] [--start RFC3339] [--shape compact|track] [-o FILE]
                                        a synthetic event log (NDJSON sorted by time; same seed, same bytes)
  kairos replay --bundle FILE --events LOG.ndjson [--from T] [--to T] [--step 1h] [--lookback D]
                [--format table|csv|svg] [-o FILE] [--skip-bad] [--require-consent]
                                        segment sizes, entries and exits, variants and missing signals per step

`-` reads standard input.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            use std::io::Write;
            // A closed pipe (`kairos decide … | head`) is not an error worth a panic.
            if !out.is_empty() && writeln!(std::io::stdout(), "{out}").is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            // Located rule errors come already headed (`error[E_…]: …`, then the line and a caret).
            if msg.starts_with("error[") {
                eprint!("{msg}");
            } else {
                eprintln!("error: {msg}");
            }
            ExitCode::FAILURE
        }
    }
}

/// An event file for a token: `{"e": name, "p": {props}, "t": RFC 3339 or epoch ms}`.
fn read_token_event(text: &str) -> Result<open_token::TokenEvent, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let name = v["e"].as_str().ok_or("the event needs a name in `e`")?.to_owned();
    let at_ms = match &v["t"] {
        serde_json::Value::Number(n) => n.as_i64().ok_or("`t` must be whole epoch milliseconds")?,
        serde_json::Value::String(s) => kairos::time::parse_timestamp(s)?,
        _ => return Err("the event needs a time in `t`".into()),
    };
    let props = match &v["p"] {
        serde_json::Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        serde_json::Value::Null => Default::default(),
        _ => return Err("`p` must be an object".into()),
    };
    Ok(open_token::TokenEvent { name, at_ms, props })
}

/// Rules from a file in either form; errors are shown with the line and a caret.
fn compile_rules(path: &str) -> Result<kairos::Program, String> {
    let src = read_text(path)?;
    kairos::json::compile_source(&src).map_err(|e| kairos::rules::text::render_error(&src, path, &e))
}

fn run(args: &[String]) -> Result<String, String> {
    let Some(cmd) = args.first() else { return Err(USAGE.into()) };
    let rest = &args[1..];
    match cmd.as_str() {
        "check" => {
            let path = rest.first().ok_or("check needs a RULES file")?;
            let program = compile_rules(path)?;
            let variants: usize = program.slots.iter().map(|s| s.variants.len()).sum();
            Ok(format!(
                "ok: {} slot(s), {variants} variant(s), {} segment(s), {} tier table(s)",
                program.slots.len(),
                program.segments.len(),
                program.tiers.len()
            ))
        }
        "compile" => {
            let path = rest.first().ok_or("compile needs a RULES file")?;
            let out = flag(rest, &["-o", "--output"])?.ok_or("compile needs -o BUNDLE")?;
            let program = compile_rules(path)?;
            let bytes = keys::sign_if_asked(rest, program.to_bytes())?;
            if out == "-" {
                use std::io::Write;
                std::io::stdout().write_all(&bytes).map_err(|e| e.to_string())?;
                return Ok(String::new());
            }
            std::fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;
            Ok(format!("wrote {out} ({} bytes)", bytes.len()))
        }
        "decide" => {
            let bundle = flag(rest, &["--bundle", "-b"])?.ok_or("decide needs --bundle FILE")?;
            let ctx_path = flag(rest, &["--context", "-c"])?.ok_or("decide needs --context CTX.json")?;
            if bundle == "-" && ctx_path == "-" {
                return Err("only one of --bundle and --context can read stdin".into());
            }
            let engine = keys::load(rest, bundle)?;
            let ctx = parse_context(&read_text(ctx_path)?).map_err(|e| format!("{ctx_path}: {e}"))?;
            let explain = rest.iter().any(|a| a == "--explain");
            Ok(decision_to_json(&engine.decide(&ctx, Options { explain })))
        }
        "bucket" => match rest {
            [salt, id] => Ok(kairos::bucket::bucket(salt, id).to_string()),
            _ => Err("bucket needs SALT CUSTOMER_ID".into()),
        },
        "render" => {
            let bundle = flag(rest, &["--bundle", "-b"])?.ok_or("render needs --bundle FILE")?;
            let ctx_path = flag(rest, &["--context", "-c"])?.ok_or("render needs --context CTX.json")?;
            let slot = flag(rest, &["--slot", "-s"])?.ok_or("render needs --slot SLOT")?;
            let engine = keys::load(rest, bundle)?;
            let ctx = parse_context(&read_text(ctx_path)?).map_err(|e| format!("{ctx_path}: {e}"))?;
            let found = engine.render(&ctx, slot)?;
            let content = serde_json::to_value(&found.content).map_err(|e| e.to_string())?;
            Ok(match content {
                serde_json::Value::String(s) => s,
                serde_json::Value::Object(ref fields) if fields.get("html").is_some_and(|h| h.is_string()) => {
                    fields["html"].as_str().unwrap_or_default().to_owned()
                }
                other => serde_json::to_string_pretty(&other).map_err(|e| e.to_string())?,
            })
        }
        "rewrite" => {
            let bundle = flag(rest, &["--bundle", "-b"])?.ok_or("rewrite needs --bundle FILE")?;
            let ctx_path = flag(rest, &["--context", "-c"])?.ok_or("rewrite needs --context CTX.json")?;
            let page = rest.last().filter(|p| !p.starts_with('-')).ok_or("rewrite needs a PAGE file")?;
            let engine = keys::load(rest, bundle)?;
            let ctx = parse_context(&read_text(ctx_path)?).map_err(|e| format!("{ctx_path}: {e}"))?;
            let decision = engine.decide(&ctx, Options::default());
            let html = PageRewriter::rewrite_all(patches(&decision), &read(page)?);
            String::from_utf8(html).map_err(|_| format!("{page}: the page is not UTF-8"))
        }
        "kv-customers" => {
            let path = rest.first().ok_or("kv-customers needs a RECORDS.jsonl file")?;
            bulk_from_jsonl(&read_text(path)?).map_err(|e| format!("{path}: {e}"))
        }
        "sign-id" => {
            let id = rest.first().ok_or("sign-id needs a CUSTOMER_ID")?;
            // From the environment, not an argument: keys do not belong in shell history.
            let key = std::env::var("KAIROS_IDENTITY_KEY")
                .map_err(|_| "set KAIROS_IDENTITY_KEY to the Worker's IDENTITY_KEY")?;
            if key.len() < identity::MIN_KEY_BYTES {
                return Err(format!("KAIROS_IDENTITY_KEY must be at least {} bytes", identity::MIN_KEY_BYTES));
            }
            identity::sign(key.as_bytes(), id)
                .ok_or_else(|| format!("`{id}`: ids are ASCII letters, digits and -_:@, at most 128 bytes"))
        }
        "token" => {
            let key =
                std::env::var("KAIROS_OPEN_KEY").map_err(|_| "set KAIROS_OPEN_KEY to the Worker's OPEN_TOKEN_KEY")?;
            if key.len() < identity::MIN_KEY_BYTES {
                return Err(format!("KAIROS_OPEN_KEY must be at least {} bytes", identity::MIN_KEY_BYTES));
            }
            let customer = flag(rest, &["--customer"])?.ok_or("token needs --customer ID")?;
            if !identity::sane_id(customer) {
                return Err(format!("`{customer}`: ids are ASCII letters, digits and -_:@, at most 128 bytes"));
            }
            let slot = flag(rest, &["--slot"])?.ok_or("token needs --slot SLOT")?;
            let ttl = kairos::time::parse_duration(flag(rest, &["--ttl"])?.unwrap_or("30d"))
                .map_err(|e| format!("--ttl: {e}"))?;
            if ttl / 1000 > open_token::MAX_TTL_SECONDS {
                return Err(format!("--ttl: at most {} days", open_token::MAX_TTL_SECONDS / 86_400));
            }
            let event = match flag(rest, &["--event"])? {
                None => None,
                Some(path) => Some(read_token_event(&read_text(path)?).map_err(|e| format!("{path}: {e}"))?),
            };
            // The CLI may read the clock; the core never does.
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?;
            let token = open_token::OpenToken {
                campaign: flag(rest, &["--campaign"])?.unwrap_or("").to_owned(),
                customer_id: customer.to_owned(),
                slot: slot.to_owned(),
                event,
                expires_at: now.as_secs() as i64 + ttl / 1000,
            };
            Ok(open_token::mint(key.as_bytes(), &token))
        }
        "fmt" => fmt::run(rest),
        "gen" => gen::run(rest),
        "replay" => replay::run(rest),
        "keygen" => keys::keygen(rest),
        "help" | "--help" | "-h" => Ok(USAGE.into()),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}
