//! Ed25519 signing of checkpoints (feature `audit-sign`): the [`CheckpointSigner`] the writer
//! calls, the [`CheckpointKey`] that verifies, and a [`FileSink`] that keeps a copy of every
//! checkpoint in a file of your choosing — on another disk, a mount of another host — so that a
//! log cut short or replaced on this host is still caught.
//!
//! # Keys
//!
//! The signing key is read from a file or an environment variable, never from code. Both forms
//! OpenSSL and most tools write are accepted: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or the
//! 32-byte seed as 64 hex digits. Make a key pair with
//!
//! ```text
//! openssl genpkey -algorithm ed25519 -out audit-signing.pem
//! openssl pkey -in audit-signing.pem -pubout -out audit-signing.pub.pem
//! ```
//!
//! keep `audit-signing.pem` readable by the service only (or put its text in a secret that
//! becomes an environment variable), and give `audit-signing.pub.pem` to whoever verifies:
//! `obs-audit-verify DIR --public-key-file audit-signing.pub.pem`. The public key is also
//! accepted as 64 hex digits. Signing is deterministic (RFC 8032), so no random numbers are
//! needed here; nothing in this crate makes keys.
//!
//! ```no_run
//! use std::sync::Arc;
//! use obs_runtime::audit::{AuditConfig, CheckpointConfig};
//! use obs_runtime::audit::sign::{Ed25519Signer, FileSink};
//!
//! let signer = Ed25519Signer::from_file("/etc/gateway/audit-signing.pem", "gw-2026-12")?;
//! let mut checkpoints = CheckpointConfig::new(Arc::new(signer));
//! checkpoints.sinks.push(Arc::new(FileSink::open("/mnt/remote/gateway-checkpoints.jsonl")?));
//! let mut config = AuditConfig::new("/var/log/gateway/audit", "gateway");
//! config.checkpoint = Some(checkpoints);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::record::{hex, unhex};
use super::segment;
use super::{AuditError, Checkpoint, CheckpointSigner, CheckpointSink};

/// Why a key could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The environment variable is not set (or not UTF-8).
    Env {
        /// The variable.
        var: String,
    },
    /// The text is neither PEM of the right kind nor 64 hex digits.
    Format {
        /// Where the key came from (a path, `$VAR`, `text`).
        from: String,
        /// What is wrong.
        why: String,
    },
    /// The key id is empty.
    EmptyKeyId,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Io { path, source } => {
                write!(f, "cannot read key file {}: {source}", path.display())
            }
            KeyError::Env { var } => {
                write!(
                    f,
                    "the environment variable {var} (a key) is not set or not UTF-8"
                )
            }
            KeyError::Format { from, why } => write!(f, "the key in {from} is unusable: {why}"),
            KeyError::EmptyKeyId => f.write_str("the signing key id is empty"),
        }
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why a checkpoint's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// `sig` is not 128 hex digits.
    Malformed,
    /// The signature does not verify for the checkpoint's message under the key.
    Invalid,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Malformed => "the signature is not 128 hex digits",
            SignatureError::Invalid => "the signature does not match the checkpoint and key",
        })
    }
}

impl std::error::Error for SignatureError {}

/// Signs checkpoints with an Ed25519 key (the key's bytes are wiped when it is dropped).
pub struct Ed25519Signer {
    key: SigningKey,
    key_id: String,
}

impl Ed25519Signer {
    /// The key in the file at `path` (PKCS#8 PEM or 64 hex digits), named `key_id` in each
    /// checkpoint.
    pub fn from_file(path: impl AsRef<Path>, key_id: impl Into<String>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let text = read_key_file(path)?;
        Self::parse(&text, &path.display().to_string(), key_id.into())
    }

    /// The key in the environment variable `var` (PKCS#8 PEM or 64 hex digits), named `key_id`
    /// in each checkpoint.
    pub fn from_env(var: &str, key_id: impl Into<String>) -> Result<Self, KeyError> {
        let text = std::env::var(var).map_err(|_| KeyError::Env { var: var.into() })?;
        Self::parse(&text, &format!("${var}"), key_id.into())
    }

    /// The key in `text` (PKCS#8 PEM or 64 hex digits), for keys fetched from a secret store.
    /// Do not write a key in code.
    pub fn from_text(text: &str, key_id: impl Into<String>) -> Result<Self, KeyError> {
        Self::parse(text, "text", key_id.into())
    }

