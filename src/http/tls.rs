//! TLS configuration: the certificate chain and key from PEM files, rustls with the ring provider,
//! and reloading on SIGHUP without dropping the service (new handshakes use the new pair; open
//! connections keep theirs).

use crate::error::{Error, Result};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub struct TlsState {
    cert: PathBuf,
    key: PathBuf,
    config: RwLock<Arc<ServerConfig>>,
    /// The end-entity certificate in service (the watchdog's probe pins it).
    leaf: RwLock<Option<CertificateDer<'static>>>,
}

impl TlsState {
    pub fn load(cert: &Path, key: &Path) -> Result<TlsState> {
        let (config, leaf) = build(cert, key)?;
        Ok(TlsState {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            config: RwLock::new(config),
            leaf: RwLock::new(Some(leaf)),
        })
    }

    /// The end-entity certificate in service.
    pub fn certificate(&self) -> Option<CertificateDer<'static>> {
        self.leaf.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The configuration for a new handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Re-reads the files; on error the old pair stays in service and the error is returned.
    pub fn reload(&self) -> Result<()> {
        let (fresh, leaf) = build(&self.cert, &self.key)?;
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
