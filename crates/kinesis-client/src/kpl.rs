//! placeholder until the KPL module lands
