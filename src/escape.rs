//! Escaping of template values by where the content string will land, judged by its key:
//! `html`/`*_html` are HTML, `href`/`src`/`url`/`action`/`*_url` are URLs (values
//! percent-encoded as one component), everything else is plain text for the surface to set as
//! text. Inside HTML, [`HtmlScanner`] tells text from attribute values and URLs, so each value
//! gets the escaping of its exact spot.
//!
//! The file stays whole: its code is about 320 lines, and the rest is tests that check the sinks
//! and the HTML spots against each other.

/// Where a content string ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Plain text, for the surface to set as text: no escaping.
    Text,
    /// HTML: entities, and a scan of where each hole sits.
    Html,
    /// A URL: values percent-encoded as one component.
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
    /// Inside a quoted attribute value. URL attributes get scheme checks or percent-encoding.
    Attr {
        /// A URL-valued attribute (`href`, `src`, …).
        url: bool,
        /// At the start of the value, where a URL's scheme would be.
        at_start: bool,
    },
    /// Places no escaping makes safe: tag names, between attributes, unquoted values, event
    /// handlers, `style`, `srcdoc`, `<script>`/`<style>` and other raw-text bodies, comments.
    /// The compiler rejects holes there.
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
    AfterAttrName {
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
    /// Inside `<script>`, `<style>` and the like, until `</tag` and a delimiter. `seen` keeps the
    /// last few characters, ASCII only.
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

/// Tracks the HTML context across the literal parts of a template, and whether a URL attribute
/// got a literal `:` after a hole but before its first `/`, `?` or `#` (a scheme built from data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlScanner {
    state: Scan,
    url_hole: bool,
    url_past_scheme: bool,
    url_scheme_after_hole: bool,
}

impl Default for HtmlScanner {
    fn default() -> Self {
        HtmlScanner { state: Scan::Text, url_hole: false, url_past_scheme: false, url_scheme_after_hole: false }
    }
}

/// Attributes whose value is a URL (HTML, SVG animation values, legacy attributes).
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "background",
    "srcset",
    "xlink:href",
    "ping",
    "data",
    "codebase",
    "manifest",
    "icon",
    "archive",
    "classid",
    "longdesc",
    "usemap",
    "dynsrc",
    "lowsrc",
    "to",
    "from",
    "values",
    "by",
    "imagesrcset",
];
/// Elements whose content is not markup until their end tag.
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noscript", "noembed", "noframes", "plaintext"];

fn unsafe_attr(name: &str) -> bool {
    name.starts_with("on") || matches!(name, "style" | "srcdoc")
}

