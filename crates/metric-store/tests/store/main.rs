//! The store through its public API (`model`), and the guard that keeps metric names in the
//! catalogue (`catalogue_guard`).

mod catalogue_guard;
mod model;
