//! Validation: from the document tree to a typed [`Scenario`], with every
//! problem reported at once.

use super::dist::{Duration, People};
use super::error::{Problem, Problems};
use super::reader::{string, TableReader};
use super::tree::{join, Node, Origin, Value};
use super::{
    Action, Arrivals, BoothGroup, GroupId, Metric, Mode, ModeId, ModeKind, Observation,
    PolicyEvent, Scenario, Stage, StageId,
};
use crate::time::{Calendar, DateTime, SimTime, US_PER_DAY};

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
            p.at(
                "name",
                t.origin(),
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
    let horizon = read_horizon(&mut t, &mut p);
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
        .map_or(SimTime::from_min(60.0), SimTime::from_min);
    // At most MAX_SAMPLES rows of time series: longer runs sample at a multiple
    // of the interval asked for, so memory does not grow with the horizon.
    let rows = horizon.0 / requested_interval.0.max(1);
    let sample_interval = SimTime(requested_interval.0 * rows.div_ceil(MAX_SAMPLES).max(1));
    let warmup = t
        .opt_f64_where("warmup_h", |v| v >= 0.0, "0 hours or more", &mut p)
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
    let limit = format!("above 0 and at most {MAX_HORIZON_DAYS} days");
    let positive = |v: f64| v > 0.0;
    let days = t.opt_f64_where("horizon_days", positive, &limit, p);
    let hours = t
        .opt_f64_where("horizon_h", positive, &limit, p)
        .map(|h| h / 24.0);
    let minutes = t
        .opt_f64_where("horizon_min", positive, &limit, p)
        .map(|m| m / 1440.0);
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
        (1, Some(&d)) if d <= MAX_HORIZON_DAYS => SimTime::from_days(d),
        (1, Some(&d)) => {
            p.at(
                "horizon_days",
                t.origin(),
                format!("{d} days is not allowed (allowed: {limit})"),
            );
            SimTime(US_PER_DAY)
        }
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

fn read_arrivals(
    node: &Node,
    ctx: &Ctx<'_>,
    initial: &mut [u32],
    p: &mut Problems,
) -> Vec<Arrivals> {
    let mut out = vec![
        Arrivals {
            segments: Vec::new()
        };
        ctx.modes.len()
    ];
    let Some(mut t) = TableReader::new(node, "arrivals", p) else {
        return out;
    };
    for e in t.rest() {
        let path = join("arrivals", &e.key);
        let Some(i) = ctx.modes.iter().position(|m| *m == e.key) else {
            p.at(
                &path,
                &e.key_origin,
                format!("unknown mode `{}` (modes: {})", e.key, ctx.modes.join(", ")),
            );
            continue;
        };
        let Some(mut a) = TableReader::new(&e.node, &path, p) else {
            continue;
        };
        let has_rate = ["rate_per_min", "rate_per_h", "rate_per_day"]
            .iter()
            .any(|k| a.has(k));
        let has_profile = a.has("profile");
        let queued = a.opt_int("initial_queue", 0, 10_000_000, p);
        initial[i] = queued.unwrap_or(0) as u32;
        let segments = match (has_rate, has_profile) {
            (true, false) => read_rate(&mut a, |v| v > 0.0, "a rate above 0", p)
                .map(|r| vec![(SimTime::ZERO, r)]),
            (false, true) => {
                let items = a.opt_array("profile", p).unwrap_or(&[]);
                read_profile(items, &a.key_path("profile"), &a, ctx, p)
            }
            (true, true) => {
                p.at(
                    &path,
                    &e.node.origin,
                    "give either a rate or a profile, not both",
                );
                None
            }
            (false, false) if a.has("initial_queue") => None, // a standing queue, no arrivals
            (false, false) => {
                p.at(
                    &path,
                    &e.node.origin,
                    "missing the rate (allowed: rate_per_min, rate_per_h, rate_per_day, or profile = [...])",
                );
                None
            }
        };
        a.finish(p);
        if let Some(s) = segments {
            out[i] = Arrivals { segments: s };
        }
    }
    out
}

/// One of `rate_per_min`, `rate_per_h`, `rate_per_day`, as arrivals per minute.
fn read_rate(
    t: &mut TableReader<'_>,
    ok: impl Fn(f64) -> bool + Copy,
    allowed: &str,
    p: &mut Problems,
) -> Option<f64> {
    let per_min = t.opt_f64_where("rate_per_min", ok, allowed, p);
    let per_h = t
        .opt_f64_where("rate_per_h", ok, allowed, p)
        .map(|r| r / 60.0);
    let per_day = t
        .opt_f64_where("rate_per_day", ok, allowed, p)
        .map(|r| r / 1440.0);
    let given: Vec<f64> = [per_min, per_h, per_day].into_iter().flatten().collect();
    if given.len() > 1 {
        p.at(
            t.path(),
            t.origin(),
            "give only one of rate_per_min, rate_per_h, rate_per_day",
        );
        return None;
    }
    given.first().copied()
}

fn read_profile(
    items: &[Node],
    path: &str,
    parent: &TableReader<'_>,
    ctx: &Ctx<'_>,
    p: &mut Problems,
) -> Option<Vec<(SimTime, f64)>> {
    if items.is_empty() {
        p.at(
            path,
            parent.origin(),
            "the profile is empty (allowed: at least one { at_h = 0, rate_per_h = ... })",
        );
        return None;
    }
    let mut segments: Vec<(SimTime, f64)> = Vec::new();
    let mut good = true;
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        let Some(mut t) = TableReader::new(item, &ipath, p) else {
            good = false;
            continue;
        };
        let at = ctx.time(&mut t, "at", "at_h", p);
        if at.is_none() && !t.has("at") && !t.has("at_h") {
            t.missing(
                "at",
                "when this rate starts: at = 2022-09-21T00:00:00 or at_h = 0",
                p,
            );
        }
        let rate = read_rate(&mut t, |v| v >= 0.0, "0 or more", p);
        if rate.is_none()
            && !["rate_per_min", "rate_per_h", "rate_per_day"]
                .iter()
                .any(|k| t.has(k))
        {
            t.missing(
                "rate_per_h",
                "the rate: rate_per_min, rate_per_h or rate_per_day",
                p,
            );
        }
        t.finish(p);
        match (at, rate) {
            (Some(at), Some(rate)) => {
                if let Some(&(prev, _)) = segments.last() {
                    if at <= prev {
                        p.at(
                            &ipath,
                            &item.origin,
                            format!(
                                "out of order: starts at {:.3} h, not after the previous entry at {:.3} h \
                                 (allowed: entries in increasing time)",
                                at.as_h(),
                                prev.as_h()
                            ),
                        );
                        good = false;
                    }
                }
                segments.push((at, rate));
            }
            _ => good = false,
        }
    }
    if !good {
        return None;
    }
    if segments[0].0 > SimTime::ZERO {
        segments.insert(0, (SimTime::ZERO, 0.0));
    }
    Some(segments)
}