impl HtmlScanner {
    /// Reads more literal template text, moving the scan along.
    pub fn feed(&mut self, text: &str) {
        for c in text.chars() {
            let was_value = matches!(self.state, Scan::Value { .. });
            self.state = step(std::mem::replace(&mut self.state, Scan::Text), c);
            match &self.state {
                Scan::Value { name, .. } if URL_ATTRS.contains(&name.as_str()) => {
                    if !was_value {
                        (self.url_hole, self.url_past_scheme) = (false, false);
                    }
                    match c {
                        '/' | '?' | '#' => self.url_past_scheme = true,
                        ':' if self.url_hole && !self.url_past_scheme => self.url_scheme_after_hole = true,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }

    /// Records that a hole's value was written at the current spot.
    pub fn note_hole(&mut self) {
        if matches!(&self.state, Scan::Value { name, .. } if URL_ATTRS.contains(&name.as_str())) {
            self.url_hole = true;
        }
    }

    /// Whether some URL attribute so far had its scheme separator after a hole.
    pub fn scheme_after_hole(&self) -> bool {
        self.url_scheme_after_hole
    }

    /// Where a hole at the current position would sit.
    pub fn spot(&self) -> HtmlSpot {
        match &self.state {
            Scan::Text => HtmlSpot::Text,
            Scan::Value { name, .. } | Scan::BeforeValue { name, .. } if unsafe_attr(name) => {
                HtmlSpot::Unsafe("an event-handler, style or srcdoc attribute")
            }
            Scan::Value { name, quote: Some(_), empty, .. } => {
                HtmlSpot::Attr { url: URL_ATTRS.contains(&name.as_str()), at_start: *empty }
            }
            Scan::Value { quote: None, .. } | Scan::BeforeValue { .. } => {
                HtmlSpot::Unsafe("an attribute value without quotes (quote it)")
            }
            Scan::TagName { .. } | Scan::InTag { .. } | Scan::AttrName { .. } | Scan::AfterAttrName { .. } => {
                HtmlSpot::Unsafe("a tag, outside attribute values")
            }
            Scan::RawText { .. } => HtmlSpot::Unsafe("a <script>, <style> or other raw-text element"),
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
        Scan::TagName { mut name, closing } if c.is_ascii_alphanumeric() || c == '-' || c == ':' => {
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
        Scan::AttrName { tag, .. } if c == '/' => Scan::InTag { tag },
        Scan::AttrName { tag, name } if c.is_whitespace() => Scan::AfterAttrName { tag, name },
        Scan::AttrName { tag, mut name } => {
            name.push(c.to_ascii_lowercase());
            Scan::AttrName { tag, name }
        }
        Scan::AfterAttrName { tag, name } if c.is_whitespace() => Scan::AfterAttrName { tag, name },
        Scan::AfterAttrName { tag, name } if c == '=' => Scan::BeforeValue { tag, name },
        Scan::AfterAttrName { tag, .. } if c == '>' => after_tag(tag, false),
        Scan::AfterAttrName { tag, .. } if c == '/' => Scan::InTag { tag },
        Scan::AfterAttrName { tag, .. } => Scan::AttrName { tag, name: c.to_ascii_lowercase().to_string() },
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
            let end = format!("</{tag}");
            // The end tag counts only when a delimiter follows (`</scripty>` is still script).
            if (c.is_whitespace() || c == '/' || c == '>') && seen.ends_with(&end) && tag != "plaintext" {
                return if c == '>' { Scan::Text } else { Scan::InTag { tag: String::new() } };
            }
            seen.push(if c.is_ascii() { c.to_ascii_lowercase() } else { '?' });
            if seen.len() > 64 {
                // ASCII only, so any byte index is a char boundary.
                seen.drain(..seen.len() - 16);
            }
            Scan::RawText { tag, seen }
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
        HtmlSpot::Attr { url: true, at_start: true } => {
            // A whole URL from data: only safe schemes.
            Sink::Html.push_escaped(out, if safe_url(value) { value } else { "#blocked-url" });
        }
        HtmlSpot::Attr { url: true, at_start: false } => Sink::Url.push_escaped(out, value),
        HtmlSpot::Attr { .. } | HtmlSpot::Text | HtmlSpot::Unsafe(_) => Sink::Html.push_escaped(out, value),
    }
}

/// `https:`, `http:`, `mailto:`, `tel:`, or no scheme (relative and fragment URLs). Browsers drop
/// tabs, newlines and other control characters inside URLs (`jav\tascript:`), so the scheme is
/// read with them removed, as the page script's SAFE_URL does.
pub fn safe_url(url: &str) -> bool {
    let squeezed: String =
        url.chars().filter(|c| !c.is_ascii_control() && *c != ' ').collect::<String>().to_ascii_lowercase();
    match squeezed.split(['/', '?', '#']).next().unwrap_or("").split_once(':') {
        None => true,
        Some((scheme, _)) => matches!(scheme, "https" | "http" | "mailto" | "tel"),
    }
}

fn after_tag(tag: String, closing: bool) -> Scan {
    if !closing && RAW_TEXT.contains(&tag.as_str()) {
        Scan::RawText { tag, seen: String::new() }
    } else {
        Scan::Text
    }
}

#[cfg(test)]
mod tests {
    use super::{push_html_escaped, HtmlScanner, HtmlSpot, Sink};
    const HOLE: &str = "x";

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
        assert_eq!(spot_after("<a title=\""), HtmlSpot::Attr { url: false, at_start: true });
        assert_eq!(spot_after("<a href='/x?q="), HtmlSpot::Attr { url: true, at_start: false });
        assert_eq!(spot_after("<A HREF = \""), HtmlSpot::Attr { url: true, at_start: true });
        assert_eq!(spot_after("<a class =\"x\" title=\""), HtmlSpot::Attr { url: false, at_start: true });
        assert!(matches!(spot_after("<img src="), HtmlSpot::Unsafe(_)));
        assert!(matches!(spot_after("<img src=x"), HtmlSpot::Unsafe(_)));
        assert!(matches!(spot_after("<iframe srcdoc=\""), HtmlSpot::Unsafe(_)));
        assert!(matches!(spot_after("<a x/onclick=\""), HtmlSpot::Unsafe(_)));
        assert_eq!(spot_after("<svg><set to=\""), HtmlSpot::Attr { url: true, at_start: true });
        assert!(matches!(spot_after("<script></scripty>"), HtmlSpot::Unsafe(_)));
        assert!(matches!(spot_after("<noembed>"), HtmlSpot::Unsafe(_)));
        assert!(matches!(
            spot_after(&format!("<title>{}", "ご入金を完了してください€".repeat(10))),
            HtmlSpot::Unsafe(_)
        ));
        assert_eq!(spot_after(&format!("<style>{}</style ><p>", "€".repeat(40))), HtmlSpot::Text);
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
        let at_start = HtmlSpot::Attr { url: true, at_start: true };
        let mut out = String::new();
        push_html_escaped(&mut out, &at_start, "JaVaScRiPt:alert(1)");
        assert_eq!(out, "#blocked-url");
        out.clear();
        push_html_escaped(&mut out, &at_start, "https://a.example/?x=1&y=\"2\"");
        assert_eq!(out, "https://a.example/?x=1&amp;y=&quot;2&quot;");
        for evil in ["java\tscript:x", " javascript:x", "vbscript:x", "data:text/html,x", "JAVA\nSCRIPT:x"] {
            out.clear();
            push_html_escaped(&mut out, &at_start, evil);
            assert_eq!(out, "#blocked-url", "{evil:?}");
        }
        let mut scanner = HtmlScanner::default();
        scanner.feed("<a href=\"");
        scanner.note_hole();
        scanner.feed(HOLE);
        scanner.feed("://x\">");
        assert!(scanner.scheme_after_hole());
        let mut fine = HtmlScanner::default();
        fine.feed("<a href=\"/p/");
        fine.note_hole();
        fine.feed(HOLE);
        fine.feed("?t=10:30\">");
        assert!(!fine.scheme_after_hole());
    }
}
