//! Setting up a replication: its random streams, lanes, groups, stages and
//! modes from the scenario, the first controls, and the queue standing at
//! the start.

use std::collections::VecDeque;

use super::{
    behaviour, control, Arrivals, Control, GroupState, Lane, ModeState, ProbeKind, Replication,
    Side, StageState, Step,
};
use crate::engine::calendar::Calendar;
use crate::engine::deadlines::Deadlines;
use crate::engine::outcome::{period_width, DayCounts, ModeOutcome, SeriesLayout};
use crate::engine::rng::{stream, Purpose};
use crate::engine::road::Road;
use crate::scenario::{ModeId, Scenario};
use crate::stats::{CoarseHistogram, Histogram, Occupancy};
use crate::time::SimTime;

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
                let (shift_at, shift_idx) = control::first_shift(&g.schedule, start_minute);
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
            period_starts: vec![f64::NAN; sc.observations.len()],
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
}
