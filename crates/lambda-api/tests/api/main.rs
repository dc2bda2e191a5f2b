//! lambda-api through its public entry point (`operations`) and judged by aws-sdk-lambda behind
//! a real server (`sdk`).

mod operations;
mod sdk;
