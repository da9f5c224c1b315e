//! Signed bundles (docs/signing.md): the fixed vector, every way a signature can be wrong, and
//! the CLI's keygen / compile --sign / decide --public-key.

use kairos::json::{compile_json, decision_to_json, parse_context};
use kairos::signing::{self, from_hex, to_hex, PublicKey, SigningKey};
use kairos::{Engine, LoadError, Options};
use std::process::Command;

fn vector() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../tests/vectors/signing.json")).unwrap()
}

fn hex(v: &serde_json::Value, field: &str) -> Vec<u8> {
    let text = v[field].as_str().unwrap();
    text.as_bytes().chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed([n; 32]).unwrap()
}

fn demo() -> Vec<u8> {
    compile_json(include_str!("../../../examples/demo/rules.json")).unwrap().to_bytes()
}

fn code(r: Result<Engine, LoadError>) -> &'static str {
    r.map(|_| "ok").unwrap_or_else(|e| e.code().as_str())
}

#[test]
fn the_fixed_vector_holds_and_is_the_one_documented() {
    let v = vector();
    let seed = from_hex::<32>(v["seed"].as_str().unwrap()).unwrap();
    let sk = SigningKey::from_seed(seed).unwrap();
    let pk = sk.public_key();
    assert_eq!(pk.to_hex(), v["public_key"].as_str().unwrap());
    assert_eq!(to_hex(&pk.id()), v["key_id"].as_str().unwrap());
    // The bundle is what today's compiler makes of the rules (a format change needs a new vector).
    let bundle = compile_json(v["rules"].as_str().unwrap()).unwrap().to_bytes();
    assert_eq!(bundle, hex(&v, "bundle"));
    let envelope = sk.sign(&bundle).unwrap();
    assert_eq!(envelope, hex(&v, "envelope"), "signing is deterministic (RFC 8032)");
    assert_eq!(&envelope[18..82], &hex(&v, "signature")[..]);
    assert_eq!(pk.verify(&envelope).unwrap(), &bundle[..]);
    let engine = Engine::load_verified(&envelope, &PublicKey::parse(v["public_key"].as_str().unwrap()).unwrap());
    assert_eq!(engine.unwrap().program.slots[0].name, "hero");
    // docs/signing.md quotes these very values.
    let docs = include_str!("../../../docs/signing.md");
    for field in ["seed", "public_key", "key_id", "signature"] {
        assert!(docs.contains(v[field].as_str().unwrap()), "docs/signing.md lacks the vector's {field}");
    }
    let bundle_hex = v["bundle"].as_str().unwrap();
    assert!(docs.contains(bundle_hex), "docs/signing.md lacks the vector's bundle");
}

#[test]
fn a_valid_signature_loads_and_decides_like_the_unsigned_bundle() {
    let bundle = demo();
    let signed = key(1).sign(&bundle).unwrap();
    assert_eq!(signed.len(), bundle.len() + signing::HEADER_LEN);
    let ctx = parse_context(include_str!("../../../examples/demo/context.json")).unwrap();
    let decide = |e: Engine| decision_to_json(&e.decide(&ctx, Options::explaining(true)));
    let plain = decide(Engine::load(&bundle).unwrap());
    assert_eq!(decide(Engine::load_verified(&signed, &key(1).public_key()).unwrap()), plain);
    // No key required: a signed bundle loads like any other, through every loader.
    assert_eq!(decide(Engine::load(&signed).unwrap()), plain);
    assert_eq!(decide(Engine::from_rules_or_bundle(&signed).unwrap()), plain);
}

#[test]
fn another_key_is_refused() {
    let signed = key(1).sign(&demo()).unwrap();
    let err = Engine::load_verified(&signed, &key(2).public_key()).unwrap_err();
    assert_eq!(err.code(), "E_BUNDLE_KEY");
    let (one, two) = (to_hex(&key(1).public_key().id()), to_hex(&key(2).public_key().id()));
    assert_eq!(err, LoadError::WrongKey { found: one, expected: two });
    // The key id is only a name: an envelope relabelled with the right id still fails to verify.
    let mut relabelled = signed.clone();
    relabelled[10..18].copy_from_slice(&key(2).public_key().id());
    assert_eq!(code(Engine::load_verified(&relabelled, &key(2).public_key())), "E_BUNDLE_SIGNATURE");
}

#[test]
fn every_flipped_bit_is_refused() {
    // The vector's envelope is small enough to flip every bit of it.
    let envelope = hex(&vector(), "envelope");
    let pk = PublicKey::parse(vector()["public_key"].as_str().unwrap()).unwrap();
    for i in 0..envelope.len() {
        for bit in 0..8 {
            let mut b = envelope.clone();
            b[i] ^= 1 << bit;
            let got = code(Engine::load_verified(&b, &pk));
            let want: &[&str] = match i {
                0..=8 => &["E_BUNDLE_UNSIGNED"], // magic: no longer an envelope
                9 => &["E_BUNDLE_SIGNATURE"],    // version
                10..=17 => &["E_BUNDLE_KEY"],    // key id
                _ => &["E_BUNDLE_SIGNATURE"],    // signature or bundle
            };
            assert!(want.contains(&got), "byte {i} bit {bit}: {got}");
        }
    }
}

#[test]
fn a_flipped_bit_in_a_large_bundle_or_its_signature_is_refused() {
    let signed = key(3).sign(&demo()).unwrap();
    let pk = key(3).public_key();
    for i in [signing::HEADER_LEN + 20, signed.len() / 2, signed.len() - 1, 18, 50, 81] {
        let mut b = signed.clone();
        b[i] ^= 0x10;
        assert_eq!(code(Engine::load_verified(&b, &pk)), "E_BUNDLE_SIGNATURE", "byte {i}");
    }
}

