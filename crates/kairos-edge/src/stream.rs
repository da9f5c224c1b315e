//! Streaming rewrite with lol_html: input arrives in chunks and leaves in chunks, so the page is
//! never held whole and the first bytes reach the visitor while the origin still sends the rest.

use kairos::html::SlotPatch;
use lol_html::html_content::{ContentType, Element};
use lol_html::{element, HtmlRewriter, MemorySettings, OutputSink, Settings};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Most memory the parser may hold for one page; beyond it the rest passes through unchanged.
pub const MAX_PARSER_MEMORY: usize = 8 << 20;

struct SharedOutput(Rc<RefCell<Vec<u8>>>);

impl OutputSink for SharedOutput {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        self.0.borrow_mut().extend_from_slice(chunk);
    }
}

/// Rewrites a page chunk by chunk.
pub struct PageRewriter {
    inner: HtmlRewriter<'static, SharedOutput>,
    output: Rc<RefCell<Vec<u8>>>,
    applied: Rc<RefCell<Vec<String>>>,
}

impl PageRewriter {
    /// With `state` (the `kairos-state` island), it goes first in the page's `<head>`.
    pub fn new(patches: HashMap<String, SlotPatch>, state: Option<String>) -> PageRewriter {
        let output = Rc::new(RefCell::new(Vec::new()));
        let applied = Rc::new(RefCell::new(Vec::new()));
        let seen = applied.clone();
        let handler = element!("[data-kairos-slot]", move |el: &mut Element| {
            let Some(slot) = el.get_attribute("data-kairos-slot") else { return Ok(()) };
            if let Some(p) = patches.get(&slot) {
                apply(el, p);
                seen.borrow_mut().push(slot);
            }
            Ok(())
        });
        let mut state = state;
        let head = element!("head", move |el: &mut Element| {
            // The first <head> only.
            if let Some(island) = state.take() {
                el.prepend(&island, ContentType::Html);
            }
            Ok(())
        });
        let settings = Settings::new()
            .append_element_content_handler(head)
            .append_element_content_handler(handler)
            // Never fail a page on parser doubt (strict mode stops at ambiguous markup) or on size.
            .with_strict(false)
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(MAX_PARSER_MEMORY)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
            .with_graceful_bail_out_on_content_handler_error(true);
        let inner = HtmlRewriter::new(settings, SharedOutput(output.clone()));
        PageRewriter { inner, output, applied }
    }

    /// Feeds one input chunk; returns the output ready to send (may be empty).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        // Graceful bail-out settings make the rewriter pass bytes through instead of failing.
        let _ = self.inner.write(chunk);
        std::mem::take(&mut *self.output.borrow_mut())
    }

    /// Ends the input; returns the last output.
    pub fn finish(self) -> Vec<u8> {
        let PageRewriter { inner, output, .. } = self;
        let _ = inner.end();
        let rest = std::mem::take(&mut *output.borrow_mut());
        rest
    }

    /// Slots rewritten so far, in page order.
    pub fn applied(&self) -> Vec<String> {
        self.applied.borrow().clone()
    }

    /// Rewrites a whole page held in memory (the CLI and tests).
    pub fn rewrite_all(patches: HashMap<String, SlotPatch>, page: &[u8]) -> Vec<u8> {
        let mut r = PageRewriter::new(patches, None);
        let mut out = r.push(page);
        out.extend(r.finish());
        out
    }
}

