//! `streamwatch console`: the web console on its own port, reading a pipeline through the
//! public AWS APIs — of the embedded engine (`--endpoint URL`) or of AWS (`--endpoint aws`,
//! credentials from the standard chain).

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use clap::Args;

/// Options of `streamwatch console`.
#[derive(Args, Debug)]
pub struct ConsoleArgs {
    /// Where to read from: an endpoint URL (the engine: `http://127.0.0.1:4567`) or `aws`
    /// for AWS itself.
    #[arg(long, default_value = "http://127.0.0.1:4567")]
    endpoint: String,
    /// The region to read.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
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
    let aws = args.endpoint.eq_ignore_ascii_case("aws");
    let endpoint = (!aws).then_some(args.endpoint.as_str());
    let shared = crate::sdk::sdk_config(&args.region, endpoint).await;
    let clients = web_console::Clients {
        kinesis: aws_sdk_kinesis::Client::new(&shared),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&shared),
        lambda: aws_sdk_lambda::Client::new(&shared),
        logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
    };
    let options = if aws {
        web_console::Options::aws(&args.region)
    } else {
        web_console::Options::local(&args.region)
    }
    .with_host_check(web_console::HostCheck::new(&args.allowed_hosts));
    let console = web_console::Console::new(clients, options);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let addr = listener.local_addr()?;
    let source = if aws { "AWS" } else { args.endpoint.as_str() };
    println!(
        "console: http://{addr}/  (reading {source}, region {})",
        args.region
    );
    axum::serve(listener, console.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