#[test]
fn truncated_envelopes_are_refused_with_or_without_a_key() {
    let signed = key(4).sign(&demo()).unwrap();
    let pk = key(4).public_key();
    for len in 0..signed.len() {
        let cut = &signed[..len];
        let want = match len {
            0..=8 => "E_BUNDLE_UNSIGNED",
            _ => "E_BUNDLE_SIGNATURE",
        };
        assert_eq!(code(Engine::load_verified(cut, &pk)), want, "{len} bytes");
        // Without a key the header is still checked, and the inner bundle is checked as always.
        if len >= signing::MAGIC.len() {
            assert!(Engine::load(cut).is_err(), "{len} bytes loaded unverified");
        }
    }
}

#[test]
fn an_unsigned_bundle_is_refused_when_a_key_is_required() {
    let pk = key(5).public_key();
    assert_eq!(Engine::load_verified(&demo(), &pk).unwrap_err(), LoadError::Unsigned);
    assert_eq!(code(Engine::load_verified(b"{\"kairos\": 1}", &pk)), "E_BUNDLE_UNSIGNED");
    assert_eq!(code(Engine::load_verified(b"", &pk)), "E_BUNDLE_UNSIGNED");
}

#[test]
fn envelopes_do_not_nest_and_keys_are_checked() {
    let signed = key(6).sign(&demo()).unwrap();
    assert_eq!(key(6).sign(&signed).unwrap_err().code(), "E_BUNDLE_SIGNATURE");
    // An envelope hand-built around another envelope, validly signed, is still refused.
    let mut outer = signing::MAGIC.to_vec();
    outer.push(signing::VERSION);
    outer.extend_from_slice(&[0; 72]);
    outer.extend_from_slice(&signed);
    assert!(Engine::load(&outer).unwrap_err().to_string().contains("inside a signed envelope"));
    // Keys: length, hex, and weak (small-order) points.
    assert!(PublicKey::parse("abcd").is_err());
    assert!(PublicKey::parse(&"zz".repeat(32)).is_err());
    let identity = format!("01{}", "00".repeat(31));
    assert!(PublicKey::parse(&identity).unwrap_err().to_string().contains("not a valid"));
    assert!(SigningKey::from_seed([0; 32]).is_err());
    assert_eq!(SigningKey::parse(&key(7).seed_hex()).unwrap().public_key(), key(7).public_key());
}

// ---- the CLI ----------------------------------------------------------------------------------

fn kairos(args: &[&str], dir: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kairos")).args(args).current_dir(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn cli_keygen_sign_and_require_a_signature() {
    let dir = std::env::temp_dir().join(format!("kairos-signing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let rules = format!("{root}/examples/demo/rules.json");
    let ctx = format!("{root}/examples/demo/context.json");

    let (ok, out, err) = kairos(&["keygen", "-o", "site"], &dir);
    assert!(ok, "{err}");
    let public = std::fs::read_to_string(dir.join("site.pub")).unwrap();
    assert!(out.contains(public.trim()), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("site.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!kairos(&["keygen", "-o", "site"], &dir).0, "an existing key is never overwritten");
    assert!(kairos(&["keygen", "-o", "other"], &dir).0);

    assert!(kairos(&["compile", &rules, "-o", "signed.bin", "--sign", "site.key"], &dir).0);
    assert!(kairos(&["compile", &rules, "-o", "plain.bin"], &dir).0);
    let decide = |bundle: &str, key: Option<&str>| {
        let mut args = vec!["decide", "--bundle", bundle, "--context", &ctx];
        if let Some(k) = key {
            args.extend(["--public-key", k]);
        }
        kairos(&args, &dir)
    };
    let plain = decide("plain.bin", None);
    assert!(plain.0);
    // The key as a file or as hex; without --public-key the signed bundle loads too.
    assert_eq!(decide("signed.bin", Some("site.pub")).1, plain.1);
    assert_eq!(decide("signed.bin", Some(public.trim())).1, plain.1);
    assert_eq!(decide("signed.bin", None).1, plain.1);
    let (ok, _, err) = decide("signed.bin", Some("other.pub"));
    assert!(!ok && err.contains("[E_BUNDLE_KEY]"), "{err}");
    let (ok, _, err) = decide("plain.bin", Some("site.pub"));
    assert!(!ok && err.contains("[E_BUNDLE_UNSIGNED]"), "{err}");
    let (ok, _, err) = decide(&rules, Some("site.pub"));
    assert!(!ok && err.contains("[E_BUNDLE_UNSIGNED]"), "rules JSON is not a signed bundle: {err}");
    let mut tampered = std::fs::read(dir.join("signed.bin")).unwrap();
    let last = tampered.len() - 5;
    tampered[last] ^= 1;
    std::fs::write(dir.join("tampered.bin"), tampered).unwrap();
    let (ok, _, err) = decide("tampered.bin", Some("site.pub"));
    assert!(!ok && err.contains("[E_BUNDLE_SIGNATURE]"), "{err}");
    assert!(!decide("signed.bin", Some("nonsense")).0);

    // render and rewrite take --public-key too.
    let page = format!("{root}/examples/edge/page.html");
    assert!(
        kairos(&["rewrite", "--bundle", "signed.bin", "--context", &ctx, "--public-key", "site.pub", &page], &dir).0
    );
    assert!(
        !kairos(&["rewrite", "--bundle", "plain.bin", "--context", &ctx, "--public-key", "site.pub", &page], &dir).0
    );

    // A secret key others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("site.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let (ok, _, err) = kairos(&["compile", &rules, "-o", "x.bin", "--sign", "site.key"], &dir);
        assert!(!ok && err.contains("chmod 600"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
