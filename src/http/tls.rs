//! TLS configuration: the certificate chain and key from PEM files, rustls with the ring provider,
//! and reloading on SIGHUP without dropping the service (new handshakes use the new pair; open
//! connections keep theirs). It also keeps what /metrics says about TLS: the served certificate's
//! expiry (read from its DER by [`not_after`]) and the refused reloads.

use crate::base::calendar;
use crate::error::{Error, Result};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub struct TlsState {
    cert: PathBuf,
    key: PathBuf,
    config: RwLock<Arc<ServerConfig>>,
    /// The end-entity certificate in service (the watchdog's probe pins it).
    leaf: RwLock<Option<CertificateDer<'static>>>,
    /// Reloads refused since start (the previous pair stayed in service).
    reload_failures: AtomicU64,
}

impl TlsState {
    pub fn load(cert: &Path, key: &Path) -> Result<TlsState> {
        let (config, leaf) = build(cert, key)?;
        Ok(TlsState {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            config: RwLock::new(config),
            leaf: RwLock::new(Some(leaf)),
            reload_failures: AtomicU64::new(0),
        })
    }

    /// The served certificate's notAfter, in Unix seconds (`None` if its DER could not be read).
    pub fn expiry(&self) -> Option<i64> {
        self.certificate().and_then(|c| not_after(c.as_ref()))
    }

    /// Reloads refused since start.
    pub fn reload_failures(&self) -> u64 {
        self.reload_failures.load(Ordering::Relaxed)
    }

    /// The end-entity certificate in service.
    pub fn certificate(&self) -> Option<CertificateDer<'static>> {
        self.leaf.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The configuration for a new handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Re-reads the files; on error the old pair stays in service, the failure is counted and the
    /// error is returned.
    pub fn reload(&self) -> Result<()> {
        let (fresh, leaf) = build(&self.cert, &self.key).inspect_err(|_| {
            self.reload_failures.fetch_add(1, Ordering::Relaxed);
        })?;
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        *self.leaf.write().unwrap_or_else(|p| p.into_inner()) = Some(leaf);
        Ok(())
    }
}

fn build(cert_path: &Path, key_path: &Path) -> Result<(Arc<ServerConfig>, CertificateDer<'static>)> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| {
            Error::invalid_value(format!("cannot read the certificate {}: {e}", cert_path.display()))
        })?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Error::invalid_value(format!(
                "the certificate file {} is not valid PEM: {e}",
                cert_path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::invalid_value(format!(
            "the certificate file {} holds no CERTIFICATE block",
            cert_path.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
        Error::invalid_value(format!("cannot read a private key from {}: {e}", key_path.display()))
    })?;
    // 0600, or 0640 with the service's group owning the key (the README's install), are fine; a
    // key others may read, or anyone but its owner may change, is not.
    if let Ok(meta) = std::fs::metadata(key_path)
        && meta.permissions().mode() & 0o026 != 0
    {
        log::warn!(
            "the TLS key {} is readable by others or writable by its group (mode {:o}); make it 0600, or 0640 \
             owned by root with the service's group (chmod 640 {} && chgrp scim-seat {})",
            key_path.display(),
            meta.permissions().mode() & 0o777,
            key_path.display(),
            key_path.display()
        );
    }
    let leaf = certs[0].clone();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::invalid_value(format!(
                "the key {} does not fit the certificate {}: {e}",
                key_path.display(),
                cert_path.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), leaf))
}

/// Writes a self-signed certificate and key for `host` into `dir` (`cert.pem`, `key.pem`, mode 600
/// for the key): for labs, never for production.
pub fn self_signed(host: &str, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let mut names = vec![host.to_string()];
    if host != "localhost" {
        names.push("localhost".to_string());
    }
    let cert = rcgen::generate_simple_self_signed(names)
        .map_err(|e| Error::invalid_value(format!("cannot make a certificate for \"{host}\": {e}")))?;
    std::fs::create_dir_all(dir)?;
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem())?;
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&key_path)?;
        f.write_all(cert.signing_key.serialize_pem().as_bytes())?;
    }
    Ok((cert_path, key_path))
}

/// The notAfter time of a DER X.509 certificate (RFC 5280 section 4.1.2.5) in Unix seconds: a
/// bounded walk of the outer structure, `Certificate { TBSCertificate { [0] version, serialNumber,
/// signature, issuer, validity { notBefore, notAfter } … } … }`, that never reads past its input.
/// `None` when the input is not shaped like that.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (certificate, _) = element(der, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = element(rest, VERSION)?.1;
    }
    for _serial_signature_issuer in 0..3 {
        rest = tlv(rest)?.2;
    }
    let (validity, _) = element(rest, SEQUENCE)?;
    let (_, _, after_not_before) = tlv(validity)?;
    let (tag, time, _) = tlv(after_not_before)?;
    der_time(tag, time)
}

const SEQUENCE: u8 = 0x30;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One DER element: (tag, contents, what follows). Single-byte tags and definite lengths of up
/// to four bytes, as certificates use.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |len, b| (len << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The element at the start of `input` if its tag is `tag`: (contents, what follows).
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, contents, rest) = tlv(input)?;
    (found == tag).then_some((contents, rest))
}

/// UTCTime `YYMMDDHHMMSSZ` (years 1950-2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`, the two forms
/// RFC 5280 section 4.1.2.5 allows, in Unix seconds.
fn der_time(tag: u8, value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    let digits = text.strip_suffix('Z').filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    let full = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy: u32 = digits[..2].parse().ok()?;
            format!("{}{digits}", if yy >= 50 { "19" } else { "20" })
        }
        (GENERALIZED_TIME, 14) => digits.to_string(),
        _ => return None,
    };
    let f = |r: std::ops::Range<usize>| &full[r];
    calendar::parse_rfc3339(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        f(0..4),
        f(4..6),
        f(6..8),
        f(8..10),
        f(10..12),
        f(12..14)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate_until(year: i32, month: u8, day: u8) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(vec!["scim.test".to_string()]).unwrap();
        params.not_after = rcgen::date_time_ymd(year, month, day);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn not_after_reads_utc_time() {
        // 2030-06-15T00:00:00Z; before 2050 a certificate carries a UTCTime.
        assert_eq!(not_after(&certificate_until(2030, 6, 15)), Some(1_907_712_000));
    }

    #[test]
    fn not_after_reads_generalized_time() {
        // 4096-01-01T00:00:00Z, rcgen's default (and so `init --self-signed`'s).
        assert_eq!(not_after(&certificate_until(4096, 1, 1)), Some(67_090_118_400));
        let lab = rcgen::generate_simple_self_signed(vec!["scim.test".to_string()]).unwrap();
        assert_eq!(not_after(lab.cert.der()), Some(67_090_118_400));
    }

    #[test]
    fn not_after_refuses_what_is_not_a_certificate() {
        let der = certificate_until(2030, 6, 15);
        for cut in 0..der.len() {
            assert_eq!(not_after(&der[..cut]), None, "truncated at {cut}");
        }
        assert_eq!(not_after(b""), None);
        assert_eq!(not_after(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(not_after(&[0x30, 0x85, 1, 0, 0, 0, 0]), None);
        assert_eq!(der_time(UTC_TIME, b"300615000000"), None, "no Z");
        assert_eq!(der_time(UTC_TIME, b"20300615000000Z"), None, "a GeneralizedTime body");
        assert_eq!(der_time(GENERALIZED_TIME, b"2030061500000aZ"), None);
        assert_eq!(der_time(UTC_TIME, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(der_time(UTC_TIME, b"500101000000Z"), Some(-631_152_000));
    }
}
