//! A function's configuration as the Lambda API describes it, and its code: a zip archive
//! unpacked into a directory of its own (the task root).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use sha2::Digest as _;

use crate::LambdaError;

/// Runtimes this engine can run: OS-only runtimes with an executable `bootstrap`, and Python
/// through `awslambdaric`.
pub const RUNTIMES: [&str; 7] = [
    "provided.al2023",
    "provided.al2",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
];

/// Largest zip accepted in a request (50 MB, Lambda's limit for a direct upload).
pub const MAX_ZIP_BYTES: usize = 50 * 1024 * 1024;
/// Largest unpacked code (250 MB, Lambda's limit).
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// What a function is, as GetFunctionConfiguration returns it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionConfig {
    /// The name.
    pub name: String,
    /// The runtime, e.g. `provided.al2023`.
    pub runtime: String,
    /// The handler (`bootstrap` for OS-only runtimes; `module.function` for Python).
    pub handler: String,
    /// The execution role's ARN.
    pub role: String,
    /// Seconds an invocation may run (1..=900).
    pub timeout_secs: u32,
    /// Memory in MB (128..=10240).
    pub memory_mb: u32,
    /// Environment variables.
    pub environment: BTreeMap<String, String>,
    /// The description.
    pub description: String,
    /// `x86_64` or `arm64`.
    pub architectures: Vec<String>,
    /// Base64 SHA-256 of the zip.
    pub code_sha256: String,
    /// Size of the zip in bytes.
    pub code_size: i64,
    /// When the function last changed, as Lambda writes it (`2024-01-01T00:00:00.000+0000`).
    pub last_modified: String,
    /// Changes with every update.
    pub revision_id: String,
    /// The dead-letter queue of asynchronous events that failed (`DeadLetterConfig.TargetArn`).
    #[serde(default)]
    pub dead_letter_target: Option<String>,
    /// `$LATEST`, or the number of a published version.
    #[serde(default = "latest")]
    pub version: String,
}

fn latest() -> String {
    LATEST.to_string()
}

/// The unpublished version, which updates change.
pub const LATEST: &str = "$LATEST";

impl FunctionConfig {
    /// Checks the values Lambda checks: timeout, memory, runtime, name.
    pub fn validate(&self) -> Result<(), LambdaError> {
        if self.name.is_empty()
            || self.name.len() > 64
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(LambdaError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length at most 64",
                self.name
            )));
        }
        if !(1..=900).contains(&self.timeout_secs) {
            return Err(LambdaError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
                self.timeout_secs
            )));
        }
        if !(128..=10240).contains(&self.memory_mb) {
            return Err(LambdaError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240",
                self.memory_mb
            )));
        }
        if !RUNTIMES.contains(&self.runtime.as_str()) {
            return Err(LambdaError::InvalidParameter(format!(
                "Value {} at 'runtime' is not supported by this engine; supported: {}",
                self.runtime,
                RUNTIMES.join(", ")
            )));
        }
        Ok(())
    }
}

/// Base64 SHA-256 of the bytes, as `CodeSha256` shows it.
pub fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(zip))
}

/// Unpacks a function zip into `dir` (created, emptied first), with Lambda's errors for
/// archives it cannot take: unreadable, escaping the directory, or over
/// [`MAX_UNZIPPED_BYTES`] unpacked.
pub fn unpack(zip_bytes: &[u8], dir: &Path) -> Result<(), LambdaError> {
    use function_zip::ZipError;
    match function_zip::unpack(zip_bytes, dir, MAX_UNZIPPED_BYTES) {
        Ok(_) => Ok(()),
        Err(e @ (ZipError::Unreadable(_) | ZipError::Escapes(_))) => Err(
            LambdaError::InvalidParameter(format!("Could not unzip uploaded file: {e}")),
        ),
        Err(e @ ZipError::TooLarge { .. }) => Err(LambdaError::InvalidParameter(e.to_string())),
        Err(ZipError::Io { source, .. }) => Err(LambdaError::Io(source.to_string())),
    }
}
