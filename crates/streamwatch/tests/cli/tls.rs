//! `serve --tls`: HTTPS on the engine's port with a generated CA (trusted by aws-sdk-rust,
//! boto3 and the AWS CLI when given as their CA bundle, refused without it), HTTP/2 by ALPN,
//! a certificate given with --tls-cert/--tls-key, and plain HTTP still served alongside.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use super::{free_port, interrupt, wait_exit};

/// A server started with `args`, its plain and HTTPS endpoints and the CA file it printed.
struct TlsServer {
    child: Child,
    http: String,
    https: String,
    ca_bundle: Option<PathBuf>,
}

impl TlsServer {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut read_line = || {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            line.trim().to_owned()
        };
        let http = read_line()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        let https = read_line()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        let ca_bundle = args
            .iter()
            .all(|a| *a != "--tls-cert")
            .then(|| PathBuf::from(read_line().strip_prefix("AWS_CA_BUNDLE=").unwrap()));
        Self {
            child,
            http,
            https,
            ca_bundle,
        }
    }

    fn addr(&self) -> String {
        self.http.trim_start_matches("http://").to_owned()
    }

    fn stop(mut self) {
        interrupt(&self.child);
        assert!(wait_exit(&mut self.child, std::time::Duration::from_secs(10)).success());
    }
}

fn kinesis_over_https(endpoint: &str, ca_pem: Option<&[u8]>) -> aws_sdk_kinesis::Client {
    use aws_smithy_http_client::tls;
    let trust = match ca_pem {
        Some(pem) => tls::TrustStore::empty().with_pem_certificate(pem.to_vec()),
        None => tls::TrustStore::empty().with_native_roots(true),
    };
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(
            tls::TlsContext::builder()
                .with_trust_store(trust)
                .build()
                .unwrap(),
        )
        .build_https();
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
        .endpoint_url(endpoint)
        .http_client(http)
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

fn rustls_client(ca_pem: &[u8], alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Connects over TLS to `addr` as `localhost`, returning the protocol ALPN chose and the
/// connection, handshake done.
fn tls_connect(
    addr: &str,
    config: Arc<rustls::ClientConfig>,
) -> (
    Option<Vec<u8>>,
    rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
) {
    let mut conn = rustls::ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    let mut sock = TcpStream::connect(addr).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).unwrap();
    }
    (
        conn.alpn_protocol().map(<[u8]>::to_vec),
        rustls::StreamOwned::new(conn, sock),
    )
}

/// GET /health over HTTP/1.1 on a TLS connection: the response's head and body.
fn health_over_tls(addr: &str, config: Arc<rustls::ClientConfig>, host: &str) -> String {
    let (_, mut tls) = tls_connect(addr, config);
    write!(
        tls,
        "GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    // The server may close without close_notify; what arrived before is the answer.
    let _ = tls.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_ca_is_trusted_by_the_rust_sdk_and_refused_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let server = TlsServer::start(&[
        "--port",
        &port,
        "--tls",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--create-stream-delay-ms",
        "0",
    ]);
    let ca_path = server.ca_bundle.clone().unwrap();
    assert_eq!(ca_path, dir.path().join("tls").join("ca.pem"));
    assert_eq!(server.https, format!("https://{}", server.addr()));
    let ca = std::fs::read(&ca_path).unwrap();

    let kinesis = kinesis_over_https(&server.https, Some(&ca));
    kinesis
        .create_stream()
        .stream_name("secure")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let put = kinesis
        .put_record()
        .stream_name("secure")
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new(&b"over tls"[..]))
        .send()
        .await
        .unwrap();
    let iterator = kinesis
        .get_shard_iterator()
        .stream_name("secure")
        .shard_id(put.shard_id())
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let got = kinesis
        .get_records()
        .shard_iterator(iterator.shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.records()[0].data().as_ref(), b"over tls");

    // Without the CA, the certificate is unknown and the call fails before any request.
    let untrusting = kinesis_over_https(&server.https, None);
    let refused = untrusting.list_streams().send().await;
    assert!(refused.is_err(), "{refused:?}");

    // Plain HTTP on the same port sees the same engine.
    let plain = testkit::kinesis_client(&server.http);
    let names = plain.list_streams().send().await.unwrap();
    assert_eq!(names.stream_names(), ["secure"]);
    server.stop();
}

