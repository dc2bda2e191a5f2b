//! A store, a clock and an engine at a fixed time, and helpers to build alarms and data.

use std::sync::Arc;

use alarm_engine::{
    AlarmEngine, AlarmState, ComparisonOperator, DescribeAlarmsQuery, MetricAlarm,
    MetricAlarmDefinition, StateInfo,
};
use metric_store::{ManualClock, MetricKey, Store, Unit};

/// 2026-06-12T10:00:00Z, a Friday; minute-aligned.
pub const T0: u64 = 1_781_258_400_000;
pub const MINUTE: u64 = 60_000;
pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

pub struct H {
    pub clock: ManualClock,
    pub store: Arc<Store>,
    pub engine: AlarmEngine,
}

impl H {
    pub fn new() -> H {
        let clock = ManualClock::new(T0);
        let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
        let engine = AlarmEngine::new(store.clone(), Arc::new(clock.clone()), REGION, ACCOUNT);
        H {
            clock,
            store,
            engine,
        }
    }

    /// Records `value` into `App/<metric>` (no dimensions) at `ts`.
    pub fn record(&self, metric: &str, ts: u64, value: f64) {
        let key = MetricKey::new("App", metric, Vec::<(&str, &str)>::new()).unwrap();
        self.store
            .custom_series(&key, Unit::None)
            .unwrap()
            .record(ts, value);
    }

    /// Sets the clock and runs the due evaluations.
    pub fn eval_at(&self, ms: u64) -> Vec<alarm_engine::ActionRequest> {
        self.clock.set(ms);
        self.engine.evaluate_due()
    }

    pub fn alarm(&self, name: &str) -> MetricAlarm {
        let page = self
            .engine
            .describe_alarms(&DescribeAlarmsQuery {
                alarm_names: vec![name.to_owned()],
                ..Default::default()
            })
            .unwrap();
        page.metric_alarms.into_iter().next().expect("alarm exists")
    }

    pub fn state(&self, name: &str) -> StateInfo {
        self.alarm(name).state
    }

    pub fn value(&self, name: &str) -> AlarmState {
        self.state(name).value
    }

    pub fn reason_data(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(
            self.state(name)
                .reason_data
                .as_deref()
                .expect("reason data"),
        )
        .unwrap()
    }
}

/// `App/<metric>` Sum over 60 s, one period, greater than 1.0.
pub fn simple(name: &str, metric: &str) -> MetricAlarmDefinition {
    MetricAlarmDefinition {
        alarm_name: name.to_owned(),
        namespace: Some("App".to_owned()),
        metric_name: Some(metric.to_owned()),
        statistic: Some("Sum".to_owned()),
        period: Some(60),
        evaluation_periods: Some(1),
        threshold: Some(1.0),
        comparison_operator: Some(ComparisonOperator::GreaterThanThreshold),
        ..Default::default()
    }
}

pub fn arn(name: &str) -> String {
    format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}")
}
