//! placeholder until the metrics module lands