fn read_stages(node: &Node, ctx: &Ctx<'_>, p: &mut Problems) -> (Vec<Stage>, Vec<BoothGroup>) {
    let mut stages = Vec::new();
    let mut groups = Vec::new();
    let Value::Array(items) = &node.value else {
        p.at(
            "stages",
            &node.origin,
            format!(
                "expected an array of tables ([[stages]]), found {}",
                node.value.type_name()
            ),
        );
        return (stages, groups);
    };
    if items.is_empty() {
        p.at(
            "stages",
            &node.origin,
            "no stages (allowed: at least one [[stages]])",
        );
    }
    for (si, item) in items.iter().enumerate() {
        let spath = format!(
            "stages.{}",
            item.name().map_or_else(|| si.to_string(), str::to_string)
        );
        let Some(mut t) = TableReader::new(item, &spath, p) else {
            continue;
        };
        let name = unique_name(
            &mut t,
            stages.iter().map(|s: &Stage| s.name.as_str()),
            "stage",
            p,
        );
        let stage_id = StageId(stages.len());
        let mut ids = Vec::new();
        match t.node("booths") {
            Some(Node {
                value: Value::Array(bs),
                origin,
            }) => {
                if bs.is_empty() {
                    p.at(
                        &t.key_path("booths"),
                        origin,
                        "no booth groups (allowed: at least one [[stages.booths]])",
                    );
                }
                let first = groups.len();
                for (gi, b) in bs.iter().enumerate() {
                    let gpath = format!(
                        "{spath}.booths.{}",
                        b.name().map_or_else(|| gi.to_string(), str::to_string)
                    );
                    let names: Vec<String> = groups[first..]
                        .iter()
                        .map(|g: &BoothGroup| g.name.clone())
                        .collect();
                    if let Some(g) = read_group(b, &gpath, stage_id, &names, ctx, p) {
                        ids.push(GroupId(groups.len()));
                        groups.push(g);
                    }
                }
            }
            Some(other) => p.at(
                &t.key_path("booths"),
                &other.origin,
                format!(
                    "expected an array of tables ([[stages.booths]]), found {}",
                    other.value.type_name()
                ),
            ),
            None => t.missing("booths", "the stage's booth groups, [[stages.booths]]", p),
        }
        let buffer = t.opt_int("buffer", 0, 100_000_000, p).map(|b| b as u32);
        t.finish(p);
        stages.push(Stage {
            name,
            groups: ids,
            buffer,
        });
    }
    (stages, groups)
}

