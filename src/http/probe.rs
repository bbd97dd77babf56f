//! The watchdog's self-probe: `GET /healthz` through the process's own listener, over TLS when the
//! listener speaks it. A success proves the accept loop, the edge, the workers and the database all
//! answer; systemd gets `WATCHDOG=1` only then, so a dead accept loop leads to a restart.
//!
//! Over TLS the probe trusts exactly the certificate the listener serves (pinned, byte for byte):
//! the listener's name may be anything, and the probe must not need a CA.

use crate::http::tls::TlsState;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// One probe; `Err` says what failed.
pub fn healthz(addr: SocketAddr, tls: Option<&TlsState>, timeout: Duration) -> Result<(), String> {
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect: {e}"))?;
    tcp.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let request = b"GET /healthz HTTP/1.1\r\nHost: watchdog\r\nConnection: close\r\n\r\n";
    let mut answer = Vec::new();
    match tls {
        None => {
            let mut s = tcp;
            s.write_all(request).map_err(|e| format!("write: {e}"))?;
            let _ = s.read_to_end(&mut answer);
        }
        Some(tls) => {
            let pinned = tls.certificate().ok_or("no certificate loaded")?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = ClientConfig::builder_with_provider(Arc::clone(&provider))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned { cert: pinned, provider }))
                .with_no_client_auth();
            let name = ServerName::IpAddress(addr.ip().into());
            let conn = ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
            let mut s = StreamOwned::new(conn, tcp);
            s.write_all(request).map_err(|e| format!("TLS write: {e}"))?;
            let _ = s.read_to_end(&mut answer);
        }
    }
    let text = String::from_utf8_lossy(&answer);
    if text.starts_with("HTTP/1.1 200") && text.contains("\"status\":\"ok\"") {
        Ok(())
    } else {
        Err(format!("unexpected answer: {:?}", text.lines().next().unwrap_or("(nothing)")))
    }
}

/// Accepts only the one certificate the listener serves.
#[derive(Debug)]
struct Pinned {
    cert: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("the listener served a certificate other than ours".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
