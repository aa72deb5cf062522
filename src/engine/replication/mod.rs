//! One replication of the border model: arrivals, queues at booth groups,
//! service, stages in series with buffers, policy events, booth schedules,
//! behaviour (patience, balking, switching, queue-jumping), samples and
//! observations. Single-threaded and infallible once the scenario is valid.
//!
//! The calendar holds service ends, walks and clearances; each mode's next
//! arrival and every patience deadline live outside it (arrivals in a small
//! array, deadlines in a radix heap of their own), so waiting units cost the main
//! calendar nothing. Units leaving a queue early are marked, not searched
//! for: a queue entry whose unit has moved on is skipped when it reaches the
//! front.

mod behaviour;
mod flow;
mod observe;

use std::collections::VecDeque;
use std::ops::Range;

use super::calendar::Calendar;
use super::deadlines::Deadlines;
use super::outcome::{period_width, DayCounts, ModeOutcome, Outcome, SeriesLayout};
use super::rng::{stream, Purpose, SplitMix64};
use super::road::Road;
use crate::scenario::{Action, Duration, ModeId, People, Scenario};
use crate::stats::{CoarseHistogram, Histogram, Occupancy};
use crate::time::{SimTime, US_PER_MIN};

/// What the main calendar holds.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A booth of a group finishes serving a unit (from one of its lanes).
    ServiceEnd { lane: u32, unit: u32 },
    /// A person who left a vehicle reaches the checkpoint on foot.
    WalkArrive { unit: u32 },
    /// An abandoned vehicle is cleared from the queue.
    Clear { unit: u32, seq: u64 },
}

/// Where a unit is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Waiting,
    InService,
    /// Finished a stage but cannot leave its booth: the next stage's buffer is full.
    Blocked,
    Walking,
    /// A vehicle left by its occupants, still taking a place in the queue.
    Abandoned,
    /// Gone (its slot is free).
    Gone,
}

/// A traveller unit present in the system.
#[derive(Clone, Copy, Debug, Default)]
struct Unit {
    /// Seed of the unit's own draws (service at each stage, patience, choices).
    seed: u64,
    /// Arrival order, for FIFO across the modes of a group; also tells a
    /// queue entry of this unit from one of an earlier unit in the same slot.
    seq: u64,
    arrived: u64,
    /// The counting period of `arrived` (its arrival cohort).
    cohort: u32,
    stage_arrived: u64,
    /// Wait so far over all stages, in microseconds.
    wait: u64,
    mode: u32,
    people: u32,
    /// Position on the mode's route.
    step: u32,
    /// The lane (group and mode) it waits in or is served from.
    lane: u32,
    state: State,
    jumper: bool,
}

/// A unit waiting in a group's queue.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    seq: u64,
    unit: u32,
}

/// A stage on a mode's route and the lanes there that serve it (one per group).
#[derive(Clone, Debug)]
struct Step {
    stage: usize,
    lanes: Vec<usize>,
    /// The lane, when only one group serves the step (most steps).
    only: Option<usize>,
}

/// The queue of one mode at one booth group, with what serving it needs at
/// hand: the hot path indexes one lane instead of group, mode and stage tables.
#[derive(Clone, Debug)]
struct Lane<'s> {
    group: usize,
    mode: usize,
    stage: usize,
    /// Index of the (mode, stage) waiting level.
    level: usize,
    /// Whether the stage is the first on the mode's route and the road
    /// follows its queue (vehicles, or any mode when the rows vary).
    road: bool,
    /// Whether the mode's route has other stages (its waits are kept per stage).
    shared_route: bool,
    /// Whether the stage is the last on the mode's route (service there ends the wait).
    last: bool,
    /// Whether a buffer limits the waiting before the stage (a booth freed
    /// there may let units blocked before it move on).
    buffered: bool,
    queue: VecDeque<Waiting>,
    /// Group-arrival time of the unit last served from the queue (FIFO check).
    last_served: u64,
    /// The mode may not be served at this stage now (a policy event).
    forbidden: bool,
    /// Share of the mode's arrivals that skip the queue (first stage only).
    jump_share: f64,
    /// Multiplier of service times: the policy factor over the group's speed.
    factor: f64,
    service: &'s Duration,
    per_person_min: f64,
}

