//! Alarms in the server: the loop that evaluates them on the engine's clock, and the delivery
//! of their actions (a Lambda function invoked asynchronously with the alarm event; the alarm
//! message published to an SNS topic with its subject), each recorded in the alarm's history.

use std::sync::Arc;
use std::time::Duration;

use alarm_engine::{ActionKind, ActionRequest, AlarmEngine};
use bytes::Bytes;
use cloudwatch_api::ActionSink;
use lambda_engine::LambdaEngine;
use sns_engine::SnsEngine;

/// How often the loop looks for due alarms. Alarms fall due on 10-second boundaries at the
/// finest, so a second's delay is within what CloudWatch shows.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Where SetAlarmState's actions go: delivered at once, like the evaluation loop's.
pub(crate) fn sink(alarms: AlarmEngine, lambda: LambdaEngine, sns: SnsEngine) -> ActionSink {
    Arc::new(move |actions| deliver(&alarms, &lambda, &sns, actions))
}

/// Evaluates due alarms for as long as the server runs.
pub(crate) async fn evaluate(alarms: AlarmEngine, lambda: LambdaEngine, sns: SnsEngine) {
    let mut tick = tokio::time::interval(LOOK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A round over many alarms takes milliseconds: off the request workers.
        let round = alarms.clone();
        let Ok(actions) = tokio::task::spawn_blocking(move || round.evaluate_due()).await else {
            tracing::error!("an alarm evaluation round panicked");
            continue;
        };
        deliver(&alarms, &lambda, &sns, actions);
    }
}

/// Delivers each action and writes its outcome into the alarm's history.
fn deliver(
    alarms: &AlarmEngine,
    lambda: &LambdaEngine,
    sns: &SnsEngine,
    actions: Vec<ActionRequest>,
) {
    for action in actions {
        let outcome = match &action.kind {
            ActionKind::Lambda => lambda_target(&action.target_arn)
                .ok_or_else(|| format!("{} is not a function ARN", action.target_arn))
                .and_then(|function| {
                    lambda
                        .invoke_event(function, Bytes::from(action.payload.clone()))
                        .map_err(|e| e.to_string())
                }),
            ActionKind::Sns => sns
                .publish(
                    &action.target_arn,
                    Some(sns_subject(&action.subject)),
                    &action.payload,
                )
                .map_err(|e| e.to_string()),
            ActionKind::Unsupported(service) => Err(format!(
                "{service} actions are not performed by this engine"
            )),
        };
        match outcome {
            Ok(request_id) => {
                alarms.record_action_result(&action, true, &request_id);
            }
            Err(why) => {
                tracing::warn!(alarm = %action.alarm_name, target = %action.target_arn, %why, "alarm action failed");
                alarms.record_action_result(&action, false, &why);
            }
        }
    }
}

/// An alarm's subject within SNS's limit (fewer than 100 characters): a long alarm name
/// would make it longer. What CloudWatch does then is not documented; cutting it keeps the
/// notification, which matters more than the subject's tail.
fn sns_subject(subject: &str) -> &str {
    match subject.char_indices().nth(99) {
        Some((at, _)) => &subject[..at],
        None => subject,
    }
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` -> `NAME[:QUALIFIER]`.
pub(crate) fn lambda_target(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", rest] if !rest.is_empty() => Some(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_subjects_are_cut_below_a_hundred_characters() {
        assert_eq!(
            sns_subject("ALARM: \"a\" in US East (N. Virginia)"),
            "ALARM: \"a\" in US East (N. Virginia)"
        );
        let long = format!("ALARM: \"{}\" in US East (N. Virginia)", "é".repeat(200));
        assert_eq!(sns_subject(&long).chars().count(), 99);
    }

    #[test]
    fn function_arns_name_the_function_and_its_qualifier() {
        assert_eq!(
            lambda_target("arn:aws:lambda:us-east-1:000000000000:function:alerts"),
            Some("alerts")
        );
        assert_eq!(
            lambda_target("arn:aws:lambda:us-east-1:000000000000:function:alerts:live"),
            Some("alerts:live")
        );
        assert_eq!(lambda_target("arn:aws:sns:us-east-1:000000000000:t"), None);
        assert_eq!(lambda_target("arn:aws:lambda:us-east-1:0:function:"), None);
    }
}
