//! `streamwatch alarms apply` (being written).

use clap::Args;

/// Arguments of `streamwatch alarms apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {}

pub(super) async fn run(_args: ApplyArgs) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
