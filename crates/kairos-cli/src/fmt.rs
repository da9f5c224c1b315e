//! `kairos fmt`: rules (JSON or text) printed as canonical text, or as canonical JSON.

use crate::args::{read_text, write};
use crate::cli::FmtArgs;
use crate::error::{CliError, Result, E_NOT_FORMATTED};
use kairos::json::parse_bundle;
use kairos::rules::text::{format_text, is_json, to_text};

pub fn run(args: FmtArgs) -> Result<String> {
    let path = &args.rules;
    if args.write && path == "-" {
        return Err(CliError::usage("-w needs a file, not stdin"));
    }
    let src = read_text(path)?;
    let bundle = kairos::json::parse_source(&src).map_err(|e| CliError::compile(&src, path, &e))?;
    let out = if args.json {
        serde_json::to_string_pretty(&bundle).map_err(CliError::internal)?
    } else if is_json(&src) {
        to_text(&bundle)
    } else {
        // Text keeps its comments.
        format_text(&src).map_err(|e| CliError::compile(&src, path, &e))?
    };
    if args.check {
        let same = if args.json { parse_bundle(&src).is_ok() && src.trim_end() == out.trim_end() } else { src == out };
        return if same {
            Ok(String::new())
        } else {
            Err(CliError::new(E_NOT_FORMATTED, format!("{path} is not formatted (run `kairos fmt -w {path}`)")))
        };
    }
    if args.write {
        write(args.output.as_deref().unwrap_or(path), &out)?;
        return Ok(String::new());
    }
    Ok(out.trim_end_matches('\n').to_owned())
}