fn unique_name<'a>(
    t: &mut TableReader<'_>,
    mut taken: impl Iterator<Item = &'a str>,
    what: &str,
    p: &mut Problems,
) -> String {
    let path = t.key_path("name");
    let origin = t.origin().clone();
    match t.opt_str("name", p) {
        Some(s) if s.is_empty() || s.contains('.') => {
            p.at(
                &path,
                &origin,
                format!("`{s}` is not allowed (allowed: a non-empty {what} name without dots)"),
            );
            s.to_string()
        }
        Some(s) => {
            if taken.any(|n| n == s) {
                p.at(
                    &path,
                    &origin,
                    format!("another {what} is already named `{s}` (allowed: unique names)"),
                );
            }
            s.to_string()
        }
        None => {
            if !t.has("name") {
                t.missing("name", &format!("the {what}'s name"), p);
            }
            String::new()
        }
    }
}

fn read_group(
    node: &Node,
    path: &str,
    stage: StageId,
    taken: &[String],
    ctx: &Ctx<'_>,
    p: &mut Problems,
) -> Option<BoothGroup> {
    let mut t = TableReader::new(node, path, p)?;
    let name = unique_name(&mut t, taken.iter().map(String::as_str), "booth group", p);
    let mut modes = Vec::new();
    match t.opt_array("modes", p) {
        Some(items) => {
            if items.is_empty() {
                p.at(
                    &t.key_path("modes"),
                    t.origin(),
                    "no modes (allowed: at least one mode name)",
                );
            }
            for (i, n) in items.iter().enumerate() {
                if let Some(m) = ctx.mode(n, &format!("{}[{i}]", t.key_path("modes")), p) {
                    modes.push(m);
                }
            }
        }
        None => {
            if !t.has("modes") {
                t.missing(
                    "modes",
                    "the modes this group serves, e.g. modes = [\"car\"]",
                    p,
                );
            }
        }
    }
    let schedule_path = t.key_path("schedule");
    let schedule = match t.opt_array("schedule", p) {
        Some(items) => super::behaviour::read_schedule(items, &schedule_path, MAX_BOOTHS, p),
        None => Vec::new(),
    };
    let count = t.opt_int("count", 0, MAX_BOOTHS, p).or_else(|| {
        // With a schedule, the count at the start is the schedule's.
        let start = ctx.calendar.start();
        let minute = start.hour * 60 + start.minute;
        schedule
            .iter()
            .rev()
            .find(|&&(m, _)| m <= minute)
            .or(schedule.last())
            .map(|&(_, c)| i64::from(c))
    });
    if count.is_none() && !t.has("count") {
        t.missing(
            "count",
            &format!("the number of booths, 0 to {MAX_BOOTHS} (or a schedule)"),
            p,
        );
    }
    let jump_share = t
        .opt_f64_where(
            "jump_share",
            |v| (0.0..1.0).contains(&v),
            "a share from 0 up to (not including) 1",
            p,
        )
        .unwrap_or(0.0);
    let per_person_min = t
        .opt_f64_where("per_person_min", |v| v >= 0.0, "0 minutes or more", p)
        .unwrap_or(0.0);
    let mut service: Vec<Option<Duration>> = vec![None; ctx.modes.len()];
    let spath = t.key_path("service");
    match t.node("service") {
        Some(sn) => read_service(sn, &spath, &modes, ctx, &mut service, p),
        None => t.missing(
            "service",
            "the service time, e.g. { dist = \"exponential\", mean_min = 7 }",
            p,
        ),
    }
    let capacity_per_day =
        t.opt_f64_where("capacity_per_day", |v| v > 0.0, "units per day above 0", p);
    t.finish(p);
    let complete = modes.iter().all(|m| service[m.0].is_some());
    let count = count? as u32;
    if !complete {
        return None;
    }
    // `capacity_per_day` sets the speed at which the open booths serve that
    // many units of the group's first mode per day, at their mean service time.
    let speed = match (capacity_per_day, modes.first()) {
        (Some(cap), Some(&m0)) => {
            let mean = service[m0.0].as_ref().map_or(0.0, Duration::mean_min)
                + per_person_min * ctx.people_mean[m0.0];
            if count == 0 || mean <= 0.0 {
                p.at(
                    &join(path, "capacity_per_day"),
                    &node.origin,
                    "needs a count above 0 and a mean service time above 0",
                );
                return None;
            }
            cap / (f64::from(count) * 1440.0 / mean)
        }
        _ => 1.0,
    };
    Some(BoothGroup {
        name,
        stage,
        count,
        service,
        per_person_min,
        speed,
        schedule,
        jump_share,
    })
}

