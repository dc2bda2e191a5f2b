//! `streamwatch alarms`: the pipeline's recommended alarms on CloudWatch (the engine's or
//! AWS's), their states, and the same thresholds as Prometheus alerting rules.

pub(crate) mod apply;
mod list;
pub(crate) mod pipeline_set;
mod rules;

use clap::{Args, Subcommand};

/// `streamwatch alarms ...`.
#[derive(Args, Debug)]
pub struct AlarmsArgs {
    #[command(subcommand)]
    command: AlarmsCommand,
}

#[derive(Subcommand, Debug)]
enum AlarmsCommand {
    /// Create or update the pipeline's recommended CloudWatch alarms for a stream and the
    /// function behind it (idempotent); `--dry-run` prints the PutMetricAlarm requests.
    Apply(apply::ApplyArgs),
    /// Each alarm's state, reason and last change.
    List(list::ListArgs),
    /// Write the pipeline's alerting rules for Prometheus (on `streamwatch collect`'s and
    /// kinesis-client's metric names).
    Rules(rules::RulesArgs),
}

impl AlarmsArgs {
    /// Runs the subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            AlarmsCommand::Apply(args) => apply::run(args).await,
            AlarmsCommand::List(args) => list::run(args).await,
            AlarmsCommand::Rules(args) => rules::run(args),
        }
    }
}
