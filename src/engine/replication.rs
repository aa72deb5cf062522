//! One replication of the border model: arrivals, queues at booth groups,
//! service, stages in series, policy events, samples and observations.
//! Single-threaded and infallible once the scenario is valid.

use std::collections::VecDeque;

use rand::RngCore;
use rand_distr::{Distribution, Exp1};

use super::calendar::Calendar;
use super::outcome::{
    cohort_width, Count, ModeColumn, ModeOutcome, Outcome, Series, SeriesLayout, StageOutcome,
};
use super::rng::{stream, Purpose, SplitMix64};
use super::road::Road;
use crate::scenario::{Action, Metric, ModeId, Scenario};
use crate::stats::{Area, Histogram, Level};
use crate::time::{SimTime, US_PER_DAY};

/// What the calendar holds. Waiting units are in queues, not here.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A booth of a group finishes serving a unit.
    ServiceEnd { group: u32, unit: u32 },
}

/// A traveller unit present in the system.
#[derive(Clone, Copy, Debug, Default)]
struct Unit {
    /// Seed of the unit's service draws.
    seed: u64,
    /// Arrival order, for FIFO across the modes of a group.
    seq: u64,
    arrived: u64,
    stage_arrived: u64,
    /// Wait so far over all stages, in microseconds.
    wait: u64,
    mode: u32,
    people: u32,
    /// Position on the mode's route.
    step: u32,
}

/// A unit waiting in a group's queue.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    seq: u64,
    unit: u32,
}

/// A stage on a mode's route and the groups there that serve it.
#[derive(Clone, Debug)]
struct Step {
    stage: usize,
    groups: Vec<usize>,
}

#[derive(Clone, Debug)]
struct GroupState {
    stage: usize,
    open: u32,
    busy: u32,
    /// For each mode, its queue slot (`u32::MAX` if not served).
    slot_of: Vec<u32>,
    slot_mode: Vec<u32>,
    queues: Vec<VecDeque<Waiting>>,
    factor: Vec<f64>,
    waiting: u32,
    busy_level: Area,
    open_level: Area,
}

#[derive(Clone, Debug)]
struct StageState {
    closed: bool,
    forbidden: Vec<bool>,
}

/// Per observation, how its value is taken.
#[derive(Clone, Copy, Debug)]
enum ProbeKind {
    Level,
    PeriodStart,
    PeriodEnd,
}

#[derive(Clone, Copy, Debug)]
enum Control {
    Policy(usize),
    Probe(usize, ProbeKind),
}

/// The state of one replication.
pub struct Replication<'s> {
    sc: &'s Scenario,
    now: SimTime,
    horizon: SimTime,
    warmup: u64,
    cal: Calendar<Event>,
    units: Vec<Unit>,
    free: Vec<u32>,
    next_seq: u64,
    events: u64,

    arrival_rng: Vec<SplitMix64>,
    service_rng: Vec<SplitMix64>,
    behaviour_rng: Vec<SplitMix64>,
    arrival_segment: Vec<usize>,
    /// Per mode, `(end in µs, arrivals per µs)` of each piece of the rate profile.
    arrival_segments: Vec<Vec<(u64, f64)>>,
    routes: Vec<Vec<Step>>,

    groups: Vec<GroupState>,
    stages: Vec<StageState>,

    /// Units waiting per (mode, stage), index `mode * stages + stage`.
    queue: Vec<Level>,
    road: Road,
    /// Per mode, the calendar key of its next arrival (`u128::MAX`: none).
    /// Arrivals stay out of the heap: one comparison instead of a push and a pop.
    arrival_key: Vec<u128>,
    /// The earliest of `arrival_key`, and its mode.
    next_arrival: (u128, usize),

    modes_out: Vec<ModeOutcome>,
    in_system: Vec<Count>,
    crossed_total: u64,
    served_visits: u64,
    served_wait_us: u128,
    cohort_width: u64,

    controls: Vec<(SimTime, Control)>,
    next_control: usize,
    next_sample: SimTime,
    layout: SeriesLayout,
    series: Vec<f64>,
    last_sample_areas: Vec<(f64, f64)>,
    probes: Vec<f64>,
    stopped: bool,
}

