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

/// Clients for one region, from aws-config's standard chain.
pub(crate) async fn clients(
    region: &str,
    endpoint: Option<&str>,
) -> (
    aws_sdk_kinesis::Client,
    aws_sdk_cloudwatch::Client,
    aws_sdk_lambda::Client,
) {
    let shared = sdk_config(region, endpoint).await;
    (
        aws_sdk_kinesis::Client::new(&shared),
        aws_sdk_cloudwatch::Client::new(&shared),
        aws_sdk_lambda::Client::new(&shared),
    )
}

/// Where STS is reached for AssumeRole: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then
/// the endpoint the other services use (`None`: AWS's own).
fn sts_endpoint(endpoint: Option<&str>) -> Option<String> {
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(|| endpoint.map(str::to_string))
}

/// The SDK configuration for one region and endpoint whose credentials are a role's, assumed
/// with STS AssumeRole (renewed before they expire) from the standard chain's, at
/// `sts_region` (the region's own by default).
pub(crate) async fn sdk_config_as_role(
    region: &str,
    endpoint: Option<&str>,
    role_arn: &str,
    external_id: Option<&str>,
    sts_region: Option<&str>,
) -> aws_config::SdkConfig {
    let base = sdk_config(region, endpoint).await;
    let mut sts = base.to_builder();
    sts.set_endpoint_url(sts_endpoint(endpoint));
    let sts = sts
        .region(aws_config::Region::new(
            sts_region.unwrap_or(region).to_string(),
        ))
        .build();
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("streamwatch")
        .configure(&sts);
    if let Some(id) = external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.build().await;
    base.to_builder()
        .credentials_provider(aws_sdk_kinesis::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

/// Clients for one region from an SDK configuration.
pub(crate) fn clients_of(
    shared: &aws_config::SdkConfig,
) -> (
    aws_sdk_kinesis::Client,
    aws_sdk_cloudwatch::Client,
    aws_sdk_lambda::Client,
) {
    (
        aws_sdk_kinesis::Client::new(shared),
        aws_sdk_cloudwatch::Client::new(shared),
        aws_sdk_lambda::Client::new(shared),
    )
}
