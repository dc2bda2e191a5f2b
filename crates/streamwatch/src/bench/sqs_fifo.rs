//! `streamwatch bench sqs-fifo`: send, receive and delete throughput of a FIFO queue against
//! a standard queue in the same run, on the embedded engine over HTTP with aws-sdk-sqs.
//!
//! Each round fills one queue of each kind with the same messages through SendMessageBatch
//! (10 a call, `--concurrency` callers), then drains it with as many consumers, each
//! receiving up to 10 messages and deleting them with DeleteMessageBatch. FIFO messages are
//! spread over `--groups` message groups with explicit deduplication ids, so consumers can
//! work on different groups at once, as a FIFO pipeline does. Rounds alternate which kind
//! goes first, so warm-up and allocation do not favour one. The figure that matters is the
//! ratio FIFO / standard (issue 20's target: FIFO within 50% of standard, a ratio of 0.5 or
//! more).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use clap::Args;

/// Options of `streamwatch bench sqs-fifo`.
#[derive(Args, Debug)]
pub struct SqsFifoBenchArgs {
    /// Messages sent, received and deleted per queue and round.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Concurrent senders, and concurrent consumers.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Message groups the FIFO messages are spread over.
    #[arg(long, default_value_t = 64)]
    groups: usize,
    /// Body size of each message, bytes.
    #[arg(long, default_value_t = 256)]
    body_bytes: usize,
    /// Rounds; each measures both kinds, alternating which goes first.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Keep the queues under this directory, as `serve --data-dir` does, so every change is
    /// journaled: run with and without it to see what the journal costs.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

/// The FIFO / standard ratio issue 20 asks for at least.
const TARGET_RATIO: f64 = 0.5;

/// Messages a second of one phase of one queue.
#[derive(Debug, Default, Clone, Copy)]
struct Rates {
    send: f64,
    receive_delete: f64,
    /// Messages over the whole fill-and-drain time.
    overall: f64,
}

/// Runs the benchmark.
pub async fn run(args: SqsFifoBenchArgs) -> anyhow::Result<()> {
    if args.messages == 0 || args.concurrency == 0 || args.groups == 0 || args.rounds == 0 {
        bail!("--messages, --concurrency, --groups and --rounds must be at least 1");
    }
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        data_dir: args.data_dir.clone(),
        ..kinesis_engine::EngineConfig::default()
    })?;
    let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine).await?;
    let shared = crate::sdk::sdk_config("us-east-1", Some(&server.endpoint())).await;
    let sqs = aws_sdk_sqs::Client::new(&shared);
    println!(
        "bench sqs-fifo: {} messages of {} bytes per queue and round, {} senders and {} consumers, {} FIFO groups, {} rounds ({} build, {})",
        args.messages,
        args.body_bytes,
        args.concurrency,
        args.concurrency,
        args.groups,
        args.rounds,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        match &args.data_dir {
            Some(dir) => format!("journaled in {}", dir.display()),
            None => "in memory".to_string(),
        }
    );
    println!(
        "{:>6} {:>9} {:>12} {:>16} {:>12}",
        "round", "queue", "send msg/s", "recv+del msg/s", "overall/s"
    );
    let mut totals = [Rates::default(), Rates::default()];
    for round in 0..args.rounds {
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for fifo in order {
            let rates = measure(&sqs, &args, round, fifo).await?;
            println!(
                "{:>6} {:>9} {:>12.0} {:>16.0} {:>12.0}",
                round + 1,
                if fifo { "fifo" } else { "standard" },
                rates.send,
                rates.receive_delete,
                rates.overall
            );
            let t = &mut totals[usize::from(fifo)];
            t.send += rates.send / args.rounds as f64;
            t.receive_delete += rates.receive_delete / args.rounds as f64;
            t.overall += rates.overall / args.rounds as f64;
        }
    }
    let [standard, fifo] = totals;
    println!();
    println!(
        "{:>16} {:>12} {:>16} {:>12}",
        "mean msg/s", "send", "recv+del", "overall"
    );
    for (name, r) in [("standard", standard), ("fifo", fifo)] {
        println!(
            "{name:>16} {:>12.0} {:>16.0} {:>12.0}",
            r.send, r.receive_delete, r.overall
        );
    }
    let ratio = |f: f64, s: f64| if s > 0.0 { f / s } else { 0.0 };
    let overall = ratio(fifo.overall, standard.overall);
    println!(
        "{:>16} {:>12.2} {:>16.2} {:>12.2}",
        "fifo / standard",
        ratio(fifo.send, standard.send),
        ratio(fifo.receive_delete, standard.receive_delete),
        overall
    );
    println!(
        "target: FIFO within 50% of standard (ratio >= {TARGET_RATIO}): {}",
        if overall >= TARGET_RATIO {
            "met"
        } else {
            "NOT met"
        }
    );
    server.shutdown().await?;
    Ok(())
}

