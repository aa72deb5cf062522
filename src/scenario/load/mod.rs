//! Validation: from the document tree to a typed [`Scenario`], with every
//! problem reported at once.

mod arrivals;
mod events;
mod observations;
mod stages;

use super::dist::People;
use super::error::{Problem, Problems};
use super::reader::{string, TableReader};
use super::tree::{join, Node};
use super::{Action, Arrivals, Mode, ModeId, ModeKind, PolicyEvent, Scenario};
use crate::time::{Calendar, DateTime, SimTime, US_PER_DAY};

use arrivals::read_arrivals;
use events::read_events;
use observations::read_observations;
use stages::{check_service_coverage, read_stages};

/// The largest horizon accepted: 100 years.
const MAX_HORIZON_DAYS: f64 = 36_525.0;
/// The most time-series samples per replication.
const MAX_SAMPLES: u64 = 500;
/// The most booths a group may have.
const MAX_BOOTHS: i64 = 100_000;
/// The most replications a scenario may ask for by default.
const MAX_REPLICATIONS: i64 = 1_000_000;

pub(super) fn scenario(root: &Node) -> Result<Scenario, Vec<Problem>> {
    let mut p = Problems::default();
    let mut t =
        TableReader::new(root, "", &mut p).ok_or_else(|| p.clone().into_result().unwrap_err())?;

    let name = match t.opt_str("name", &mut p) {
        Some(s) if !s.trim().is_empty() => s.to_string(),
        Some(_) => {
            let origin = t.node("name").map_or(t.origin(), |n| &n.origin);
            p.at(
                "name",
                origin,
                "the name is empty (allowed: any non-empty text)",
            );
            String::new()
        }
        None => {
            if !t.has("name") {
                t.missing("name", "the scenario's name", &mut p);
            }
            String::new()
        }
    };
    let start = t
        .opt_datetime("start", &mut p)
        .unwrap_or(DateTime::date(2000, 1, 1));
    let calendar = Calendar::new(start);
    let found = p.len();
    let horizon = read_horizon(&mut t, &mut p);
    // A horizon in error stands in as one day: nothing to hold a warm-up to.
    let horizon_read = p.len() == found;
    let seed = t.opt_int("seed", 0, i64::MAX, &mut p).unwrap_or(1) as u64;
    let replications = t
        .opt_int("replications", 1, MAX_REPLICATIONS, &mut p)
        .unwrap_or(10) as u32;
    let requested_interval = t
        .opt_f64_where(
            "sample_interval_min",
            |v| v >= 1.0 / 60.0,
            "at least 1 second (0.0167 min)",
            &mut p,
        )
        .map_or_else(
            || crate::scenario::default_sample_interval(horizon),
            SimTime::from_min,
        );
    // At most MAX_SAMPLES rows of time series: longer runs sample at a multiple
    // of the interval asked for, so memory does not grow with the horizon.
    let rows = horizon.0 / requested_interval.0.max(1);
    let sample_interval = SimTime(requested_interval.0 * rows.div_ceil(MAX_SAMPLES).max(1));
    // Below the horizon: a warm-up that never ends would leave nothing to count.
    let below_horizon = format!("0 hours or more, below the horizon of {} h", horizon.as_h());
    let warmup = t
        .opt_f64_where(
            "warmup_h",
            |v| v >= 0.0 && (SimTime::from_h(v) < horizon || !horizon_read),
            &below_horizon,
            &mut p,
        )
        .map_or(SimTime::ZERO, SimTime::from_h);
    let service_speed = t
        .opt_f64_where(
            "service_speed",
            |v| v > 0.0 && v <= 1e6,
            "a factor above 0 and at most 1e6",
            &mut p,
        )
        .unwrap_or(1.0);
    let end_after_crossings = t
        .opt_int("end_after_crossings", 1, i64::MAX, &mut p)
        .map(|n| n as u64);

    let road_rows = match t.node("road") {
        Some(n) => TableReader::new(n, "road", &mut p).and_then(|mut r| {
            let rows = r.opt_f64_where(
                "rows",
                |v| (1.0..=100.0).contains(&v),
                "1 to 100 rows",
                &mut p,
            );
            r.finish(&mut p);
            rows
        }),
        None => None,
    }
    .unwrap_or(1.0);

    let modes = match t.node("modes") {
        Some(n) => read_modes(n, &mut p),
        None => {
            t.missing(
                "modes",
                "a table of traveller classes, e.g. [modes.car]",
                &mut p,
            );
            Vec::new()
        }
    };
    let mode_names: Vec<&str> = modes.iter().map(|m| m.name.as_str()).collect();
    let ctx = Ctx {
        calendar,
        modes: &mode_names,
        people_mean: modes.iter().map(|m| m.people.mean()).collect(),
    };

    let mut initial_queue = vec![0u32; modes.len()];
    let arrivals = match t.node("arrivals") {
        Some(n) => read_arrivals(n, &ctx, &mut initial_queue, &mut p),
        None => {
            t.missing(
                "arrivals",
                "a table of arrival rates per mode, e.g. [arrivals.car]",
                &mut p,
            );
            vec![
                Arrivals {
                    segments: Vec::new()
                };
                modes.len()
            ]
        }
    };

    let (stages, mut groups) = match t.node("stages") {
        Some(n) => read_stages(n, &ctx, &mut p),
        None => {
            t.missing(
                "stages",
                "an array of control stages, e.g. [[stages]]",
                &mut p,
            );
            (Vec::new(), Vec::new())
        }
    };

    for g in &mut groups {
        g.speed *= service_speed;
    }
    let mut events = match t.node("events") {
        Some(n) => read_events(n, &ctx, &stages, &groups, &mut p),
        None => Vec::new(),
    };
    events.sort_by_key(|e| e.at);

    let observations = match t.node("observations") {
        Some(n) => read_observations(n, &ctx, &mut p),
        None => Vec::new(),
    };
    let sweep = t.node("sweep").and_then(|n| read_sweep(n, &mut p));
    t.finish(&mut p);

    check_service_coverage(root, &modes, &stages, &groups, &events, &mut p);
    p.into_result()?;

    let arrivals = apply_arrival_factors(arrivals, &events);
    Ok(Scenario {
        name,
        calendar,
        horizon,
        seed,
        replications,
        sample_interval,
        end_after_crossings,
        warmup,
        modes,
        arrivals,
        initial_queue,
        stages,
        groups,
        road_rows,
        events,
        observations,
        sweep,
    })
}