fn apply(el: &mut Element, p: &SlotPatch) {
    let content = match (&p.html, &p.text) {
        (Some(html), _) => Some((html, ContentType::Html)),
        (None, Some(text)) => Some((text, ContentType::Text)),
        (None, None) => None,
    };
    if let Some((content, kind)) = content {
        // The origin's content streams on, inert inside a template; the variant's follows it.
        el.prepend(kairos::html::ORIGIN_OPEN, ContentType::Html);
        el.append(kairos::html::ORIGIN_CLOSE, ContentType::Html);
        el.append(content, kind);
    }
    for (name, value) in &p.attrs {
        // Names were checked by safe_attribute, so this cannot fail; lol_html escapes quotes, not `&`.
        let _ = el.set_attribute(name, &kairos::html::attr_text(value));
    }
    let _ = el.set_attribute(kairos::html::VARIANT_ATTR, &p.variant);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kairos::html::safe_attribute;

    fn patch_map(list: &[(&str, SlotPatch)]) -> HashMap<String, SlotPatch> {
        list.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn text_patch(variant: &str, text: &str) -> SlotPatch {
        SlotPatch { variant: variant.into(), html: None, text: Some(text.into()), attrs: vec![] }
    }

    #[test]
    fn rewrites_marked_elements_and_escapes_text() {
        let page = br#"<main><h1 data-kairos-slot="hero">Welcome</h1><p data-kairos-slot="cta">Shop</p><p data-kairos-slot="other">Keep</p></main>"#;
        let patches = patch_map(&[
            ("hero", text_patch("evening", "<b>Tonight</b> & only")),
            (
                "cta",
                SlotPatch {
                    variant: "trial".into(),
                    html: Some("<a href=\"/t\">Start</a>".into()),
                    text: None,
                    attrs: vec![("class".into(), "hot".into())],
                },
            ),
        ]);
        let out = String::from_utf8(PageRewriter::rewrite_all(patches, page)).unwrap();
        assert_eq!(
            out,
            "<main><h1 data-kairos-slot=\"hero\" data-kairos-variant=\"evening\"><template data-kairos-origin>Welcome</template>\
             &lt;b&gt;Tonight&lt;/b&gt; &amp; only</h1>\
             <p data-kairos-slot=\"cta\" class=\"hot\" data-kairos-variant=\"trial\"><template data-kairos-origin>Shop</template>\
             <a href=\"/t\">Start</a></p><p data-kairos-slot=\"other\">Keep</p></main>"
        );
    }

    #[test]
    fn streams_across_chunk_boundaries() {
        let page = "<div data-kairos-slot=\"hero\">old</div>".repeat(50);
        let patches = patch_map(&[("hero", text_patch("v", "new"))]);
        let whole = PageRewriter::rewrite_all(patches.clone(), page.as_bytes());
        for size in [1, 3, 7, 64] {
            let mut r = PageRewriter::new(patches.clone(), None);
            let mut out = Vec::new();
            for chunk in page.as_bytes().chunks(size) {
                out.extend(r.push(chunk));
            }
            assert_eq!(r.applied().len(), 50);
            out.extend(r.finish());
            assert_eq!(out, whole, "chunk size {size}");
        }
        // The origin's content stays only inside the inert template the page restores it from.
        let whole = String::from_utf8(whole).unwrap();
        assert_eq!(whole.matches("<template data-kairos-origin>old</template>new</div>").count(), 50);
    }

    #[test]
    fn the_state_island_goes_first_in_the_first_head() {
        let island = r#"<script type="application/json" id="kairos-state">{}</script>"#.to_owned();
        let page = b"<html><head><title>t</title></head><body><head></head></body></html>";
        let mut r = PageRewriter::new(HashMap::new(), Some(island.clone()));
        let mut out = r.push(page);
        out.extend(r.finish());
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with(&format!("<html><head>{island}<title>")), "{out}");
        assert_eq!(out.matches("kairos-state").count(), 1);
    }

    #[test]
    fn output_flows_before_the_input_ends() {
        let mut r = PageRewriter::new(patch_map(&[("hero", text_patch("v", "new"))]), None);
        let first = r.push(b"<html><body><div data-kairos-slot=\"hero\">old</div><p>");
        assert!(String::from_utf8_lossy(&first).contains("new"));
    }

    #[test]
    fn unsafe_attributes_are_refused() {
        assert!(safe_attribute("class", "x") && safe_attribute("data-x", "1"));
        assert!(safe_attribute("href", "/offer?id=1") && safe_attribute("href", "https://a.example"));
        assert!(safe_attribute("href", "offer.html") && safe_attribute("aria-label", "x"));
        for (n, v) in [
            ("onclick", "x"),
            ("href", "javascript:alert(1)"),
            ("src", " JavaScript:x"),
            ("href", "jav\tascript:alert(1)"),
            ("href", "java\nscript:alert(1)"),
            ("href", "\u{1}javascript:alert(1)"),
            ("href", "vbscript:x"),
            ("href", "data:text/html,x"),
            ("a b", "x"),
            ("1x", ""),
            ("srcdoc", "<script>x</script>"),
            ("formaction", "/x"),
            ("style", "x"),
            ("data-kairos-variant", "forged"),
        ] {
            assert!(!safe_attribute(n, v), "{n}={v:?}");
        }
        // An entity cannot smuggle a scheme: `&` is escaped, so the browser reads the text as written.
        assert!(safe_attribute("href", "javascript&#58;alert(1)"));
        assert_eq!(kairos::html::attr_text("javascript&#58;alert(1)"), "javascript&amp;#58;alert(1)");
    }

    #[test]
    fn garbage_input_never_panics() {
        let patches = patch_map(&[("hero", text_patch("v", "new"))]);
        for page in [
            &b"<div data-kairos-slot=hero"[..],
            b"\xff\xfe<<<>>>",
            b"<select><template><div data-kairos-slot=\"hero\">",
        ] {
            let _ = PageRewriter::rewrite_all(patches.clone(), page);
        }
    }
}
