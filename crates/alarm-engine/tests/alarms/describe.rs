//! DescribeAlarms filters and paging, DescribeAlarmsForMetric, tags.

use alarm_engine::{
    AlarmState, AlarmType, CompositeAlarmDefinition, DescribeAlarmsQuery, Dimension,
    ForMetricQuery, MetricAlarmDefinition, Tag,
};

use crate::harness::{H, MINUTE, T0, arn, simple};

fn names(page: &alarm_engine::AlarmsPage) -> Vec<String> {
    let mut n: Vec<String> = page
        .metric_alarms
        .iter()
        .map(|a| a.definition.alarm_name.clone())
        .chain(
            page.composite_alarms
                .iter()
                .map(|a| a.definition.alarm_name.clone()),
        )
        .collect();
    n.sort();
    n
}

fn setup() -> H {
    let h = H::new();
    for name in ["web-5xx", "web-latency", "db-cpu", "db-disk", "queue-depth"] {
        h.engine.put_metric_alarm(simple(name, name)).unwrap();
    }
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:pager".to_owned()],
            ..simple("paged", "paged")
        })
        .unwrap();
    h.engine
        .put_composite_alarm(CompositeAlarmDefinition {
            alarm_name: "web".to_owned(),
            alarm_rule: "ALARM(web-5xx) OR ALARM(web-latency)".to_owned(),
            ..Default::default()
        })
        .unwrap();
    h
}

fn q() -> DescribeAlarmsQuery {
    DescribeAlarmsQuery::default()
}

#[test]
fn metric_alarms_only_unless_types_are_given() {
    let h = setup();
    let all = h.engine.describe_alarms(&q()).unwrap();
    assert_eq!(all.metric_alarms.len(), 6);
    assert!(all.composite_alarms.is_empty());
    let both = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_types: vec![AlarmType::CompositeAlarm, AlarmType::MetricAlarm],
            alarm_name_prefix: Some("web".to_owned()),
            ..q()
        })
        .unwrap();
    assert_eq!(names(&both), ["web", "web-5xx", "web-latency"]);
}

#[test]
fn filters_by_names_prefix_state_and_action_prefix() {
    let h = setup();
    h.record("db-cpu", T0 - MINUTE, 50.0);
    h.eval_at(T0);
    let by_names = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_names: vec!["db-disk".to_owned(), "ghost".to_owned(), "paged".to_owned()],
            ..q()
        })
        .unwrap();
    assert_eq!(names(&by_names), ["db-disk", "paged"]);
    let prefix = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_name_prefix: Some("db-".to_owned()),
            ..q()
        })
        .unwrap();
    assert_eq!(names(&prefix), ["db-cpu", "db-disk"]);
    let alarming = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            state_value: Some(AlarmState::Alarm),
            ..q()
        })
        .unwrap();
    assert_eq!(names(&alarming), ["db-cpu"]);
    let with_action = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            action_prefix: Some("arn:aws:sns:us-east-1:123456789012:pa".to_owned()),
            ..q()
        })
        .unwrap();
    assert_eq!(names(&with_action), ["paged"]);
    let err = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_names: vec!["a".to_owned()],
            alarm_name_prefix: Some("a".to_owned()),
            ..q()
        })
        .unwrap_err();
    assert_eq!(err.code(), "InvalidParameterCombination");
}

#[test]
fn pages_follow_name_order() {
    let h = setup();
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = h
            .engine
            .describe_alarms(&DescribeAlarmsQuery {
                alarm_types: vec![AlarmType::MetricAlarm, AlarmType::CompositeAlarm],
                max_records: Some(3),
                next_token: token.clone(),
                ..q()
            })
            .unwrap();
        pages += 1;
        assert!(page.metric_alarms.len() + page.composite_alarms.len() <= 3);
        seen.extend(names(&page));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "db-cpu",
            "db-disk",
            "paged",
            "queue-depth",
            "web",
            "web-5xx",
            "web-latency"
        ]
    );
    let err = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            next_token: Some("garbage".to_owned()),
            ..q()
        })
        .unwrap_err();
    assert_eq!(err.code(), "InvalidNextToken");
    assert_eq!(
        err.message(),
        Some("Request parameter NextToken is invalid")
    );
    let err = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            max_records: Some(0),
            ..q()
        })
        .unwrap_err();
    assert_eq!(err.code(), "ValidationError");
}

#[test]
fn alarms_for_a_metric() {
    let h = H::new();
    let dims = vec![Dimension {
        name: "Queue".to_owned(),
        value: "jobs".to_owned(),
    }];
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            dimensions: dims.clone(),
            ..simple("jobs-sum", "Depth")
        })
        .unwrap();
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            dimensions: dims.clone(),
            statistic: Some("Maximum".to_owned()),
            ..simple("jobs-max", "Depth")
        })
        .unwrap();
    h.engine
        .put_metric_alarm(simple("no-dims", "Depth"))
        .unwrap();
    let for_metric = |statistic: Option<&str>| {
        let mut v: Vec<String> = h
            .engine
            .describe_alarms_for_metric(&ForMetricQuery {
                namespace: "App".to_owned(),
                metric_name: "Depth".to_owned(),
                dimensions: dims.clone(),
                statistic: statistic.map(str::to_owned),
                ..Default::default()
            })
            .into_iter()
            .map(|a| a.definition.alarm_name)
            .collect();
        v.sort();
        v
    };
    assert_eq!(for_metric(None), ["jobs-max", "jobs-sum"]);
    assert_eq!(for_metric(Some("Maximum")), ["jobs-max"]);
}

#[test]
fn tags_are_kept_replaced_and_removed() {
    let h = H::new();
    let tag = |k: &str, v: &str| Tag {
        key: k.to_owned(),
        value: v.to_owned(),
    };
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            tags: vec![tag("team", "web")],
            ..simple("a", "A")
        })
        .unwrap();
    assert_eq!(
        h.engine.list_tags_for_resource(&arn("a")).unwrap(),
        [tag("team", "web")]
    );
    // Tags on an update are ignored.
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            tags: vec![tag("other", "x")],
            ..simple("a", "A")
        })
        .unwrap();
    h.engine
        .tag_resource(&arn("a"), vec![tag("team", "db"), tag("env", "prod")])
        .unwrap();
    assert_eq!(
        h.engine.list_tags_for_resource(&arn("a")).unwrap(),
        [tag("team", "db"), tag("env", "prod")]
    );
    h.engine
        .untag_resource(&arn("a"), &["team".to_owned(), "absent".to_owned()])
        .unwrap();
    assert_eq!(
        h.engine.list_tags_for_resource(&arn("a")).unwrap(),
        [tag("env", "prod")]
    );
    let too_many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    let err = h.engine.tag_resource(&arn("a"), too_many).unwrap_err();
    assert_eq!(err.code(), "InvalidParameterValue");
    let err = h
        .engine
        .tag_resource(&arn("ghost"), vec![tag("a", "b")])
        .unwrap_err();
    assert_eq!(err.code(), "ResourceNotFoundException");
    assert_eq!(err.http_status(), 404);
    // A deleted alarm lists no tags (AWS answers []).
    h.engine.delete_alarms(&["a".to_owned()]).unwrap();
    assert!(
        h.engine
            .list_tags_for_resource(&arn("a"))
            .unwrap()
            .is_empty()
    );
    let err = h
        .engine
        .list_tags_for_resource("arn:aws:cloudwatch::123456789012:dashboard/x")
        .unwrap_err();
    assert_eq!(err.shape(), "ResourceNotFoundException");
}