#[derive(Clone, Debug)]
struct GroupState {
    stage: usize,
    /// Booths open, and busy serving or holding a blocked unit: their counts
    /// now, and over time.
    open: Occupancy,
    busy: Occupancy,
    /// Its stage is closed (a policy event): nobody is served.
    closed: bool,
    /// Its lanes, one per mode served, in mode order.
    lanes: Range<usize>,
    /// Units that skip the queue, in their own order.
    jump_lane: VecDeque<Waiting>,
    /// It serves one mode and nobody skips the queue: the next to serve is
    /// the front of its one queue.
    one_queue: bool,
    /// Units waiting (queues and jump lane), not counting marked entries.
    waiting: u32,
    /// Services started so far.
    served: u64,
    /// Next booth-schedule change, and the index of that entry.
    shift_at: SimTime,
    shift_idx: usize,
}

#[derive(Clone, Debug)]
struct StageState {
    /// Units that finished the stage before and wait in their booth: `(group, unit)`.
    blocked: VecDeque<(usize, u32)>,
}

/// A mode's arrivals: a non-homogeneous Poisson process, kept outside the calendar.
#[derive(Clone, Debug)]
struct Arrivals {
    rng: SplitMix64,
    /// `(end in µs, arrivals per µs)` of each piece of the rate profile.
    segments: Vec<(u64, f64)>,
    /// The piece the last arrival fell in, and a copy of it `(end, rate)`
    /// for the usual case where the next arrival falls in it too.
    segment: usize,
    piece: (u64, f64),
}

/// A mode as the engine runs it.
#[derive(Clone, Debug)]
struct ModeState<'s> {
    arrivals: Arrivals,
    /// Draws each unit's own seed (service times, patience, choices).
    service_rng: SplitMix64,
    /// People carried.
    behaviour_rng: SplitMix64,
    /// The stages it passes, in order, with the lanes serving it there.
    route: Vec<Step>,
    /// The first step's `only` lane, beside what an arrival reads (so an
    /// arrival does not look up its route).
    first_lane: Option<usize>,
    people: &'s People,
    may_balk: bool,
    has_patience: bool,
    /// Counts of the current period, kept here (beside what an arrival reads)
    /// and moved to the outcome's daily table when the period ends.
    counts: DayCounts,
}

/// Per observation, how its value is taken.
#[derive(Clone, Copy, Debug)]
enum ProbeKind {
    Level,
    PeriodStart,
    PeriodEnd,
}

/// Which comes first of the next control and the next patience deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Control,
    Deadline,
}

#[derive(Clone, Copy, Debug)]
enum Control {
    /// The warm-up ends: time-weighted statistics start afresh.
    WarmupEnd,
    Policy(usize),
    Probe(usize, ProbeKind),
}

/// Salts of a unit's own draws beyond its per-stage service draws.
const SALT_PATIENCE: u64 = 1 << 40;
const SALT_BALK: u64 = (1 << 40) + 1;
const SALT_JUMP: u64 = (1 << 40) + 2;
const SALT_SWITCH: u64 = (1 << 40) + 3;
const SALT_INVITE: u64 = 1 << 41;

