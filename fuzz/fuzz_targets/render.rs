//! Content templates with hostile values. The escaping invariant: whatever a value holds, the
//! characters that open or close markup (`<`, `>`, `"`, `'`, `` ` ``) in an HTML or URL field
//! come only from the template, never from the value. It is checked by rendering twice, once
//! with the fuzzed values and once with each value replaced by a plain `Z`: both renderings must
//! hold exactly as many of each of those characters.
//!
//! Two paths: `decide::substitute` called directly (every spot, even those the compiler refuses,
//! must stay escaped), and a whole bundle compiled and decided with the values in the context
//! (profile fields, a `decision.*` reference to another slot, `raw` on a literal var).

#![no_main]

use kairos::decide::substitute;
use kairos::json::{compile_json, parse_context};
use kairos::template::{self, Segment};
use kairos::Sink;
use kairos::{Engine, Options};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const MARKUP: [char; 5] = ['<', '>', '"', '\'', '`'];

/// Template pieces that reach the interesting HTML states.
const PIECES: &[&str] = &[
    "{{a}}",
    "{{ b | upper }}",
    "{{c|default(\"<d>\")}}",
    "{{profile.a}}",
    "{{profile.b | lower}}",
    "{{profile.n | money(\"USD\")}}",
    "{{profile.t | date(\"long\")}}",
    "{{decision.first.text}}",
    "{{lit | raw}}",
    "{{#if profile.a}}",
    "{{#if c}}",
    "{{else}}",
    "{{/if}}",
    "<p>",
    "</p>",
    "<a href=\"",
    "<a href='/p?q=",
    "<img src=\"",
    "<a title=\"",
    "<div class='",
    "\">",
    "'>",
    "\"",
    "'",
    ">",
    "<",
    "<script>",
    "</script>",
    "<style>",
    "</style >",
    "<textarea>",
    "<!--",
    "-->",
    "<!doctype html>",
    "<svg><set to=\"",
    "<a onclick=\"",
    "<a x/onclick=\"",
    "<iframe srcdoc=\"",
    "<b ",
    " data-x=",
    "=",
    "/",
    ":",
    "#",
    "?",
    "&amp;",
    "{{",
    "}}",
    " ",
    "\t",
    "x",
];

/// Values that try to break out of where they land.
const NASTY: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "data:text/html,<b>",
    "https://ok.example/?a=1&b=\"2\"",
    "`onmouseover=alert(1)",
    "{{a}}",
    "{{lit | raw}}",
    "</textarea><script>",
    "-->",
    "&lt;",
    "é€ご",
];

fn template_text(u: &mut Unstructured) -> Result<String> {
    let mut t = String::new();
    for _ in 0..u.int_in_range(0..=24u8)? {
        if u.ratio(1, 5)? {
            t.push_str(&u.arbitrary::<String>()?);
        } else {
            t.push_str(u.choose(PIECES)?);
        }
    }
    Ok(t)
}

fn value(u: &mut Unstructured) -> Result<String> {
    Ok(if u.arbitrary()? { u.arbitrary::<String>()? } else { (*u.choose(NASTY)?).to_owned() })
}

/// The value a rendering uses in place of `v` when checking: same truthiness, no markup.
fn plain(v: &str) -> &'static str {
    if v.is_empty() {
        ""
    } else {
        "Z"
    }
}

fn counts(s: &str) -> [usize; 5] {
    MARKUP.map(|c| s.chars().filter(|&x| x == c).count())
}

/// `decide::substitute` on its own: vars named as the compiler names them.
fn direct(u: &mut Unstructured, t: &str) -> Result<()> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut plain_vars: Vec<(String, String)> = Vec::new();
    for seg in template::segments(t) {
        let (inner, is_if) = match seg {
            Segment::Hole { inner, .. } => (inner, false),
            Segment::If(inner) => (inner, true),
            _ => continue,
        };
        let Ok(hole) = template::parse_hole(inner) else { continue };
        let name = if is_if { template::condition_var(&hole) } else { hole.canonical() };
        if vars.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let v = if is_if {
            if u.arbitrary()? {
                "true".to_owned()
            } else {
                String::new()
            }
        } else if hole.is_raw() {
            // `raw` writes its value as is, by design (and only for literal vars): not data.
            "Z".to_owned()
        } else {
            value(u)?
        };
        plain_vars.push((name.clone(), if is_if { v.clone() } else { plain(&v).to_owned() }));
        vars.push((name, v));
    }
    for sink in [Sink::Html, Sink::Url, Sink::Text] {
        let out = substitute(t, &vars, sink);
        if sink == Sink::Text {
            continue;
        }
        let expected = substitute(t, &plain_vars, sink);
        assert_eq!(
            counts(&out),
            counts(&expected),
            "{sink:?}: a value added markup\ntemplate {t:?}\nvars {vars:?}\nout {out:?}\nplain {expected:?}"
        );
    }
    Ok(())
}

/// The same through a compiled bundle and a decision.
fn compiled(u: &mut Unstructured, t: &str) -> Result<()> {
    let field = *u.choose(&["html", "href", "body_html", "image_url"])?;
    let rules = json!({
        "kairos": 1,
        "default_timezone": "Europe/Paris",
        "slots": {
            "first": {
                "default": { "id": "d1", "content": { "text": "plain" } },
                "variants": [ { "id": "v1", "content": { "text": "{{profile.b}}" } } ]
            },
            "second": {
                "default": { "id": "d2", "content": { "html": "<p>default</p>" } },
                "variants": [ {
                    "id": "v2",
                    "vars": { "a": { "var": "profile.a" }, "b": { "var": "profile.b" }, "c": { "var": "profile.c" },
                              "lit": "<em>bundle text</em>" },
                    "content": { field: t }
                } ]
            }
        }
    });
    let Ok(program) = compile_json(&rules.to_string()) else { return Ok(()) };
    let engine = Engine::new(program);
    let mut profile = serde_json::Map::new();
    let mut plain_profile = serde_json::Map::new();
    for key in ["a", "b", "c", "t"] {
        if u.ratio(7, 8)? {
            let v = value(u)?;
            plain_profile.insert(key.into(), json!(plain(&v)));
            profile.insert(key.into(), json!(v));
        }
    }
    let n = u.arbitrary::<i32>()?;
    profile.insert("n".into(), json!(n));
    plain_profile.insert("n".into(), json!(n));
    let render = |profile: serde_json::Map<String, Value>| -> Option<Value> {
        let ctx = json!({ "now": "2026-11-23T18:30:00Z", "consent": { "personalization": true }, "profile": profile });
        let ctx = parse_context(&ctx.to_string()).ok()?;
        let d = engine.decide(&ctx, Options::default());
        Some(serde_json::to_value(&d).expect("decision serialises")["slots"]["second"].clone())
    };
    let (Some(out), Some(expected)) = (render(profile.clone()), render(plain_profile)) else { return Ok(()) };
    if out["variant"] != expected["variant"] {
        // A hole went unknown one way and not the other (a value that is not a date, say).
        return Ok(());
    }
    let text = |v: &Value| v["content"][field].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        counts(&text(&out)),
        counts(&text(&expected)),
        "{field}: a context value added markup\ntemplate {t:?}\nprofile {profile:?}\nout {:?}\nplain {:?}",
        text(&out),
        text(&expected)
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(t) = template_text(&mut u) else { return };
    let _ = direct(&mut u, &t);
    let _ = compiled(&mut u, &t);
});
