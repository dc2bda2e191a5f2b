//! `streamwatch alarms list` (being written).

use clap::Args;

/// Arguments of `streamwatch alarms list`.
#[derive(Args, Debug)]
pub struct ListArgs {}

pub(super) async fn run(_args: ListArgs) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
