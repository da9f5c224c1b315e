//! Escaping of `{{var}}` values by where the content string will land, judged by
//! its key: `html`/`*_html` are HTML (text and quoted attributes), `href`/`src`/
//! `url`/`action`/`*_url` are URLs (values percent-encoded as one component), and
//! everything else is plain text for the surface to set as text.

/// Where a content string ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Text,
    Html,
    Url,
}

impl Sink {
    /// The sink of a string stored under `key`.
    pub fn for_key(key: &str) -> Sink {
        let k = key.to_ascii_lowercase();
        if k == "html" || k.ends_with("_html") {
            Sink::Html
        } else if matches!(k.as_str(), "href" | "src" | "url" | "action" | "srcset" | "poster") || k.ends_with("_url") {
            Sink::Url
        } else {
            Sink::Text
        }
    }

    /// Appends `value` escaped for this sink.
    pub fn push_escaped(self, out: &mut String, value: &str) {
        match self {
            Sink::Text => out.push_str(value),
            Sink::Html => {
                for c in value.chars() {
                    match c {
                        '&' => out.push_str("&amp;"),
                        '<' => out.push_str("&lt;"),
                        '>' => out.push_str("&gt;"),
                        '"' => out.push_str("&quot;"),
                        '\'' => out.push_str("&#39;"),
                        '`' => out.push_str("&#96;"),
                        c => out.push(c),
                    }
                }
            }
            Sink::Url => {
                for b in value.bytes() {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        out.push(b as char);
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
        }
    }
}

/// A piece of a content string: literal text, or a `{{name}}` reference (`raw` is as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Ref { name: &'a str, raw: &'a str },
}

/// Splits a content string into text and `{{name}}` references; an unclosed `{{` is text.
/// The compiler checks the references with it and decisions substitute with it.
pub fn template_pieces(s: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let piece = match rest.find("{{") {
            Some(0) => match rest[2..].find("}}") {
                Some(end) => {
                    let raw = &rest[..end + 4];
                    Piece::Ref { name: raw[2..raw.len() - 2].trim(), raw }
                }
                None => Piece::Text(rest),
            },
            Some(start) => Piece::Text(&rest[..start]),
            None => Piece::Text(rest),
        };
        let len = match piece {
            Piece::Text(t) => t.len(),
            Piece::Ref { raw, .. } => raw.len(),
        };
        rest = &rest[len..];
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::{template_pieces, Piece, Sink};

    #[test]
    fn pieces() {
        let p: Vec<Piece> = template_pieces("a {{ x }}b{{y}}{{open").collect();
        assert_eq!(
            p,
            vec![
                Piece::Text("a "),
                Piece::Ref { name: "x", raw: "{{ x }}" },
                Piece::Text("b"),
                Piece::Ref { name: "y", raw: "{{y}}" },
                Piece::Text("{{open"),
            ]
        );
    }

    fn esc(sink: Sink, v: &str) -> String {
        let mut s = String::new();
        sink.push_escaped(&mut s, v);
        s
    }

    #[test]
    fn sinks_by_key() {
        assert_eq!(Sink::for_key("html"), Sink::Html);
        assert_eq!(Sink::for_key("body_html"), Sink::Html);
        assert_eq!(Sink::for_key("href"), Sink::Url);
        assert_eq!(Sink::for_key("image_url"), Sink::Url);
        assert_eq!(Sink::for_key("headline"), Sink::Text);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            esc(Sink::Html, r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(esc(Sink::Url, "javascript:alert(1) / é"), "javascript%3Aalert%281%29%20%2F%20%C3%A9");
        assert_eq!(esc(Sink::Text, "<b>"), "<b>");
    }
}
