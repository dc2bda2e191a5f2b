//! Checks a dashboard body as CloudWatch's PutDashboard does, to a useful depth: a JSON object
//! with a `widgets` array of at most 500 widgets; each widget an object with a known `type`,
//! integer `x`, `y`, `width` (1..=24) and `height` (1..=1000); a metric widget's
//! `properties.metrics` an array of arrays of strings with an optional rendering object last,
//! and a `region`; a text widget's `markdown`; an alarm widget's `alarms`; a log widget's
//! `query`.
//!
//! Each problem is a [`ValidationMessage`] with a JSON-pointer `DataPath` (`/widgets/0/width`)
//! and a message in the words CloudWatch uses (its validator's: `Should be array`, `Should
//! have required property 'metrics'`, ...).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Widgets a dashboard may hold (CloudWatch's documented maximum).
pub const MAX_WIDGETS: usize = 500;
/// Grid columns: a widget is 1 to 24 wide and starts at x 0 to 23.
pub const GRID_COLUMNS: i64 = 24;
/// The tallest widget, in grid rows.
pub const MAX_HEIGHT: i64 = 1000;

/// The widget types CloudWatch dashboards know.
pub const WIDGET_TYPES: [&str; 7] = [
    "metric", "text", "log", "alarm", "explorer", "custom", "chart",
];

/// One problem in a dashboard body: where (`DataPath`, a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationMessage {
    /// The JSON pointer of the offending value, e.g. `/widgets/1/properties/metrics/0`.
    pub data_path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ValidationMessage {
    fn new(data_path: impl Into<String>, message: impl Into<String>) -> ValidationMessage {
        ValidationMessage {
            data_path: data_path.into(),
            message: message.into(),
        }
    }
}

/// The top-level error message CloudWatch sends with the validation messages:
/// `The dashboard body is invalid, there are N validation errors:` and the list as indented
/// JSON (`dataPath`, `message`).
pub fn error_message(messages: &[ValidationMessage]) -> String {
    let list: Vec<Value> = messages
        .iter()
        .map(|m| serde_json::json!({"dataPath": m.data_path, "message": m.message}))
        .collect();
    let text = serde_json::to_string_pretty(&list).unwrap_or_default();
    format!(
        "The dashboard body is invalid, there are {} validation errors:\n{text}",
        messages.len()
    )
}

/// Checks `body`; an empty list means CloudWatch would take it.
pub fn body(body: &str) -> Vec<ValidationMessage> {
    let mut out = Vec::new();
    let value: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            out.push(ValidationMessage::new(
                "",
                format!("Should be valid JSON: {e}"),
            ));
            return out;
        }
    };
    let Some(root) = value.as_object() else {
        out.push(ValidationMessage::new("", "Should be object"));
        return out;
    };
    let Some(widgets) = root.get("widgets") else {
        out.push(ValidationMessage::new(
            "",
            "Should have required property 'widgets'",
        ));
        return out;
    };
    let Some(widgets) = widgets.as_array() else {
        out.push(ValidationMessage::new("/widgets", "Should be array"));
        return out;
    };
    if widgets.len() > MAX_WIDGETS {
        out.push(ValidationMessage::new(
            "/widgets",
            format!("Should NOT have more than {MAX_WIDGETS} items"),
        ));
    }
    for (i, w) in widgets.iter().enumerate() {
        widget(&format!("/widgets/{i}"), w, &mut out);
    }
    out
}