impl<'s> Replication<'s> {
    /// Sets up replication `index` of the scenario.
    pub fn new(sc: &'s Scenario, index: u32) -> Replication<'s> {
        let n_modes = sc.modes.len();
        let n_stages = sc.stages.len();
        let warmup = sc.warmup;
        let routes: Vec<Vec<Step>> = (0..n_modes)
            .map(|m| {
                sc.stages
                    .iter()
                    .enumerate()
                    .filter_map(|(s, st)| {
                        let groups: Vec<usize> = st
                            .groups
                            .iter()
                            .map(|g| g.0)
                            .filter(|&g| sc.groups[g].serves(ModeId(m)))
                            .collect();
                        (!groups.is_empty()).then_some(Step { stage: s, groups })
                    })
                    .collect()
            })
            .collect();
        let groups = sc
            .groups
            .iter()
            .map(|g| {
                let mut slot_of = vec![u32::MAX; n_modes];
                let mut slot_mode = Vec::new();
                for (m, slot) in slot_of.iter_mut().enumerate() {
                    if g.serves(ModeId(m)) {
                        *slot = slot_mode.len() as u32;
                        slot_mode.push(m as u32);
                    }
                }
                let mut open_level = Area::new(warmup);
                open_level.set(SimTime::ZERO, f64::from(g.count));
                GroupState {
                    stage: g.stage.0,
                    open: g.count,
                    busy: 0,
                    queues: vec![VecDeque::new(); slot_mode.len()],
                    factor: vec![1.0 / g.speed; slot_mode.len()],
                    slot_of,
                    slot_mode,
                    waiting: 0,
                    busy_level: Area::new(warmup),
                    open_level,
                }
            })
            .collect();

        let mut controls: Vec<(SimTime, Control)> = sc
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.at, Control::Policy(i)))
            .collect();
        for (i, o) in sc.observations.iter().enumerate() {
            match o.until {
                Some(until) => {
                    controls.push((o.at, Control::Probe(i, ProbeKind::PeriodStart)));
                    controls.push((until, Control::Probe(i, ProbeKind::PeriodEnd)));
                }
                None => controls.push((o.at, Control::Probe(i, ProbeKind::Level))),
            }
        }
        // Stable: policy changes keep file order; at equal times they precede probes.
        controls.sort_by_key(|c| c.0);

