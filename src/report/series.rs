//! The time series folded one replication at a time: each band's mean per
//! sample, and the 5th and 95th percentiles across replications of the
//! columns drawn as bands, exactly as sorting the replications' values would
//! give them, from a bounded share of the values.
//!
//! The percentiles are those of the first [`BAND_REPLICATIONS`]
//! replications: they keep a tenth of the values they are over, so a run of
//! any length keeps about a hundred per sample and column at most, while
//! every mean is over all the replications.

use std::cmp::Ordering;

use super::{Band, SeriesReport};
use crate::engine::{ModeColumn, Series, SeriesLayout};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// The most replications the 5–95% bands are taken over: the first ones,
/// in replication order. A percentile over a thousand replications is
/// already close to the one over all: with one standard error, within 0.7
/// percentile points of the model's own 5th or 95th.
pub const BAND_REPLICATIONS: usize = 1_000;

/// The bands of a run's series, filled as replications come in (in
/// replication order, so that each mean sums its values in that order).
pub(super) struct SeriesFold {
    /// Every band with its column in a replication's row.
    bands: Vec<(Band, usize)>,
    /// Sample rows every replication so far has reached (`None` before the first).
    rows: Option<usize>,
    /// Per band, per row, the sum of the replications' values (band by
    /// band, so that each becomes its band's means where it lies).
    sums: Vec<Vec<f64>>,
    /// Per row and ranged band, the values that decide the 5th percentile.
    low: Nearest,
    /// The same for the 95th.
    high: Nearest,
    /// The ranged bands' positions in `bands`.
    ranged: Vec<usize>,
    replications: usize,
    /// The replications the percentiles are over: the first this many.
    ranked: usize,
    added: usize,
}

impl SeriesFold {
    /// Bands for the scenario's columns, for `replications` replications.
    pub(super) fn new(sc: &Scenario, replications: usize) -> SeriesFold {
        let layout = SeriesLayout::new(sc);
        // Every band with its column; `ranged`: with the 5–95% range across
        // replications (the columns drawn as bands); the others (counts so
        // far) are written as means only.
        let band = |name: String, col: usize, ranged: bool| {
            let band = Band {
                name,
                ranged,
                ..Band::default()
            };
            (band, col)
        };
        let mut bands: Vec<(Band, usize)> = Vec::new();
        for (m, mode) in sc.modes.iter().enumerate() {
            for c in ModeColumn::ALL {
                let ranged = matches!(c, ModeColumn::QueueUnits | ModeColumn::QueueKm);
                bands.push(band(
                    format!("{}_{}", mode.name, c.suffix()),
                    layout.mode(m, c),
                    ranged,
                ));
            }
        }
        bands.push(band("road_queue_km".to_string(), layout.road_km(), true));
        for (s, st) in sc.stages.iter().enumerate() {
            bands.push(band(
                format!("{}_utilisation", st.name),
                layout.stage_utilisation(s),
                true,
            ));
        }
        // One replication: its percentiles are its values, as the mean is,
        // and none are kept.
        let ranged = if replications > 1 {
            (0..bands.len()).filter(|&b| bands[b].0.ranged).collect()
        } else {
            Vec::new()
        };
        let ranked = replications.min(BAND_REPLICATIONS);
        SeriesFold {
            bands,
            rows: None,
            sums: Vec::new(),
            low: Nearest::new(nearest_rank(ranked, 0.05), Ordering::Less),
            high: Nearest::new(ranked + 1 - nearest_rank(ranked, 0.95), Ordering::Greater),
            ranged,
            replications,
            ranked,
            added: 0,
        }
    }

    /// The replications the percentiles are over: all, or the first
    /// [`BAND_REPLICATIONS`].
    pub(super) fn ranked(&self) -> usize {
        self.ranked
    }

    /// Adds the next replication's series, taking its columns.
    pub(super) fn add(&mut self, series: Series) {
        let rows = self.rows.map_or(series.rows(), |r| r.min(series.rows()));
        let per_ranged = self.ranged.len();
        if self.rows.is_none() {
            self.low.cells(rows * per_ranged);
            self.high.cells(rows * per_ranged);
        }
        self.low.truncate(rows * per_ranged);
        self.high.truncate(rows * per_ranged);
        let ranking = if self.added < self.ranked {
            &self.ranged[..]
        } else {
            &[]
        };
        for r in 0..rows {
            for (i, &b) in ranking.iter().enumerate() {
                let value = series.value(r, self.bands[b].1);
                let cell = r * per_ranged + i;
                self.low.offer(cell, self.added, value);
                self.high.offer(cell, self.added, value);
            }
        }
        let mut columns = series.columns;
        if self.rows.is_none() {
            // The first replication's columns are the sums: a sum that
            // starts as `Iterator::sum` does, at -0.0, and adds a value is
            // that value, so each mean is the same bits.
            self.sums = self
                .bands
                .iter()
                .map(|&(_, col)| std::mem::take(&mut columns[col]))
                .collect();
        } else {
            for (sums, &(_, col)) in self.sums.iter_mut().zip(&self.bands) {
                for (sum, value) in sums.iter_mut().zip(&columns[col]) {
                    *sum += value;
                }
            }
        }
        for sums in &mut self.sums {
            sums.truncate(rows);
        }
        self.rows = Some(rows);
        self.added += 1;
    }