/// A uniform draw in [0, 1) from a unit's seed and a salt: the same unit makes
/// the same choice at every sweep point (common random numbers).
fn unit_uniform(seed: u64, salt: u64) -> f64 {
    use rand::RngCore;
    (SplitMix64::new(seed, salt).next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The state of one replication.
pub struct Replication<'s> {
    sc: &'s Scenario,
    now: SimTime,
    horizon: SimTime,
    warmup: u64,
    cal: Calendar<Event>,
    /// Patience deadlines `(unit, seq)`, keyed like the calendar.
    deadlines: Deadlines<(u32, u64)>,
    /// How many deadlines make the stale ones worth dropping: twice those
    /// kept by the last pass, and never fewer than `compact_deadlines_min`
    /// (`COMPACT_DEADLINES_MIN`; a test lowers it to drop often).
    compact_deadlines_at: usize,
    compact_deadlines_min: usize,
    units: Vec<Unit>,
    free: Vec<u32>,
    next_seq: u64,
    events: u64,

    /// Per mode, what the engine keeps of it (one lookup on the hot path).
    modes: Vec<ModeState<'s>>,

    lanes: Vec<Lane<'s>>,
    groups: Vec<GroupState>,
    stages: Vec<StageState>,

    /// Units waiting per (mode, stage), index `mode * stages + stage`.
    queue: Vec<Occupancy>,
    road: Road,
    /// Per mode, the calendar key of its next arrival (`u128::MAX`: none),
    /// side by side for a quick scan (kept only when there are several modes).
    arrival_keys: Vec<u128>,
    /// The earliest of `arrival_keys`, and its mode.
    next_arrival: (u128, usize),
    /// The key of the next control (or of the instant past the horizon).
    control_key: u128,
    /// The earlier of the control and deadline keys, and which it is.
    control_or_deadline: (u128, Side),

    modes_out: Vec<ModeOutcome>,
    crossed_total: u64,
    /// The run stops when `crossed_total` reaches it (`end_after_crossings`, or never).
    stop_after: u64,
    /// Time spent waiting in queues by every unit that left a queue, in µs.
    queue_time_us: u128,
    /// Services that started out of arrival order within a queue (must stay 0).
    fifo_violations: u64,
    period_width: u64,
    /// The current counting period and when it ends.
    period: usize,
    period_end: u64,

    controls: Vec<(SimTime, Control)>,
    next_control: usize,
    next_sample: SimTime,
    next_shift: SimTime,
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
        let route_stages: Vec<Vec<usize>> = (0..n_modes)
            .map(|m| {
                sc.stages
                    .iter()
                    .enumerate()
                    .filter(|(_, st)| st.groups.iter().any(|g| sc.groups[g.0].serves(ModeId(m))))
                    .map(|(s, _)| s)
                    .collect()
            })
            .collect();
        let start_minute = {
            let d = sc.calendar.start();
            u64::from(d.hour * 60 + d.minute)
        };
        let road = Road::new(sc);
        let mut lanes = Vec::new();
        let groups = sc
            .groups
            .iter()
            .enumerate()
            .map(|(gi, g)| {
                let first = lanes.len();
                for (m, service) in g.service.iter().enumerate() {
                    let Some(service) = service else { continue };
                    let stage = g.stage.0;
                    lanes.push(Lane {
                        group: gi,
                        mode: m,
                        stage,
                        level: m * n_stages + stage,
                        road: route_stages[m][0] == stage && road.follows(m),
                        shared_route: route_stages[m].len() > 1,
                        last: route_stages[m].last() == Some(&stage),
                        buffered: sc.stages[stage].buffer.is_some(),
                        queue: VecDeque::new(),
                        last_served: 0,
                        forbidden: false,
                        jump_share: g.jump_share,
                        factor: 1.0 / g.speed,
                        service,
                        per_person_min: g.per_person_min,
                    });
                }
                let (shift_at, shift_idx) = first_shift(&g.schedule, start_minute);
                GroupState {
                    stage: g.stage.0,
                    open: Occupancy::new(g.count),
                    busy: Occupancy::new(0),
                    closed: false,
                    lanes: first..lanes.len(),
                    jump_lane: VecDeque::new(),
                    one_queue: lanes.len() == first + 1 && g.jump_share == 0.0,
                    waiting: 0,
                    served: 0,
                    shift_at,
                    shift_idx,
                }
            })
            .collect::<Vec<GroupState>>();
        let routes: Vec<Vec<Step>> = route_stages
            .iter()
            .enumerate()
            .map(|(m, stages)| {
                stages
                    .iter()
                    .map(|&stage| {
                        let lanes: Vec<usize> = sc.stages[stage]
                            .groups
                            .iter()
                            .filter_map(|g| groups[g.0].lanes.clone().find(|&l| lanes[l].mode == m))
                            .collect();
                        let only = match lanes[..] {
                            [l] => Some(l),
                            _ => None,
                        };
                        Step { stage, lanes, only }
                    })
                    .collect()
            })
            .collect();
        let next_shift = groups
            .iter()
            .map(|g| g.shift_at)
            .min()
            .unwrap_or(SimTime::NEVER);

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
        if warmup > SimTime::ZERO {
            controls.insert(0, (warmup, Control::WarmupEnd));
        }
        // Stable: the warm-up's end, then policy changes in file order, precede probes at equal times.
        controls.sort_by_key(|c| c.0);

        // Every period the run can reach (61 at most): daily counts are
        // trimmed at the end, and empty cohorts are skipped when reported.
        let periods = (sc.horizon.0 / period_width(sc).0) as usize + 1;
        let modes_out = (0..n_modes)
            .map(|_| ModeOutcome {
                stage_wait: vec![Histogram::new(); n_stages],
                per_day: vec![Default::default(); periods],
                cohorts: vec![CoarseHistogram::new(); periods],
                ..ModeOutcome::default()
            })
            .collect();
        let mut r = Replication {
            sc,
            now: SimTime::ZERO,
            horizon: sc.horizon,
            warmup: warmup.0,
            cal: Calendar::new(),
            deadlines: Deadlines::new(),
            compact_deadlines_at: behaviour::COMPACT_DEADLINES_MIN,
            compact_deadlines_min: behaviour::COMPACT_DEADLINES_MIN,
            units: Vec::with_capacity(1024),
            free: Vec::new(),
            next_seq: 0,
            events: 0,
            modes: routes
                .into_iter()
                .enumerate()
                .map(|(m, route)| {
                    let s = &sc.arrivals[m].segments;
                    let mode = &sc.modes[m];
                    ModeState {
                        arrivals: {
                            let segments: Vec<(u64, f64)> = (0..s.len())
                                .map(|i| (s.get(i + 1).map_or(u64::MAX, |n| n.0 .0), s[i].1 / 60e6))
                                .collect();
                            Arrivals {
                                rng: stream(sc.seed, index, m, Purpose::Arrivals),
                                piece: segments.first().copied().unwrap_or((0, 0.0)),
                                segments,
                                segment: 0,
                            }
                        },
                        service_rng: stream(sc.seed, index, m, Purpose::Service),
                        behaviour_rng: stream(sc.seed, index, m, Purpose::Behaviour),
                        first_lane: route[0].only,
                        route,
                        people: &mode.people,
                        may_balk: mode.behaviour.balk.is_some(),
                        has_patience: mode.behaviour.patience.is_some(),
                        counts: DayCounts::default(),
                    }
                })
                .collect(),
            lanes,
            groups,
            stages: vec![
                StageState {
                    blocked: VecDeque::new(),
                };
                n_stages
            ],
            queue: vec![Occupancy::new(0); n_modes * n_stages],
            road,
            arrival_keys: vec![u128::MAX; n_modes],
            next_arrival: (u128::MAX, 0),
            control_key: 0,
            control_or_deadline: (0, Side::Control),
            modes_out,
            crossed_total: 0,
            stop_after: sc.end_after_crossings.unwrap_or(u64::MAX),
            queue_time_us: 0,
            fifo_violations: 0,
            period_width: period_width(sc).0,
            period: 0,
            period_end: period_width(sc).0,
            controls,
            next_control: 0,
            next_sample: SimTime::ZERO,
            next_shift,
            layout: SeriesLayout::new(sc),
            series: Vec::new(),
            last_sample_areas: vec![(0.0, 0.0); n_stages],
            probes: vec![f64::NAN; sc.observations.len()],
            stopped: false,
        };
        r.control_key = r.next_control_key();
        r.place_initial_queue();
        for m in 0..n_modes {
            r.schedule_arrival(m, SimTime::ZERO);
        }
        r.refresh_side();
        r
    }

    /// Runs to the horizon (or until `end_after_crossings`) and returns the outcome.
    pub fn run(mut self) -> Outcome {
        loop {
            // The next event: the next arrival, the calendar's first, or the
            // earlier of the next control and patience deadline. Controls
            // win ties: their key has sequence 0, at or below every stamp
            // (other keys are stamps, all distinct).
            let cal_key = self.cal.next_key();
            let arrival_key = self.next_arrival.0;
            let (other_key, other) = self.control_or_deadline;
            if arrival_key < cal_key && arrival_key < other_key {
                self.advance(arrival_key);
                self.arrive(self.next_arrival.1);
            } else if cal_key < other_key {
                self.advance(cal_key);
                // Taken rather than popped: an event the handler schedules
                // takes its place in the heap.
                match self.cal.take().expect("a pending event").1 {
                    Event::ServiceEnd { lane, unit } => self.end_service(lane as usize, unit),
                    Event::WalkArrive { unit } => self.walk_arrives(unit),
                    Event::Clear { unit, seq } => self.clear_abandoned(unit, seq),
                }
                self.cal.settle();
            } else if other == Side::Control {
                let at = SimTime((other_key >> 64) as u64);
                if at > self.horizon {
                    break;
                }
                self.now = at;
                self.handle_control();
                self.control_key = self.next_control_key();
                self.refresh_side();
                continue;
            } else {
                self.advance(other_key);
                let (_, (unit, seq)) = self.deadlines.pop().expect("a deadline");
                self.refresh_side();
                self.patience_runs_out(unit, seq);
            }
            if self.stopped {
                break;
            }
        }
        let end = if self.stopped { self.now } else { self.horizon };
        self.finish(end)
    }

    /// Moves the clock to the time of an event's `key`, and counts the event.
    #[inline(always)]
    fn advance(&mut self, key: u128) {
        let at = SimTime((key >> 64) as u64);
        assert!(
            at >= self.now,
            "time went back: {at:?} after {:?}",
            self.now
        );
        self.now = at;
        self.events += 1;
    }

    /// Recomputes the earlier of the next control and the next patience
    /// deadline: after either changes.
    fn refresh_side(&mut self) {
        let deadline = self.deadlines.next_key();
        self.control_or_deadline = if self.control_key <= deadline {
            (self.control_key, Side::Control)
        } else {
            (deadline, Side::Deadline)
        };
    }

    /// The key of the next control, or of the first instant past the horizon
    /// (where the run ends), whichever is first.
    fn next_control_key(&self) -> u128 {
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

    fn handle_control(&mut self) {
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
                let v = self.probe_value(i);
                self.probes[i] = match kind {
                    ProbeKind::Level | ProbeKind::PeriodStart => v,
                    ProbeKind::PeriodEnd => v - self.probes[i],
                };
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
                let units: Vec<f64> = (0..self.sc.modes.len())
                    .map(|m| self.approach_units(m))
                    .collect();
                self.road.set_rows(now, rows, |m| units[m]);
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
    fn restart_statistics(&mut self) {
        let now = self.now;
        for q in &mut self.queue {
            q.restart(now);
        }
        self.road.restart(now);
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

    /// Units waiting on mode `m`'s approach (before the first stage of its route).
    fn approach_units(&self, m: usize) -> f64 {
        self.queue[m * self.stages.len() + self.modes[m].route[0].stage].value() as f64
    }

    /// The period index of now, for daily (or multi-day) counts; divides
    /// only when a period ends.
    #[inline]
    fn today(&mut self) -> usize {
        if self.now.0 >= self.period_end {
            self.close_period();
            self.period = (self.now.0 / self.period_width) as usize;
            self.period_end = (self.period as u64 + 1).saturating_mul(self.period_width);
        }
        self.period
    }

    /// Mode `m`'s counts of the current period.
    #[inline]
    fn counts(&mut self, m: usize) -> &mut DayCounts {
        self.today();
        &mut self.modes[m].counts
    }

    /// Moves the counts of the current period to the daily table.
    #[cold]
    fn close_period(&mut self) {
        for (mode, out) in self.modes.iter_mut().zip(&mut self.modes_out) {
            out.per_day[self.period].merge(&mode.counts);
            mode.counts = DayCounts::default();
        }
    }
}

/// The first schedule change after time zero, and its entry.
fn first_shift(schedule: &[(u32, u32)], start_minute: u64) -> (SimTime, usize) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Dropping stale deadlines changes nothing the model reports: a run
    /// that drops them whenever their number doubles from a handful equals
    /// one that never drops them. Cars give up after a minute or so and
    /// their occupants walk on, with a patience of their own that starts a
    /// moment before they join their queue; few deadlines are live at a
    /// time, so the drops are frequent and many fall on a walker's.
    #[test]
    fn dropping_stale_deadlines_changes_no_outcome() {
        let text = "name = \"walkers\"\nhorizon_h = 48\nseed = 5\nsample_interval_min = 60\n\
             [modes.car]\nkind = \"vehicle\"\nspace_m = 7\n\
             people = { values = [1, 2, 3], weights = [0.4, 0.3, 0.3] }\n\
             patience = { dist = \"exponential\", mean_min = 1 }\n\
             [modes.car.switching]\nto = \"walker\"\non_patience = 1.0\n\
             [modes.walker]\nkind = \"foot\"\n\
             patience = { dist = \"exponential\", mean_min = 1 }\n\
             [arrivals.car]\nrate_per_min = 2\n\
             [[stages]]\nname = \"s\"\n\
             [[stages.booths]]\nname = \"cars\"\nmodes = [\"car\"]\ncount = 1\n\
             service = { dist = \"exponential\", mean_min = 1 }\n\
             [[stages.booths]]\nname = \"walkers\"\nmodes = [\"walker\"]\ncount = 1\n\
             service = { dist = \"exponential\", mean_min = 1 }\n";
        let sc = Scenario::from_toml(text, &[]).unwrap_or_else(|e| panic!("{e:?}"));
        let run = |min: usize| {
            let mut r = Replication::new(&sc, 0);
            r.compact_deadlines_min = min;
            r.compact_deadlines_at = min;
            r.run()
        };
        let (often, never) = (run(0), run(usize::MAX));
        let walker = &often.modes[1];
        assert!(
            walker.switched_in.units > 500 && walker.reneged.units > 100,
            "{} walkers, {} gave up",
            walker.switched_in.units,
            walker.reneged.units
        );
        assert_eq!(
            serde_json::to_string(&often.modes).expect("serialises"),
            serde_json::to_string(&never.modes).expect("serialises")
        );
    }
}
