//! The dashboards streamwatch generates for a stream and its consumer function.
