//! Signed bundles from the command line (docs/signing.md): `kairos keygen`, `compile --sign KEYFILE`,
//! and `--public-key KEY` on the commands that load a bundle.

use crate::args::{flag, read, read_text};
use kairos::signing::{to_hex, PublicKey, SigningKey};
use kairos::Engine;
use std::io::Write;

/// `kairos keygen [-o PREFIX]`: PREFIX.key (the secret seed, mode 0600) and PREFIX.pub.
pub fn keygen(rest: &[String]) -> Result<String, String> {
    let prefix = flag(rest, &["-o", "--output"])?.unwrap_or("kairos-bundle");
    let key = SigningKey::generate();
    let public = key.public_key();
    let (secret_path, public_path) = (format!("{prefix}.key"), format!("{prefix}.pub"));
    // Neither file is ever overwritten: a lost secret key cannot be recovered.
    write_new(&secret_path, &format!("{}\n", key.seed_hex()), 0o600)?;
    write_new(&public_path, &format!("{}\n", public.to_hex()), 0o644)?;
    Ok(format!(
        "wrote {secret_path} (secret: keep it off web servers and out of version control) and {public_path}\n\
         public key: {}\nkey id: {}",
        public.to_hex(),
        to_hex(&public.id())
    ))
}

fn write_new(path: &str, text: &str, mode: u32) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| format!("{path}: {e}"))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("{path}: {e}"))
}

/// The compiled bundle, signed with `--sign KEYFILE` when given.
pub fn sign_if_asked(rest: &[String], bundle: Vec<u8>) -> Result<Vec<u8>, String> {
    let Some(path) = flag(rest, &["--sign"])? else { return Ok(bundle) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{path}: a secret key must be readable by its owner only (mode {:o}): chmod 600 {path}",
                mode & 0o777
            ));
        }
    }
    let key = SigningKey::parse(&read_text(path)?).map_err(|e| format!("{path}: {e}"))?;
    key.sign(&bundle).map_err(|e| format!("{path}: {e}"))
}

/// `--public-key KEY`: 64 hexadecimal digits, or a file holding them (PREFIX.pub).
pub fn public_key(rest: &[String]) -> Result<Option<PublicKey>, String> {
    let Some(value) = flag(rest, &["--public-key"])? else { return Ok(None) };
    if let Ok(key) = PublicKey::parse(value) {
        return Ok(Some(key));
    }
    let text = read_text(value).map_err(|e| format!("--public-key: not a key, nor a readable key file ({e})"))?;
    PublicKey::parse(&text).map(Some).map_err(|e| format!("--public-key {value}: {e}"))
}

/// The engine for `--bundle FILE`: rules JSON or a compiled bundle, signed or not; with
/// `--public-key`, only a bundle signed by that key.
pub fn load(rest: &[String], bundle: &str) -> Result<Engine, String> {
    let bytes = read(bundle)?;
    match public_key(rest)? {
        Some(key) => Engine::load_verified(&bytes, &key).map_err(|e| format!("{bundle}: {e} [{}]", e.code())),
        None => Engine::from_rules_or_bundle(&bytes).map_err(|e| format!("{bundle}: {e}")),
    }
}
