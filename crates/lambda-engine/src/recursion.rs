//! Recursive loop detection, as Lambda does it for SQS.
//!
//! Every invocation gets an X-Ray trace header (`Lambda-Runtime-Trace-Id`, which runtimes
//! export as `_X_AMZN_TRACE_ID`). AWS SDKs running in a function copy it into the
//! `X-Amzn-Trace-Id` header of their calls, and SQS keeps it with each message sent as the
//! `AWSTraceHeader` system attribute. The header's `Lineage` field counts how many times each
//! function has run in the chain: `Lineage=<function hash>:<count>`. When an SQS event source
//! mapping reads a message whose lineage shows its function has already run [`MAX_DEPTH`]
//! times in the chain, the message is dropped instead of invoking the function again, and
//! RecursiveInvocationsDropped is counted.
//!
//! AWS documents the limit as "about 16" invocations and does not document the `Lineage`
//! encoding; the field here is the engine's own, read only by the engine.

use sha2::Digest as _;

/// Runs of one function in one chain of events before the next is dropped.
pub const MAX_DEPTH: u32 = 16;

/// The short hash of a function ARN that names it in `Lineage`.
pub fn function_hash(function_arn: &str) -> String {
    sha2::Sha256::digest(function_arn.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The trace header of an invocation made at `epoch_secs`: a root from that time and the
/// request id, and the function's lineage at `depth`.
pub fn trace_id(request_id: &str, function_arn: &str, depth: u32, epoch_secs: u64) -> String {
    let hex: String = request_id.chars().filter(|c| *c != '-').collect();
    let (root, parent) = (
        hex.get(..24).unwrap_or("000000000000000000000000"),
        hex.get(16..32).unwrap_or("0000000000000000"),
    );
    format!(
        "Root=1-{epoch_secs:08x}-{root};Parent={parent};Sampled=0;Lineage={}:{depth}",
        function_hash(function_arn)
    )
}

/// How many times the function with ARN `function_arn` has run in the chain a trace header
/// belongs to (0 when the header does not mention it).
pub fn depth_in(trace_header: &str, function_arn: &str) -> u32 {
    let hash = function_hash(function_arn);
    trace_header
        .split(';')
        .filter_map(|field| field.trim().strip_prefix("Lineage="))
        .flat_map(|lineage| lineage.split(','))
        .filter_map(|entry| entry.split_once(':'))
        .filter(|(h, _)| *h == hash)
        .filter_map(|(_, n)| n.parse().ok())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_round_trips_per_function() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:function:loop";
        let header = trace_id(
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            arn,
            7,
            1_700_000_000,
        );
        assert!(
            header.starts_with("Root=1-6553f100-0f8fad5bd9cb469fa1657086;Parent=a16570867728950e;"),
            "{header}"
        );
        assert_eq!(depth_in(&header, arn), 7);
        assert_eq!(
            depth_in(
                &header,
                "arn:aws:lambda:us-east-1:000000000000:function:other"
            ),
            0
        );
        assert_eq!(depth_in("Root=1-5759e988-bd862e3fe1be46a994272793", arn), 0);
    }
}
