//! Start/StopStreamEncryption: only the state is kept; data is stored as sent.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{ENCRYPTION_TYPE, KEY_ID, STREAM_ARN, STREAM_ID, STREAM_NAME};
use crate::{ApiError, ApiResult};

pub(crate) static INPUT: [Member; 5] = [
    Member::required("EncryptionType", &ENCRYPTION_TYPE),
    Member::required("KeyId", &KEY_ID),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) fn start(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let kind = input.str("EncryptionType").unwrap_or_default();
    if kind != "KMS" {
        return Err(ApiError::invalid(format!(
            "Encryption type {kind} is not supported; use KMS."
        )));
    }
    let key = input.str("KeyId").unwrap_or_default().to_owned();
    engine.set_encryption(name, Some((kind.to_owned(), key)))?;
    Ok(())
}

pub(crate) fn stop(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    engine.set_encryption(name, None)?;
    Ok(())
}
