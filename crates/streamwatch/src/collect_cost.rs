//! `streamwatch collect --cost`: the figures of `streamwatch cost` over the last hour,
//! exported beside the collector's health as `streamwatch_cost_usd` and
//! `streamwatch_cost_monthly_usd` (service, resource, component, region), refreshed with the
//! inventory. The collection's own GetMetricData requests are priced from its last cycle.
//!
//! It reads through its own clients and GetMetricData queries (`cost_cmd::observe`), so
//! the collector's cycle stays as it is; the calls it makes are not in the collector's
//! `streamwatch_collector_api_calls_total`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_prices::{PriceTable, ResourceCost};
use clap::Args;
use metric_export::Gauge;

use crate::cost_cmd::{CollectionCycle, CostClients, EstimateArgs, load_prices, observe};

/// The window each refresh prices, ending now.
const COST_WINDOW: Duration = Duration::from_secs(3600);

/// The `collect` flags of the cost export.
#[derive(Args, Debug, Clone, Default)]
pub struct CollectCostArgs {
    /// Also export what each stream, function, queue, the CloudWatch account and the
    /// collection cost over the last hour (`streamwatch_cost_usd`), refreshed with the
    /// inventory.
    #[arg(long)]
    pub cost: bool,
    /// With `--cost`: a price file in the format of aws-prices' `prices.toml`.
    #[arg(long, value_name = "FILE", requires = "cost")]
    pub prices: Option<PathBuf>,
    /// With `--cost`: GB an hour sent out to the internet (no metric shows it; 0 by default).
    #[arg(
        long,
        value_name = "GB",
        requires = "cost",
        conflicts_with = "egress_share"
    )]
    pub egress_gb: Option<f64>,
    /// With `--cost`: the share of the bytes read from the streams that leaves for the
    /// internet.
    #[arg(long, value_name = "FRACTION", requires = "cost")]
    pub egress_share: Option<f64>,
}

/// One region's last priced figures.
struct RegionCost {
    region: String,
    clients: CostClients,
    last: Option<ResourceCost>,
}

/// The cost export of every region collected.
pub(crate) struct CostExports {
    estimates: EstimateArgs,
    table: Option<PriceTable>,
    regions: Vec<RegionCost>,
    interval: Duration,
    refresh_every: Duration,
    last_refresh: Option<Instant>,
}

impl CostExports {
    /// The export for `regions` (name, SDK configuration), off unless `--cost`; the
    /// price file is read now, so a bad one stops `collect` before its first cycle.
    pub(crate) async fn new(
        args: &CollectCostArgs,
        regions: impl Iterator<Item = (String, aws_config::SdkConfig)>,
        interval: Duration,
        refresh_every: Duration,
    ) -> anyhow::Result<CostExports> {
        let mut out = CostExports {
            estimates: EstimateArgs {
                prices: args.prices.clone(),
                egress_gb: args.egress_gb,
                egress_share: args.egress_share,
                ..EstimateArgs::default()
            },
            table: None,
            regions: Vec::new(),
            interval,
            refresh_every,
            last_refresh: None,
        };
        if !args.cost {
            return Ok(out);
        }
        out.estimates.check()?;
        out.table = Some(load_prices(args.prices.as_deref())?.0);
        for (region, config) in regions {
            let clients = CostClients::from_config(&config);
            out.regions.push(RegionCost {
                region,
                clients,
                last: None,
            });
        }
        Ok(out)
    }

    /// Prices every region again when due (always the first time), given each region's last
    /// cycle's metrics requested, in the order of the regions given to [`CostExports::new`].
    /// A failure is reported and the region keeps its last figures.
    pub(crate) async fn refresh(&mut self, metrics_per_cycle: impl Iterator<Item = u64>) {
        let Some(table) = &self.table else {
            return;
        };
        if self
            .last_refresh
            .is_some_and(|t| t.elapsed() < self.refresh_every)
        {
            return;
        }
        self.last_refresh = Some(Instant::now());
        for (r, metrics) in self.regions.iter_mut().zip(metrics_per_cycle) {
            let prices = match table.for_region(&r.region) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("streamwatch collect: {}: cost: {e}", r.region);
                    continue;
                }
            };
            let cycle = CollectionCycle {
                metrics_per_cycle: metrics,
                interval: self.interval,
            };
            match observe(&r.clients, COST_WINDOW, &self.estimates, Some(cycle)).await {
                Ok((observed, _)) => {
                    r.last = Some(aws_prices::price_observed(
                        &r.region,
                        prices,
                        COST_WINDOW.as_secs_f64() / 3600.0,
                        &observed,
                    ));
                }
                Err(e) => eprintln!("streamwatch collect: {}: cost: {e:#}", r.region),
            }
        }
    }

    /// The last figures as gauges: each line's amount over the hour and its monthly
    /// projection.
    pub(crate) fn gauges(&self) -> Vec<Gauge> {
        use metric_store::catalog::own::cost;
        let mut out = Vec::new();
        for r in &self.regions {
            for l in r.last.iter().flat_map(|c| &c.lines) {
                let labels = [
                    l.service.as_str(),
                    l.resource.as_str(),
                    l.component.as_str(),
                    r.region.as_str(),
                ];
                out.push(Gauge::of(&cost::COST_USD, &labels, l.amount_usd));
                out.push(Gauge::of(&cost::COST_MONTHLY_USD, &labels, l.monthly_usd));
            }
        }
        out
    }
}
