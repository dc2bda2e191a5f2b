//! AWS SDK configuration for an endpoint (the engine's or AWS's own), shared by every command
//! that talks to one, and [`AwsArgs`], the `--endpoint`, `--region` and `--profile` they all
//! take, resolved as the AWS CLI and SDKs resolve them:
//!
//! - the endpoint: `--endpoint` (a URL, or `aws` for AWS's own), else the SDKs' own
//!   `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` when any is set (each service then
//!   goes where its variable says, as the SDKs send it), else the local engine;
//! - the region: `--region`, else `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`,
//!   and `us-east-1` only when none of them says anything (never the instance metadata
//!   service, which stalls off EC2);
//! - the profile: `--profile`, else `AWS_PROFILE`, for credentials and region alike.

/// Whether the AWS credential chain has anything to find besides instance metadata: the
/// variables and files its providers read.
fn credentials_configured(profile: Option<&str>) -> bool {
    let vars = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if vars.iter().any(|v| std::env::var_os(v).is_some()) || profile.is_some() {
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
    let endpoint = match endpoint {
        Some(url) => Endpoint::Url(url.to_string()),
        None => Endpoint::Aws,
    };
    shared_config(region, &endpoint, None).await
}

/// The shared SDK configuration for one region, endpoint and profile.
pub(crate) async fn shared_config(
    region: &str,
    endpoint: &Endpoint,
    profile: Option<&str>,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()));
    if let Some(name) = profile {
        loader = loader.profile_name(name);
    }
    if let Endpoint::Url(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    let local = !matches!(endpoint, Endpoint::Aws);
    if local && !credentials_configured(profile) {
        // Any key works for the embedded engine; this spares the chain's metadata probe.
        loader = loader.credentials_provider(aws_sdk_kinesis::config::Credentials::new(
            "streamwatch",
            "streamwatch",
            None,
            None,
            "streamwatch-local",
        ));
    }
    loader.load().await
}

/// The local engine's endpoint, where commands go when nothing names another.
pub(crate) const LOCAL_ENGINE: &str = "http://127.0.0.1:4567";

/// Where a command's requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// One URL for every service (`--endpoint URL`, or the local engine by default).
    Url(String),
    /// AWS's own endpoints (`--endpoint aws`).
    Aws,
    /// Where `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` say, service by service, as
    /// the SDKs resolve them.
    FromEnvironment,
}

impl Endpoint {
    /// How messages name it.
    pub(crate) fn describe(&self, region: &str) -> String {
        match self {
            Endpoint::Url(url) => url.clone(),
            Endpoint::Aws => format!("AWS {region}"),
            Endpoint::FromEnvironment => "AWS_ENDPOINT_URL*".to_string(),
        }
    }
}

/// Whether the SDKs' endpoint variables name an endpoint: `AWS_ENDPOINT_URL` or any
/// `AWS_ENDPOINT_URL_<SERVICE>`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
fn endpoint_variables_set() -> bool {
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    !ignored
        && std::env::vars_os().any(|(k, v)| {
            k.to_str()
                .is_some_and(|k| k == "AWS_ENDPOINT_URL" || k.starts_with("AWS_ENDPOINT_URL_"))
                && !v.is_empty()
        })
}

/// `--endpoint`, `--region` and `--profile`, as every command that talks to an endpoint takes
/// them (see the module's documentation for how each is resolved).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// The endpoint: a URL, or `aws` for AWS's own endpoints. Unset: where
    /// AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL say, else the local engine
    /// (http://127.0.0.1:4567).
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// The region. Unset: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else
    /// us-east-1.
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// A named profile of the shared AWS config and credentials files (AWS_PROFILE when
    /// unset).
    #[arg(long, global = true)]
    pub profile: Option<String>,
}

impl AwsArgs {
    /// Where requests go.
    pub(crate) fn endpoint(&self) -> Endpoint {
        match self.endpoint.as_deref() {
            Some(e) if e.eq_ignore_ascii_case("aws") => Endpoint::Aws,
            Some(url) => Endpoint::Url(url.to_string()),
            None if endpoint_variables_set() => Endpoint::FromEnvironment,
            None => Endpoint::Url(LOCAL_ENGINE.to_string()),
        }
    }

    /// The region: `--region`, else the environment and the profile, else `us-east-1`.
    pub(crate) async fn region(&self) -> String {
        if let Some(r) = self.region.as_deref().filter(|r| !r.is_empty()) {
            return r.to_string();
        }
        for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let Some(r) = std::env::var(var).ok().filter(|r| !r.is_empty()) {
                return r;
            }
        }
        let mut from_profile = aws_config::profile::ProfileFileRegionProvider::builder();
        if let Some(name) = &self.profile {
            from_profile = from_profile.profile_name(name);
        }
        use aws_config::meta::region::ProvideRegion as _;
        match from_profile.build().region().await {
            Some(r) => r.to_string(),
            None => "us-east-1".to_string(),
        }
    }

    /// The shared SDK configuration.
    pub(crate) async fn config(&self) -> aws_config::SdkConfig {
        self.sdk_config().await.0
    }

    /// The shared SDK configuration, with the region resolved.
    pub(crate) async fn sdk_config(&self) -> (aws_config::SdkConfig, String) {
        let region = self.region().await;
        let config = shared_config(&region, &self.endpoint(), self.profile.as_deref()).await;
        (config, region)
    }
}

/// Where STS is reached for AssumeRole: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`
/// (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true), then the URL the other services
/// use; `None` for AWS's own.
fn sts_endpoint(endpoint: &Endpoint) -> Option<String> {
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .filter(|_| !ignored)
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(|| match endpoint {
            Endpoint::Url(url) => Some(url.clone()),
            Endpoint::Aws | Endpoint::FromEnvironment => None,
        })
}

/// `base` with its credentials replaced by a role's, assumed with STS AssumeRole (renewed
/// before they expire) from `base`'s own, at `sts_region` (`base`'s region by default).
pub(crate) async fn sdk_config_as_role(
    base: aws_config::SdkConfig,
    endpoint: Endpoint,
    role_arn: &str,
    external_id: Option<&str>,
    sts_region: Option<&str>,
) -> aws_config::SdkConfig {
    let mut sts = base.to_builder();
    sts.set_endpoint_url(sts_endpoint(&endpoint));
    if let Some(region) = sts_region {
        sts.set_region(Some(aws_config::Region::new(region.to_string())));
    }
    let sts = sts.build();
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