/// `service = { dist = ... }` for all modes, or `[...service.car] dist = ...` per mode.
fn read_service(
    node: &Node,
    path: &str,
    modes: &[ModeId],
    ctx: &Ctx<'_>,
    out: &mut [Option<Duration>],
    p: &mut Problems,
) {
    let Some(entries) = node.entries() else {
        p.at(
            path,
            &node.origin,
            format!(
                "expected a table such as {{ dist = \"exponential\", mean_min = 7 }}, found {}",
                node.value.type_name()
            ),
        );
        return;
    };
    if entries.iter().any(|e| e.key == "dist") {
        if let Some(d) = Duration::read(node, path, p) {
            for m in modes {
                out[m.0] = Some(d.clone());
            }
        }
        return;
    }
    for e in entries {
        let mpath = join(path, &e.key);
        match ctx.modes.iter().position(|m| *m == e.key) {
            Some(i) if modes.contains(&ModeId(i)) => out[i] = Duration::read(&e.node, &mpath, p),
            _ => {
                let served: Vec<&str> = modes.iter().map(|m| ctx.modes[m.0]).collect();
                p.at(
                    &mpath,
                    &e.key_origin,
                    format!(
                        "`{}` is not a mode this group serves (allowed: `dist = ...` for all, or one of {})",
                        e.key,
                        served.join(", ")
                    ),
                );
            }
        }
    }
    for m in modes {
        if out[m.0].is_none() && !entries.iter().any(|e| e.key == ctx.modes[m.0]) {
            p.at(
                path,
                &node.origin,
                format!(
                    "no service time for mode `{}` (add [..service.{}] or a `dist` for all)",
                    ctx.modes[m.0], ctx.modes[m.0]
                ),
            );
        }
    }
}

const ACTIONS: [&str; 8] = [
    "set_booths",
    "scale_service",
    "scale_arrivals",
    "set_rows",
    "close_stage",
    "open_stage",
    "forbid_mode",
    "allow_mode",
];

