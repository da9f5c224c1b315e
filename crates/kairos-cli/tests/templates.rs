//! Content templates end to end: holes over context paths and vars, filters, conditionals,
//! context-aware escaping (with OWASP filter-evasion payloads in every position), and
//! compile-time errors with their location.

use kairos::json::{compile_json, parse_context};
use kairos::{Engine, Options};
use serde_json::{json, Value};

fn bundle(content: Value) -> Value {
    json!({
        "kairos": 1,
        "default_timezone": "Europe/Paris",
        "slots": { "email_body": {
            "default": { "id": "generic", "content": { "text": "Your wallet is ready" } },
            "variants": [ {
                "id": "live", "priority": 1, "when": { "eq": [1, 1] },
                "vars": { "amount": { "last": { "event": "deposit_started", "within": "7d", "prop": "amount" } } },
                "content": content
            } ]
        } }
    })
}

fn render(content: Value, ctx: Value) -> Value {
    let engine = Engine::new(compile_json(&bundle(content).to_string()).unwrap());
    let ctx = parse_context(&ctx.to_string()).unwrap();
    let d = engine.decide(&ctx, Options::default());
    let slot = &serde_json::to_value(&d).unwrap()["slots"]["email_body"];
    slot.clone()
}

fn ctx(profile: Value) -> Value {
    json!({
        "now": "2026-11-23T18:30:00Z",
        "customer_id": "c1",
        "consent": { "personalization": true },
        "profile": profile,
        "events": [ { "e": "deposit_started", "p": { "amount": 250 }, "t": "2026-11-23T18:00:00Z" } ]
    })
}

#[test]
fn filters_paths_and_vars() {
    let slot = render(
        json!({
            "subject": "Finish your {{amount | money(\"USD\")}} deposit",
            "body": "Balance {{ profile.balance | money(\"EUR\") }}, tier {{profile.tier | upper}}, since {{profile.joined | date(\"long\")}}, points {{profile.points | number}}",
            "html": "<p>Hi {{profile.name | default(\"there\")}}</p>"
        }),
        ctx(json!({ "balance": 1234.5, "tier": "gold", "joined": "2026-11-23T23:30:00Z", "points": 1234567 })),
    );
    assert_eq!(slot["variant"], "live");
    assert_eq!(slot["content"]["subject"], "Finish your $250.00 deposit");
    // 23:30 UTC is already Tuesday in Paris, the bundle's zone.
    assert_eq!(
        slot["content"]["body"],
        "Balance €1,234.50, tier GOLD, since Tuesday 24 November 2026, points 1,234,567"
    );
    assert_eq!(slot["content"]["html"], "<p>Hi there</p>");
}

#[test]
fn a_missing_value_without_default_falls_back_to_the_slot_default() {
    let slot = render(json!({ "text": "Balance {{profile.balance | money(\"USD\")}}" }), ctx(json!({})));
    assert_eq!(slot["variant"], "generic");
    assert_eq!(slot["is_default"], true);
}

#[test]
fn conditionals() {
    let content = json!({ "html": "<p>{{#if profile.vip}}<b>VIP</b> {{profile.name}}{{else}}Member{{#if profile.new}} (new){{/if}}{{/if}}</p>" });
    let vip = render(content.clone(), ctx(json!({ "vip": true, "name": "Ana" })));
    assert_eq!(vip["content"]["html"], "<p><b>VIP</b> Ana</p>");
    let member = render(content.clone(), ctx(json!({ "vip": false, "new": 1, "name": "Ana" })));
    assert_eq!(member["content"]["html"], "<p>Member (new)</p>");
    // An unknown condition is false; the hole in the untaken branch does not need a value.
    let unknown = render(content, ctx(json!({})));
    assert_eq!(unknown["variant"], "generic", "profile.name is a hole of the variant, so it is still required");
    let only_if = render(json!({ "text": "{{#if profile.vip}}VIP{{else}}Member{{/if}}" }), ctx(json!({})));
    assert_eq!(only_if["content"]["text"], "Member");
}

/// OWASP XSS filter-evasion cheat sheet payloads (a representative set).
const PAYLOADS: &[&str] = &[
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "\\<a onmouseover=\"alert(document.cookie)\"\\>xxs link\\</a\\>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "jav\tascript:alert('XSS');",
    "jav&#x09;ascript:alert('XSS');",
    "jav&#x0A;ascript:alert('XSS');",
    " &#14;  javascript:alert('XSS');",
    "<SCRIPT/XSS SRC=\"http://xss.example/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "\"><script>alert(1)</script>",
    "' onmouseover='alert(1)",
    "\" onfocus=\"alert(1)\" autofocus=\"",
    "x onmouseover=alert(1)",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<svg/onload=alert('XSS')>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K",
    "vbscript:msgbox(\"XSS\")",
    "`onmouseover=alert(1)`",
];