    /// The bands, once every replication is in.
    pub(super) fn finish(self, sc: &Scenario) -> SeriesReport {
        assert_eq!(self.added, self.replications, "every replication folded");
        let rows = self.rows.unwrap_or(0);
        let n = self.replications as f64;
        let mut bands: Vec<Band> = self.bands.into_iter().map(|(b, _)| b).collect();
        // Each band's sums become its means where they lie.
        for (band, mut sums) in bands.iter_mut().zip(self.sums) {
            sums.iter_mut().for_each(|sum| *sum /= n);
            band.mean = sums;
        }
        let per_ranged = self.ranged.len();
        for (i, &b) in self.ranged.iter().enumerate() {
            let cells = (0..rows).map(|r| r * per_ranged + i);
            bands[b].p5 = cells.clone().map(|c| self.low.nearest(c)).collect();
            bands[b].p95 = cells.map(|c| self.high.nearest(c)).collect();
        }
        let mut bands = bands.into_iter();
        let modes = sc
            .modes
            .iter()
            .map(|_| std::array::from_fn(|_| bands.next().expect("a band per mode column")))
            .collect();
        let road_km = bands.next().expect("the road's band");
        let utilisation = bands.collect();
        let times: Vec<SimTime> = (0..rows)
            .map(|r| SimTime(sc.sample_interval.0 * r as u64))
            .collect();
        SeriesReport {
            times_h: times.iter().map(|t| t.as_h()).collect(),
            datetimes: times
                .iter()
                .map(|&t| sc.calendar.datetime(t).to_string())
                .collect(),
            modes,
            road_km,
            utilisation,
        }
    }
}

/// The nearest rank (1-based) of quantile `q` among `n` values.
fn nearest_rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n.max(1))
}

/// Per cell, the `k` values that come first in an order (ascending, or
/// descending for `Greater`), compared by `f64::total_cmp` as a sort would:
/// the last of them is the value a full sort puts at rank `k`. Each cell is a
/// binary heap with that last value at its root, so a value that comes
/// earlier replaces it in `log k` steps, and one that does not costs one
/// comparison.
struct Nearest {
    k: usize,
    first: Ordering,
    /// Cells × `k` values; a cell holds `min(offered, k)`.
    values: Vec<f64>,
}

impl Nearest {
    fn new(k: usize, first: Ordering) -> Nearest {
        Nearest {
            k,
            first,
            values: Vec::new(),
        }
    }

    /// Makes room for `cells` cells.
    fn cells(&mut self, cells: usize) {
        self.values = vec![f64::NAN; cells * self.k];
    }

    /// Keeps the first `cells` cells.
    fn truncate(&mut self, cells: usize) {
        self.values.truncate(cells * self.k);
    }

    /// Offers a cell its next value, the cell having been offered `seen` so far.
    fn offer(&mut self, cell: usize, seen: usize, value: f64) {
        let k = self.k;
        let first = self.first;
        let before = |a: f64, b: f64| a.total_cmp(&b) == first;
        let heap = &mut self.values[cell * k..][..k];
        if seen < k {
            // Not full: the value goes in at the end and rises past every
            // parent it comes after.
            let mut i = seen;
            while i > 0 && before(heap[(i - 1) / 2], value) {
                heap[i] = heap[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            heap[i] = value;
        } else if before(value, heap[0]) {
            // Full: the value replaces the root and sinks below every child
            // that comes after it.
            let mut i = 0;
            loop {
                let mut child = 2 * i + 1;
                if child >= k {
                    break;
                }
                if child + 1 < k && before(heap[child], heap[child + 1]) {
                    child += 1;
                }
                if !before(value, heap[child]) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = value;
        }
    }

    /// The k-th value of a cell in the order (the cell having been offered at least `k`).
    fn nearest(&self, cell: usize) -> f64 {
        self.values[cell * self.k]
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::{nearest_rank, Nearest};

    /// The kept values give the sort's nearest-rank percentiles for every
    /// count of values, with ties, signed zeros and NaN among them.
    #[test]
    fn keeps_what_a_full_sort_would_rank() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in 1..=300 {
            let values: Vec<f64> = (0..n)
                .map(|_| match next() % 10 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f64::NAN,
                    3 => 1.5,
                    _ => (next() % 1000) as f64 / 7.0 - 50.0,
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.05, 0.5, 0.95] {
                let rank = nearest_rank(n, q);
                let (k, first) = if q < 0.5 {
                    (rank, Ordering::Less)
                } else {
                    (n + 1 - rank, Ordering::Greater)
                };
                let mut kept = Nearest::new(k, first);
                kept.cells(1);
                for (seen, &v) in values.iter().enumerate() {
                    kept.offer(0, seen, v);
                }
                let (got, want) = (kept.nearest(0), sorted[rank - 1]);
                assert_eq!(got.to_bits(), want.to_bits(), "n {n}, q {q}");
            }
        }
    }
}