fn widget(path: &str, w: &Value, out: &mut Vec<ValidationMessage>) {
    let Some(w) = w.as_object() else {
        out.push(ValidationMessage::new(path, "Should be object"));
        return;
    };
    let kind = match w.get("type") {
        None => {
            out.push(ValidationMessage::new(
                path,
                "Should have required property 'type'",
            ));
            None
        }
        Some(Value::String(t)) if WIDGET_TYPES.contains(&t.as_str()) => Some(t.as_str()),
        Some(Value::String(_)) => {
            out.push(ValidationMessage::new(
                format!("{path}/type"),
                "Should be equal to one of the allowed values",
            ));
            None
        }
        Some(_) => {
            out.push(ValidationMessage::new(
                format!("{path}/type"),
                "Should be string",
            ));
            None
        }
    };
    integer(path, w, "x", 0, GRID_COLUMNS - 1, out);
    integer(path, w, "y", 0, i64::MAX, out);
    integer(path, w, "width", 1, GRID_COLUMNS, out);
    integer(path, w, "height", 1, MAX_HEIGHT, out);
    let props_path = format!("{path}/properties");
    let props = match w.get("properties") {
        None => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => {
            out.push(ValidationMessage::new(&props_path, "Should be object"));
            return;
        }
    };
    let required = |out: &mut Vec<ValidationMessage>, name: &str| {
        out.push(ValidationMessage::new(
            path,
            format!("Should have required property '{name}'"),
        ));
    };
    match (kind, props) {
        (Some("metric" | "text" | "alarm" | "log"), None) => required(out, "properties"),
        (Some("metric"), Some(p)) => metric_properties(&props_path, p, out),
        (Some("text"), Some(p)) => match p.get("markdown") {
            None => out.push(ValidationMessage::new(
                &props_path,
                "Should have required property 'markdown'",
            )),
            Some(Value::String(_)) => {}
            Some(_) => out.push(ValidationMessage::new(
                format!("{props_path}/markdown"),
                "Should be string",
            )),
        },
        (Some("alarm"), Some(p)) => match p.get("alarms") {
            None => out.push(ValidationMessage::new(
                &props_path,
                "Should have required property 'alarms'",
            )),
            Some(Value::Array(alarms)) => {
                for (i, a) in alarms.iter().enumerate() {
                    if !a.is_string() {
                        out.push(ValidationMessage::new(
                            format!("{props_path}/alarms/{i}"),
                            "Should be string",
                        ));
                    }
                }
            }
            Some(_) => out.push(ValidationMessage::new(
                format!("{props_path}/alarms"),
                "Should be array",
            )),
        },
        (Some("log"), Some(p)) => match p.get("query") {
            None => out.push(ValidationMessage::new(
                &props_path,
                "Should have required property 'query'",
            )),
            Some(Value::String(_)) => {}
            Some(_) => out.push(ValidationMessage::new(
                format!("{props_path}/query"),
                "Should be string",
            )),
        },
        _ => {}
    }
}

/// `name`, if present, must be an integer within `min..=max`.
fn integer(
    path: &str,
    w: &Map<String, Value>,
    name: &str,
    min: i64,
    max: i64,
    out: &mut Vec<ValidationMessage>,
) {
    let Some(v) = w.get(name) else {
        return;
    };
    let at = format!("{path}/{name}");
    match v.as_i64() {
        None => out.push(ValidationMessage::new(at, "Should be integer")),
        Some(n) if n < min => out.push(ValidationMessage::new(at, format!("Should be >= {min}"))),
        Some(n) if n > max => out.push(ValidationMessage::new(at, format!("Should be <= {max}"))),
        Some(_) => {}
    }
}