/// `[sweep] vary = ["speed=0.5..2:0.25"], replications = 20`.
fn read_sweep(node: &Node, p: &mut Problems) -> Option<super::SweepSpec> {
    let mut t = TableReader::new(node, "sweep", p)?;
    let path = t.key_path("vary");
    let vary = match t.opt_array("vary", p) {
        Some(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| string(n, &format!("{path}[{i}]"), p).map(str::to_string))
            .collect(),
        None => {
            if !t.has("vary") {
                t.missing(
                    "vary",
                    "the keys to sweep, e.g. vary = [\"speed=0.5..2:0.25\"]",
                    p,
                );
            }
            Vec::new()
        }
    };
    let replications = t
        .opt_int("replications", 1, MAX_REPLICATIONS, p)
        .map(|r| r as u32);
    t.finish(p);
    Some(super::SweepSpec { vary, replications })
}

struct Ctx<'a> {
    calendar: Calendar,
    modes: &'a [&'a str],
    people_mean: Vec<f64>,
}

impl Ctx<'_> {
    fn mode(&self, node: &Node, path: &str, p: &mut Problems) -> Option<ModeId> {
        let s = string(node, path, p)?;
        match self.modes.iter().position(|m| *m == s) {
            Some(i) => Some(ModeId(i)),
            None => {
                p.at(
                    path,
                    &node.origin,
                    format!("unknown mode `{s}` (modes: {})", self.modes.join(", ")),
                );
                None
            }
        }
    }

    /// A time given as `KEY` (a date-time) or `KEY_h` (hours from the start).
    fn time(
        &self,
        t: &mut TableReader<'_>,
        key: &'static str,
        key_h: &'static str,
        p: &mut Problems,
    ) -> Option<SimTime> {
        let path = t.key_path(key);
        let dt = t.opt_datetime(key, p);
        let h = t.opt_f64_where(key_h, |v| v >= 0.0, "0 hours or more", p);
        match (dt, h) {
            (Some(_), Some(_)) => {
                p.at(
                    &path,
                    t.origin(),
                    format!("give either `{key}` or `{key_h}`, not both"),
                );
                None
            }
            (Some(d), None) => match self.calendar.sim_time(d) {
                Some(s) => Some(s),
                None => {
                    p.at(
                        &path,
                        t.origin(),
                        format!(
                            "{d} is before the scenario's start {}",
                            self.calendar.start()
                        ),
                    );
                    None
                }
            },
            (None, Some(h)) => Some(SimTime::from_h(h)),
            (None, None) => None,
        }
    }
}