#[test]
fn xss_payloads_in_every_position() {
    let html = "<p>{{profile.x}}</p><a title=\"{{profile.x}}\" data-q='{{profile.x}}' class=\"{{profile.x}}\" href=\"{{profile.x}}\">x</a><a href=\"/search?q={{profile.x}}\">y</a><img alt=\"{{profile.x}}\" src=\"{{profile.x}}\">";
    let content = json!({ "html": html, "text": "{{profile.x}}", "href": "/go?to={{profile.x}}", "image_url": "https://cdn.example/{{profile.x}}" });
    for payload in PAYLOADS {
        let slot = render(content.clone(), ctx(json!({ "x": payload })));
        assert_eq!(slot["variant"], "live");
        let out = slot["content"]["html"].as_str().unwrap();
        // Every tag and quote in the output is the template's own: the payload adds none.
        let tags = |s: &str| s.matches('<').count();
        assert_eq!(tags(out), tags(html), "{payload:?} → {out}");
        assert_eq!(out.matches('"').count(), html.matches('"').count(), "{payload:?} → {out}");
        assert_eq!(out.matches('\'').count(), html.matches('\'').count(), "{payload:?} → {out}");
        assert!(!out.contains('`'), "{payload:?} → {out}");
        // Same tags and attribute names as with a harmless value: nothing injected.
        let harmless = render(content.clone(), ctx(json!({ "x": "ok" })));
        assert_eq!(skeleton(out), skeleton(harmless["content"]["html"].as_str().unwrap()), "{payload:?} → {out}");
        // A whole-URL hole keeps only safe schemes, judged without the characters browsers ignore.
        let href = out.split("href=\"").nth(1).unwrap().split('"').next().unwrap();
        let squeezed: String =
            href.chars().filter(|c| !c.is_ascii_control() && *c != ' ').collect::<String>().to_lowercase();
        for scheme in ["javascript:", "vbscript:", "data:"] {
            assert!(!squeezed.starts_with(scheme), "{payload:?} → href {href}");
        }
        // URL fields percent-encode the value as one component.
        let go = slot["content"]["href"].as_str().unwrap();
        assert!(go["/go?to=".len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)), "{go}");
        // Plain text is left for the surface to set as text (escaped there).
        assert_eq!(slot["content"]["text"], *payload);
    }
}

