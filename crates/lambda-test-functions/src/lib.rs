//! For the workspace's tests: the Lambda functions they deploy, as built binaries.
//!
//! The functions are this crate's examples (`examples/<name>.rs`): `echo_function` (echo,
//! errors, sleeps, crashes, the environment), `kinesis_function` (a Kinesis consumer with
//! poison records) and `sqs_loop_function` (a function feeding its own queue). A test asks
//! [`example_binary`] for one and gets the path of the executable, built if it is missing.

#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The binary of this crate's example `name` (`examples/<name>.rs`), for a test running from
/// the same target directory: `cargo test --workspace` builds it with the tests; it is built
/// here when missing (a filtered test run).
pub fn example_binary(name: &str) -> PathBuf {
    example_binary_of("lambda-test-functions", name)
}

/// The binary of example `name` of workspace package `package`, as [`example_binary`].
///
/// # Panics
///
/// When the binary is missing and building it fails: the test cannot run without it.
pub fn example_binary_of(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let bin = profile_dir.join("examples").join(name);
    if !bin.exists() {
        let status =
            std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args(["build", "--quiet", "--package", package, "--example", name])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "building the example {name} failed"
        );
    }
    bin
}
