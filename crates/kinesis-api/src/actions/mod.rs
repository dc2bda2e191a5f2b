//! One module per Kinesis action: its input schema and the function that runs it.

use aws_wire::{Encoding, Member, Value, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::metrics::Observed;

mod add_tags_to_stream;
mod create_stream;
mod delete_stream;
mod deregister_stream_consumer;
mod describe_limits;
mod describe_stream;
mod describe_stream_consumer;
mod describe_stream_summary;
mod enhanced_monitoring;
pub(crate) mod get_records;
pub(crate) mod get_shard_iterator;
pub(crate) mod list_shards;
mod list_stream_consumers;
mod list_streams;
mod list_tags_for_stream;
mod merge_shards;
mod put_record;
mod put_records;
mod register_stream_consumer;
mod remove_tags_from_stream;
mod resource_policy;
mod retention;
mod split_shard;
mod stream_encryption;
pub(crate) mod subscribe_to_shard;
mod tag_resource;
mod update_shard_count;
mod update_stream_mode;

macro_rules! actions {
    ($($variant:ident => $module:ident :: $input:ident, $run:path;)*) => {
        /// A Kinesis API action this server implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant,
            )*
        }

        impl Action {
            /// Every action.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The action's name as it appears after `Kinesis_20131202.`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => stringify!($variant),)*
                }
            }

            /// Looks an action up by name.
            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $(stringify!($variant) => Some(Action::$variant),)*
                    _ => None,
                }
            }

            /// The action's input schema.
            pub(crate) fn schema_members(self) -> &'static [Member] {
                self.schema()
            }

            fn schema(self) -> &'static [Member] {
                match self {
                    $(Action::$variant => &$module::$input,)*
                }
            }
        }

        /// Validates the decoded body against the action's schema and runs it.
        pub(crate) fn run(
            action: Action,
            engine: &Engine,
            value: Value<'_>,
            enc: Encoding,
            w: &mut Writer,
            obs: &mut Observed,
        ) -> ApiResult {
            let input = aws_wire::validate(value, action.schema(), enc)?;
            match action {
                $(Action::$variant => $run(engine, input, w, obs),)*
            }
        }
    };
}

actions! {
    AddTagsToStream => add_tags_to_stream::INPUT, add_tags_to_stream::run;
    CreateStream => create_stream::INPUT, create_stream::run;
    DecreaseStreamRetentionPeriod => retention::INPUT, retention::decrease;
    DeleteResourcePolicy => resource_policy::INPUT, resource_policy::delete;
    DeleteStream => delete_stream::INPUT, delete_stream::run;
    DeregisterStreamConsumer => deregister_stream_consumer::INPUT, deregister_stream_consumer::run;
    DescribeLimits => describe_limits::INPUT, describe_limits::run;
    DescribeStream => describe_stream::INPUT, describe_stream::run;
    DescribeStreamConsumer => describe_stream_consumer::INPUT, describe_stream_consumer::run;
    DescribeStreamSummary => describe_stream_summary::INPUT, describe_stream_summary::run;
    DisableEnhancedMonitoring => enhanced_monitoring::INPUT, enhanced_monitoring::disable;
    EnableEnhancedMonitoring => enhanced_monitoring::INPUT, enhanced_monitoring::enable;
    GetRecords => get_records::INPUT, get_records::run;
    GetResourcePolicy => resource_policy::INPUT, resource_policy::get;
    GetShardIterator => get_shard_iterator::INPUT, get_shard_iterator::run;
    IncreaseStreamRetentionPeriod => retention::INPUT, retention::increase;
    ListShards => list_shards::INPUT, list_shards::run;
    ListStreamConsumers => list_stream_consumers::INPUT, list_stream_consumers::run;
    ListStreams => list_streams::INPUT, list_streams::run;
    ListTagsForResource => tag_resource::LIST_INPUT, tag_resource::list;
    ListTagsForStream => list_tags_for_stream::INPUT, list_tags_for_stream::run;
    MergeShards => merge_shards::INPUT, merge_shards::run;
    PutRecord => put_record::INPUT, put_record::run;
    PutRecords => put_records::INPUT, put_records::run;
    PutResourcePolicy => resource_policy::PUT_INPUT, resource_policy::put;
    RegisterStreamConsumer => register_stream_consumer::INPUT, register_stream_consumer::run;
    RemoveTagsFromStream => remove_tags_from_stream::INPUT, remove_tags_from_stream::run;
    SplitShard => split_shard::INPUT, split_shard::run;
    StartStreamEncryption => stream_encryption::INPUT, stream_encryption::start;
    StopStreamEncryption => stream_encryption::INPUT, stream_encryption::stop;
    SubscribeToShard => subscribe_to_shard::INPUT, subscribe_to_shard::run;
    TagResource => tag_resource::TAG_INPUT, tag_resource::tag;
    UntagResource => tag_resource::UNTAG_INPUT, tag_resource::untag;
    UpdateShardCount => update_shard_count::INPUT, update_shard_count::run;
    UpdateStreamMode => update_stream_mode::INPUT, update_stream_mode::run;
}

/// PutRecords with records failed on purpose (fault injection; see `put_records::run_with`).
pub(crate) fn run_put_records_with(
    engine: &Engine,
    value: Value<'_>,
    enc: Encoding,
    w: &mut Writer,
    obs: &mut Observed,
    failures: &mut fault_injection::RecordFailures<'_>,
) -> ApiResult {
    let input = aws_wire::validate(value, Action::PutRecords.schema(), enc)?;
    put_records::run_with(engine, input, w, obs, Some(failures))
}
