//! `streamwatch alarms rules` (being written).

use clap::Args;

/// Arguments of `streamwatch alarms rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {}

pub(super) fn run(_args: RulesArgs) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
