//! GetAccountSettings: the account's limits and what its functions use.

use aws_wire::{Binding, Member};
use serde_json::json;

use super::Call;
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 0] = [];
pub(crate) static BINDINGS: [Binding; 0] = [];

/// Lambda's default quotas.
const TOTAL_CODE_SIZE: i64 = 80_530_636_800;
const CODE_SIZE_UNZIPPED: i64 = 262_144_000;
const CODE_SIZE_ZIPPED: i64 = 52_428_800;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let engine = call.engine;
    let functions = engine.list_functions();
    let total: i64 = functions.iter().map(|c| c.code_size).sum();
    let limit = engine.config().account_concurrency;
    let reserved: u32 = functions
        .iter()
        .filter_map(|c| engine.get_concurrency(&c.name).ok().flatten())
        .sum();
    Ok(crate::common::json(
        200,
        &json!({
            "AccountLimit": {
                "TotalCodeSize": TOTAL_CODE_SIZE,
                "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
                "CodeSizeZipped": CODE_SIZE_ZIPPED,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": limit.saturating_sub(reserved),
            },
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": functions.len()},
        }),
    ))
}
