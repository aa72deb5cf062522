//! The flow of units: arrival, joining a group's queue, service, moving to the
//! next stage (or waiting in the booth when its buffer is full), leaving.

use rand::RngCore;
use rand_distr::{Distribution, Exp1};

use super::{Event, Lane, Replication, State, Unit, Waiting, SALT_JUMP};
use crate::engine::rng::SplitMix64;
use crate::time::SimTime;

impl Replication<'_> {
    #[inline]
    pub(super) fn set_next_arrival(&mut self, m: usize, key: u128) {
        if self.arrival_keys.len() == 1 {
            self.next_arrival = (key, 0);
        } else {
            self.arrival_keys[m] = key;
            let mut first = (u128::MAX, 0);
            for (i, &k) in self.arrival_keys.iter().enumerate() {
                if k < first.0 {
                    first = (k, i);
                }
            }
            self.next_arrival = first;
        }
    }

    /// Schedules the next arrival of mode `m` after `from`, by inverting the
    /// integrated piecewise-constant rate (an exact non-homogeneous Poisson process).
    #[inline(always)]
    pub(super) fn schedule_arrival(&mut self, m: usize, from: SimTime) {
        let a = &mut self.modes[m].arrivals;
        let remaining: f64 = Exp1.sample(&mut a.rng);
        // Usually the gap ends within the piece of the profile it starts in.
        let (end, rate) = a.piece;
        if from.0 < end && rate > 0.0 {
            // No overflow: `from` is within the horizon (100 years at most)
            // and a gap at most `SimTime::SATURATED` (142).
            let at = from.0 + SimTime::from_us(remaining / rate).0;
            if at < end {
                self.arrival_at(m, at);
                return;
            }
        }
        self.schedule_arrival_across(m, from, remaining);
    }

    /// The next arrival of mode `m` at `at` (µs), if within the horizon.
    #[inline(always)]
    fn arrival_at(&mut self, m: usize, at: u64) {
        let key = if at <= self.horizon.0 {
            self.cal.stamp(SimTime(at))
        } else {
            u128::MAX
        };
        self.set_next_arrival(m, key);
    }

    /// [`Replication::schedule_arrival`] where the gap `remaining` (in units
    /// of the integrated rate) may run past the current piece of the profile.
    #[inline(never)]
    fn schedule_arrival_across(&mut self, m: usize, from: SimTime, mut remaining: f64) {
        let a = &mut self.modes[m].arrivals;
        let mut i = a.segment;
        let mut t = from.0;
        while let Some(&(end, rate)) = a.segments.get(i) {
            if t < end {
                if rate > 0.0 {
                    let at = t.saturating_add(SimTime::from_us(remaining / rate).0);
                    if at < end {
                        a.segment = i;
                        a.piece = (end, rate);
                        self.arrival_at(m, at);
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

    /// A new unit of mode `m`, present from now, in state `state`.
    #[inline(always)]
    pub(super) fn new_unit(&mut self, m: usize, people: u32, state: State) -> u32 {
        let seed = self.modes[m].service_rng.next_u64();
        let cohort = self.today();
        self.add_unit(m, people, seed, cohort, state)
    }

    /// A new unit of mode `m` whose own draws come from `seed`, arriving in
    /// counting period `cohort` (today's).
    #[inline(always)]
    fn add_unit(&mut self, m: usize, people: u32, seed: u64, cohort: usize, state: State) -> u32 {
        let unit = Unit {
            seed,
            seq: self.next_seq,
            arrived: self.now.0,
            cohort: cohort as u32,
            stage_arrived: self.now.0,
            wait: 0,
            mode: m as u32,
            people,
            step: 0,
            lane: 0,
            state,
            jumper: false,
        };
        self.next_seq += 1;
        match self.free.pop() {
            Some(id) => {
                self.units[id as usize] = unit;
                id
            }
            None => {
                self.units.push(unit);
                (self.units.len() - 1) as u32
            }
        }
    }

    /// Frees a unit that leaves the system, with its people.
    #[inline]
    pub(super) fn free_unit(&mut self, id: u32) {
        let u = &mut self.units[id as usize];
        u.state = State::Gone;
        self.free.push(id);
    }

    pub(super) fn arrive(&mut self, m: usize) {
        self.schedule_arrival(m, self.now);
        // What the arrival needs of its mode, read at once.
        let mode = &mut self.modes[m];
        let people = mode.people.sample(&mut mode.behaviour_rng);
        let seed = mode.service_rng.next_u64();
        let (may_balk, has_patience, first) = (mode.may_balk, mode.has_patience, mode.first_lane);
        let day = self.today();
        let id = self.add_unit(m, people, seed, day, State::Waiting);
        // Today is current: counted without asking again.
        self.modes[m].counts.arrived.add(people);
        if may_balk && self.balks(id) {
            self.counts(m).balked.add(people);
            self.free_unit(id);
            return;
        }
        if has_patience {
            self.start_patience(id);
        }
        let (l, free) = self.lane_to_join(m, 0, first);
        self.join(id, m, 0, l, free);
    }

    /// The queue already standing at time zero, in order, before any arrival.
    pub(super) fn place_initial_queue(&mut self) {
        for m in 0..self.sc.modes.len() {
            for _ in 0..self.sc.initial_queue[m] {
                let people = {
                    let mode = &mut self.modes[m];
                    mode.people.sample(&mut mode.behaviour_rng)
                };
                let id = self.new_unit(m, people, State::Waiting);
                self.modes_out[m].initial.add(people);
                self.start_patience(id);
                self.enter_step(id);
            }
        }
    }

    /// Whether lane `l` can start serving at once: a booth of its group is
    /// open and free, nobody waits there, and its mode may be served.
    #[inline(always)]
    fn lane_free(&self, l: usize) -> bool {
        let lane = &self.lanes[l];
        let grp = &self.groups[lane.group];
        grp.busy.value() < grp.open.value() && grp.waiting == 0 && !grp.closed && !lane.forbidden
    }

    /// The lane of a step that can start serving mode `m` at once, if any.
    #[inline(always)]
    fn free_lane(&self, m: usize, step: usize) -> Option<usize> {
        let lanes = &self.modes[m].route[step].lanes;
        lanes.iter().copied().find(|&l| self.lane_free(l))
    }

    /// Where a unit of mode `m` goes at a step served by several groups: a
    /// lane that can serve it at once, else the group with the least work
    /// per open booth (ties go to the first listed); and whether it is free.
    #[inline(never)]
    fn choose_lane(&self, m: usize, step: usize) -> (usize, bool) {
        if let Some(l) = self.free_lane(m, step) {
            return (l, true);
        }
        let load = |l: usize| {
            let g = &self.groups[self.lanes[l].group];
            (i64::from(g.waiting) + g.busy.value()) as f64 / g.open.value().max(1) as f64
        };
        let lanes = &self.modes[m].route[step].lanes;
        let least = lanes
            .iter()
            .copied()
            .min_by(|&a, &b| load(a).total_cmp(&load(b)));
        (least.expect("a route step has lanes"), false)
    }

    /// The unit joins a group at its current step: service at once if a
    /// booth is free and nobody waits, else the group's queue (or its jump
    /// lane, for a unit that skips the queue).
    pub(super) fn enter_step(&mut self, id: u32) {
        let u = &self.units[id as usize];
        let (m, step) = (u.mode as usize, u.step as usize);
        let (l, free) = self.lane_to_join(m, step, self.modes[m].route[step].only);
        self.join(id, m, step, l, free);
    }

    /// The lane a unit of mode `m` joins at `step` (whose only lane, if it
    /// has one, is `only`), and whether it can start serving at once.
    #[inline(always)]
    fn lane_to_join(&self, m: usize, step: usize, only: Option<usize>) -> (usize, bool) {
        match only {
            Some(l) => (l, self.lane_free(l)),
            None => self.choose_lane(m, step),
        }
    }

    /// [`Replication::enter_step`] for unit `id` of mode `m` at `step`, to
    /// lane `l` (`free`: it can start serving at once).
    #[inline(always)]
    fn join(&mut self, id: u32, m: usize, step: usize, l: usize, free: bool) {
        let u = &mut self.units[id as usize];
        u.stage_arrived = self.now.0;
        u.state = State::Waiting;
        u.lane = l as u32;
        if free {
            self.start_service(l, id);
            return;
        }
        let entry = Waiting {
            seq: u.seq,
            unit: id,
        };
        let lane = &mut self.lanes[l];
        let g = lane.group;
        if step == 0
            && lane.jump_share > 0.0
            && super::unit_uniform(u.seed, SALT_JUMP) < lane.jump_share
        {
            u.jumper = true;
            let people = u.people;
            self.groups[g].jump_lane.push_back(entry);
            self.counts(m).jumped.add(people);
        } else {
            lane.queue.push_back(entry);
        }
        self.change_queue(l, 1);
    }

    /// Lane `l`'s queue grows or shrinks by one (`delta` is 1 or -1): its
    /// group's count of waiting units, the (mode, stage) waiting level and
    /// the road follow. The lane is read once, before anything changes.
    #[inline(always)]
    pub(super) fn change_queue(&mut self, l: usize, delta: i64) {
        let now = self.now;
        let Lane {
            group,
            level,
            road,
            mode,
            ..
        } = self.lanes[l];
        let waiting = &mut self.groups[group].waiting;
        if delta > 0 {
            *waiting += 1;
        } else {
            *waiting -= 1;
        }
        let q = &mut self.queue[level];
        q.add(now, delta);
        if road {
            self.road.change(now, mode, q.value(), delta);
        }
    }

    /// Takes a waiting unit out of its group's queue count (its entry stays,
    /// marked by the unit's new state, and is skipped at the front).
    #[inline(always)]
    pub(super) fn leave_queue(&mut self, id: u32) {
        let u = &self.units[id as usize];
        self.leave_lane(u.lane as usize, u.stage_arrived);
    }

    /// A unit that joined lane `l` at `stage_arrived` leaves its queue.
    #[inline(always)]
    fn leave_lane(&mut self, l: usize, stage_arrived: u64) {
        self.queue_time_us += u128::from(self.now.0 - stage_arrived);
        self.change_queue(l, -1);
    }

    /// Starts serving unit `id` from lane `l`: a booth becomes busy, the wait
    /// is recorded (by stage, and in full at the last stage), and the service
    /// end is scheduled.
    #[inline(always)]
    fn start_service(&mut self, l: usize, id: u32) {
        let now = self.now;
        let lane = &self.lanes[l];
        let (g, stage, m) = (lane.group, lane.stage, lane.mode);
        let grp = &mut self.groups[g];
        grp.busy.add(now, 1);
        grp.served += 1;
        let u = &mut self.units[id as usize];
        u.state = State::InService;
        let wait = now.0 - u.stage_arrived;
        u.wait += wait;
        if u.arrived >= self.warmup {
            let out = &mut self.modes_out[m];
            if lane.shared_route {
                out.stage_wait[stage].record(SimTime(wait));
            }
            if lane.last {
                // The last stage: the unit's wait is complete.
                out.wait.record(SimTime(u.wait));
                if u.jumper {
                    out.jumper_wait.record(SimTime(u.wait));
                }
                out.cohorts[u.cohort as usize].record(SimTime(u.wait));
            }
        }
        let mut rng = SplitMix64::new(u.seed, stage as u64);
        let minutes = lane.service.sample_min(&mut rng) + lane.per_person_min * f64::from(u.people);
        // No overflow, as for arrivals.
        let done = SimTime(now.0 + SimTime::from_min(minutes * lane.factor).0);
        self.cal.schedule(
            done,
            Event::ServiceEnd {
                lane: l as u32,
                unit: id,
            },
        );
    }

    pub(super) fn end_service(&mut self, l: usize, id: u32) {
        let lane = &self.lanes[l];
        let (g, stage, last, buffered) = (lane.group, lane.stage, lane.last, lane.buffered);
        if last {
            self.free_booth(g);
            self.depart(id);
        } else if !self.move_on(g, id) {
            return;
        }
        self.pull(g);
        if buffered {
            self.release_blocked(stage);
        }
    }

    /// A unit served at group `g` goes on to the next stage of its route,
    /// unless the zone before it is full: then it keeps its booth (and
    /// `false` is returned).
    fn move_on(&mut self, g: usize, id: u32) -> bool {
        let u = &mut self.units[id as usize];
        u.step += 1;
        let (m, step) = (u.mode as usize, u.step as usize);
        let next = self.modes[m].route[step].stage;
        if let Some(cap) = self.sc.stages[next].buffer {
            if self.stage_waiting(next) >= cap && self.free_lane(m, step).is_none() {
                self.units[id as usize].state = State::Blocked;
                self.stages[next].blocked.push_back((g, id));
                return false;
            }
        }
        self.free_booth(g);
        self.enter_step(id);
        true
    }

    #[inline]
    fn free_booth(&mut self, g: usize) {
        let grp = &mut self.groups[g];
        grp.busy.add(self.now, -1);
    }

    /// Lets units blocked in the booths before `stage` move on while its
    /// buffer has room (or a booth is free to take them at once).
    pub(super) fn release_blocked(&mut self, stage: usize) {
        let Some(cap) = self.sc.stages[stage].buffer else {
            return;
        };
        while let Some(&(g, id)) = self.stages[stage].blocked.front() {
            let u = self.units[id as usize];
            if self.stage_waiting(stage) >= cap
                && self.free_lane(u.mode as usize, u.step as usize).is_none()
            {
                return;
            }
            self.stages[stage].blocked.pop_front();
            self.free_booth(g);
            self.enter_step(id);
            self.pull(g);
            let before = self.groups[g].stage;
            self.release_blocked(before);
        }
    }

    fn depart(&mut self, id: u32) {
        let u = &self.units[id as usize];
        let (m, people, arrived) = (u.mode as usize, u.people, u.arrived);
        if arrived >= self.warmup {
            self.modes_out[m]
                .sojourn
                .record(SimTime(self.now.0 - arrived));
        }
        self.counts(m).crossed.add(people);
        self.free_unit(id);
        self.crossed_total += 1;
        self.stopped = self.crossed_total >= self.stop_after;
    }

    /// Units waiting at a stage, all its groups.
    fn stage_waiting(&self, stage: usize) -> u32 {
        let groups = &self.sc.stages[stage].groups;
        groups.iter().map(|g| self.groups[g.0].waiting).sum()
    }

    /// Whether a queue entry still stands for a waiting unit.
    #[inline]
    fn waiting_entry(&self, w: Waiting) -> bool {
        let u = &self.units[w.unit as usize];
        u.seq == w.seq && matches!(u.state, State::Waiting | State::Abandoned)
    }

    /// Starts service at group `g` while it has a free open booth and someone
    /// it may serve: first the jump lane, then the earliest arrival among its
    /// allowed modes' queues. Abandoned vehicles reaching the front are cleared.
    pub(super) fn pull(&mut self, g: usize) {
        loop {
            let grp = &self.groups[g];
            if grp.busy.value() >= grp.open.value() || grp.waiting == 0 || grp.closed {
                return;
            }
            let Some((l, jumped, w)) = self.next_in_line(g) else {
                return;
            };
            let u = &self.units[w.unit as usize];
            let (arrived, abandoned) = (u.stage_arrived, u.state == State::Abandoned);
            if jumped {
                self.groups[g].jump_lane.pop_front();
            } else {
                // FIFO check: within a queue, service in order of arrival at the group.
                let lane = &mut self.lanes[l];
                if arrived < lane.last_served {
                    self.fifo_violations += 1;
                }
                lane.last_served = arrived;
                lane.queue.pop_front();
            }
            self.leave_lane(l, arrived);
            if abandoned {
                self.release_unit(w.unit);
                continue;
            }
            self.start_service(l, w.unit);
        }
    }

    /// The entry to serve next at `g` (dropping marked entries at the fronts),
    /// as `(lane, from the jump lane, entry)`.
    fn next_in_line(&mut self, g: usize) -> Option<(usize, bool, Waiting)> {
        let grp = &self.groups[g];
        if grp.one_queue {
            // One mode served and nobody skipping: the front of its queue.
            let l = grp.lanes.start;
            if self.lanes[l].forbidden {
                return None;
            }
            while let Some(&w) = self.lanes[l].queue.front() {
                if self.waiting_entry(w) {
                    return Some((l, false, w));
                }
                self.lanes[l].queue.pop_front();
            }
            return None;
        }
        self.next_in_lines(g)
    }

    /// [`Replication::next_in_line`] at a group serving several modes, or
    /// with units skipping the queue: the jump lane first, then the earliest
    /// arrival at the fronts of the allowed modes' queues.
    #[inline(never)]
    fn next_in_lines(&mut self, g: usize) -> Option<(usize, bool, Waiting)> {
        while let Some(&w) = self.groups[g].jump_lane.front() {
            if !self.waiting_entry(w) {
                self.groups[g].jump_lane.pop_front();
                continue;
            }
            let l = self.units[w.unit as usize].lane as usize;
            if !self.lanes[l].forbidden {
                return Some((l, true, w));
            }
            break;
        }
        let mut best: Option<(usize, Waiting)> = None;
        for l in self.groups[g].lanes.clone() {
            if self.lanes[l].forbidden {
                continue;
            }
            while let Some(&w) = self.lanes[l].queue.front() {
                if self.waiting_entry(w) {
                    if best.is_none_or(|(_, b)| w.seq < b.seq) {
                        best = Some((l, w));
                    }
                    break;
                }
                self.lanes[l].queue.pop_front();
            }
        }
        best.map(|(l, w)| (l, false, w))
    }
}
