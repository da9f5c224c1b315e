//! Helpers shared by integration tests (each test file that needs them says `mod support;`).

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