        let layout = SeriesLayout::new(sc);
        let modes_out = (0..n_modes)
            .map(|_| ModeOutcome {
                stage_wait: vec![Histogram::new(); n_stages],
                crossed_per_day: Vec::new(),
                cohorts: Vec::new(),
                ..ModeOutcome::default()
            })
            .collect();
        let rng = |p| {
            (0..n_modes)
                .map(|m| stream(sc.seed, index, m, p))
                .collect::<Vec<_>>()
        };
        let mut r = Replication {
            sc,
            now: SimTime::ZERO,
            horizon: sc.horizon,
            warmup: warmup.0,
            cal: Calendar::new(),
            units: Vec::with_capacity(1024),
            free: Vec::new(),
            next_seq: 0,
            events: 0,
            arrival_rng: rng(Purpose::Arrivals),
            service_rng: rng(Purpose::Service),
            behaviour_rng: rng(Purpose::Behaviour),
            arrival_segment: vec![0; n_modes],
            arrival_segments: sc
                .arrivals
                .iter()
                .map(|a| {
                    let s = &a.segments;
                    (0..s.len())
                        .map(|i| (s.get(i + 1).map_or(u64::MAX, |n| n.0 .0), s[i].1 / 60e6))
                        .collect()
                })
                .collect(),
            routes,
            groups,
            stages: vec![
                StageState {
                    closed: false,
                    forbidden: vec![false; n_modes],
                };
                n_stages
            ],
            queue: vec![Level::new(warmup); n_modes * n_stages],
            road: Road::new(sc, warmup),
            arrival_key: vec![u128::MAX; n_modes],
            next_arrival: (u128::MAX, 0),
            modes_out,
            in_system: vec![Count::default(); n_modes],
            crossed_total: 0,
            served_visits: 0,
            served_wait_us: 0,
            cohort_width: cohort_width(sc).0,
            controls,
            next_control: 0,
            next_sample: SimTime::ZERO,
            layout,
            series: Vec::new(),
            last_sample_areas: vec![(0.0, 0.0); n_stages],
            probes: vec![f64::NAN; sc.observations.len()],
            stopped: false,
        };
        for m in 0..n_modes {
            r.schedule_arrival(m, SimTime::ZERO);
        }
        r
    }

    /// Runs to the horizon (or until `end_after_crossings`) and returns the outcome.
    pub fn run(mut self) -> Outcome {
        let mut next_control = self.next_control_time();
        loop {
            let heap_key = self.cal.next_key();
            let key = heap_key.min(self.next_arrival.0);
            let next_event = if key == u128::MAX {
                SimTime::NEVER
            } else {
                SimTime((key >> 64) as u64)
            };
            if next_control <= next_event {
                if next_control > self.horizon {
                    break;
                }
                self.now = next_control;
                self.handle_control();
                next_control = self.next_control_time();
                continue;
            }
            if next_event > self.horizon {
                break;
            }
            self.now = next_event;
            self.events += 1;
            if self.next_arrival.0 < heap_key {
                self.arrive(self.next_arrival.1);
            } else {
                match self.cal.pop().expect("a pending event").1 {
                    Event::ServiceEnd { group, unit } => self.end_service(group as usize, unit),
                }
            }
            if self.stopped {
                break;
            }
        }
        let end = if self.stopped { self.now } else { self.horizon };
        self.finish(end)
    }

    fn next_control_time(&self) -> SimTime {
        let c = self
            .controls
            .get(self.next_control)
            .map_or(SimTime::NEVER, |c| c.0);
        c.min(self.next_sample)
    }

    fn handle_control(&mut self) {
        if self.next_sample <= self.now {
            self.sample();
            self.next_sample = self.next_sample.plus(self.sc.sample_interval);
            return;
        }
        let (_, c) = self.controls[self.next_control];
        self.next_control += 1;
        match c {
            Control::Policy(i) => {
                self.events += 1;
                self.apply(i);
            }
            Control::Probe(i, kind) => {
                let v = self.probe_value(i);
                self.probes[i] = match kind {
                    ProbeKind::Level | ProbeKind::PeriodStart => v,
                    ProbeKind::PeriodEnd => v - self.probes[i],
                };
            }
        }
    }

    /// Schedules the next arrival of mode `m` after `from`, by inverting the
    /// integrated piecewise-constant rate (an exact non-homogeneous Poisson process).
    fn set_next_arrival(&mut self, m: usize, key: u128) {
        self.arrival_key[m] = key;
        if self.arrival_key.len() == 1 {
            self.next_arrival = (key, 0);
        } else {
            let (i, &k) = self
                .arrival_key
                .iter()
                .enumerate()
                .min_by_key(|&(_, k)| *k)
                .expect("modes");
            self.next_arrival = (k, i);
        }
    }

    fn schedule_arrival(&mut self, m: usize, from: SimTime) {
        let mut remaining: f64 = Exp1.sample(&mut self.arrival_rng[m]);
        let segments = &self.arrival_segments[m];
        let mut i = self.arrival_segment[m];
        let mut t = from.0;
        while let Some(&(end, rate)) = segments.get(i) {
            if t < end {
                if rate > 0.0 {
                    let at = t.saturating_add((remaining / rate + 0.5) as u64);
                    if at < end {
                        self.arrival_segment[m] = i;
                        let key = if at <= self.horizon.0 {
                            self.cal.stamp(SimTime(at))
                        } else {
                            u128::MAX
                        };
                        self.set_next_arrival(m, key);
                        return;
                    }
                    remaining -= rate * (end - t) as f64;
                }
                t = end;
            }
            if end > self.horizon.0 {
                break;
            }
            i += 1;
        }
        self.set_next_arrival(m, u128::MAX);
    }

    fn arrive(&mut self, m: usize) {
        let now = self.now;
        self.schedule_arrival(m, now);
        let people = self.sc.modes[m].people.sample(&mut self.behaviour_rng[m]);
        let unit = Unit {
            seed: self.service_rng[m].next_u64(),
            seq: self.next_seq,
            arrived: now.0,
            stage_arrived: now.0,
            wait: 0,
            mode: m as u32,
            people,
            step: 0,
        };
        self.next_seq += 1;
        let id = match self.free.pop() {
            Some(id) => {
                self.units[id as usize] = unit;
                id
            }
            None => {
                self.units.push(unit);
                (self.units.len() - 1) as u32
            }
        };
        self.modes_out[m].arrived.add(people);
        self.in_system[m].add(people);
        self.enter_step(id);
    }

    /// The unit joins the queue of a group at its current step, or starts service at once.
    fn enter_step(&mut self, id: u32) {
        let u = &mut self.units[id as usize];
        u.stage_arrived = self.now.0;
        let (m, step) = (u.mode as usize, u.step as usize);
        let route_step = &self.routes[m][step];
        let stage = route_step.stage;
        let g = if route_step.groups.len() == 1 {
            route_step.groups[0]
        } else {
            // The group with the least work per open booth; ties go to the first listed.
            let load = |g: &GroupState| f64::from(g.waiting + g.busy) / f64::from(g.open.max(1));
            *route_step
                .groups
                .iter()
                .min_by(|&&a, &&b| load(&self.groups[a]).total_cmp(&load(&self.groups[b])))
                .expect("a route step has groups")
        };
        let st = &self.stages[stage];
        let grp = &self.groups[g];
        let slot = grp.slot_of[m] as usize;
        if grp.busy < grp.open && !st.closed && !st.forbidden[m] && grp.queues[slot].is_empty() {
            self.start_service(g, id);
        } else {
            let seq = self.units[id as usize].seq;
            let grp = &mut self.groups[g];
            grp.queues[slot].push_back(Waiting { seq, unit: id });
            grp.waiting += 1;
            self.change_queue(m, stage, 1.0);
        }
    }

    /// Updates the waiting count of (mode, stage) and the km levels that depend on it.
    #[inline]
    fn change_queue(&mut self, m: usize, stage: usize, delta: f64) {
        let now = self.now;
        let n_stages = self.stages.len();
        let q = &mut self.queue[m * n_stages + stage];
        q.add(now, delta);
        if self.routes[m][0].stage == stage {
            let units = q.value();
            self.road.change(now, m, units, delta);
        }
    }

    /// Units waiting on mode `m`'s approach (before the first stage of its route).
    fn approach_units(&self, m: usize) -> f64 {
        self.queue[m * self.stages.len() + self.routes[m][0].stage].value()
    }

    fn start_service(&mut self, g: usize, id: u32) {
        let now = self.now;
        let grp = &mut self.groups[g];
        grp.busy += 1;
        grp.busy_level.set(now, f64::from(grp.busy));
        let u = &mut self.units[id as usize];
        let m = u.mode as usize;
        let wait = now.0 - u.stage_arrived;
        u.wait += wait;
        let stage = grp.stage;
        if u.arrived >= self.warmup {
            let out = &mut self.modes_out[m];
            let route_len = self.routes[m].len();
            if route_len > 1 {
                out.stage_wait[stage].record(SimTime(wait));
            }
            if u.step as usize + 1 == route_len {
                // The last stage: the unit's wait is complete.
                out.wait.record(SimTime(u.wait));
                let c = (u.arrived / self.cohort_width) as usize;
                if c >= out.cohorts.len() {
                    out.cohorts.resize(c + 1, Histogram::new());
                }
                out.cohorts[c].record(SimTime(u.wait));
            }
            self.served_visits += 1;
            self.served_wait_us += u128::from(wait);
        }
        let spec = &self.sc.groups[g];
        let dist = spec.service[m].as_ref().expect("the group serves the mode");
        let factor = grp.factor[grp.slot_of[m] as usize];
        let mut rng = SplitMix64::new(u.seed, stage as u64);
        let minutes = dist.sample_min(&mut rng) + spec.per_person_min * f64::from(u.people);
        let done = now.plus(SimTime::from_min(minutes * factor));
        self.cal.schedule(
            done,
            Event::ServiceEnd {
                group: g as u32,
                unit: id,
            },
        );
    }

    fn end_service(&mut self, g: usize, id: u32) {
        let now = self.now;
        let grp = &mut self.groups[g];
        grp.busy -= 1;
        grp.busy_level.set(now, f64::from(grp.busy));
        let u = &mut self.units[id as usize];
        u.step += 1;
        let m = u.mode as usize;
        if (u.step as usize) < self.routes[m].len() {
            self.enter_step(id);
        } else {
            self.depart(id);
        }
        self.pull(g);
    }

    fn depart(&mut self, id: u32) {
        let u = self.units[id as usize];
        let m = u.mode as usize;
        let out = &mut self.modes_out[m];
        if u.arrived >= self.warmup {
            out.sojourn.record(SimTime(self.now.0 - u.arrived));
        }
        out.crossed.add(u.people);
        let day = (self.now.0 / US_PER_DAY) as usize;
        if day >= out.crossed_per_day.len() {
            out.crossed_per_day.resize(day + 1, Count::default());
        }
        out.crossed_per_day[day].add(u.people);
        self.in_system[m].remove(u.people);
        self.free.push(id);
        self.crossed_total += 1;
        if self
            .sc
            .end_after_crossings
            .is_some_and(|n| self.crossed_total >= n)
        {
            self.stopped = true;
        }
    }

    /// Starts service at group `g` while it has a free open booth and someone
    /// it may serve: the earliest arrival among its allowed modes' queues.
    fn pull(&mut self, g: usize) {
        loop {
            let grp = &self.groups[g];
            let st = &self.stages[grp.stage];
            if grp.busy >= grp.open || grp.waiting == 0 || st.closed {
                return;
            }
            let mut best: Option<(u64, usize)> = None;
            if grp.queues.len() == 1 {
                // One mode: its queue is not empty (waiting > 0); serve it unless forbidden.
                if st.forbidden[grp.slot_mode[0] as usize] {
                    return;
                }
                best = Some((0, 0));
            }
            for (slot, q) in grp
                .queues
                .iter()
                .enumerate()
                .skip(usize::from(best.is_some()))
            {
                if let Some(w) = q.front() {
                    if !st.forbidden[grp.slot_mode[slot] as usize]
                        && best.is_none_or(|b| w.seq < b.0)
                    {
                        best = Some((w.seq, slot));
                    }
                }
            }
            let Some((_, slot)) = best else { return };
            let stage = grp.stage;
            let m = grp.slot_mode[slot] as usize;
            let grp = &mut self.groups[g];
            let w = grp.queues[slot].pop_front().expect("a head was seen");
            grp.waiting -= 1;
            self.change_queue(m, stage, -1.0);
            self.start_service(g, w.unit);
        }
    }

    fn apply(&mut self, i: usize) {
        let now = self.now;
        match self.sc.events[i].action {
            Action::SetBooths { group, count } => {
                let grp = &mut self.groups[group.0];
                grp.open = count;
                grp.open_level.set(now, f64::from(count));
                self.pull(group.0);
            }
            Action::ScaleService {
                group,
                mode,
                factor,
            } => {
                let grp = &mut self.groups[group.0];
                for (slot, &m) in grp.slot_mode.iter().enumerate() {
                    if mode.is_none_or(|x| x.0 == m as usize) {
                        grp.factor[slot] = factor / self.sc.groups[group.0].speed;
                    }
                }
            }
            Action::ScaleArrivals { .. } => {} // folded into the arrival profile at load
            Action::SetRows { rows } => {
                let units: Vec<f64> = (0..self.sc.modes.len())
                    .map(|m| self.approach_units(m))
                    .collect();
                self.road.set_rows(now, rows, |m| units[m]);
            }
            Action::CloseStage { stage } => self.stages[stage.0].closed = true,
            Action::OpenStage { stage } => {
                self.stages[stage.0].closed = false;
                self.pull_stage(stage.0);
            }
            Action::Forbid { stage, mode } => self.stages[stage.0].forbidden[mode.0] = true,
            Action::Allow { stage, mode } => {
                self.stages[stage.0].forbidden[mode.0] = false;
                self.pull_stage(stage.0);
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

    fn probe_value(&self, i: usize) -> f64 {
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
                .map(|m| self.modes_out[m].crossed.units as f64)
                .sum(),
            Metric::CrossedPersons => modes
                .filter(wanted)
                .map(|m| self.modes_out[m].crossed.persons as f64)
                .sum(),
        }
    }

    fn sample(&mut self) {
        let now = self.now;
        let start = self.series.len();
        self.series.resize(start + self.layout.columns(), 0.0);
        let n_stages = self.stages.len();
        for m in 0..self.sc.modes.len() {
            let row = &mut self.series[start..];
            let q = self.queue[m * n_stages + self.routes[m][0].stage].value();
            row[self.layout.mode(m, ModeColumn::QueueUnits)] = q;
            row[self.layout.mode(m, ModeColumn::QueueKm)] = self.road.km(m, q);
            row[self.layout.mode(m, ModeColumn::CrossedUnits)] =
                self.modes_out[m].crossed.units as f64;
            row[self.layout.mode(m, ModeColumn::CrossedPersons)] =
                self.modes_out[m].crossed.persons as f64;
        }
        self.series[start + self.layout.road_km()] = self.road.road_km();
        for s in 0..n_stages {
            let (busy, open) = self.stage_areas(s, now);
            let (b0, o0) = self.last_sample_areas[s];
            let util = if open > o0 {
                (busy - b0) / (open - o0)
            } else {
                0.0
            };
            self.series[start + self.layout.stage_utilisation(s)] = util;
            self.last_sample_areas[s] = (busy, open);
        }
    }

    /// Busy and open booth-minutes of a stage's groups up to `now`.
    fn stage_areas(&self, s: usize, now: SimTime) -> (f64, f64) {
        self.groups
            .iter()
            .filter(|g| g.stage == s)
            .fold((0.0, 0.0), |(b, o), g| {
                (
                    b + g.busy_level.area_min(now),
                    o + g.open_level.area_min(now),
                )
            })
    }

    fn finish(mut self, end: SimTime) -> Outcome {
        let n_stages = self.stages.len();
        for (m, out) in self.modes_out.iter_mut().enumerate() {
            if let [only] = &self.routes[m][..] {
                // One stage: its waits are the total waits (recorded once).
                out.stage_wait[only.stage] = out.wait.clone();
            }
            out.stage_queue = (0..n_stages)
                .map(|s| self.queue[m * n_stages + s].summary(end))
                .collect();
            out.queue = out.stage_queue[self.routes[m][0].stage];
            out.queue_km = self.road.mode_summary(m, out.queue, end);
            out.in_system = self.in_system[m];
            let days = end.0.div_ceil(US_PER_DAY).max(1) as usize;
            out.crossed_per_day
                .resize(days.max(out.crossed_per_day.len()), Count::default());
        }
        let stages = (0..n_stages)
            .map(|s| {
                let (busy, open) = self.stage_areas(s, end);
                let group_utilisation = self
                    .groups
                    .iter()
                    .filter(|g| g.stage == s)
                    .map(|g| ratio(g.busy_level.area_min(end), g.open_level.area_min(end)))
                    .collect();
                StageOutcome {
                    utilisation: ratio(busy, open),
                    group_utilisation,
                }
            })
            .collect();
        let columns = self.layout.columns();
        Outcome {
            end,
            events: self.events,
            modes: self.modes_out,
            stages,
            road_km: self.road.road_summary(end),
            series: Series {
                columns,
                values: self.series,
            },
            observations: self.probes,
            waiting_mean: self.queue.iter().map(|q| q.summary(end).mean).sum(),
            served_visits: self.served_visits,
            served_wait_sum_min: self.served_wait_us as f64 / 60e6,
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Runs replication `index` of a scenario.
///
/// ```
/// let s = borderq::Scenario::load("scenarios/mmc.toml".as_ref(), &["horizon_days=1".into()]).unwrap();
/// let out = borderq::engine::run_replication(&s, 0);
/// assert!(out.modes[0].crossed.units > 10_000);
/// ```
pub fn run_replication(sc: &Scenario, index: u32) -> Outcome {
    Replication::new(sc, index).run()
}
