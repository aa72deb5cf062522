//! What travellers and guards do beyond queueing: balking at a long queue,
//! giving up when patience runs out, leaving the vehicle to walk (on patience
//! or when walking is allowed), abandoned vehicles, and being sent away.

use super::{Event, Replication, State, Unit, SALT_BALK, SALT_INVITE, SALT_PATIENCE, SALT_SWITCH};
use crate::engine::rng::SplitMix64;
use crate::scenario::{Abandoned, ModeId};
use crate::time::SimTime;

impl Replication<'_> {
    /// Whether a newly arrived unit does not join (its queue is over the threshold).
    #[inline]
    pub(super) fn balks(&self, id: u32) -> bool {
        let u = &self.units[id as usize];
        let m = u.mode as usize;
        let Some(balk) = &self.sc.modes[m].behaviour.balk else {
            return false;
        };
        let units = self.approach_units(m);
        let over_km = balk.above_km.is_some_and(|km| self.road.km(m, units) > km);
        let over_wait = balk
            .above_wait_h
            .is_some_and(|h| self.expected_wait_h(m, units) > h);
        (over_km || over_wait) && super::unit_uniform(u.seed, SALT_BALK) < balk.probability
    }

    /// Units ahead over the service rate of the open booths at the first stage, in hours.
    fn expected_wait_h(&self, m: usize, units: f64) -> f64 {
        let step = &self.modes[m].route[0];
        let rate_per_h: f64 = step
            .lanes
            .iter()
            .map(|&l| {
                let lane = &self.lanes[l];
                let mean =
                    lane.service.mean_min() + lane.per_person_min * self.sc.modes[m].people.mean();
                self.groups[lane.group].open.value() as f64 * 60.0 / (mean * lane.factor)
            })
            .sum();
        if rate_per_h > 0.0 {
            units / rate_per_h
        } else {
            f64::INFINITY
        }
    }

    /// Starts the unit's patience clock, if its mode has one.
    #[inline]
    pub(super) fn start_patience(&mut self, id: u32) {
        let m = self.units[id as usize].mode as usize;
        let Some(patience) = &self.sc.modes[m].behaviour.patience else {
            return;
        };
        let u = self.units[id as usize];
        let at = self
            .now
            .plus(patience.sample(&mut SplitMix64::new(u.seed, SALT_PATIENCE), 1.0));
        if at <= self.horizon {
            // Before the push: a walker's patience starts just before it
            // joins its queue, so its own deadline must not be judged yet.
            if self.deadlines.len() >= self.compact_deadlines_at {
                self.drop_stale_deadlines();
            }
            let key = self.cal.stamp(at);
            self.deadlines.push(key, (id, u.seq));
            self.refresh_side();
        }
    }

    /// Drops the deadlines of units no longer waiting on their approach
    /// (served, moved on or gone): they would only be skipped when they came
    /// up. Runs when the deadlines have doubled since the last time (at
    /// least [`COMPACT_DEADLINES_MIN`]), so each deadline is checked about
    /// once, and most never reach the front. It runs before a new deadline
    /// is pushed, when every unit holding one has joined its queue (a
    /// walker's patience starts a moment before it joins).
    #[inline(never)]
    fn drop_stale_deadlines(&mut self) {
        let units = &self.units;
        self.deadlines
            .retain(|&(id, seq)| patience_pending(&units[id as usize], seq));
        self.compact_deadlines_at = (2 * self.deadlines.len()).max(self.compact_deadlines_min);
    }

    /// Patience has run out: a unit still waiting on its approach switches
    /// mode (if it may and chooses to) or turns back.
    pub(super) fn patience_runs_out(&mut self, id: u32, seq: u64) {
        let u = self.units[id as usize];
        if !patience_pending(&u, seq) {
            return; // served, moved on, or gone already
        }
        let m = u.mode as usize;
        if let Some(sw) = &self.sc.modes[m].behaviour.switching {
            if self.allowed_first(sw.to.0)
                && super::unit_uniform(u.seed, SALT_SWITCH) < sw.on_patience
            {
                let position = self.position(id);
                self.switch_mode(id, position);
                return;
            }
        }
        self.leave_queue(id);
        self.counts(m).reneged.add(u.people);
        self.free_unit(id);
    }

    /// Whether mode `m` may be served at the first stage of its route.
    fn allowed_first(&self, m: usize) -> bool {
        // The lanes of a step are one mode's at one stage: allowed alike.
        !self.lanes[self.modes[m].route[0].lanes[0]].forbidden
    }

    /// Units ahead of a waiting unit in its queue.
    fn position(&self, id: u32) -> usize {
        let u = &self.units[id as usize];
        self.lanes[u.lane as usize]
            .queue
            .iter()
            .take_while(|w| w.unit != id || w.seq != u.seq)
            .filter(|w| {
                let o = &self.units[w.unit as usize];
                o.seq == w.seq && matches!(o.state, State::Waiting | State::Abandoned)
            })
            .count()
    }

    /// The occupants of a waiting vehicle leave it and walk to the checkpoint,
    /// each becoming a unit of the target mode when they reach its queue.
    fn switch_mode(&mut self, id: u32, position: usize) {
        let u = self.units[id as usize];
        let m = u.mode as usize;
        // The scenario outlives `self`'s borrow: no copy of the switching rule.
        let sc = self.sc;
        let sw = sc.modes[m]
            .behaviour
            .switching
            .as_ref()
            .expect("switching is configured");
        let km = self.road.km(m, position as f64);
        let walk = SimTime::from_h(km / sw.walk_kmh);
        self.counts(m).switched.add(u.people);
        let to = sw.to.0;
        for _ in 0..u.people {
            let walker = self.new_unit(to, 1, State::Walking);
            self.modes_out[to].switched_in.add(1);
            self.cal
                .schedule(self.now.plus(walk), Event::WalkArrive { unit: walker });
        }
        // The vehicle is no longer a traveller (its people have left): it is
        // released, or stays as an abandoned vehicle, counted nowhere.
        match sw.vehicle {
            Abandoned::Leaves => {
                self.leave_queue(id);
                self.release_unit(id);
            }
            Abandoned::Blocks(after) => {
                let v = &mut self.units[id as usize];
                v.state = State::Abandoned;
                v.people = 0;
                self.cal.schedule(
                    self.now.plus(after),
                    Event::Clear {
                        unit: id,
                        seq: u.seq,
                    },
                );
            }
        }
    }

    /// A walker reaches the checkpoint and joins the queue of its new mode
    /// (where it waits, like everyone, if that mode has been forbidden meanwhile).
    pub(super) fn walk_arrives(&mut self, id: u32) {
        let cohort = self.today() as u32;
        let u = &mut self.units[id as usize];
        u.arrived = self.now.0;
        u.cohort = cohort;
        self.start_patience(id);
        self.enter_step(id);
    }

    /// An abandoned vehicle's clearance time has come.
    pub(super) fn clear_abandoned(&mut self, id: u32, seq: u64) {
        let u = self.units[id as usize];
        if u.seq == seq && u.state == State::Abandoned {
            self.leave_queue(id);
            self.release_unit(id);
        }
    }

    /// Frees a unit slot whose people are already counted elsewhere (an
    /// abandoned vehicle, or one its occupants just left).
    pub(super) fn release_unit(&mut self, id: u32) {
        let u = &mut self.units[id as usize];
        u.state = State::Gone;
        u.people = 0;
        self.free.push(id);
    }

    /// A rule change sends away everyone of mode `m` waiting at `stage`.
    pub(super) fn send_away(&mut self, stage: usize, m: usize) {
        let ids: Vec<u32> = self
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                u.state == State::Waiting
                    && u.mode as usize == m
                    && self.lanes[u.lane as usize].stage == stage
                    && self.modes[m]
                        .route
                        .get(u.step as usize)
                        .is_some_and(|s| s.stage == stage)
            })
            .map(|(i, _)| i as u32)
            .collect();
        for id in ids {
            let people = self.units[id as usize].people;
            self.leave_queue(id);
            self.modes_out[m].sent_away.add(people);
            self.free_unit(id);
        }
        self.release_blocked(stage);
    }

    /// Mode `to` has just been allowed (policy event `event`): occupants of
    /// waiting vehicles whose mode switches to it may leave them now, with a
    /// probability by their distance from the checkpoint.
    pub(super) fn invite_switching(&mut self, to: usize, event: usize) {
        let sc = self.sc;
        for m in 0..sc.modes.len() {
            let Some(sw) = &sc.modes[m].behaviour.switching else {
                continue;
            };
            if sw.to != ModeId(to) || sw.when_allowed.is_empty() || !self.allowed_first(to) {
                continue;
            }
            let bands = &sw.when_allowed;
            // Walk each of the mode's first-stage queues in order, counting position.
            let mut chosen: Vec<(u32, usize)> = Vec::new();
            for &l in &self.modes[m].route[0].lanes {
                let mut position = 0;
                for w in &self.lanes[l].queue {
                    let u = &self.units[w.unit as usize];
                    if u.seq != w.seq || !matches!(u.state, State::Waiting | State::Abandoned) {
                        continue;
                    }
                    if u.state == State::Waiting {
                        let km = self.road.km(m, position as f64);
                        let p = bands
                            .iter()
                            .find(|&&(within, _)| km <= within)
                            .map_or(0.0, |&(_, p)| p);
                        if p > 0.0 && super::unit_uniform(u.seed, SALT_INVITE + event as u64) < p {
                            chosen.push((w.unit, position));
                        }
                    }
                    position += 1;
                }
            }
            for (id, position) in chosen {
                self.switch_mode(id, position);
            }
        }
    }
}

/// Fewest deadlines at which stale ones are dropped.
pub(super) const COMPACT_DEADLINES_MIN: usize = 1024;

/// Whether a patience deadline set for unit `u` when its sequence was `seq`
/// still matters: the unit is still waiting on its approach (the first step
/// of its route). Once false it stays false: a unit's sequence is never
/// reused, and a unit never returns to its first step.
fn patience_pending(u: &Unit, seq: u64) -> bool {
    u.seq == seq && u.state == State::Waiting && u.step == 0
}
