//! Controls: the events the run schedules for itself rather than the
//! travellers: time-series samples, booth shift changes, the end of the
//! warm-up, and the scenario's policy events (booths, closures, forbidden
//! modes, arrival and service factors).

use super::{Control, ProbeKind, Replication};
use crate::scenario::Action;
use crate::time::{SimTime, US_PER_MIN};

impl Replication<'_> {
    /// The key of the next control, or of the first instant past the horizon
    /// (where the run ends), whichever is first.
    pub(super) fn next_control_key(&self) -> u128 {
        let at = self.next_control_time().min(self.horizon.plus(SimTime(1)));
        u128::from(at.0) << 64
    }

    fn next_control_time(&self) -> SimTime {
        let c = self
            .controls
            .get(self.next_control)
            .map_or(SimTime::NEVER, |c| c.0);
        c.min(self.next_sample).min(self.next_shift)
    }

    pub(super) fn handle_control(&mut self) {
        if self.next_sample <= self.now {
            self.sample();
            self.next_sample = self.next_sample.plus(self.sc.sample_interval);
            return;
        }
        if self.next_shift <= self.now {
            self.change_shifts();
            return;
        }
        let (_, c) = self.controls[self.next_control];
        self.next_control += 1;
        match c {
            Control::WarmupEnd => self.restart_statistics(),
            Control::Policy(i) => {
                self.events += 1;
                self.apply(i);
            }
            Control::Probe(i, kind) => {
                // A period the run does not reach the end of has no count:
                // its probe stays NaN (n/a), not the running total at its start.
                let v = self.probe_value(i);
                match kind {
                    ProbeKind::Level => self.probes[i] = v,
                    ProbeKind::PeriodStart => self.period_starts[i] = v,
                    ProbeKind::PeriodEnd => self.probes[i] = v - self.period_starts[i],
                }
            }
        }
    }

    /// Applies every booth-schedule change due now; a change overrides any
    /// earlier `set_booths` until the next change.
    fn change_shifts(&mut self) {
        for g in 0..self.groups.len() {
            if self.groups[g].shift_at > self.now {
                continue;
            }
            let schedule = &self.sc.groups[g].schedule;
            let grp = &mut self.groups[g];
            let (minute, count) = schedule[grp.shift_idx];
            grp.shift_idx = (grp.shift_idx + 1) % schedule.len();
            let next_minute = schedule[grp.shift_idx].0;
            let gap = (u64::from(next_minute) + 1440 - u64::from(minute) - 1) % 1440 + 1;
            grp.shift_at = grp.shift_at.plus(SimTime(gap * US_PER_MIN));
            self.set_open(g, count);
        }
        self.next_shift = self
            .groups
            .iter()
            .map(|g| g.shift_at)
            .min()
            .unwrap_or(SimTime::NEVER);
    }

    fn set_open(&mut self, g: usize, count: u32) {
        let grp = &mut self.groups[g];
        grp.open.set(self.now, count);
        self.pull(g);
    }

    fn apply(&mut self, i: usize) {
        let now = self.now;
        match self.sc.events[i].action {
            Action::SetBooths { group, count } => self.set_open(group.0, count),
            Action::ScaleService {
                ref groups,
                mode,
                factor,
            } => {
                for &g in groups {
                    let speed = self.sc.groups[g.0].speed;
                    for lane in &mut self.lanes[self.groups[g.0].lanes.clone()] {
                        if mode.is_none_or(|x| x.0 == lane.mode) {
                            lane.factor = factor / speed;
                        }
                    }
                }
            }
            Action::ScaleArrivals { .. } => {} // folded into the arrival profile at load
            Action::SetRows { rows } => {
                let areas = self.approach_areas(now);
                let units = self.approach_values();
                self.road.set_rows(now, rows, &areas, |m| units[m]);
            }
            Action::CloseStage { stage } => self.set_closed(stage.0, true),
            Action::OpenStage { stage } => {
                self.set_closed(stage.0, false);
                self.pull_stage(stage.0);
            }
            Action::Forbid {
                stage,
                mode,
                send_away,
            } => {
                self.set_forbidden(stage.0, mode.0, true);
                if send_away {
                    self.send_away(stage.0, mode.0);
                }
            }
            Action::Allow { stage, mode } => {
                self.set_forbidden(stage.0, mode.0, false);
                self.pull_stage(stage.0);
                self.invite_switching(mode.0, i);
            }
        }
    }

    /// The warm-up ends: queue levels, the road and booth time start afresh
    /// (waits are kept by arrival time instead: units arrived after it).
    pub(super) fn restart_statistics(&mut self) {
        let now = self.now;
        for q in &mut self.queue {
            q.restart(now);
        }
        let units = self.approach_values();
        self.road.restart(now, |m| units[m]);
        for g in &mut self.groups {
            g.busy.restart(now);
            g.open.restart(now);
        }
        // Utilisation between samples is a difference of booth time: from zero again.
        self.last_sample_areas.fill((0.0, 0.0));
    }

    fn set_closed(&mut self, stage: usize, closed: bool) {
        for g in self.groups.iter_mut().filter(|g| g.stage == stage) {
            g.closed = closed;
        }
    }

    fn set_forbidden(&mut self, stage: usize, mode: usize, forbidden: bool) {
        for lane in &mut self.lanes {
            if lane.stage == stage && lane.mode == mode {
                lane.forbidden = forbidden;
            }
        }
    }

    fn pull_stage(&mut self, stage: usize) {
        for g in 0..self.groups.len() {
            if self.groups[g].stage == stage {
                self.pull(g);
            }
        }
    }
}

/// The first schedule change after time zero, and its entry.
pub(super) fn first_shift(schedule: &[(u32, u32)], start_minute: u64) -> (SimTime, usize) {
    if schedule.is_empty() {
        return (SimTime::NEVER, 0);
    }
    let idx = schedule
        .iter()
        .position(|&(m, _)| u64::from(m) > start_minute)
        .unwrap_or(0);
    let minute = u64::from(schedule[idx].0);
    let gap = if minute > start_minute {
        minute - start_minute
    } else {
        minute + 1440 - start_minute
    };
    (SimTime(gap * US_PER_MIN), idx)
}
