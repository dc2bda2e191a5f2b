//! Receipt handles: what a receive hands out and what delete and visibility changes take.
//!
//! A handle is base64 of `<queue name>:<message sequence>:<nonce>`. The nonce makes every
//! receive's handle new, so that only the newest one (which the queue remembers per message)
//! deletes; the name and sequence let a handle of another queue, or a forged one, be told
//! apart from a merely stale one, as SQS does (ReceiptHandleIsInvalid vs. a silent success).

use base64::Engine as _;

use crate::SqsError;

/// A fresh handle for message `seq` of queue `queue`.
pub(crate) fn issue(queue: &str, seq: u64) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(format!("{queue}:{seq}:{}", uuid::Uuid::new_v4().simple()))
}

/// `Ok` if `receipt` has the shape of a handle this engine issues for queue `queue`.
pub(crate) fn check(queue: &str, receipt: &str) -> Result<(), SqsError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(receipt)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let ours = decoded.is_some_and(|d| {
        let mut parts = d.rsplitn(3, ':');
        let (_nonce, seq, name) = (parts.next(), parts.next(), parts.next());
        name == Some(queue) && seq.is_some_and(|s| s.parse::<u64>().is_ok())
    });
    if ours {
        Ok(())
    } else {
        Err(SqsError::ReceiptHandleIsInvalid(receipt.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_fresh_and_bound_to_their_queue() {
        let a = issue("q", 7);
        assert_ne!(a, issue("q", 7));
        assert_eq!(check("q", &a), Ok(()));
        assert!(check("other", &a).is_err());
        assert_eq!(
            check("q", "forged"),
            Err(SqsError::ReceiptHandleIsInvalid("forged".into()))
        );
    }
}
