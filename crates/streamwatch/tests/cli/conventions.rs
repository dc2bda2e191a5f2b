//! The AWS conventions every command that talks to an endpoint follows: the endpoint from
//! `--endpoint`, else `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`, else the local
//! engine; the region from `--region`, else `AWS_REGION` / `AWS_DEFAULT_REGION` / the
//! profile; `--profile`; `RUST_LOG` when `STREAMWATCH_LOG` is unset.

use std::process::{Command, Output};

use super::{create_streams, free_port, serve};

/// Every variable of the AWS chain and of our logging, so the runs below see only what they
/// set.
const CLEARED: [&str; 12] = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KINESIS",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "STREAMWATCH_LOG",
    "RUST_LOG",
];

/// Runs `streamwatch args` with only `env` of the variables above, and a home without an
/// `.aws` directory.
fn run(args: &[&str], env: &[(&str, &str)], home: &std::path::Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamwatch"));
    cmd.args(args).env("HOME", home);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_region_profile_and_log_follow_the_aws_conventions() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    // One stream in each region a run below reads: the engine keeps regions apart, as AWS
    // does, so each run finding "1 streams" shows it signed for the region it should.
    for region in [
        "us-east-1",
        "eu-west-1",
        "eu-central-1",
        "ap-south-1",
        "ap-southeast-2",
    ] {
        let clients = testkit::clients_for(&endpoint, region, "AKIDTEST");
        create_streams(&clients.kinesis, &["conventions"], 1).await;
    }
    let home = tempfile::tempdir().unwrap();
    let once = ["collect", "--once", "--format", "json"];

    // No flags: the endpoint from AWS_ENDPOINT_URL, the region from AWS_DEFAULT_REGION.
    let out = run(
        &once,
        &[
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("eu-west-1: 1 streams"),
        "{}",
        stderr(&out)
    );
    // AWS_REGION comes before AWS_DEFAULT_REGION, and --region before both.
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_REGION", "eu-central-1"),
    ];
    let out = run(&once, &env, home.path());
    assert!(
        stderr(&out).contains("eu-central-1: 1 streams"),
        "{}",
        stderr(&out)
    );
    let mut flagged = once.to_vec();
    flagged.extend(["--region", "ap-south-1"]);
    let out = run(&flagged, &env, home.path());
    assert!(
        stderr(&out).contains("ap-south-1: 1 streams"),
        "{}",
        stderr(&out)
    );

    // A service's own variable: Kinesis on the engine, and CloudWatch too.
    let out = run(
        &once,
        &[
            ("AWS_ENDPOINT_URL_KINESIS", endpoint.as_str()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", endpoint.as_str()),
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("us-east-1: 1 streams"),
        "{}",
        stderr(&out)
    );

    // --profile: its region and credentials from the shared config file.
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile staging]\nregion = ap-southeast-2\naws_access_key_id = AKIDSTAGING\naws_secret_access_key = s3cret\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let mut profiled = once.to_vec();
    profiled.extend(["--profile", "staging", "--endpoint", &endpoint]);
    let out = run(&profiled, &[("AWS_CONFIG_FILE", config)], home.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ap-southeast-2: 1 streams"),
        "{}",
        stderr(&out)
    );
    // AWS_PROFILE names it as well.
    let mut no_profile_flag = once.to_vec();
    no_profile_flag.extend(["--endpoint", &endpoint]);
    let out = run(
        &no_profile_flag,
        &[("AWS_CONFIG_FILE", config), ("AWS_PROFILE", "staging")],
        home.path(),
    );
    assert!(
        stderr(&out).contains("ap-southeast-2: 1 streams"),
        "{}",
        stderr(&out)
    );

    // `metrics` takes the same chain: no --endpoint, the engine from AWS_ENDPOINT_URL.
    let out = run(
        &["metrics", "list", "--namespace", "AWS/Kinesis"],
        &[("AWS_ENDPOINT_URL", endpoint.as_str())],
        home.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // RUST_LOG is read when STREAMWATCH_LOG is unset, and STREAMWATCH_LOG wins.
    let args = ["metrics", "list", "--endpoint", &endpoint];
    let out = run(&args, &[("RUST_LOG", "debug")], home.path());
    assert!(stderr(&out).contains("DEBUG"), "{}", stderr(&out));
    let out = run(
        &args,
        &[("RUST_LOG", "debug"), ("STREAMWATCH_LOG", "error")],
        home.path(),
    );
    assert!(!stderr(&out).contains("DEBUG"), "{}", stderr(&out));
    let _ = child.kill();
    let _ = child.wait();
}