fn read_events(
    node: &Node,
    ctx: &Ctx<'_>,
    stages: &[Stage],
    groups: &[BoothGroup],
    p: &mut Problems,
) -> Vec<PolicyEvent> {
    let Value::Array(items) = &node.value else {
        p.at(
            "events",
            &node.origin,
            format!(
                "expected an array of tables ([[events]]), found {}",
                node.value.type_name()
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("events[{i}]");
        let Some(mut t) = TableReader::new(item, &path, p) else {
            continue;
        };
        let at = ctx.time(&mut t, "at", "at_h", p);
        if at.is_none() && !t.has("at") && !t.has("at_h") {
            t.missing(
                "at",
                "when it happens: at = 2022-09-26T00:00:00 or at_h = 120",
                p,
            );
        }
        let action_name = t.opt_choice("action", &ACTIONS, p);
        if action_name.is_none() && !t.has("action") {
            t.missing("action", &format!("one of {}", ACTIONS.join(", ")), p);
        }
        let label = t.opt_str("label", p).map(str::to_string);
        let stage = |t: &mut TableReader<'_>, p: &mut Problems| -> Option<StageId> {
            let path = t.key_path("stage");
            let origin = t.origin().clone();
            let s = t.opt_str("stage", p);
            match s {
                Some(s) => match stages.iter().position(|st| st.name == s) {
                    Some(i) => Some(StageId(i)),
                    None => {
                        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
                        p.at(
                            &path,
                            &origin,
                            format!("unknown stage `{s}` (stages: {})", names.join(", ")),
                        );
                        None
                    }
                },
                None => {
                    if !t.has("stage") {
                        t.missing("stage", "the stage's name", p);
                    }
                    None
                }
            }
        };
        let mode = |t: &mut TableReader<'_>, required: bool, p: &mut Problems| -> Option<ModeId> {
            let path = t.key_path("mode");
            match t.node("mode") {
                Some(n) => ctx.mode(n, &path, p),
                None => {
                    if required {
                        t.missing("mode", "the mode's name", p);
                    }
                    None
                }
            }
        };
        let group =
            |t: &mut TableReader<'_>, st: Option<StageId>, p: &mut Problems| -> Option<GroupId> {
                let path = t.key_path("group");
                let origin = t.origin().clone();
                let name = t.opt_str("group", p);
                let st = st?;
                match name {
                    Some(n) => match stages[st.0].groups.iter().find(|g| groups[g.0].name == n) {
                        Some(&g) => Some(g),
                        None => {
                            let names: Vec<&str> = stages[st.0]
                                .groups
                                .iter()
                                .map(|g| groups[g.0].name.as_str())
                                .collect();
                            p.at(
                                &path,
                                &origin,
                                format!(
                                    "unknown booth group `{n}` (groups of this stage: {})",
                                    names.join(", ")
                                ),
                            );
                            None
                        }
                    },
                    None => {
                        if !t.has("group") {
                            t.missing("group", "the booth group's name", p);
                        }
                        None
                    }
                }
            };
        let factor = |t: &mut TableReader<'_>, p: &mut Problems| {
            t.f64_where(
                "factor",
                |v| v > 0.0 && v <= 1e6,
                "a factor above 0 and at most 1e6",
                p,
            )
        };
        let action = match action_name {
            Some("set_booths") => {
                let st = stage(&mut t, p);
                let g = group(&mut t, st, p);
                let count = t.opt_int("count", 0, MAX_BOOTHS, p);
                if count.is_none() && !t.has("count") {
                    t.missing(
                        "count",
                        &format!("booths open from then on, 0 to {MAX_BOOTHS}"),
                        p,
                    );
                }
                g.zip(count).map(|(group, c)| Action::SetBooths {
                    group,
                    count: c as u32,
                })
            }
            Some("scale_service") => {
                // `stage` and `group` narrow it down; without them, every group
                // (of the stage, or of all stages) that serves `mode` (or any mode).
                let st = if t.has("stage") {
                    stage(&mut t, p)
                } else {
                    None
                };
                let named = if t.has("group") {
                    group(&mut t, st, p)
                } else {
                    None
                };
                let m = mode(&mut t, false, p);
                let f = factor(&mut t, p);
                let groups: Vec<GroupId> = match named {
                    Some(g) => vec![g],
                    None => (0..groups.len())
                        .map(GroupId)
                        .filter(|g| st.is_none_or(|s| groups[g.0].stage == s))
                        .filter(|g| m.is_none_or(|m| groups[g.0].serves(m)))
                        .collect(),
                };
                let valid = !(t.has("group") && named.is_none() || t.has("stage") && st.is_none());
                f.filter(|_| valid).map(|factor| Action::ScaleService {
                    groups,
                    mode: m,
                    factor,
                })
            }
            Some("scale_arrivals") => {
                let m = mode(&mut t, true, p);
                let f = factor(&mut t, p);
                m.zip(f)
                    .map(|(mode, factor)| Action::ScaleArrivals { mode, factor })
            }
            Some("set_rows") => t
                .f64_where("rows", |v| (1.0..=100.0).contains(&v), "1 to 100 rows", p)
                .map(|rows| Action::SetRows { rows }),
            Some("close_stage") => stage(&mut t, p).map(|stage| Action::CloseStage { stage }),
            Some("open_stage") => stage(&mut t, p).map(|stage| Action::OpenStage { stage }),
            Some("forbid_mode") => {
                let st = stage(&mut t, p);
                let m = mode(&mut t, true, p);
                let send_away =
                    t.opt_choice("queued", &["wait", "sent_away"], p) == Some("sent_away");
                st.zip(m).map(|(stage, mode)| Action::Forbid {
                    stage,
                    mode,
                    send_away,
                })
            }
            Some("allow_mode") => {
                let st = stage(&mut t, p);
                let m = mode(&mut t, true, p);
                st.zip(m).map(|(stage, mode)| Action::Allow { stage, mode })
            }
            _ => None,
        };
        t.finish(p);
        if let (Some(at), Some(action)) = (at, action) {
            let label = label.unwrap_or_else(|| action_name.unwrap_or_default().replace('_', " "));
            out.push(PolicyEvent { at, label, action });
        }
    }
    out
}

const METRICS: [&str; 4] = [
    "queue_km",
    "queue_units",
    "crossed_persons",
    "crossed_units",
];

