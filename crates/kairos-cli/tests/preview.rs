//! `kairos preview` and `decide --preview`: tokens made with the site key force variants.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kairos(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kairos")).args(args).current_dir(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn site(name: &str) -> (PathBuf, String, String) {
    let dir = std::env::temp_dir().join(format!("kairos-preview-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    assert!(kairos(&["keygen", "-o", "site"], &dir).0);
    assert!(kairos(&["keygen", "-o", "other"], &dir).0);
    let rules = format!("{root}/examples/demo/rules.json");
    assert!(kairos(&["compile", &rules, "-o", "signed.bin", "--sign", "site.key"], &dir).0);
    (dir, rules, format!("{root}/examples/demo/context.json"))
}

fn slot(decision: &str, name: &str) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(decision).unwrap()["slots"][name].clone()
}

#[test]
fn a_token_forces_its_slots_in_decide_and_reads_back() {
    let (dir, rules, ctx) = site("forces");
    let (ok, token, err) = kairos(
        &["preview", "--key", "site.key", "--slot", "offer=propensity_override", "--slot", "hero=brand", "-b", &rules],
        &dir,
    );
    assert!(ok, "{err}");
    let token = token.trim();
    assert!(token.starts_with("kp1.") && token.contains(".offer~propensity_override~hero~brand."), "{token}");

    let decide = |extra: &[&str]| {
        let mut args = vec!["decide", "-b", "signed.bin", "-c", &ctx, "--public-key", "site.pub"];
        args.extend(extra);
        kairos(&args, &dir)
    };
    let (ok, plain, err) = decide(&[]);
    assert!(ok, "{err}");
    let (ok, forced, err) = decide(&["--preview", token]);
    assert!(ok, "{err}");
    assert_eq!(slot(&plain, "offer")["variant"], "evening_offer");
    assert_eq!(slot(&forced, "offer")["variant"], "propensity_override");
    assert_eq!(slot(&forced, "offer")["reason"], "forced");
    assert_eq!(slot(&forced, "hero")["variant"], "brand");
    assert_eq!(slot(&forced, "hero")["is_default"], true);
    assert_eq!(slot(&forced, "cta"), slot(&plain, "cta"), "an unforced slot decides as ever");

    let (ok, read, err) = kairos(&["preview", "--read", token, "--public-key", "site.pub"], &dir);
    assert!(ok, "{err}");
    let read: serde_json::Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read["slots"], serde_json::json!({"offer": "propensity_override", "hero": "brand"}));

    let (ok, _, err) = kairos(&["preview", "--read", token, "--public-key", "other.pub"], &dir);
    assert!(!ok && err.contains("error[E_PREVIEW]") && err.contains("another key"), "{err}");
    let tampered = token.replace("propensity_override", "evening_offer");
    let (ok, _, err) = decide(&["--preview", &tampered]);
    assert!(!ok && err.contains("error[E_PREVIEW]") && err.contains("does not match"), "{err}");

    let (ok, url, _) = kairos(
        &["preview", "--key", "site.key", "--slot", "cta=signup", "--url", "https://shop.example/p?x=1#top"],
        &dir,
    );
    assert!(ok);
    assert!(
        url.trim().starts_with("https://shop.example/p?x=1&kairos_preview=kp1.") && url.trim().ends_with("#top"),
        "{url}"
    );
}

#[test]
fn bad_previews_are_refused_with_what_to_write() {
    let (dir, rules, _) = site("refused");
    let cases: &[(&[&str], &str)] = &[
        (&["preview", "--key", "site.key", "--slot", "offer"], "SLOT=VARIANT"),
        (&["preview", "--key", "site.key", "--slot", "offer=x y"], "letters, digits"),
        (&["preview", "--key", "site.key", "--slot", "a=b", "--ttl", "8d"], "at most 7 days"),
        (
            &["preview", "--key", "site.key", "--slot", "offer=evening_ofer", "-b", &rules],
            "has no variant `evening_ofer`; it has none (default), evening_offer",
        ),
        (
            &["preview", "--key", "site.key", "--slot", "banner=x", "-b", &rules],
            "no slot `banner`; its slots are cta, hero, offer",
        ),
        (&["preview", "--slot", "a=b"], "--key"),
        (&["preview", "--read", "kp1.1.a~b.00"], "--public-key"),
    ];
    for (args, says) in cases {
        let (ok, _, err) = kairos(args, &dir);
        assert!(!ok && err.contains(says), "{args:?}: {err}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("site.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let (ok, _, err) = kairos(&["preview", "--key", "site.key", "--slot", "a=b"], &dir);
        assert!(!ok && err.contains("[E_KEY_MODE]"), "{err}");
    }
}