/// The markup with text and quoted attribute values emptied: tag and attribute names only.
fn skeleton(html: &str) -> String {
    let (mut out, mut in_tag, mut quote) = (String::new(), false, None::<char>);
    for c in html.chars() {
        match (in_tag, quote, c) {
            (true, Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (true, Some(_), _) => {}
            (true, None, '"' | '\'') => {
                quote = Some(c);
                out.push(c);
            }
            (true, None, '>') => {
                in_tag = false;
                out.push(c);
            }
            (false, _, '<') => {
                in_tag = true;
                out.push(c);
            }
            (true, None, c) => out.push(c),
            (false, _, _) => {}
        }
    }
    out
}

fn compile_error(content: Value) -> kairos::CompileError {
    compile_json(&serde_json::to_string_pretty(&bundle(content)).unwrap()).unwrap_err()
}

#[test]
fn template_mistakes_fail_at_compile_time_with_their_location() {
    let e = compile_error(json!({ "text": "Balance {{profile.balance | monee(\"USD\")}}" }));
    assert_eq!(e.code, "E_TEMPLATE");
    assert_eq!(e.at.path, "slots.email_body.variants[0].content.text");
    assert!(e.at.line > 0 && e.message.contains("did you mean `money`"), "{e}");

    let e = compile_error(json!({ "text": "{{sesion.device}}" }));
    assert_eq!(e.code, "E_UNKNOWN_SIGNAL");
    assert!(e.message.contains("session.device"), "{e}");
    assert!(e.at.path.starts_with("slots.email_body.variants[0].content.text"), "{}", e.at.path);

    let e = compile_error(json!({ "text": "{{amont}}" }));
    assert_eq!(e.code, "E_UNKNOWN_VAR");
    assert!(e.message.contains("did you mean `amount`"), "{e}");

    for (html, code) in [
        ("<a onclick=\"go({{amount}})\">x</a>", "E_TEMPLATE_CONTEXT"),
        ("<script>var a = {{amount}};</script>", "E_TEMPLATE_CONTEXT"),
        ("<div style=\"color: {{amount}}\">", "E_TEMPLATE_CONTEXT"),
        ("<{{amount}}>", "E_TEMPLATE_CONTEXT"),
        ("<a {{amount}}>", "E_TEMPLATE_CONTEXT"),
        ("<!-- {{amount}} -->", "E_TEMPLATE_CONTEXT"),
        ("<a title=\"{{amount | raw}}\">", "E_TEMPLATE_CONTEXT"),
        ("<p>{{profile.bio | raw}}</p>", "E_TEMPLATE_CONTEXT"),
        ("<p>{{amount | raw}}</p>", "E_TEMPLATE_CONTEXT"),
        ("<img src={{amount}}>", "E_TEMPLATE_CONTEXT"),
        ("<img alt=x{{amount}}>", "E_TEMPLATE_CONTEXT"),
        ("<iframe srcdoc=\"{{amount}}\"></iframe>", "E_TEMPLATE_CONTEXT"),
        ("<a x/onclick=\"{{amount}}\">", "E_TEMPLATE_CONTEXT"),
        ("<a href=\"{{profile.s}}://{{profile.h}}\">", "E_TEMPLATE_CONTEXT"),
        ("<a href=\"{{profile.s}}:alert(1)\">", "E_TEMPLATE_CONTEXT"),
        ("<script>x</scripty>{{amount}}", "E_TEMPLATE_CONTEXT"),
        ("<noembed>{{amount}}</noembed>", "E_TEMPLATE_CONTEXT"),
        ("{{#if amount}}<a title=\"{{/if}}\">", "E_TEMPLATE"),
        ("{{#if amount}}open", "E_TEMPLATE"),
    ] {
        let e = compile_error(json!({ "html": html }));
        assert_eq!(e.code, code, "{html}: {e}");
    }
    let e = compile_error(json!({ "text": "{{amount | raw}}" }));
    assert_eq!(e.code, "E_TEMPLATE_CONTEXT");
    let e = compile_error(json!({ "href": "{{profile.s}}:{{profile.h}}" }));
    assert_eq!(e.code, "E_TEMPLATE_CONTEXT", "{e}");
    // A literal scheme, or a colon after the path starts, is fine.
    assert!(compile_json(&bundle(json!({ "href": "https://a.example/{{amount}}?t=10:30" })).to_string()).is_ok());
    assert!(compile_json(&bundle(json!({ "html": "<a href=\"/p/{{amount}}?t=10:30\">x</a>" })).to_string()).is_ok());

    // Defaults render without data, so they cannot hold templates.
    let mut b = bundle(json!({ "text": "x" }));
    b["slots"]["email_body"]["default"]["content"] = json!({ "text": "Hi {{profile.name}}" });
    let e = compile_json(&b.to_string()).unwrap_err();
    assert_eq!(e.code, "E_TEMPLATE");
    assert_eq!(e.at.path, "slots.email_body.default.content.text");
}

#[test]
fn raw_only_for_the_bundles_own_literal_text() {
    let mut b = bundle(json!({ "html": "<div>{{snippet | raw}}</div><p>{{snippet}}</p>" }));
    b["slots"]["email_body"]["variants"][0]["vars"]["snippet"] = json!("<b>bold</b>");
    let engine = Engine::new(compile_json(&b.to_string()).unwrap());
    let d = engine.decide(&parse_context(&ctx(json!({})).to_string()).unwrap(), Options::default());
    let html = serde_json::to_value(&d).unwrap()["slots"]["email_body"]["content"]["html"].clone();
    assert_eq!(html, "<div><b>bold</b></div><p>&lt;b&gt;bold&lt;/b&gt;</p>");
}

#[test]
fn safe_urls_and_attribute_values_survive_escaping() {
    let slot = render(
        json!({ "html": "<a class=\"{{profile.tier}}\" href=\"{{profile.link}}\" title='{{profile.tier}}'>go</a>" }),
        ctx(json!({ "tier": "gold", "link": "https://shop.example/a?b=1&c=2" })),
    );
    assert_eq!(
        slot["content"]["html"],
        "<a class=\"gold\" href=\"https://shop.example/a?b=1&amp;c=2\" title='gold'>go</a>"
    );
}

#[test]
fn the_triggering_event_is_a_template_source() {
    let mut c = ctx(json!({ "balance": 80 }));
    c["event"] = json!({ "e": "deposit_started", "p": { "amount": 120.5 }, "t": "2026-11-23T18:00:00Z" });
    let slot = render(
        json!({ "text": "You started {{event.amount | money(\"USD\")}}; balance {{profile.balance | money(\"USD\")}}" }),
        c,
    );
    assert_eq!(slot["content"]["text"], "You started $120.50; balance $80.00");
    // No triggering event: the variant cannot fill its hole, so the slot's default is sent.
    let slot = render(json!({ "text": "You started {{event.amount | money(\"USD\")}}" }), ctx(json!({})));
    assert_eq!(slot["variant"], "generic");
}

#[test]
fn kairos_render_prints_the_fragment_with_the_balance_at_opening() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let rules = format!("{root}/examples/email/rules.json");
    let mut context: Value = serde_json::from_str(include_str!("../../../examples/email/context.json")).unwrap();
    let mut opened = Vec::new();
    for balance in [12.4, 31.0] {
        context["profile"]["balance"] = json!(balance);
        let path = std::env::temp_dir().join(format!("kairos-render-{}-{balance}.json", std::process::id()));
        std::fs::write(&path, context.to_string()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kairos"))
            .args(["render", "--bundle", &rules, "--context", path.to_str().unwrap(), "--slot", "email_body"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        opened.push(String::from_utf8(out.stdout).unwrap());
    }
    assert!(
        opened[0].contains("deposit of <b>$120.00</b>") && opened[0].contains("we add <b>$60.00</b>"),
        "{}",
        opened[0]
    );
    assert!(opened[0].contains("balance right now: $12.40."));
    assert!(opened[1].contains("balance right now: $31.00."), "the second opening shows the new balance");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_kairos"))
        .args([
            "render",
            "--bundle",
            &rules,
            "--context",
            &format!("{root}/examples/email/context.json"),
            "--slot",
            "hero",
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no slot `hero`; the bundle has: email_body"));
}

#[test]
fn another_slots_decision_and_scores_fill_holes() {
    let rules = json!({
        "kairos": 1,
        "slots": {
            "email_body": { "default": { "id": "generic", "content": { "text": "Hello" } }, "variants": [ {
                "id": "with_offer", "priority": 1, "when": { "eq": [1, 1] },
                "content": { "html": "<p>Use {{decision.offer.code}} ({{decision.offer.percent | default(\"some\")}}% off){{#if decision.offer.code}}!{{/if}} Score {{scores.ltv | number(1)}}</p>" }
            } ] },
            "offer": { "default": { "id": "none", "content": { "label": "none" } }, "variants": [ {
                "id": "code", "priority": 1, "when": { "gt": [ { "var": "profile.balance" }, 10 ] },
                "vars": { "who": { "var": "profile.name" } },
                "content": { "code": "SAVE<{{who}}>", "percent": 15 }
            } ] }
        }
    });
    let engine = Engine::new(compile_json(&rules.to_string()).unwrap());
    let decide = |profile: Value| {
        let c = json!({ "now": 1000, "consent": { "personalization": true }, "profile": profile,
                         "scores": { "ltv": { "value": 1234.56, "computed_at": 0 } } });
        serde_json::to_value(engine.decide(&parse_context(&c.to_string()).unwrap(), Options::default())).unwrap()
    };
    let d = decide(json!({ "balance": 20, "name": "A&B" }));
    assert_eq!(d["slots"]["email_body"]["content"]["html"], "<p>Use SAVE&lt;A&amp;B&gt; (15% off)! Score 1,234.6</p>");
    // The offer slot shows its default, which has no `code`: the body cannot be filled, so it falls back.
    let d = decide(json!({ "balance": 5, "name": "A" }));
    assert_eq!(d["slots"]["email_body"]["variant"], "generic");

    let mut bad = rules.clone();
    bad["slots"]["email_body"]["variants"][0]["content"]["html"] = json!("{{decision.ofer.code}}");
    let e = compile_json(&bad.to_string()).unwrap_err();
    assert_eq!(e.code, "E_UNKNOWN_SLOT");
    assert!(e.message.contains("did you mean `offer`"), "{e}");
    bad["slots"]["email_body"]["variants"][0]["content"]["html"] = json!("{{decision.offer.cod}}");
    let e = compile_json(&bad.to_string()).unwrap_err();
    assert_eq!(e.code, "E_UNKNOWN_FIELD");
    assert!(e.message.contains("did you mean `code`"), "{e}");
    bad["slots"]["email_body"]["variants"][0]["content"]["html"] = json!("<p>{{decision.offer.code | raw}}</p>");
    assert_eq!(compile_json(&bad.to_string()).unwrap_err().code, "E_TEMPLATE_CONTEXT");
    bad["slots"]["email_body"]["variants"][0]["content"]["html"] = json!("{{decision.email_body.html}}");
    assert_eq!(compile_json(&bad.to_string()).unwrap_err().code, "E_TEMPLATE");
}