    fn parse(text: &str, from: &str, key_id: String) -> Result<Self, KeyError> {
        if key_id.is_empty() {
            return Err(KeyError::EmptyKeyId);
        }
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN") {
            SigningKey::from_pkcs8_pem(text).map_err(|e| format_error(from, e))?
        } else {
            SigningKey::from_bytes(&key_bytes(text, from)?)
        };
        Ok(Ed25519Signer { key, key_id })
    }

    /// The public key that verifies this signer's checkpoints.
    pub fn public_key(&self) -> CheckpointKey {
        CheckpointKey {
            key: self.key.verifying_key(),
        }
    }
}

impl CheckpointSigner for Ed25519Signer {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.key.sign(msg).to_bytes().to_vec()
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key().to_hex())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key that verifies checkpoints.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckpointKey {
    key: VerifyingKey,
}

impl CheckpointKey {
    /// The key in the file at `path` (SPKI PEM, `-----BEGIN PUBLIC KEY-----`, or 64 hex digits).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let text = read_key_file(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The key in `text` (SPKI PEM or 64 hex digits).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        Self::parse(text, "text")
    }

    fn parse(text: &str, from: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN") {
            VerifyingKey::from_public_key_pem(text).map_err(|e| format_error(from, e))?
        } else {
            VerifyingKey::from_bytes(&key_bytes(text, from)?)
                .map_err(|_| format_error(from, "not a point on the curve"))?
        };
        Ok(CheckpointKey { key })
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex(self.key.as_bytes())
    }

    /// Checks `checkpoint`'s signature over its [message](Checkpoint::message) (strict RFC 8032
    /// verification: no malleable signatures, no weak keys).
    pub fn verify(&self, checkpoint: &Checkpoint) -> Result<(), SignatureError> {
        let bytes: [u8; 64] = unhex(&checkpoint.sig)
            .and_then(|b| b.try_into().ok())
            .ok_or(SignatureError::Malformed)?;
        self.key
            .verify_strict(&checkpoint.message(), &Signature::from_bytes(&bytes))
            .map_err(|_| SignatureError::Invalid)
    }
}

impl fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CheckpointKey")
            .field(&self.to_hex())
            .finish()
    }
}

/// Appends every checkpoint, as the line the writer puts in `checkpoints.jsonl`, to a file of
/// your choosing, synced before `put` returns. Point it somewhere this host cannot rewrite
/// (another host's mount, an append-only store) and verify against it with
/// `--checkpoints FILE`.
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    file: Mutex<File>,
}

