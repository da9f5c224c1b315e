//! Escaping of template values by where the content string will land, judged by its key:
//! `html`/`*_html` are HTML, `href`/`src`/`url`/`action`/`*_url` are URLs (values
//! percent-encoded as one component), everything else is plain text for the surface to set as
//! text. Inside HTML, [`HtmlScanner`] tells text from attribute values and URLs, so each value
//! gets the escaping of its exact spot.

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

/// Where a `{{hole}}` sits inside an HTML template, found by scanning the literal text before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HtmlSpot {
    /// Between tags: HTML-escaped.
    Text,
    /// Inside an attribute value. URL attributes get scheme checks or percent-encoding.
    Attr { quoted: bool, url: bool, at_start: bool },
    /// Places no escaping makes safe: tag names, between attributes, event-handler and style
    /// attributes, `<script>`/`<style>` bodies, comments. The compiler rejects holes there.
    Unsafe(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scan {
    Text,
    TagName {
        name: String,
        closing: bool,
    },
    InTag {
        tag: String,
    },
    AttrName {
        tag: String,
        name: String,
    },
    BeforeValue {
        tag: String,
        name: String,
    },
    Value {
        tag: String,
        name: String,
        quote: Option<char>,
        empty: bool,
    },
    RawText {
        tag: String,
        seen: String,
    },
    /// After `<!`: a comment if `--` follows, else a declaration such as `<!doctype html>`.
    Bang {
        dashes: usize,
    },
    Decl,
    Comment {
        dashes: usize,
    },
}

/// Tracks the HTML context across the literal parts of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlScanner(Scan);

impl Default for HtmlScanner {
    fn default() -> Self {
        HtmlScanner(Scan::Text)
    }
}

const URL_ATTRS: &[&str] =
    &["href", "src", "action", "formaction", "poster", "cite", "background", "srcset", "xlink:href", "ping", "data"];

impl HtmlScanner {
    pub fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.0 = step(std::mem::replace(&mut self.0, Scan::Text), c);
        }
    }

    pub fn spot(&self) -> HtmlSpot {
        match &self.0 {
            Scan::Text => HtmlSpot::Text,
            Scan::Value { name, quote, empty, .. } => {
                if name.starts_with("on") || name == "style" {
                    HtmlSpot::Unsafe("an event-handler or style attribute")
                } else {
                    HtmlSpot::Attr {
                        quoted: quote.is_some(),
                        url: URL_ATTRS.contains(&name.as_str()),
                        at_start: *empty,
                    }
                }
            }
            Scan::BeforeValue { name, .. } if name.starts_with("on") || name == "style" => {
                HtmlSpot::Unsafe("an event-handler or style attribute")
            }
            Scan::BeforeValue { name, .. } => {
                HtmlSpot::Attr { quoted: false, url: URL_ATTRS.contains(&name.as_str()), at_start: true }
            }
            Scan::TagName { .. } | Scan::InTag { .. } | Scan::AttrName { .. } => {
                HtmlSpot::Unsafe("a tag, outside attribute values")
            }
            Scan::RawText { .. } => HtmlSpot::Unsafe("a <script> or <style> element"),
            Scan::Comment { .. } | Scan::Bang { .. } | Scan::Decl => HtmlSpot::Unsafe("an HTML comment or declaration"),
        }
    }
}

fn step(state: Scan, c: char) -> Scan {
    match state {
        Scan::Text if c == '<' => Scan::TagName { name: String::new(), closing: false },
        Scan::Text => Scan::Text,
        Scan::TagName { name, .. } if name.is_empty() && c == '/' => Scan::TagName { name, closing: true },
        Scan::TagName { name, .. } if name.is_empty() && c == '!' => Scan::Bang { dashes: 0 },
        Scan::TagName { mut name, closing } if c.is_ascii_alphanumeric() || c == '-' => {
            name.push(c.to_ascii_lowercase());
            Scan::TagName { name, closing }
        }
        Scan::TagName { name, .. } if name.is_empty() => Scan::Text, // `a < b` is text
        Scan::TagName { name, closing } if c == '>' => after_tag(name, closing),
        Scan::TagName { name, .. } => Scan::InTag { tag: name },
        Scan::InTag { tag } if c == '>' => after_tag(tag, false),
        Scan::InTag { tag } if c.is_whitespace() || c == '/' => Scan::InTag { tag },
        Scan::InTag { tag } => Scan::AttrName { tag, name: c.to_ascii_lowercase().to_string() },
        Scan::AttrName { tag, .. } if c == '>' => after_tag(tag, false),
        Scan::AttrName { tag, name } if c == '=' => Scan::BeforeValue { tag, name },
        Scan::AttrName { tag, .. } if c.is_whitespace() => Scan::InTag { tag },
        Scan::AttrName { tag, mut name } => {
            name.push(c.to_ascii_lowercase());
            Scan::AttrName { tag, name }
        }
        Scan::BeforeValue { tag, name } if c == '"' || c == '\'' => {
            Scan::Value { tag, name, quote: Some(c), empty: true }
        }
        Scan::BeforeValue { tag, name } if c.is_whitespace() => Scan::BeforeValue { tag, name },
        Scan::BeforeValue { tag, .. } if c == '>' => after_tag(tag, false),
        Scan::BeforeValue { tag, name } => Scan::Value { tag, name, quote: None, empty: false },
        Scan::Value { tag, quote: Some(q), .. } if c == q => Scan::InTag { tag },
        Scan::Value { tag, quote: None, .. } if c.is_whitespace() => Scan::InTag { tag },
        Scan::Value { tag, quote: None, .. } if c == '>' => after_tag(tag, false),
        Scan::Value { tag, name, quote, .. } => Scan::Value { tag, name, quote, empty: false },
        Scan::RawText { tag, mut seen } => {
            seen.push(c.to_ascii_lowercase());
            let end = format!("</{tag}");
            if seen.ends_with(&end) {
                Scan::InTag { tag: String::new() }
            } else {
                if seen.len() > 64 {
                    seen.drain(..seen.len() - 16);
                }
                Scan::RawText { tag, seen }
            }
        }
        Scan::Bang { dashes } if c == '-' && dashes == 1 => Scan::Comment { dashes: 0 },
        Scan::Bang { .. } if c == '-' => Scan::Bang { dashes: 1 },
        Scan::Bang { .. } | Scan::Decl if c == '>' => Scan::Text,
        Scan::Bang { .. } | Scan::Decl => Scan::Decl,
        Scan::Comment { dashes } if c == '>' && dashes >= 2 => Scan::Text,
        Scan::Comment { dashes } if c == '-' => Scan::Comment { dashes: (dashes + 1).min(2) },
        Scan::Comment { .. } => Scan::Comment { dashes: 0 },
    }
}

