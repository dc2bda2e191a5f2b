//! One module per Lambda operation: its input schema (the members and where each travels)
//! and the `run` that calls the engine and writes the answer.
//!
//! Adding an operation means a module here and a line in the `operations!` table, which also
//! gives the operation its method and URI template (botocore's `requestUri`).

use aws_wire::{Binding, Input, Member, RestParts};
use lambda_engine::LambdaEngine;

use crate::ApiResult;

mod create_alias;
mod create_event_source_mapping;
mod create_function;
mod delete_alias;
mod delete_event_source_mapping;
mod delete_function;
mod delete_function_concurrency;
mod delete_function_event_invoke_config;
mod delete_provisioned_concurrency_config;
mod get_account_settings;
mod get_alias;
mod get_event_source_mapping;
mod get_function;
mod get_function_concurrency;
mod get_function_configuration;
mod get_function_event_invoke_config;
mod get_provisioned_concurrency_config;
mod invoke;
mod list_aliases;
mod list_event_source_mappings;
mod list_functions;
mod list_tags;
mod list_versions_by_function;
mod publish_version;
mod put_function_concurrency;
mod put_function_event_invoke_config;
mod put_provisioned_concurrency_config;
mod tag_resource;
mod untag_resource;
mod update_alias;
mod update_event_source_mapping;
mod update_function_code;
mod update_function_configuration;
mod update_function_event_invoke_config;

/// One call on its way through an operation: the engine, the validated input and the raw
/// body (which only Invoke reads, as its payload).
pub(crate) struct Call<'e, 'a> {
    /// The engine.
    pub engine: &'e LambdaEngine,
    /// The members from the path, query, headers and body, validated.
    pub input: Input<'a>,
    /// The request body as sent.
    pub body: &'a [u8],
}

macro_rules! operations {
    ($($variant:ident => $module:ident, $method:literal $uri:literal;)*) => {
        /// A Lambda API operation this server implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($variant), "`: `", $method, " ", $uri, "`")]
                $variant,
            )*
        }

        impl Operation {
            /// Every operation.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),*];

            /// The operation's name, as in Lambda's API reference.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($variant),)*
                }
            }

            /// The HTTP method and URI template (`{Label}`s name members).
            pub fn http(self) -> (&'static str, &'static str) {
                match self {
                    $(Operation::$variant => ($method, $uri),)*
                }
            }

            fn schema(self) -> (&'static [Member], &'static [Binding]) {
                match self {
                    $(Operation::$variant => (&$module::INPUT, &$module::BINDINGS),)*
                }
            }
        }

        /// Reads the operation's input from `parts` and `body`, validates it, and runs it.
        pub(crate) async fn run(
            op: Operation,
            engine: &LambdaEngine,
            body: &[u8],
            parts: &RestParts<'_>,
        ) -> ApiResult {
            let (members, bindings) = op.schema();
            // Invoke's body is the function's payload, not a document of members.
            let document = (op != Operation::Invoke).then_some(body);
            let input = aws_wire::parse_rest(document, members, bindings, parts)?;
            let call = Call { engine, input, body };
            match op {
                $(Operation::$variant => $module::run(call).await,)*
            }
        }
    };
}

operations! {
    CreateFunction => create_function, "POST" "/2015-03-31/functions";
    ListFunctions => list_functions, "GET" "/2015-03-31/functions";
    GetFunction => get_function, "GET" "/2015-03-31/functions/{FunctionName}";
    DeleteFunction => delete_function, "DELETE" "/2015-03-31/functions/{FunctionName}";
    GetFunctionConfiguration => get_function_configuration, "GET" "/2015-03-31/functions/{FunctionName}/configuration";
    UpdateFunctionConfiguration => update_function_configuration, "PUT" "/2015-03-31/functions/{FunctionName}/configuration";
    UpdateFunctionCode => update_function_code, "PUT" "/2015-03-31/functions/{FunctionName}/code";
    Invoke => invoke, "POST" "/2015-03-31/functions/{FunctionName}/invocations";
    PublishVersion => publish_version, "POST" "/2015-03-31/functions/{FunctionName}/versions";
    ListVersionsByFunction => list_versions_by_function, "GET" "/2015-03-31/functions/{FunctionName}/versions";
    CreateAlias => create_alias, "POST" "/2015-03-31/functions/{FunctionName}/aliases";
    ListAliases => list_aliases, "GET" "/2015-03-31/functions/{FunctionName}/aliases";
    GetAlias => get_alias, "GET" "/2015-03-31/functions/{FunctionName}/aliases/{Name}";
    UpdateAlias => update_alias, "PUT" "/2015-03-31/functions/{FunctionName}/aliases/{Name}";
    DeleteAlias => delete_alias, "DELETE" "/2015-03-31/functions/{FunctionName}/aliases/{Name}";
    PutProvisionedConcurrencyConfig => put_provisioned_concurrency_config, "PUT" "/2019-09-30/functions/{FunctionName}/provisioned-concurrency";
    GetProvisionedConcurrencyConfig => get_provisioned_concurrency_config, "GET" "/2019-09-30/functions/{FunctionName}/provisioned-concurrency";
    DeleteProvisionedConcurrencyConfig => delete_provisioned_concurrency_config, "DELETE" "/2019-09-30/functions/{FunctionName}/provisioned-concurrency";
    PutFunctionConcurrency => put_function_concurrency, "PUT" "/2017-10-31/functions/{FunctionName}/concurrency";
    DeleteFunctionConcurrency => delete_function_concurrency, "DELETE" "/2017-10-31/functions/{FunctionName}/concurrency";
    GetFunctionConcurrency => get_function_concurrency, "GET" "/2019-09-30/functions/{FunctionName}/concurrency";
    ListTags => list_tags, "GET" "/2017-03-31/tags/{Resource}";
    TagResource => tag_resource, "POST" "/2017-03-31/tags/{Resource}";
    UntagResource => untag_resource, "DELETE" "/2017-03-31/tags/{Resource}";
    PutFunctionEventInvokeConfig => put_function_event_invoke_config, "PUT" "/2019-09-25/functions/{FunctionName}/event-invoke-config";
    UpdateFunctionEventInvokeConfig => update_function_event_invoke_config, "POST" "/2019-09-25/functions/{FunctionName}/event-invoke-config";
    GetFunctionEventInvokeConfig => get_function_event_invoke_config, "GET" "/2019-09-25/functions/{FunctionName}/event-invoke-config";
    DeleteFunctionEventInvokeConfig => delete_function_event_invoke_config, "DELETE" "/2019-09-25/functions/{FunctionName}/event-invoke-config";
    CreateEventSourceMapping => create_event_source_mapping, "POST" "/2015-03-31/event-source-mappings";
    ListEventSourceMappings => list_event_source_mappings, "GET" "/2015-03-31/event-source-mappings";
    GetEventSourceMapping => get_event_source_mapping, "GET" "/2015-03-31/event-source-mappings/{UUID}";
    UpdateEventSourceMapping => update_event_source_mapping, "PUT" "/2015-03-31/event-source-mappings/{UUID}";
    DeleteEventSourceMapping => delete_event_source_mapping, "DELETE" "/2015-03-31/event-source-mappings/{UUID}";
    GetAccountSettings => get_account_settings, "GET" "/2016-08-19/account-settings";
}
