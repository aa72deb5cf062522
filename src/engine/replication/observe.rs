//! What a replication shows: time-series samples, observation probes, and
//! the outcome at the end.

use super::{Replication, State};
use crate::engine::outcome::{Count, DayCounts, ModeColumn, Outcome, Series, StageOutcome};
use crate::scenario::Metric;
use crate::stats::Histogram;
use crate::time::SimTime;

impl Replication<'_> {
    pub(super) fn probe_value(&self, i: usize) -> f64 {
        let o = &self.sc.observations[i];
        let modes = 0..self.sc.modes.len();
        let wanted = |m: &usize| o.mode.is_none_or(|x| x.0 == *m);
        match o.metric {
            Metric::QueueKm => match o.mode {
                Some(m) => self.road.km(m.0, self.approach_units(m.0)),
                None => self.road.road_km(),
            },
            Metric::QueueUnits => modes.filter(wanted).map(|m| self.approach_units(m)).sum(),
            Metric::CrossedUnits => modes
                .filter(wanted)
                .map(|m| self.total(m, |d| d.crossed).units as f64)
                .sum(),
            Metric::CrossedPersons => modes
                .filter(wanted)
                .map(|m| self.total(m, |d| d.crossed).persons as f64)
                .sum(),
        }
    }

    /// Mode `m`'s count so far of what `pick` takes from each period.
    fn total(&self, m: usize, pick: fn(&DayCounts) -> Count) -> Count {
        let mut sum = sum_of(&self.modes_out[m].per_day, pick);
        sum += pick(&self.modes[m].counts);
        sum
    }

    pub(super) fn sample(&mut self) {
        let now = self.now;
        if self.series.is_empty() {
            // Every sample of the run at once: no doubling slack in a long run's table.
            let rows = (self.horizon.0 / self.sc.sample_interval.0.max(1) + 1) as usize;
            self.series = (0..self.layout.columns())
                .map(|_| Vec::with_capacity(rows))
                .collect();
        }
        let n_stages = self.stages.len();
        for m in 0..self.sc.modes.len() {
            let q = self.approach_units(m);
            let crossed = self.total(m, |d| d.crossed);
            let balked = self.total(m, |d| d.balked);
            let reneged = self.total(m, |d| d.reneged);
            let switched = self.total(m, |d| d.switched);
            let km = self.road.km(m, q);
            let (layout, series) = (&self.layout, &mut self.series);
            let mut put = |c: ModeColumn, v: f64| series[layout.mode(m, c)].push(v);
            put(ModeColumn::QueueUnits, q);
            put(ModeColumn::QueueKm, km);
            put(ModeColumn::CrossedUnits, crossed.units as f64);
            put(ModeColumn::CrossedPersons, crossed.persons as f64);
            put(ModeColumn::Balked, balked.units as f64);
            put(ModeColumn::Reneged, reneged.units as f64);
            put(ModeColumn::Switched, switched.units as f64);
        }
        self.series[self.layout.road_km()].push(self.road.road_km());
        for s in 0..n_stages {
            let (busy, open) = self.stage_areas(s, now);
            let (b0, o0) = self.last_sample_areas[s];
            let util = if open > o0 {
                (busy - b0) / (open - o0)
            } else {
                0.0
            };
            self.series[self.layout.stage_utilisation(s)].push(util);
            self.last_sample_areas[s] = (busy, open);
        }
        debug_assert!(
            self.series.iter().all(|c| c.len() == self.series[0].len()),
            "every column sampled once"
        );
    }

    /// Busy and open booth-minutes of a stage's groups up to `now`.
    pub(super) fn stage_areas(&self, s: usize, now: SimTime) -> (f64, f64) {
        self.groups
            .iter()
            .filter(|g| g.stage == s)
            .fold((0.0, 0.0), |(b, o), g| {
                (b + g.busy.area_min(now), o + g.open.area_min(now))
            })
    }

    pub(super) fn finish(mut self, end: SimTime) -> Outcome {
        let n_stages = self.stages.len();
        let areas = self.approach_areas(end);
        self.close_period();
        // Travellers still present: waiting, in service, blocked or walking
        // (abandoned vehicles and free slots are nobody).
        for u in &self.units {
            if matches!(
                u.state,
                State::Waiting | State::InService | State::Blocked | State::Walking
            ) {
                self.modes_out[u.mode as usize].in_system.add(u.people);
            }
        }
        for (m, out) in self.modes_out.iter_mut().enumerate() {
            if let [only] = &self.modes[m].route[..] {
                // One stage: its waits are the total waits (recorded once).
                out.stage_wait[only.stage] = out.wait.clone();
            }
            out.stage_queue = (0..n_stages)
                .map(|s| self.queue[m * n_stages + s].summary(end))
                .collect();
            out.queue = out.stage_queue[self.modes[m].route[0].stage];
            out.queue_km = self.road.mode_summary(m, out.queue, &areas, end);
            // Periods to the end, and any later one that counted something
            // (an event at the very end); none beyond. The periods were laid
            // out for the whole horizon, so this only shortens.
            let days = end.0.div_ceil(self.period_width).max(1) as usize;
            let counted = out
                .per_day
                .iter()
                .rposition(|d| *d != DayCounts::default())
                .map_or(0, |i| i + 1);
            out.per_day.truncate(days.max(counted));
            let total = |pick| sum_of(&out.per_day, pick);
            out.arrived = total(|d| d.arrived);
            out.balked = total(|d| d.balked);
            out.reneged = total(|d| d.reneged);
            out.switched_out = total(|d| d.switched);
            out.jumped = total(|d| d.jumped);
            out.crossed = total(|d| d.crossed);
        }
        let stages = (0..n_stages)
            .map(|s| {
                let (busy, open) = self.stage_areas(s, end);
                let group_utilisation = self
                    .groups
                    .iter()
                    .filter(|g| g.stage == s)
                    .map(|g| ratio(g.busy.area_min(end), g.open.area_min(end)))
                    .collect();
                StageOutcome {
                    utilisation: ratio(busy, open),
                    group_utilisation,
                }
            })
            .collect();
        // Every visit served after the warm-up is in exactly one stage-wait histogram.
        let visits = self.modes_out.iter().flat_map(|o| &o.stage_wait);
        let served_visits = visits.clone().map(Histogram::count).sum();
        let served_wait_us: u128 = visits.map(Histogram::sum_us).sum();
        Outcome {
            end,
            events: self.events,
            modes: self.modes_out,
            stages,
            road_km: self.road.road_summary(&areas, end),
            series: Series {
                columns: self.series,
            },
            observations: self.probes,
            waiting_mean: self.queue.iter().map(|q| q.summary(end).mean).sum(),
            served_visits,
            served_wait_sum_min: served_wait_us as f64 / 60e6,
            queue_time_min: (self.queue_time_us
                + self
                    .units
                    .iter()
                    .filter(|u| matches!(u.state, State::Waiting | State::Abandoned))
                    .map(|u| u128::from(end.0.saturating_sub(u.stage_arrived)))
                    .sum::<u128>()) as f64
                / 60e6,
            fifo_violations: self.fifo_violations,
        }
    }
}

/// The sum over periods of what `pick` takes from each.
fn sum_of(days: &[DayCounts], pick: fn(&DayCounts) -> Count) -> Count {
    let mut sum = Count::default();
    for c in days.iter().map(pick) {
        sum += c;
    }
    sum
}

/// `a / b`, or 0 where `b` is 0 (a group never open was never busy).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}
