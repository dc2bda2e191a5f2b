//! Where the log groups and their events come from.

use lambda_engine::{LambdaEngine, LogEvent};
use logs_engine::LogsEngine;

/// The logs the API serves: one log group per function (`/aws/lambda/<name>`), each event
/// tagged with its log stream. [`LambdaEngine`] is the real one; tests use fixtures.
pub trait LogSource {
    /// The region in ARNs.
    fn region(&self) -> &str;
    /// The account in ARNs.
    fn account_id(&self) -> &str;
    /// The names of the functions, in name order.
    fn functions(&self) -> Vec<String>;
    /// Function `name`'s log events in the order written, from index `from` on (an index
    /// counts every event ever written, so it stays valid as old events are dropped); `None`
    /// if there is no such function.
    fn events(&self, name: &str, from: usize) -> Option<Vec<LogEvent>>;
    /// The log groups users create and write with PutLogEvents, when this source has them;
    /// without them the operations that write are not served.
    fn ingested(&self) -> Option<&LogsEngine> {
        None
    }
}

/// The functions' logs beside the log groups users create: what the server serves.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a, S: ?Sized> {
    /// The functions' logs (`/aws/lambda/<name>`).
    pub functions: &'a S,
    /// The log groups users create.
    pub ingested: &'a LogsEngine,
}

impl<S: LogSource + ?Sized> LogSource for Sources<'_, S> {
    fn region(&self) -> &str {
        self.functions.region()
    }

    fn account_id(&self) -> &str {
        self.functions.account_id()
    }

    fn functions(&self) -> Vec<String> {
        self.functions.functions()
    }

    fn events(&self, name: &str, from: usize) -> Option<Vec<LogEvent>> {
        self.functions.events(name, from)
    }

    fn ingested(&self) -> Option<&LogsEngine> {
        Some(self.ingested)
    }
}

impl LogSource for LambdaEngine {
    fn region(&self) -> &str {
        &self.config().region
    }

    fn account_id(&self) -> &str {
        &self.config().account_id
    }

    fn functions(&self) -> Vec<String> {
        self.list_functions().into_iter().map(|f| f.name).collect()
    }

    fn events(&self, name: &str, from: usize) -> Option<Vec<LogEvent>> {
        self.logs(name, from).ok()
    }
}
