//! Streaming statistics with bounded memory: duration histograms, time-weighted
//! levels, and confidence intervals across replications.

pub mod histogram;
pub mod interval;
pub mod level;

pub use histogram::{CoarseHistogram, Histogram};
pub use interval::{t_quantile, Estimate, Running};
pub use level::{Level, LevelSummary, Occupancy};
