//! HTTPS on the engine's port: a certificate generated at start (a small CA plus a leaf it
//! signs, the CA written where clients can trust it) or one given as PEM files, with ALPN
//! offering HTTP/2 and HTTP/1.1.
//!
//! TLS shares the plain port: a connection whose first byte is a TLS handshake record (0x16)
//! is served over TLS, any other as before. Lambda functions, SQS queue URLs and SNS
//! callbacks keep pointing at `http://<addr>`, so nothing inside the engine has to trust the
//! certificate, and clients can move to HTTPS without a second port.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The first byte of every TLS connection: the record type of a handshake.
pub(crate) const HANDSHAKE_RECORD: u8 = 0x16;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading a certificate or key file, or writing the generated ones, failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A PEM file held nothing usable.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// Generating the certificate failed.
    #[error("generating the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate and key.
    #[error("the certificate and key: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A TLS setup for the engine's port.
#[derive(Clone)]
pub struct Tls {
    config: Arc<ServerConfig>,
    ca_bundle: Option<PathBuf>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("ca_bundle", &self.ca_bundle)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Generates a CA and a leaf certificate for `localhost`, `127.0.0.1`, `::1` and `names`,
    /// and writes the CA to `<dir>/ca.pem` (the file to point `AWS_CA_BUNDLE` at). A new pair
    /// is made at every start; its keys never leave memory.
    pub fn generate(dir: &Path, names: &[String]) -> Result<Self, TlsError> {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "streamwatch local CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = rcgen::KeyPair::generate()?;
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key)?;

        let mut subject_names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        subject_names.extend(names.iter().filter(|n| !n.is_empty()).cloned());
        subject_names.dedup();
        let mut leaf_params = rcgen::CertificateParams::new(subject_names)?;
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "streamwatch");
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
        let leaf_key = rcgen::KeyPair::generate()?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca)?;

        std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let ca_path = dir.join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).map_err(|source| TlsError::Io {
            path: ca_path.clone(),
            source,
        })?;
        let key = PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let chain = vec![leaf.der().clone(), ca.der().clone()];
        Ok(Self {
            config: server_config(chain, key)?,
            ca_bundle: Some(ca_path),
        })
    }

    /// Serves the certificate chain in the PEM file `cert` with the private key in `key`.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| TlsError::Pem {
                path: cert.to_path_buf(),
                what: e.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::Pem {
                path: cert.to_path_buf(),
                what: "no certificate in it".into(),
            });
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Pem {
            path: key.to_path_buf(),
            what: e.to_string(),
        })?;
        Ok(Self {
            config: server_config(chain, key)?,
            ca_bundle: None,
        })
    }

    /// The CA file written by [`Tls::generate`]; `None` for a certificate given as files.
    pub fn ca_bundle(&self) -> Option<&Path> {
        self.ca_bundle.as_deref()
    }

    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
