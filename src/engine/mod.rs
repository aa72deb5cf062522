//! The simulation engine: one replication at a time, single-threaded, with an
//! event calendar over integer time and separate random streams per purpose.

pub mod calendar;
pub mod deadlines;
pub mod outcome;
mod replication;
pub mod rng;
pub mod road;

pub use calendar::Calendar;
pub use deadlines::Deadlines;
pub use outcome::{
    period_width, Count, DayCounts, ModeColumn, ModeOutcome, Outcome, Series, SeriesLayout,
    StageOutcome,
};
pub use replication::{run_replication, Replication};