fn read_observations(node: &Node, ctx: &Ctx<'_>, p: &mut Problems) -> Vec<Observation> {
    let Value::Array(items) = &node.value else {
        p.at(
            "observations",
            &node.origin,
            format!(
                "expected an array of tables ([[observations]]), found {}",
                node.value.type_name()
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("observations[{i}]");
        let Some(mut t) = TableReader::new(item, &path, p) else {
            continue;
        };
        let metric = match t.opt_choice("metric", &METRICS, p) {
            Some("queue_km") => Some(Metric::QueueKm),
            Some("queue_units") => Some(Metric::QueueUnits),
            Some("crossed_persons") => Some(Metric::CrossedPersons),
            Some("crossed_units") => Some(Metric::CrossedUnits),
            _ => {
                if !t.has("metric") {
                    t.missing("metric", &format!("one of {}", METRICS.join(", ")), p);
                }
                None
            }
        };
        let mode = match t.node("mode") {
            Some(n) => ctx.mode(n, &t.key_path("mode"), p),
            None => None,
        };
        let (at, until) = match metric {
            Some(m) if m.is_period() => {
                let from = ctx.time(&mut t, "from", "from_h", p);
                let to = ctx.time(&mut t, "to", "to_h", p);
                if from.is_none() && !t.has("from") && !t.has("from_h") {
                    t.missing(
                        "from",
                        "the start of the counting period: from or from_h",
                        p,
                    );
                }
                if to.is_none() && !t.has("to") && !t.has("to_h") {
                    t.missing("to", "the end of the counting period: to or to_h", p);
                }
                if let (Some(a), Some(b)) = (from, to) {
                    if b <= a {
                        p.at(
                            &path,
                            &item.origin,
                            "the period ends before it starts (allowed: from < to)",
                        );
                    }
                }
                (from, to)
            }
            _ => {
                let at = ctx.time(&mut t, "at", "at_h", p);
                if at.is_none() && !t.has("at") && !t.has("at_h") {
                    t.missing("at", "when it was observed: at or at_h", p);
                }
                (at, None)
            }
        };
        let value = t.f64_where("value", |v| v >= 0.0, "0 or more", p);
        let tolerance = t.f64_where(
            "tolerance",
            |v| v >= 0.0,
            "0 or more, in the metric's unit",
            p,
        );
        let source = t.opt_str("source", p).unwrap_or("").to_string();
        let label = t.opt_str("label", p).map(str::to_string);
        t.finish(p);
        if let (Some(metric), Some(at), Some(value), Some(tolerance)) =
            (metric, at, value, tolerance)
        {
            let label = label.unwrap_or_else(|| {
                if source.is_empty() {
                    format!("{value} {}", metric.name())
                } else {
                    format!("{source}, {value}")
                }
            });
            out.push(Observation {
                metric,
                mode,
                at,
                until,
                value,
                tolerance,
                source,
                label,
            });
        }
    }
    out
}

/// Every mode must be served somewhere, and every stage must have an open booth at some time.
fn check_service_coverage(
    root: &Node,
    modes: &[Mode],
    stages: &[Stage],
    groups: &[BoothGroup],
    events: &[PolicyEvent],
    p: &mut Problems,
) {
    if !p.is_empty() {
        return;
    }
    for (i, m) in modes.iter().enumerate() {
        if !groups.iter().any(|g| g.serves(ModeId(i))) {
            p.at(
                &format!("modes.{}", m.name),
                &mode_origin(root, &m.name),
                format!("no booth group serves mode `{}` (add it to the `modes` of a [[stages.booths]])", m.name),
            );
        }
    }
    for s in stages {
        let ever_open = s.groups.iter().any(|&g| {
            groups[g.0].count > 0
                || groups[g.0].schedule.iter().any(|&(_, c)| c > 0)
                || events
                    .iter()
                    .any(|e| matches!(e.action, Action::SetBooths { group, count } if group == g && count > 0))
        });
        if !ever_open {
            p.at(
                &format!("stages.{}", s.name),
                &root.origin,
                "no booth of this stage is ever open (allowed: a count above 0, or a set_booths event that opens one)",
            );
        }
    }
}

fn mode_origin(root: &Node, name: &str) -> Origin {
    root.entries()
        .and_then(|es| es.iter().find(|e| e.key == "modes"))
        .and_then(|e| e.node.entries())
        .and_then(|es| es.iter().find(|e| e.key == name))
        .map_or_else(|| root.origin.clone(), |e| e.key_origin.clone())
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
