//! Runs the examples in `examples/` as child processes and checks what they print.
//!
//! `cargo test` builds the examples beside this test binary (`<target>/<profile>/examples`);
//! when one is missing there (a run filtered with `--test client`) they are built once with
//! `cargo build --examples` into the same target directory and profile. Always running that
//! build cost minutes in CI: selecting one package unifies the dependencies' features
//! differently from `cargo test --workspace`, so it recompiled them. Their binaries are run
//! directly, each against its own embedded Kinesis engine.
//!
//! The Redis and DynamoDB examples, and the producer and consumer against kinesalite
//! (through `KINESIS_ENDPOINT`), need the servers that `scripts/test.sh` starts and exports as
//! `STREAMWATCH_TEST_REDIS_URL`, `STREAMWATCH_TEST_DYNAMODB_ENDPOINT` and
//! `STREAMWATCH_TEST_KINESALITE_ENDPOINT`; without them those tests fail, they do not skip.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Longest an example may run.
const TIMEOUT: Duration = Duration::from_secs(180);

/// `target/<profile>`, from this test binary's path (`target/<profile>/deps/examples-…`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary in <target>/<profile>/deps")
        .to_path_buf()
}

/// The example names of this package: the files of `examples/`.
fn example_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let entries = std::fs::read_dir(&dir).expect("the examples directory");
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".rs")?.to_string())
        })
        .collect()
}

/// The directory holding this package's example binaries, built once if any is missing.
fn examples_dir() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let profile_dir = profile_dir();
        let examples = profile_dir.join("examples");
        let missing = example_names().iter().any(|name| {
            !examples
                .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
                .exists()
        });
        if !missing {
            return examples;
        }
        let target_dir = profile_dir.parent().expect("target directory");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev".to_string(),
            Some(name) => name.to_string(),
            None => panic!("no profile directory in {}", profile_dir.display()),
        };
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--package",
                env!("CARGO_PKG_NAME"),
                "--examples",
            ])
            .arg("--profile")
            .arg(&profile)
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed: {status}");
        examples
    })
}

/// What an example printed.
struct Output {
    stdout: String,
    stderr: String,
}

impl Output {
    /// The stdout line starting with `prefix`.
    fn line(&self, prefix: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{}", self.stdout))
    }

    fn has_line(&self, line: &str) {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "no line {line:?} in:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs example `name` with `env` (and no `KINESIS_ENDPOINT` unless `env` sets it); panics
/// unless it exits with status 0 within [`TIMEOUT`].
fn run(name: &str, env: &[(&str, &str)]) -> Output {
    let exe = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut command = Command::new(&exe);
    command
        .env_remove("KINESIS_ENDPOINT")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", exe.display()));
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let stdout = pipe(Box::new(child.stdout.take().expect("stdout")));
    let stderr = pipe(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for example") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example {name} still running after {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = Output {
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    };
    assert!(
        status.success(),
        "example {name} failed ({status}):\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    out
}

/// The number after `prefix` on its line.
fn number_after(out: &Output, prefix: &str) -> u64 {
    let rest = &out.line(prefix)[prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {prefix:?} in {rest:?}"))
}

fn env_or_fail(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set. This test needs a server that scripts/test.sh starts: run it \
             through scripts/test.sh (e.g. `scripts/test.sh -p kinesis-client --test client examples::`)"
        ),
    }
}

#[test]
fn producer() {
    let out = run("producer", &[]);
    out.has_line("records sent: 1001");
    out.has_line("undelivered: 0");
    assert!(
        number_after(&out, "PutRecords calls: ") >= 3,
        "1001 records need 3 or more calls"
    );
}

#[test]
fn producer_json() {
    let out = run("producer_json", &[]);
    out.has_line("records sent: 9");
    let orders = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  shardId-") && l.contains(" order "));
    assert_eq!(orders.count(), 9, "{}", out.stdout);
    out.has_line("read back 9 orders, all equal to what was sent");
}

#[test]
fn producer_kpl() {
    let out = run("producer_kpl", &[]);
    assert!(
        out.line("user records sent: ")
            .starts_with("user records sent: 2000 in ")
    );
    let on_wire = number_after(&out, "kinesis records on the wire: ");
    assert!(
        (2..100).contains(&on_wire),
        "{on_wire} Kinesis records for 2000 user records"
    );
    assert!(
        out.line("kinesis records on the wire: ")
            .contains(&format!("({on_wire} KPL aggregates"))
    );
    // Three de-aggregated records of one key, at least two of them inside an aggregate.
    let subs: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(" key sensor-7 "))
        .collect();
    assert_eq!(subs.len(), 3, "{}", out.stdout);
    assert_eq!(
        out.line("user records received: "),
        format!("user records received: 2000 from {on_wire} Kinesis records, every key in order")
    );
}

#[test]
fn consumer() {
    let out = run("consumer", &[]);
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("shardId-"))
            .count(),
        20,
        "{}",
        out.stdout
    );
    for i in 0..20 {
        let quoted = format!("\"event {i}\"");
        assert!(
            out.stdout.lines().any(|l| l.ends_with(&quoted)),
            "no {quoted} in:\n{}",
            out.stdout
        );
    }
    out.has_line("received 20 records");
}

