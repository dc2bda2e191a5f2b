//! `streamwatch console`: the web console on its own port, reading a pipeline through the
//! public AWS APIs — of the embedded engine (`--endpoint URL`) or of AWS (`--endpoint aws`,
//! credentials from the standard chain).

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use clap::Args;

/// Options of `streamwatch console`.
#[derive(Args, Debug)]
pub struct ConsoleArgs {
    /// Where to read from (the engine, or AWS with `--endpoint aws`), and the region.
    #[command(flatten)]
    aws: crate::sdk::AwsArgs,
    /// The port the console listens on (loopback only).
    #[arg(long, default_value_t = 4568)]
    port: u16,
    /// A host name the console answers to besides loopback addresses and localhost; repeat
    /// for several.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
}

/// Runs the console until Ctrl-C.
pub async fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let endpoint = args.aws.endpoint();
    let aws = endpoint == crate::sdk::Endpoint::Aws;
    let (shared, region) = args.aws.sdk_config().await;
    let clients = web_console::Clients {
        kinesis: aws_sdk_kinesis::Client::new(&shared),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&shared),
        lambda: aws_sdk_lambda::Client::new(&shared),
        logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
    };
    let options = if aws {
        web_console::Options::aws(&region)
    } else {
        web_console::Options::local(&region)
    }
    .with_host_check(web_console::HostCheck::new(&args.allowed_hosts));
    let console = web_console::Console::new(clients, options);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let addr = listener.local_addr()?;
    let source = endpoint.describe(&region);
    println!("console: http://{addr}/  (reading {source}, region {region})");
    axum::serve(listener, console.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
