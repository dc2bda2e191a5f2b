//! The alarm engine through its public API, on a manual clock: evaluation rules case by
//! case, composite alarms, actions, history, DescribeAlarms, persistence and validation.

mod actions;
mod composite;
mod describe;
mod evaluation;
mod harness;
mod history;
mod persistence;
mod validation;