#[test]
fn boto3_and_the_aws_cli_trust_the_generated_ca_and_refuse_without_it() {
    let port = free_port().to_string();
    let server = TlsServer::start(&["--port", &port, "--tls", "--create-stream", "py:1"]);
    let ca = server.ca_bundle.clone().unwrap();
    let script = r#"
import sys, boto3, botocore.config, botocore.exceptions
endpoint, ca = sys.argv[1], sys.argv[2]
def kinesis(verify):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", verify=verify,
        config=botocore.config.Config(retries={"max_attempts": 1}))
print("trusted", kinesis(ca).list_streams()["StreamNames"])
try:
    kinesis(True).list_streams()
    print("untrusted accepted")
except botocore.exceptions.SSLError:
    print("untrusted SSLError")
"#;
    let python = testkit::python();
    let out = Command::new(&python)
        .args(["-c", script, &server.https, ca.to_str().unwrap()])
        .env_remove("AWS_CA_BUNDLE")
        .env_remove("REQUESTS_CA_BUNDLE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("trusted ['py']"), "{stdout}");
    assert!(stdout.contains("untrusted SSLError"), "{stdout}");

    let aws = python.with_file_name("aws");
    if aws.exists() {
        let cli = |ca_bundle: Option<&str>| {
            let mut command = Command::new(&aws);
            command
                .args(["--endpoint-url", &server.https, "--region", "us-east-1"])
                .args(["kinesis", "list-streams", "--output", "json"])
                .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
                .env("AWS_SECRET_ACCESS_KEY", "secret")
                .env("AWS_CONFIG_FILE", "/nonexistent")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
                .env("AWS_MAX_ATTEMPTS", "1")
                .env_remove("AWS_CA_BUNDLE")
                .env_remove("REQUESTS_CA_BUNDLE");
            if let Some(ca) = ca_bundle {
                command.args(["--ca-bundle", ca]);
            }
            command.output().unwrap()
        };
        let trusted = cli(Some(ca.to_str().unwrap()));
        let stdout = String::from_utf8_lossy(&trusted.stdout);
        assert!(
            trusted.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&trusted.stderr)
        );
        assert!(stdout.contains("\"py\""), "{stdout}");
        let refused = cli(None);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("SSL"), "{stderr}");
    } else {
        eprintln!("no aws CLI next to {}: skipping it", python.display());
    }
    server.stop();
}

#[test]
fn alpn_negotiates_http2_and_http1_and_the_host_check_still_applies() {
    let port = free_port().to_string();
    // kinesalite's spelling of the flag.
    let server = TlsServer::start(&["--port", &port, "--ssl"]);
    let ca = std::fs::read(server.ca_bundle.as_ref().unwrap()).unwrap();
    let addr = server.addr();

    let (alpn, mut tls) = tls_connect(&addr, rustls_client(&ca, &[b"h2", b"http/1.1"]));
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    // An HTTP/2 client preface and empty SETTINGS; the server answers with its SETTINGS frame.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .unwrap();
    let mut frame_head = [0u8; 9];
    tls.read_exact(&mut frame_head).unwrap();
    assert_eq!(frame_head[3], 0x04, "a SETTINGS frame: {frame_head:?}");
    drop(tls);

    let http1 = rustls_client(&ca, &[b"http/1.1"]);
    let (alpn, _) = tls_connect(&addr, http1.clone());
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    let ok = health_over_tls(&addr, http1.clone(), "localhost");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let rebinding = health_over_tls(&addr, http1, "rebind.example");
    assert!(rebinding.starts_with("HTTP/1.1 403"), "{rebinding}");
    server.stop();
}

#[test]
fn a_certificate_given_as_files_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, leaf_key.serialize_pem()).unwrap();

    let port = free_port().to_string();
    let server = TlsServer::start(&[
        "--port",
        &port,
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    assert!(server.https.starts_with("https://"));
    let trusting = rustls_client(ca.pem().as_bytes(), &[b"http/1.1"]);
    let ok = health_over_tls(&server.addr(), trusting, "localhost");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    server.stop();

    // A key file without a key stops the server before it binds.
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["serve", "--port", &free_port().to_string()])
        .args(["--tls-cert", cert_path.to_str().unwrap()])
        .args(["--tls-key", cert_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