fn read_horizon(t: &mut TableReader<'_>, p: &mut Problems) -> SimTime {
    // Each key checked in its own unit, where it was written.
    let mut read = |key: &'static str, per_day: f64, unit: &str| {
        let most = MAX_HORIZON_DAYS * per_day;
        let limit = if per_day == 1.0 {
            format!("above 0 and at most {MAX_HORIZON_DAYS} days")
        } else {
            format!("above 0 and at most {most} {unit}, {MAX_HORIZON_DAYS} days")
        };
        t.opt_f64_where(key, |v| v > 0.0 && v <= most, &limit, p)
            .map(|v| v / per_day)
    };
    let days = read("horizon_days", 1.0, "days");
    let hours = read("horizon_h", 24.0, "h");
    let minutes = read("horizon_min", 1440.0, "min");
    let given: Vec<f64> = [days, hours, minutes].into_iter().flatten().collect();
    let present = ["horizon_days", "horizon_h", "horizon_min"]
        .iter()
        .filter(|k| t.has(k))
        .count();
    match (present, given.first()) {
        (0, _) => {
            t.missing(
                "horizon_days",
                "how long to simulate: horizon_days, horizon_h or horizon_min",
                p,
            );
            SimTime::from_days(1.0)
        }
        (1, Some(&d)) => SimTime::from_days(d),
        (1, None) => SimTime(US_PER_DAY),
        _ => {
            p.at(
                "horizon_days",
                t.origin(),
                "give only one of horizon_days, horizon_h, horizon_min",
            );
            SimTime(US_PER_DAY)
        }
    }
}

fn read_modes(node: &Node, p: &mut Problems) -> Vec<Mode> {
    let Some(mut t) = TableReader::new(node, "modes", p) else {
        return Vec::new();
    };
    let entries = t.rest();
    if entries.is_empty() {
        p.at(
            "modes",
            &node.origin,
            "no modes (allowed: at least one, e.g. [modes.car])",
        );
    }
    let names: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
    let mut modes = Vec::new();
    for e in entries {
        let path = join("modes", &e.key);
        let Some(mut m) = TableReader::new(&e.node, &path, p) else {
            // Reported; kept by name, so that what refers to it is not
            // reported again as naming an unknown mode.
            modes.push(Mode {
                name: e.key.clone(),
                kind: ModeKind::Vehicle,
                space_m: 7.6,
                people: People::Fixed(1),
                behaviour: Default::default(),
            });
            continue;
        };
        let kind = match m.opt_choice("kind", &["vehicle", "foot"], p) {
            Some("foot") => ModeKind::Foot,
            _ => ModeKind::Vehicle,
        };
        let default_space = if kind == ModeKind::Foot { 0.7 } else { 7.6 };
        let space_m = m
            .opt_f64_where(
                "space_m",
                |v| v > 0.0 && v <= 1000.0,
                "above 0 and at most 1000 metres",
                p,
            )
            .unwrap_or(default_space);
        let people = match m.node("people") {
            Some(n) => People::read(n, &m.key_path("people"), p).unwrap_or(People::Fixed(1)),
            None => People::Fixed(1),
        };
        let behaviour = super::behaviour::read(&mut m, &names, p);
        m.finish(p);
        modes.push(Mode {
            name: e.key.clone(),
            kind,
            space_m,
            people,
            behaviour,
        });
    }
    modes
}

/// Folds `scale_arrivals` events into each mode's piecewise-constant rate, so
/// the engine sees one rate function per mode.
fn apply_arrival_factors(arrivals: Vec<Arrivals>, events: &[PolicyEvent]) -> Vec<Arrivals> {
    arrivals
        .into_iter()
        .enumerate()
        .map(|(m, a)| {
            let changes: Vec<(SimTime, f64)> = events
                .iter()
                .filter_map(|e| match e.action {
                    Action::ScaleArrivals { mode, factor } if mode.0 == m => Some((e.at, factor)),
                    _ => None,
                })
                .collect();
            if changes.is_empty() {
                return a;
            }
            let mut points: Vec<SimTime> = a
                .segments
                .iter()
                .map(|s| s.0)
                .chain(changes.iter().map(|c| c.0))
                .collect();
            points.sort_unstable();
            points.dedup();
            let factor_at =
                |t: SimTime| changes.iter().rev().find(|c| c.0 <= t).map_or(1.0, |c| c.1);
            Arrivals {
                segments: points
                    .into_iter()
                    .map(|t| (t, a.rate_at(t) * factor_at(t)))
                    .collect(),
            }
        })
        .collect()
}
