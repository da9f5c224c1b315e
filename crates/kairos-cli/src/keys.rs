//! Signed bundles from the command line (docs/signing.md): `kairos keygen`, `compile --sign KEYFILE`,
//! and `--public-key KEY` on the commands that load a bundle.

use crate::args::read_text;
use crate::error::{CliError, Result, E_IO, E_KEY_MODE};
use kairos::signing::{to_hex, KeyError, PublicKey, SigningKey};
use std::io::Write;

/// `kairos keygen [-o PREFIX]`: PREFIX.key (the secret seed, mode 0600) and PREFIX.pub.
pub fn keygen(prefix: &str) -> Result<String> {
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

fn write_new(path: &str, text: &str, mode: u32) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::new(E_IO, format!("{path}: already exists (never overwritten)")),
        _ => CliError::io(path, &e),
    })?;
    file.write_all(text.as_bytes()).map_err(|e| CliError::io(path, &e))
}

/// The compiled bundle signed with the secret key in `path` (`compile --sign`).
pub fn sign(path: &str, bundle: Vec<u8>) -> Result<Vec<u8>> {
    signing_key(path)?.sign(&bundle).map_err(|e| CliError::load(path, &e))
}

/// The secret key in `path`, refused when others can read the file.
pub fn signing_key(path: &str) -> Result<SigningKey> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| CliError::io(path, &e))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(CliError::new(
                E_KEY_MODE,
                format!(
                    "{path}: a secret key must be readable by its owner only (mode {:o}): chmod 600 {path}",
                    mode & 0o777
                ),
            ));
        }
    }
    SigningKey::parse(&read_text(path)?).map_err(|e| CliError::new(KeyError::CODE, format!("{path}: {e}")))
}

/// `--public-key KEY`: 64 hexadecimal digits, or a file holding them (PREFIX.pub).
pub fn public_key(value: &str) -> Result<PublicKey> {
    if let Ok(key) = PublicKey::parse(value) {
        return Ok(key);
    }
    let text = read_text(value).map_err(|e| {
        CliError::new(KeyError::CODE, format!("--public-key: not a key, nor a readable key file ({})", e.message()))
    })?;
    PublicKey::parse(&text).map_err(|e| CliError::new(KeyError::CODE, format!("--public-key {value}: {e}")))
}