fn metric_properties(path: &str, p: &Map<String, Value>, out: &mut Vec<ValidationMessage>) {
    let metrics = p.get("metrics");
    let annotations = p.get("annotations");
    if metrics.is_none() && annotations.is_none() {
        // CloudWatch reports all three: either member would do, and the region needs one.
        out.push(ValidationMessage::new(
            path,
            "Should have required property 'metrics'",
        ));
        out.push(ValidationMessage::new(
            path,
            "The metric widget should have specified a region and a data source or an alarm annotation",
        ));
        out.push(ValidationMessage::new(
            path,
            "Should have required property 'annotations'",
        ));
        return;
    }
    match p.get("region") {
        None => out.push(ValidationMessage::new(
            path,
            "The metric widget should have specified a region and a data source or an alarm annotation",
        )),
        Some(Value::String(_)) => {}
        Some(_) => out.push(ValidationMessage::new(
            format!("{path}/region"),
            "Should be string",
        )),
    }
    let Some(metrics) = metrics else {
        return;
    };
    let Some(metrics) = metrics.as_array() else {
        out.push(ValidationMessage::new(
            format!("{path}/metrics"),
            "Should be array",
        ));
        return;
    };
    for (i, m) in metrics.iter().enumerate() {
        let at = format!("{path}/metrics/{i}");
        let Some(fields) = m.as_array() else {
            out.push(ValidationMessage::new(&at, "Should be array"));
            out.push(ValidationMessage::new(
                &at,
                "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element",
            ));
            continue;
        };
        let last = fields.len().saturating_sub(1);
        for (j, f) in fields.iter().enumerate() {
            let ok = f.is_string() || (j == last && f.is_object());
            if !ok {
                out.push(ValidationMessage::new(
                    format!("{at}/{j}"),
                    "Invalid metric field type, only \"String\" type is allowed",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(b: &str) -> Vec<(String, String)> {
        body(b)
            .into_iter()
            .map(|m| (m.data_path, m.message))
            .collect()
    }

    #[test]
    fn the_documented_example_is_valid() {
        let b = r#"{"start":"-PT6H","periodOverride":"inherit","widgets":[
            {"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/EC2","CPUUtilization","InstanceId","i-012345"]],"period":300,"stat":"Average","region":"us-east-1","title":"EC2 Instance CPU"}},
            {"type":"text","x":0,"y":7,"width":3,"height":3,"properties":{"markdown":"Hello world"}},
            {"type":"metric","x":0,"y":7,"width":3,"height":3,"properties":{"metrics":[[{"expression":"SUM(METRICS())","label":"total"}],["AWS/Lambda","Errors",{"stat":"Sum"}]],"region":"us-east-1"}}]}"#;
        assert_eq!(paths(b), vec![]);
        assert_eq!(paths(r#"{"widgets":[]}"#), vec![]);
    }

    #[test]
    fn structure_problems_have_paths() {
        assert_eq!(paths("nope")[0].0, "");
        assert_eq!(paths("[]"), vec![("".into(), "Should be object".into())]);
        assert_eq!(
            paths("{}"),
            vec![("".into(), "Should have required property 'widgets'".into())]
        );
        assert_eq!(
            paths(r#"{"widgets":{}}"#),
            vec![("/widgets".into(), "Should be array".into())]
        );
        let b = r#"{"widgets":[{"type":"metric","x":0,"y":0,"width":25,"height":0,"properties":{"metrics":["AWS/EC2"],"region":"us-east-1"}},{"type":"gauge"},{"type":"text","properties":{}}]}"#;
        assert_eq!(
            paths(b),
            vec![
                ("/widgets/0/width".into(), "Should be <= 24".into()),
                ("/widgets/0/height".into(), "Should be >= 1".into()),
                ("/widgets/0/properties/metrics/0".into(), "Should be array".into()),
                (
                    "/widgets/0/properties/metrics/0".into(),
                    "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element".into()
                ),
                (
                    "/widgets/1/type".into(),
                    "Should be equal to one of the allowed values".into()
                ),
                (
                    "/widgets/2/properties".into(),
                    "Should have required property 'markdown'".into()
                ),
            ]
        );
    }

    #[test]
    fn metric_fields_are_strings_with_an_optional_object_last() {
        let b = r#"{"widgets":[{"type":"metric","properties":{"region":"us-east-1","metrics":[["AWS/Lambda",{"stat":"Sum"},"Errors"],["AWS/Lambda","Errors",5]]}}]}"#;
        let got = paths(b);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "/widgets/0/properties/metrics/0/1");
        assert_eq!(got[1].0, "/widgets/0/properties/metrics/1/2");
        let none = r#"{"widgets":[{"type":"metric","properties":{}}]}"#;
        assert_eq!(paths(none).len(), 3);
        let no_region = r#"{"widgets":[{"type":"metric","properties":{"metrics":[["A","B"]]}}]}"#;
        assert_eq!(paths(no_region).len(), 1);
    }

    #[test]
    fn the_error_message_lists_every_problem() {
        let m = error_message(&body(r#"{"widgets":[{"type":"x"}]}"#));
        assert!(m.starts_with("The dashboard body is invalid, there are 1 validation errors:\n["));
        assert!(m.contains("\"dataPath\": \"/widgets/0/type\""));
    }
}