/// Fills and drains one new queue; its rates.
async fn measure(
    sqs: &aws_sdk_sqs::Client,
    args: &SqsFifoBenchArgs,
    round: usize,
    fifo: bool,
) -> anyhow::Result<Rates> {
    let name = if fifo {
        format!("bench-{round}.fifo")
    } else {
        format!("bench-{round}")
    };
    let mut create = sqs.create_queue().queue_name(&name);
    if fifo {
        create = create.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
    }
    let url = create
        .send()
        .await?
        .queue_url()
        .context("CreateQueue returned no URL")?
        .to_string();
    let body = "x".repeat(args.body_bytes);

    let started = Instant::now();
    let next_batch = Arc::new(AtomicUsize::new(0));
    let batches = args.messages.div_ceil(10);
    let mut senders = Vec::new();
    for _ in 0..args.concurrency {
        let (sqs, url, body, next_batch) =
            (sqs.clone(), url.clone(), body.clone(), next_batch.clone());
        let (messages, groups) = (args.messages, args.groups);
        senders.push(tokio::spawn(async move {
            loop {
                let b = next_batch.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    return anyhow::Ok(());
                }
                let mut call = sqs.send_message_batch().queue_url(&url);
                for i in (b * 10)..((b + 1) * 10).min(messages) {
                    let mut entry = SendMessageBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .message_body(&body);
                    if fifo {
                        entry = entry
                            .message_group_id(format!("g{}", i % groups))
                            .message_deduplication_id(format!("d{i}"));
                    }
                    call = call.entries(entry.build()?);
                }
                let out = call.send().await?;
                if !out.failed().is_empty() {
                    bail!("SendMessageBatch failed entries: {:?}", out.failed());
                }
            }
        }));
    }
    for s in senders {
        s.await??;
    }
    let sent_in = started.elapsed();

    let drain_started = Instant::now();
    let received = Arc::new(AtomicUsize::new(0));
    let mut consumers = Vec::new();
    for _ in 0..args.concurrency {
        let (sqs, url, received) = (sqs.clone(), url.clone(), received.clone());
        let messages = args.messages;
        consumers.push(tokio::spawn(async move {
            while received.load(Ordering::Relaxed) < messages {
                let got = sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .visibility_timeout(60)
                    .send()
                    .await?;
                let got = got.messages();
                if got.is_empty() {
                    // Every visible group is with another consumer: try again shortly.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                received.fetch_add(got.len(), Ordering::Relaxed);
                let mut delete = sqs.delete_message_batch().queue_url(&url);
                for (i, m) in got.iter().enumerate() {
                    delete = delete.entries(
                        DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(m.receipt_handle().unwrap_or_default())
                            .build()?,
                    );
                }
                let out = delete.send().await?;
                if !out.failed().is_empty() {
                    bail!("DeleteMessageBatch failed entries: {:?}", out.failed());
                }
            }
            anyhow::Ok(())
        }));
    }
    for c in consumers {
        c.await??;
    }
    let drained_in = drain_started.elapsed();
    sqs.delete_queue().queue_url(&url).send().await?;
    let n = args.messages as f64;
    Ok(Rates {
        send: n / sent_in.as_secs_f64(),
        receive_delete: n / drained_in.as_secs_f64(),
        overall: n / (sent_in + drained_in).as_secs_f64(),
    })
}
