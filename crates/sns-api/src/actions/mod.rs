//! One module per SNS operation: its input schema, whether it has a result element, and the
//! function that runs it.

use aws_wire::{Input, Writer};
use sns_engine::SnsError;

use crate::Context;

mod confirm_subscription;
mod create_topic;
mod delete_topic;
mod get_subscription_attributes;
mod get_topic_attributes;
mod list_subscriptions;
mod list_subscriptions_by_topic;
mod list_tags_for_resource;
mod list_topics;
mod publish;
mod publish_batch;
mod set_subscription_attributes;
mod set_topic_attributes;
mod subscribe;
mod tag_resource;
mod unsubscribe;
mod untag_resource;

macro_rules! operations {
    ($($variant:ident => $module:ident;)*) => {
        aws_wire::operation_table! { "SNS"; $($variant => $module;)* }

        impl Operation {
            /// Whether its answer has a `<{Op}Result>` element (the model gives it an output
            /// shape).
            pub fn has_output(self) -> bool {
                match self {
                    $(Operation::$variant => $module::HAS_OUTPUT,)*
                }
            }
        }

        /// Runs `op` on its validated input, writing its result into `w`.
        pub(crate) fn run(
            op: Operation,
            ctx: &Context<'_>,
            input: Input<'_>,
            w: &mut Writer,
        ) -> Result<(), SnsError> {
            match op {
                $(Operation::$variant => $module::run(ctx, input, w),)*
            }
        }
    };
}

operations! {
    ConfirmSubscription => confirm_subscription;
    CreateTopic => create_topic;
    DeleteTopic => delete_topic;
    GetSubscriptionAttributes => get_subscription_attributes;
    GetTopicAttributes => get_topic_attributes;
    ListSubscriptions => list_subscriptions;
    ListSubscriptionsByTopic => list_subscriptions_by_topic;
    ListTagsForResource => list_tags_for_resource;
    ListTopics => list_topics;
    Publish => publish;
    PublishBatch => publish_batch;
    SetSubscriptionAttributes => set_subscription_attributes;
    SetTopicAttributes => set_topic_attributes;
    Subscribe => subscribe;
    TagResource => tag_resource;
    Unsubscribe => unsubscribe;
    UntagResource => untag_resource;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(*op));
        }
        assert_eq!(Operation::from_name("publish"), None);
    }
}