impl FileSink {
    /// Opens (or creates, syncing its directory so the new file stays) `path` for appending.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, AuditError> {
        let path = path.into();
        let created = !path.exists();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| AuditError::Io {
                path: path.clone(),
                source,
            })?;
        if created && let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            segment::sync_dir(dir)?;
        }
        Ok(FileSink {
            path,
            file: Mutex::new(file),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CheckpointSink for FileSink {
    fn put(&self, checkpoint: &Checkpoint) -> Result<(), AuditError> {
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        // A panic elsewhere while holding the lock leaves the file as it was: keep using it.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&checkpoint.to_line()).map_err(io)?;
        file.sync_data().map_err(io)
    }
}

fn read_key_file(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// 64 hex digits → 32 bytes.
fn key_bytes(text: &str, from: &str) -> Result<[u8; 32], KeyError> {
    unhex(text)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format_error(from, "neither PEM nor 64 hex digits"))
}

fn format_error(from: &str, why: impl fmt::Display) -> KeyError {
    KeyError::Format {
        from: from.into(),
        why: why.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example key pair of RFC 8410, section 10 (a published test vector, not a secret).
    const RFC8410_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
    const RFC8410_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
    // RFC 8032 section 7.1, test 1: secret key, public key, and the signature of the empty message.
    const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC8032_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    fn checkpoint(signer: &Ed25519Signer, seq: u64, hash: &str) -> Checkpoint {
        let time = "2026-12-01T04:00:00.000000000Z";
        let msg = Checkpoint::message_of(seq, hash, time, signer.key_id());
        Checkpoint {
            seq,
            hash: hash.into(),
            time: time.into(),
            key_id: signer.key_id().into(),
            sig: hex(&signer.sign(&msg)),
        }
    }

    #[test]
    fn pem_key_pair_from_rfc_8410_matches() {
        let signer = Ed25519Signer::from_text(RFC8410_PRIVATE, "k1").unwrap();
        let public = CheckpointKey::from_text(RFC8410_PUBLIC).unwrap();
        assert_eq!(signer.public_key(), public);
        assert_eq!(
            public.to_hex(),
            "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"
        );
    }

    #[test]
    fn hex_key_signs_as_rfc_8032_test_1() {
        let signer = Ed25519Signer::from_text(RFC8032_SECRET, "k1").unwrap();
        assert_eq!(signer.public_key().to_hex(), RFC8032_PUBLIC);
        assert_eq!(hex(&signer.sign(b"")), RFC8032_SIG);
        assert_eq!(
            CheckpointKey::from_text(RFC8032_PUBLIC).unwrap(),
            signer.public_key()
        );
    }

    #[test]
    fn a_checkpoint_verifies_and_any_change_is_refused() {
        let signer = Ed25519Signer::from_text(RFC8032_SECRET, "k1").unwrap();
        let key = signer.public_key();
        let good = checkpoint(&signer, 42, &"ab".repeat(32));
        assert_eq!(key.verify(&good), Ok(()));
        for change in [
            |c: &mut Checkpoint| c.seq += 1,
            |c: &mut Checkpoint| c.hash = "cd".repeat(32),
            |c: &mut Checkpoint| c.time = "2027-01-01T00:00:00.000000000Z".into(),
            |c: &mut Checkpoint| c.key_id = "k2".into(),
        ] {
            let mut bad = good.clone();
            change(&mut bad);
            assert_eq!(key.verify(&bad), Err(SignatureError::Invalid), "{bad:?}");
        }
        let mut short = good.clone();
        short.sig.truncate(100);
        assert_eq!(key.verify(&short), Err(SignatureError::Malformed));
        let other = CheckpointKey::from_text(RFC8410_PUBLIC).unwrap();
        assert_eq!(other.verify(&good), Err(SignatureError::Invalid));
    }

    #[test]
    fn keys_load_from_files_and_the_environment_with_errors_that_say_where() {
        let dir = std::env::temp_dir().join(format!("obs-sign-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key.pem");
        std::fs::write(&path, RFC8410_PRIVATE).unwrap();
        let signer = Ed25519Signer::from_file(&path, "k1").unwrap();
        assert_eq!(signer.key_id(), "k1");
        assert!(!format!("{signer:?}").contains("MC4C"));

        let missing = dir.join("missing.pem");
        let err = Ed25519Signer::from_file(&missing, "k1").unwrap_err();
        assert!(
            matches!(&err, KeyError::Io { path, .. } if *path == missing),
            "{err}"
        );
        assert!(matches!(
            Ed25519Signer::from_file(&path, ""),
            Err(KeyError::EmptyKeyId)
        ));
        std::fs::write(&path, "not a key").unwrap();
        let err = Ed25519Signer::from_file(&path, "k1").unwrap_err();
        assert!(err.to_string().contains("key.pem"), "{err}");
        // A private key where a public one is expected, and the other way round.
        assert!(matches!(
            CheckpointKey::from_text(RFC8410_PRIVATE),
            Err(KeyError::Format { .. })
        ));
        assert!(matches!(
            Ed25519Signer::from_text(RFC8410_PUBLIC, "k1"),
            Err(KeyError::Format { .. })
        ));
        let err = Ed25519Signer::from_env("OBS_AUDIT_SIGN_TEST_SURELY_UNSET", "k1").unwrap_err();
        assert!(err.to_string().contains("OBS_AUDIT_SIGN_TEST_SURELY_UNSET"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_sink_appends_one_line_per_checkpoint() {
        let dir = std::env::temp_dir().join(format!("obs-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("checkpoints.jsonl");
        let signer = Ed25519Signer::from_text(RFC8032_SECRET, "k1").unwrap();
        let sink = FileSink::open(&path).unwrap();
        let first = checkpoint(&signer, 1, &"ab".repeat(32));
        let second = checkpoint(&signer, 2, &"cd".repeat(32));
        sink.put(&first).unwrap();
        sink.put(&second).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let back: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(Checkpoint::from_value(&back), Some(second));
        assert!(matches!(
            FileSink::open(dir.join("no-such-dir").join("x")),
            Err(AuditError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
