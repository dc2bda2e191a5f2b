//! AWS SDK configuration and clients for an endpoint (the engine's or AWS's own), shared by
//! `collect`, `function`, `logs` and the benchmarks.

/// Whether the AWS credential chain has anything to find besides instance metadata: the
/// variables and files its providers read.
fn credentials_configured() -> bool {
    let vars = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if vars.iter().any(|v| std::env::var_os(v).is_some()) {
        return true;
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
            .is_some_and(|p| p.is_file())
    };
    file("AWS_SHARED_CREDENTIALS_FILE", "credentials") || file("AWS_CONFIG_FILE", "config")
}

/// The shared SDK configuration for one region and endpoint (`None`: AWS's own), from
/// aws-config's standard chain.
pub(crate) async fn sdk_config(region: &str, endpoint: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()));
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
        if !credentials_configured() {
            // Any key works for the embedded engine; this spares the chain's metadata probe.
            loader = loader.credentials_provider(aws_sdk_kinesis::config::Credentials::new(
                "streamwatch",
                "streamwatch",
                None,
                None,
                "streamwatch-local",
            ));
        }
    }
    loader.load().await
}
