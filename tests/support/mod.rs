//! Helpers shared by integration tests (each test file that needs them says `mod support;`).

use kairos::wire::JsonError;
use std::fmt::Debug;

/// Two readers of `text` agree: equal values (compared as written by `Debug`, so NaNs compare
/// too), or refusals at the same JSON path with the same depth verdict. `names` label the two
/// readers in the message.
#[allow(dead_code)] // not every test file that includes this module compares readers
pub fn agree_on<T: Debug>(
    text: &str,
    names: [&str; 2],
    a: &Result<T, JsonError>,
    b: &Result<T, JsonError>,
) -> Result<(), String> {
    let [na, nb] = names;
    match (a, b) {
        (Ok(x), Ok(y)) => {
            let (x, y) = (format!("{x:?}"), format!("{y:?}"));
            if x == y {
                Ok(())
            } else {
                Err(format!("values differ on {text:?}:\n {na:5} {x}\n {nb:5} {y}"))
            }
        }
        (Err(x), Err(y)) if x.at.path == y.at.path && x.too_deep == y.too_deep => Ok(()),
        (Err(x), Err(y)) => {
            Err(format!("errors differ on {text:?}:\n {na:5} {x} {:?}\n {nb:5} {y} {:?}", x.too_deep, y.too_deep))
        }
        _ => Err(format!("one reader failed on {text:?}:\n {na:5} {a:?}\n {nb:5} {b:?}")),
    }
}

/// Broken copies of `text` at about `points` places through it: cut short there, one character
/// dropped there, and each of `inserts` put in there. What differential reader tests feed both
/// readers.
#[allow(dead_code)] // not every test file that includes this module breaks texts
pub fn broken_copies(text: &str, points: usize, inserts: &[&str]) -> Vec<String> {
    let stride = (text.len() / points).max(1);
    let mut out = Vec::new();
    for at in (0..text.len()).step_by(stride).filter(|&i| text.is_char_boundary(i)) {
        out.push(text[..at].to_string());
        if let Some(c) = text[at..].chars().next() {
            out.push(format!("{}{}", &text[..at], &text[at + c.len_utf8()..]));
        }
        for insert in inserts {
            out.push(format!("{}{insert}{}", &text[..at], &text[at..]));
        }
    }
    out
}

/// Every scenario case (`examples/scenarios/cases/*.cases.json`, files in name order): its name,
/// an engine for its bundle, and its context as written.
#[cfg(feature = "json")]
#[allow(dead_code)] // not every test file that includes this module reads the cases
pub fn scenario_cases() -> Vec<(String, kairos::Engine, serde_json::Value)> {
    use std::path::Path;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios/cases");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out = Vec::new();
    for path in files.iter().filter(|p| p.to_string_lossy().ends_with(".cases.json")) {
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let bundle = std::fs::read(Path::new(dir).join(doc["bundle"].as_str().unwrap())).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let engine = kairos::Engine::from_rules_or_bundle(&bundle).unwrap();
            out.push((format!("{}: {}", path.display(), case["name"]), engine, case["context"].clone()));
        }
    }
    out
}
