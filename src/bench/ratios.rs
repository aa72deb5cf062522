//! What the bench's rows show side by side: the thread speed-up with the one
//! the threads' own speeds allowed, and the engine's time over its bare
//! loop's, each round by round.

use super::BenchRow;

/// A thread speed-up the rows show.
#[derive(Clone, Debug, PartialEq)]
pub struct Speedup<'a> {
    /// The workload run on several threads.
    pub workload: &'a str,
    /// Its threads.
    pub threads: usize,
    /// Each round's speed-up: customers per second on the several threads
    /// over those on one thread in the same round, so both ran within
    /// seconds of each other. For the same work, the one-thread time over
    /// the several-thread time.
    pub rounds: Vec<f64>,
    /// The median of the rounds' speed-ups.
    pub median: f64,
    /// Each round's speed-up the threads' own speeds allowed: the sum over
    /// the threads of the one-thread pass's time per replication over the
    /// thread's. Threads that all ran as fast as the one thread allow their
    /// count; a slower core allows less, whatever the split of work.
    pub allowed_rounds: Vec<f64>,
    /// The median of `allowed_rounds`.
    pub allowed_median: f64,
    /// Each round's milliseconds per replication: the one thread's, and
    /// each of the several threads'.
    pub ms_per_replication_rounds: Vec<(f64, Vec<f64>)>,
}

/// The thread speed-ups the rows show: for each row run on several threads,
/// the row it names of the same work per replication on one thread, and how
/// many times its pace the first ran at, round by round.
pub fn speedups(rows: &[BenchRow]) -> Vec<Speedup<'_>> {
    rows.iter()
        .filter(|r| r.threads > 1)
        .filter_map(|many| {
            let over = many.speedup_over.as_deref()?;
            let one = rows.iter().find(|r| r.workload == over && r.threads == 1)?;
            // The work's share of one thread's: exactly 1 for the same work.
            let work = many.customers as f64 / one.customers as f64;
            let rounds: Vec<f64> = round_ratios(one, many).iter().map(|r| r * work).collect();
            let ms_per_replication_rounds: Vec<(f64, Vec<f64>)> = one
                .ms_per_replication_rounds
                .iter()
                .zip(&many.ms_per_replication_rounds)
                .map(|(one, many)| (mean(one), many.clone()))
                .collect();
            let allowed_rounds: Vec<f64> = ms_per_replication_rounds
                .iter()
                .map(|(one, many)| many.iter().map(|ms| one / ms).sum())
                .collect();
            Some(Speedup {
                workload: many.workload.as_str(),
                threads: many.threads,
                median: median(&rounds),
                rounds,
                allowed_median: median(&allowed_rounds),
                allowed_rounds,
                ms_per_replication_rounds,
            })
        })
        .collect()
}

impl Speedup<'_> {
    /// Each round's speed-up as a share of `machine`'s in the same round
    /// (the copies of a bare loop on as many threads), and their median.
    pub fn share_of(&self, machine: &Speedup) -> (f64, Vec<f64>) {
        let rounds: Vec<f64> = self
            .rounds
            .iter()
            .zip(&machine.rounds)
            .map(|(s, m)| s / m)
            .collect();
        (median(&rounds), rounds)
    }
}

/// Each round's time of `a` over that of `b`, the two run within seconds of
/// each other.
fn round_ratios(a: &BenchRow, b: &BenchRow) -> Vec<f64> {
    a.wall_s_rounds
        .iter()
        .zip(&b.wall_s_rounds)
        .map(|(a, b)| a / b)
        .collect()
}

/// The engine's time against its bare loop's, for one reference model.
#[derive(Clone, Debug, PartialEq)]
pub struct BareRatio<'a> {
    /// The engine's workload.
    pub workload: &'a str,
    /// Each round's engine time over the bare loop's time, both run within
    /// seconds of each other.
    pub rounds: Vec<f64>,
    /// The median of the rounds' ratios.
    pub median: f64,
}

/// For each bare loop among the rows, how many times its time the engine's
/// workload of the same model took, round by round.
pub fn bare_ratios(rows: &[BenchRow]) -> Vec<BareRatio<'_>> {
    rows.iter()
        .filter_map(|bare| {
            let of = bare.bare_loop_of.as_deref()?;
            let engine = rows.iter().find(|r| r.workload == of)?;
            let rounds = round_ratios(engine, bare);
            Some(BareRatio {
                workload: engine.workload.as_str(),
                median: median(&rounds),
                rounds,
            })
        })
        .collect()
}

/// The mean.
fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The median; the mean of the middle two for an even count.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
