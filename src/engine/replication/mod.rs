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
mod control;
mod flow;
mod observe;
mod setup;

use std::collections::VecDeque;
use std::ops::Range;

use super::calendar::Calendar;
use super::deadlines::Deadlines;
use super::outcome::{DayCounts, ModeOutcome, Outcome, SeriesLayout};
use super::rng::SplitMix64;
use super::road::Road;
use crate::scenario::{Duration, People, Scenario};
use crate::stats::Occupancy;
use crate::time::SimTime;

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
    /// The samples so far, column by column.
    series: Vec<Vec<f64>>,
    last_sample_areas: Vec<(f64, f64)>,
    probes: Vec<f64>,
    /// Each counting observation's count at the start of its period; its
    /// probe stays NaN until the period's end is reached.
    period_starts: Vec<f64>,
    stopped: bool,
}

impl<'s> Replication<'s> {
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
        if end.0 < self.warmup {
            // Stopped by its crossings before the warm-up ended: nothing
            // after the warm-up to count, so nothing before it either.
            self.now = end;
            self.restart_statistics();
        }
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

    /// Units waiting on mode `m`'s approach (before the first stage of its route).
    fn approach_units(&self, m: usize) -> f64 {
        self.approach(m).value() as f64
    }

    /// Mode `m`'s units waiting on the approach (before its first stage).
    fn approach(&self, m: usize) -> &Occupancy {
        &self.queue[m * self.stages.len() + self.modes[m].route[0].stage]
    }

    /// Each mode's units waiting on the approach now.
    fn approach_values(&self) -> Vec<i64> {
        (0..self.modes.len())
            .map(|m| self.approach(m).value())
            .collect()
    }

    /// Each mode's approach units' integral (units × minutes) to `now`.
    fn approach_areas(&self, now: SimTime) -> Vec<f64> {
        (0..self.modes.len())
            .map(|m| self.approach(m).area_min(now))
            .collect()
    }

    /// The period index of now, for daily (or multi-day) counts; divides
    /// only when a period ends.
    #[inline]
    fn today(&mut self) -> usize {
        if self.now.0 >= self.period_end {
            self.close_period();
            let last = self.period;
            self.period = (self.now.0 / self.period_width) as usize;
            self.period_end = (self.period as u64 + 1).saturating_mul(self.period_width);
            self.reserve_cohorts(last);
        }
        self.period
    }

    /// Gives the new period's cohorts the room period `last`'s used, so each
    /// is allocated about once instead of regrown as its waits lengthen.
    /// Out of line, off the arrivals' path (inlined, R1 took 25 more
    /// instructions per customer).
    #[cold]
    #[inline(never)]
    fn reserve_cohorts(&mut self, last: usize) {
        for out in &mut self.modes_out {
            let (before, after) = out.cohorts.split_at_mut(self.period);
            after[0].reserve_like(&before[last]);
        }
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
