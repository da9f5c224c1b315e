//! Helpers shared by integration tests (each test file that needs them says `mod support;`).

use kairos::wire::JsonError;
use std::fmt::Debug;

/// Two readers of `text` agree: equal values (compared as written by `Debug`, so NaNs compare
/// too), or refusals at the same JSON path with the same depth verdict. `names` label the two
/// readers in the message.
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
