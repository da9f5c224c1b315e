//! `kairos fmt`: rules (JSON or text) printed as canonical text, or as canonical JSON.

use crate::args::{flag, read_text};
use kairos::json::parse_bundle;
use kairos::rules::text::{format_text, is_json, render_error, to_text};

pub fn run(rest: &[String]) -> Result<String, String> {
    let path = rest.iter().find(|a| !a.starts_with('-') || *a == "-").ok_or("fmt needs a RULES file")?;
    let src = read_text(path)?;
    let to_json = rest.iter().any(|a| a == "--json");
    let bundle = kairos::json::parse_source(&src).map_err(|e| render_error(&src, path, &e))?;
    let out = if to_json {
        serde_json::to_string_pretty(&bundle).map_err(|e| e.to_string())?
    } else if is_json(&src) {
        to_text(&bundle)
    } else {
        // Text keeps its comments.
        format_text(&src).map_err(|e| render_error(&src, path, &e))?
    };
    if rest.iter().any(|a| a == "--check") {
        let same = if to_json { parse_bundle(&src).is_ok() && src.trim_end() == out.trim_end() } else { src == out };
        return if same {
            Ok(String::new())
        } else {
            Err(format!("{path} is not formatted (run `kairos fmt -w {path}`)"))
        };
    }
    if rest.iter().any(|a| a == "-w" || a == "--write") {
        if path == "-" {
            return Err("-w needs a file, not stdin".into());
        }
        let target = flag(rest, &["-o", "--output"])?.unwrap_or(path);
        std::fs::write(target, &out).map_err(|e| format!("{target}: {e}"))?;
        return Ok(String::new());
    }
    Ok(out.trim_end_matches('\n').to_owned())
}
