//! borderq: a discrete-event simulator of queues at land border checkpoints.
//!
//! Data flows one way: a scenario file is validated into a [`Scenario`]; each
//! replication runs on the [`engine`] and yields an [`engine::Outcome`]; the
//! [`experiment`] layer runs replications in parallel and folds them, in
//! replication order, into a [`report::Report`]; [`output`] turns reports into
//! files and charts. The library never prints.
#![warn(missing_docs)]

pub mod bench;
pub mod capacity;
pub mod cores;
pub mod engine;
pub mod scenario;
pub mod stats;
pub mod sweep;
pub mod time;

pub use scenario::Scenario;
pub mod experiment;
pub mod output;
pub mod report;