/// Appends a hole's value escaped for its spot in an HTML template (the compiler has rejected `Unsafe`).
pub fn push_html_escaped(out: &mut String, spot: &HtmlSpot, value: &str) {
    match spot {
        HtmlSpot::Attr { url: true, at_start: true, .. } => {
            // A whole URL from data: only safe schemes, as in the page script's SAFE_URL.
            let v = value.trim_start();
            let scheme =
                v.split(['/', '?', '#']).next().unwrap_or("").split_once(':').map(|(s, _)| s.to_ascii_lowercase());
            let safe = matches!(scheme.as_deref(), None | Some("http" | "https" | "mailto" | "tel"));
            push_attr(out, if safe { value } else { "#blocked-url" });
        }
        HtmlSpot::Attr { url: true, at_start: false, .. } => Sink::Url.push_escaped(out, value),
        HtmlSpot::Attr { quoted: false, .. } => {
            // Unquoted values end at any space, quote or `>`: encode everything but letters and digits.
            for c in value.chars() {
                if c.is_alphanumeric() {
                    out.push(c);
                } else {
                    out.push_str(&format!("&#x{:X};", c as u32));
                }
            }
        }
        HtmlSpot::Attr { .. } | HtmlSpot::Text | HtmlSpot::Unsafe(_) => Sink::Html.push_escaped(out, value),
    }
}

fn push_attr(out: &mut String, value: &str) {
    Sink::Html.push_escaped(out, value)
}

fn after_tag(tag: String, closing: bool) -> Scan {
    if !closing && matches!(tag.as_str(), "script" | "style" | "textarea" | "title" | "xmp" | "iframe" | "noscript") {
        Scan::RawText { tag, seen: String::new() }
    } else {
        Scan::Text
    }
}

#[cfg(test)]
mod tests {
    use super::{push_html_escaped, HtmlScanner, HtmlSpot, Sink};

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

    fn spot_after(html: &str) -> HtmlSpot {
        let mut s = HtmlScanner::default();
        s.feed(html);
        s.spot()
    }

    #[test]
    fn html_spots() {
        assert_eq!(spot_after("<p class=\"a\">"), HtmlSpot::Text);
        assert_eq!(spot_after("<!doctype html><p>"), HtmlSpot::Text);
        assert_eq!(spot_after("<a title=\""), HtmlSpot::Attr { quoted: true, url: false, at_start: true });
        assert_eq!(spot_after("<a href='/x?q="), HtmlSpot::Attr { quoted: true, url: true, at_start: false });
        assert_eq!(spot_after("<img src="), HtmlSpot::Attr { quoted: false, url: true, at_start: true });
        assert!(matches!(spot_after("<a onclick=\""), HtmlSpot::Unsafe(_)));
        assert!(matches!(spot_after("<script>var x = "), HtmlSpot::Unsafe(_)));
        assert_eq!(spot_after("<script>x</script><p>"), HtmlSpot::Text);
        assert!(matches!(spot_after("<!-- "), HtmlSpot::Unsafe(_)));
        assert_eq!(spot_after("<!-- x --><b>"), HtmlSpot::Text);
        assert!(matches!(spot_after("<a "), HtmlSpot::Unsafe(_)));
        assert_eq!(spot_after("1 < 2 and "), HtmlSpot::Text);
    }

    #[test]
    fn url_holes() {
        let at_start = HtmlSpot::Attr { quoted: true, url: true, at_start: true };
        let mut out = String::new();
        push_html_escaped(&mut out, &at_start, "JaVaScRiPt:alert(1)");
        assert_eq!(out, "#blocked-url");
        out.clear();
        push_html_escaped(&mut out, &at_start, "https://a.example/?x=1&y=\"2\"");
        assert_eq!(out, "https://a.example/?x=1&amp;y=&quot;2&quot;");
    }
}
