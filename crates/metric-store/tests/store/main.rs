//! The store through its public API (`model`), and the guard that keeps metric names in the
//! catalogue (`catalogue_guard`), and the bound on the number of series (`series_limit`).

mod catalogue_guard;
mod model;
mod series_limit;
