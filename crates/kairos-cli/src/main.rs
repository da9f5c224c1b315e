//! `kairos`: check, compile, decide and rewrite from the command line; sign bundles and QA
//! preview tokens (keys.rs, preview.rs); generate, replay and measure event logs.
//!
//! Owns: argument parsing (clap, declared in cli.rs), files, standard streams and exit codes.
//! Deciding, compiling, rewriting and replaying are library calls into kairos, kairos-edge and
//! kairos-replay; must not import wasm-bindgen or the `worker` crate.

use args::{read, read_text};
use clap::error::ErrorKind;
use clap::Parser;
use cli::{Cli, Command, Load};
use error::{CliError, Result, E_INTERNAL, E_SLOT, E_UTF8};
use kairos::html::patches;
use kairos::json::{decision_to_json, parse_context};
use kairos::{Engine, Options};
use kairos_edge::customer::bulk_from_jsonl;
use kairos_edge::PageRewriter;
use std::io::Write;
use std::process::ExitCode;

mod args;
mod cli;
mod edge;
mod error;
mod events;
mod fmt;
mod gen;
mod keys;
mod lift;
mod load;
mod preview;
mod replay;

fn main() -> ExitCode {
    let result = match Cli::try_parse() {
        Ok(cli) => run(cli.command),
        Err(e) => match e.kind() {
            // Asked for: on standard output, exit 0.
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // Bare `kairos`: the help, but as the usage error it is.
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                Err(CliError::usage(format!("a subcommand is needed\n\n{}", e.render().to_string().trim_end())))
            }
            _ => Err(CliError::from(e)),
        },
    };
    match result {
        // A closed pipe (`kairos decide … | head`) is not an error worth a panic, nor a message.
        Ok(out) if !out.is_empty() && writeln!(std::io::stdout(), "{out}").is_err() => ExitCode::FAILURE,
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The engine and context of `decide`, `render` and `rewrite`.
fn engine_and_context(load: &Load) -> Result<(Engine, kairos::Context)> {
    args::one_stdin(("--bundle", &load.bundle), ("--context", &load.context))?;
    let engine = load::engine(&load.bundle, load.public_key.as_deref())?;
    let ctx = parse_context(&read_text(&load.context)?).map_err(|e| CliError::context(&load.context, &e))?;
    Ok((engine, ctx))
}

/// Runs one subcommand; what it returns is printed on standard output, with a newline.
fn run(command: Command) -> Result<String> {
    match command {
        Command::Check { rules } => {
            let program = load::compile_rules(&rules)?;
            let variants: usize = program.slots.iter().map(|s| s.variants.len()).sum();
            Ok(format!(
                "ok: {} slot(s), {variants} variant(s), {} segment(s), {} tier table(s)",
                program.slots.len(),
                program.segments.len(),
                program.tiers.len()
            ))
        }
        Command::Compile { rules, output, sign } => {
            let program = load::compile_rules(&rules)?;
            let bytes = match sign {
                Some(keyfile) => keys::sign(&keyfile, program.to_bytes())?,
                None => program.to_bytes(),
            };
            if output == "-" {
                std::io::stdout().write_all(&bytes).map_err(|e| CliError::io("stdout", &e))?;
                return Ok(String::new());
            }
            args::write(&output, &bytes)?;
            Ok(format!("wrote {output} ({} bytes)", bytes.len()))
        }
        Command::Decide { load, explain, preview } => {
            let (engine, ctx) = engine_and_context(&load)?;
            let forced = match &preview {
                // clap requires --public-key with --preview.
                Some(token) => Some(preview::read(token, load.public_key.as_deref().unwrap_or_default(), &engine)?),
                None => None,
            };
            Ok(decision_to_json(&engine.decide(&ctx, Options { explain, forced: forced.as_ref() })))
        }
        Command::Bucket { salt, customer_id } => Ok(kairos::bucket(&salt, &customer_id).to_string()),
        Command::Render { load, slot } => {
            let (engine, ctx) = engine_and_context(&load)?;
            let found = engine.render(&ctx, &slot).map_err(|e| CliError::new(E_SLOT, e.to_string()))?;
            // The core's projection, as every surface shows the slot: its HTML, else its text;
            // content with neither (numbers, lists, data-only objects) is printed as JSON.
            let patch = kairos::html::project(&found);
            match patch.html.or(patch.text) {
                Some(shown) => Ok(shown),
                None => serde_json::to_string_pretty(&found.content).map_err(CliError::internal),
            }
        }
        Command::Rewrite { load, page } => {
            if page == "-" && (load.bundle == "-" || load.context == "-") {
                return Err(CliError::usage("only one of --bundle, --context and PAGE.html can read stdin"));
            }
            let (engine, ctx) = engine_and_context(&load)?;
            let decision = engine.decide(&ctx, Options::default());
            let html = PageRewriter::rewrite_all(patches(&decision), &read(&page)?);
            String::from_utf8(html).map_err(|_| CliError::new(E_UTF8, format!("{page}: the page is not UTF-8")))
        }
        Command::KvCustomers { records, bundle } => {
            let engine = bundle.map(|b| load::engine(&b, None)).transpose()?.map(std::sync::Arc::new);
            bulk_from_jsonl(&read_text(&records)?, engine.as_ref())
                .map_err(|e| CliError::new(e.code(), format!("{records}: {e}")))
        }
        Command::SignId { customer_id } => {
            let key = edge::env_key("KAIROS_IDENTITY_KEY", "IDENTITY_KEY")?;
            // The id was checked while parsing, so signing cannot refuse it.
            kairos_edge::identity::sign(key.as_bytes(), &customer_id)
                .ok_or_else(|| CliError::new(E_INTERNAL, format!("`{customer_id}` could not be signed")))
        }
        Command::Token(token) => edge::token(token),
        Command::Fmt(fmt) => fmt::run(fmt),
        Command::Gen(gen) => gen::run(gen),
        Command::Replay(replay) => replay::run(replay),
        Command::Lift(lift) => lift::run(lift),
        Command::Keygen { output } => keys::keygen(&output),
        Command::Preview(preview) => preview::run(preview),
    }
}
