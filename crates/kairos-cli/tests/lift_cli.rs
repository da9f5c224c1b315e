//! `kairos lift` end to end through the CLI: the report's JSON shape, the table, and bad lines.

mod support;

use support::kairos;

fn exposure(who: &str, at: i64, variant: &str, holdout: bool) -> String {
    format!(
        r#"{{"type":"track","event":"Experiment Viewed","anonymousId":"{who}","timestamp":{at},"messageId":"m-{who}","properties":{{"experiment_id":"holdout-lift:hero","variation_id":"{variant}","slot":"hero","variant":"{variant}","reason":"rule","holdout":{holdout},"bundle_id":"b","surface":"edge"}}}}"#
    )
}

/// 100 visitors, 10 held out (as the bundle's 10 %): 1 of 10 held out and 27 of 90 treated convert.
fn log() -> String {
    let mut lines = Vec::new();
    for i in 0..100 {
        let holdout = i < 10;
        lines.push(exposure(&format!("v{i}"), i, if holdout { "brand_hero" } else { "personal_picks" }, holdout));
    }
    for i in (0..10).take(1).chain(10..37) {
        lines.push(format!(r#"{{"type":"track","event":"Order Completed","anonymousId":"v{i}","timestamp":{},"properties":{{"revenue":20}}}}"#, 1000 + i));
    }
    lines.join("\n") + "\n"
}

#[test]
fn json_table_and_bad_lines() {
    let path = std::env::temp_dir().join(format!("kairos-lift-cli-{}.ndjson", std::process::id()));
    std::fs::write(&path, log()).unwrap();
    let p = path.to_str().unwrap();
    let bundle = "examples/scenarios/19-holdout.json";
    let (ok, json, err) =
        kairos(&["lift", "--bundle", bundle, "--events", p, "--conversion", "Order Completed", "-f", "json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let hero = &v["slots"]["hero"];
    assert_eq!((hero["holdout"]["visitors"].as_u64(), hero["holdout"]["conversions"].as_u64()), (Some(10), Some(1)));
    assert_eq!((hero["treated"]["visitors"].as_u64(), hero["treated"]["conversions"].as_u64()), (Some(90), Some(27)));
    assert!((hero["lift_abs"].as_f64().unwrap() - 0.2).abs() < 1e-12, "0.3 − 0.1");
    assert!((hero["lift_rel"].as_f64().unwrap() - 2.0).abs() < 1e-12, "0.3 / 0.1 − 1");
    assert_eq!(hero["lift_abs_ci95"].as_array().unwrap().len(), 2);
    assert!((hero["srm_p"].as_f64().unwrap() - 1.0).abs() < 1e-12, "exactly the bundle's 10 %");
    assert_eq!(hero["variants"]["personal_picks"]["conversions"].as_u64(), Some(27));
    assert!(hero["holdout"].get("value_per_visitor").is_none(), "no value without --value");

    let (ok, table, err) =
        kairos(&["lift", "--bundle", bundle, "--events", p, "--conversion", "order_completed", "--value", "revenue"]);
    assert!(ok, "{err}");
    assert!(table.starts_with("slot hero (SRM p = 1.0000)"), "{table}");
    assert!(table.contains("+20.00") && table.contains("personal_picks"), "{table}");

    let (ok, svg, err) =
        kairos(&["lift", "--bundle", bundle, "--events", p, "--conversion", "Order Completed", "-f", "svg"]);
    assert!(ok, "{err}");
    assert!(svg.starts_with("<svg ") && svg.contains("slot hero") && svg.contains("personal_picks"), "{svg}");

    std::fs::write(&path, log() + "{broken\n").unwrap();
    let (ok, _, err) = kairos(&["lift", "--bundle", bundle, "--events", p, "--conversion", "Order Completed"]);
    assert!(!ok);
    assert!(err.contains("E_EVENT_LOG") && err.contains("line 129"), "{err}");
    let (ok, table, err) =
        kairos(&["lift", "--bundle", bundle, "--events", p, "--conversion", "Order Completed", "--skip-bad"]);
    assert!(ok, "{err}");
    assert!(table.contains("1 bad lines") && table.contains("line 129, column 2: expected a key"), "{table}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn gen_exposures_then_lift() {
    let path = std::env::temp_dir().join(format!("kairos-gen-exposures-{}.ndjson", std::process::id()));
    let p = path.to_str().unwrap();
    let bundle = "examples/demo/rules.json";
    let gen = ["gen", "--exposures", "--bundle", bundle, "--customers", "3000", "--days", "3", "--seed", "4"];
    let (ok, said, err) = kairos(&[&gen[..], &["--lift", "0.02", "-o", p]].concat());
    assert!(ok, "{err}");
    // "wrote …: N lines, V visitors (H in the holdout), …; true lift +2.00 pts (+40.0%)"
    let number_before = |marker: &str| -> u64 {
        let head = &said[..said.find(marker).unwrap()];
        head.rsplit(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).unwrap().parse().unwrap()
    };
    let (visitors, holdout) = (number_before(" visitors"), number_before(" in the holdout"));
    assert!(said.trim_end().ends_with("true lift +2.00 pts (+40.0%)"), "{said}");
    let (ok, json, err) =
        kairos(&["lift", "--bundle", bundle, "--events", p, "--conversion", "order_completed", "-f", "json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["visitors"].as_u64(), Some(visitors));
    for slot in ["cta", "hero", "offer"] {
        let s = &v["slots"][slot];
        assert_eq!(s["holdout"]["visitors"].as_u64(), Some(holdout), "{slot}");
        assert_eq!(s["treated"]["visitors"].as_u64(), Some(visitors - holdout), "{slot}");
    }
    // The same seed, the same bytes.
    let first = std::fs::read(&path).unwrap();
    assert!(kairos(&[&gen[..], &["--lift", "0.02", "-o", p]].concat()).0);
    assert_eq!(std::fs::read(&path).unwrap(), first);
    let _ = std::fs::remove_file(&path);
    // Experiment options need --exposures; an impossible rate is a usage error.
    let (ok, _, err) = kairos(&["gen", "--customers", "5", "--days", "1", "--lift", "0.1"]);
    assert!(!ok && err.contains("E_USAGE") && err.contains("--exposures"), "{err}");
    let (ok, _, err) = kairos(&[&gen[..], &["--base-rate", "0.5", "--lift", "0.6"]].concat());
    assert!(!ok && err.contains("E_USAGE") && err.contains("between 0 and 1"), "{err}");
}
