//! Dashboards on the wire: the `DashboardValidationMessages` list.

use aws_wire::Writer;

/// A list of `{DataPath, Message}` structures (the key is written by the caller).
pub(crate) fn write_messages(w: &mut Writer, messages: &[dashboards::ValidationMessage]) {
    w.begin_array(Some(messages.len()));
    for m in messages {
        w.begin_map(Some(2));
        w.key("DataPath");
        w.str(&m.data_path);
        w.key("Message");
        w.str(&m.message);
        w.end_map();
    }
    w.end_array();
}