#[test]
fn consumer_group() {
    let out = run("consumer_group", &[]);
    for worker in ["worker-a", "worker-b"] {
        let holds = out.line(&format!("{worker} holds the leases of "));
        assert_eq!(holds.matches("shardId-").count(), 2, "{holds}");
        assert!(
            out.line(&format!("{worker} read "))
                .contains(" records from shardId-")
        );
    }
    let a = number_after(&out, "worker-a read ");
    let b = number_after(&out, "worker-b read ");
    assert_eq!(a + b, 400, "each record read once");
    out.has_line("400 distinct records, each shard read by its lease holder only");
}

#[test]
fn prometheus_metrics() {
    // Port 0: the default port 9108 may be taken by another run.
    let out = run("prometheus_metrics", &[("METRICS_ADDR", "127.0.0.1:0")]);
    out.has_line("produced 200 and consumed 200 records");
    out.has_line("# TYPE myapp_producer_records_sent counter");
    out.has_line("# EOF");
    let sent = out.line("myapp_producer_records_sent_total{");
    assert!(sent.ends_with("} 200"), "{sent}");
    let received: u64 = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("myapp_consumer_records_received_total{"))
        .map(|l| {
            l.rsplit(' ')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .expect("a count")
        })
        .sum();
    assert_eq!(received, 200, "{}", out.stdout);
    assert!(
        out.stdout.contains("myapp_stream_shards_active{"),
        "{}",
        out.stdout
    );
}

#[test]
fn consumer_checkpoint_redis() {
    let url = env_or_fail("STREAMWATCH_TEST_REDIS_URL");
    let out = run("consumer_checkpoint_redis", &[("REDIS_URL", &url)]);
    out.has_line("run 1 read 60 records, then closed");
    out.has_line("run 2 read 40 records, 0 of them already read by run 1");
    out.has_line("resumed after the checkpoint: 100 records read once each");
}

#[test]
fn consumer_checkpoint_dynamodb() {
    let endpoint = env_or_fail("STREAMWATCH_TEST_DYNAMODB_ENDPOINT");
    let out = run(
        "consumer_checkpoint_dynamodb",
        &[("DYNAMODB_ENDPOINT", &endpoint)],
    );
    out.has_line("run 1 read 60 records, then closed");
    out.has_line("run 2 read 40 records, 0 of them already read by run 1");
    out.has_line("resumed after the checkpoint: 100 records read once each");
}

#[test]
fn producer_and_consumer_against_kinesis_endpoint() {
    let endpoint = env_or_fail("STREAMWATCH_TEST_KINESALITE_ENDPOINT");
    let env = [("KINESIS_ENDPOINT", endpoint.as_str())];
    let out = run("producer", &env);
    out.has_line(&format!("kinesis endpoint: {endpoint} (KINESIS_ENDPOINT)"));
    out.has_line("records sent: 1001");
    let out = run("consumer", &env);
    out.has_line(&format!("kinesis endpoint: {endpoint} (KINESIS_ENDPOINT)"));
    out.has_line("received 20 records");
}

#[test]
fn unreachable_redis_is_reported() {
    // Port 1 on localhost: nothing listens there.
    let exe = examples_dir().join(format!(
        "consumer_checkpoint_redis{}",
        std::env::consts::EXE_SUFFIX
    ));
    let out = Command::new(exe)
        .env("REDIS_URL", "redis://127.0.0.1:1/")
        .env_remove("KINESIS_ENDPOINT")
        .output()
        .expect("run example");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot connect to Redis at redis://127.0.0.1:1/"),
        "{stderr}"
    );
}
