//! `streamwatch bench console`: the web console over a large pipeline (100 streams and 50
//! functions by default) on the embedded engine in this process: time to first paint of
//! the overview in headless chromium, and the CPU one browser refreshing every second costs
//! the process (engine and console together), over the same process idle.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use http_body_util::BodyExt as _;

use crate::chromium::Browser;

/// Options of `streamwatch bench console`.
#[derive(Args, Debug)]
pub struct ConsoleBenchArgs {
    /// Streams to create (one shard each; those without a mapping get a record).
    #[arg(long, default_value_t = 100)]
    streams: usize,
    /// Functions to deploy, each with an event source mapping on one stream.
    #[arg(long, default_value_t = 50)]
    functions: usize,
    /// Page loads timed in chromium.
    #[arg(long, default_value_t = 5)]
    loads: usize,
    /// Refreshes measured (one a second: the overview and one stream page).
    #[arg(long, default_value_t = 10)]
    refreshes: usize,
    /// Write a PNG of the overview here.
    #[arg(long)]
    screenshot: Option<std::path::PathBuf>,
}

/// Runs the benchmark.
pub async fn run(args: ConsoleBenchArgs) -> anyhow::Result<()> {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        // AWS's limits keep the mappings' pollers at their idle pace (the CPU measured is the
        // console's, not theirs).
        shard_limits: true,
        shard_quota: (args.streams as u32).max(500),
        ..kinesis_engine::EngineConfig::default()
    })?;
    let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine).await?;
    let endpoint = server.endpoint();
    let c = web_console::Clients::for_endpoint(&endpoint, "us-east-1");
    eprintln!(
        "bench console: {} streams, {} functions with mappings",
        args.streams, args.functions
    );
    let zip = function_zip::bootstrap_zip(b"#!/bin/sh\nexit 1\n")?;
    for i in 0..args.streams {
        let name = format!("stream-{i:03}");
        c.kinesis
            .create_stream()
            .stream_name(&name)
            .shard_count(1)
            .send()
            .await
            .context("CreateStream")?;
        if i >= args.functions {
            c.kinesis
                .put_record()
                .stream_name(&name)
                .partition_key("k")
                .data(aws_sdk_kinesis::primitives::Blob::new("v"))
                .send()
                .await
                .context("PutRecord")?;
        }
    }
    for i in 0..args.functions {
        let name = format!("function-{i:03}");
        c.lambda
            .create_function()
            .function_name(&name)
            .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
            .role("arn:aws:iam::000000000000:role/bench")
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(zip.clone()))
                    .build(),
            )
            .send()
            .await
            .context("CreateFunction")?;
        c.lambda
            .create_event_source_mapping()
            .function_name(&name)
            .event_source_arn(format!(
                "arn:aws:kinesis:us-east-1:000000000000:stream/stream-{i:03}"
            ))
            .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
            .send()
            .await
            .context("CreateEventSourceMapping")?;
    }

    // First paint: a fresh load of the overview until its graph is drawn.
    let browser = Browser::launch(1400, 900).await?;
    let mut paints = Vec::new();
    let mut drawn = Vec::new();
    for _ in 0..args.loads {
        browser.goto("about:blank").await?;
        let started = Instant::now();
        browser.goto(&format!("{endpoint}/")).await?;
        browser
            .wait_for(
                &format!(
                    "document.querySelectorAll('#graph .kind-stream').length >= {}",
                    args.streams
                ),
                Duration::from_secs(20),
            )
            .await?;
        drawn.push(started.elapsed().as_secs_f64() * 1000.0);
        let fcp = browser
            .eval("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
            .await?;
        if let Some(ms) = fcp.as_f64() {
            paints.push(ms);
        }
    }
    if let Some(path) = &args.screenshot {
        browser.screenshot(path).await?;
    }
    let errors = browser.errors();
    browser.close().await;

    // Per-refresh CPU: the process idle, then one refresh a second.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let get = |path: String| {
        let client = client.clone();
        let uri = format!("{endpoint}{path}");
        async move {
            let req = hyper::Request::get(uri)
                .header("sec-fetch-site", "same-origin")
                .body(http_body_util::Empty::new())?;
            let resp = client.request(req).await?;
            anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<usize, anyhow::Error>(body.len())
        }
    };
    get("/console/api/overview".into()).await?;
    let window = Duration::from_secs(args.refreshes as u64);
    let idle_start = super::cpu_seconds("self")?;
    tokio::time::sleep(window).await;
    let idle = super::cpu_seconds("self")? - idle_start;
    let busy_start = super::cpu_seconds("self")?;
    let mut bytes = 0;
    let mut slowest = Duration::ZERO;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for i in 0..args.refreshes {
        tick.tick().await;
        let t = Instant::now();
        bytes = get("/console/api/overview".into()).await?;
        get(format!(
            "/console/api/stream/stream-{:03}?range=300",
            i % args.streams.max(1)
        ))
        .await?;
        slowest = slowest.max(t.elapsed());
    }
    tick.tick().await;
    let busy = super::cpu_seconds("self")? - busy_start;

    // The overview computed afresh each time (no cache): what one refresh costs when it is
    // not shared, engine side and console side together, over the idle rate.
    let uncached = web_console::Console::new(
        web_console::Clients::for_endpoint(&endpoint, "us-east-1"),
        web_console::Options {
            cache_ms: 0,
            inventory_cache_ms: 0,
            ..web_console::Options::local("us-east-1")
        },
    );
    uncached.overview().await?;
    let n = args.refreshes.max(1) * 2;
    let (cpu0, t0) = (super::cpu_seconds("self")?, Instant::now());
    for _ in 0..n {
        uncached.overview().await?;
    }
    let (cpu, wall) = (super::cpu_seconds("self")? - cpu0, t0.elapsed());
    let idle_rate = idle / window.as_secs_f64();
    let fresh_cpu_ms = (cpu - idle_rate * wall.as_secs_f64()).max(0.0) * 1000.0 / n as f64;
    let fresh_wall_ms = wall.as_secs_f64() * 1000.0 / n as f64;
    server.shutdown().await?;

    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!(
        "console bench: {} streams, {} functions, {} mappings",
        args.streams, args.functions, args.functions
    );
    println!(
        "  first contentful paint (median of {}): {:.0} ms",
        paints.len(),
        median(&mut paints)
    );
    println!(
        "  navigation to graph drawn (median of {}): {:.0} ms",
        drawn.len(),
        median(&mut drawn)
    );
    println!(
        "  per refresh (overview + a stream page, one a second): {:.1} ms CPU over idle \
         ({:.2} s busy vs {:.2} s idle over {} s); slowest refresh {:.0} ms; overview JSON {} bytes",
        (busy - idle).max(0.0) * 1000.0 / args.refreshes.max(1) as f64,
        busy,
        idle,
        args.refreshes,
        slowest.as_secs_f64() * 1000.0,
        bytes
    );
    println!(
        "  overview computed afresh (inventory, alarms, one GetMetricData of {} queries), {n} times: \
         {fresh_cpu_ms:.1} ms CPU and {fresh_wall_ms:.1} ms each",
        args.streams + 2 * args.functions
    );
    if !errors.is_empty() {
        println!("  page errors: {errors:?}");
    }
    Ok(())
}
