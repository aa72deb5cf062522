//! Stages and their booth groups: names, booths and schedules, services, and
//! the check that every mode is served and every stage opens.

use crate::scenario::dist::Duration;
use crate::scenario::error::Problems;
use crate::scenario::reader::{array_of_tables, TableReader};
use crate::scenario::tree::{join, Node, Origin};
use crate::scenario::{Action, BoothGroup, GroupId, Mode, ModeId, PolicyEvent, Stage, StageId};

use super::{Ctx, MAX_BOOTHS};

pub(super) fn read_stages(
    node: &Node,
    ctx: &Ctx<'_>,
    p: &mut Problems,
) -> (Vec<Stage>, Vec<BoothGroup>) {
    let mut stages = Vec::new();
    let mut groups = Vec::new();
    let Some(items) = array_of_tables(node, "stages", "stages", p) else {
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
            Some(booths) => {
                let bpath = t.key_path("booths");
                let bs = array_of_tables(booths, &bpath, "stages.booths", p);
                if bs.is_some_and(<[Node]>::is_empty) {
                    p.at(
                        &bpath,
                        &booths.origin,
                        "no booth groups (allowed: at least one [[stages.booths]])",
                    );
                }
                let first = groups.len();
                for (gi, b) in bs.unwrap_or_default().iter().enumerate() {
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
                let path = format!("{}[{i}]", t.key_path("modes"));
                if let Some(m) = ctx.mode(n, &path, p) {
                    if modes.contains(&m) {
                        p.at(
                            &path,
                            &n.origin,
                            format!(
                                "`{}` is listed twice (allowed: each mode once)",
                                ctx.modes[m.0]
                            ),
                        );
                    }
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
        Some(items) => {
            crate::scenario::behaviour::read_schedule(items, &schedule_path, MAX_BOOTHS, p)
        }
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

/// Every mode must be served somewhere, and every stage must have an open booth at some time.
pub(super) fn check_service_coverage(
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
    for (i, s) in stages.iter().enumerate() {
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
                &first_count_origin(root, i),
                "no booth of this stage is ever open (allowed: a count above 0, or a set_booths event that opens one)",
            );
        }
    }
}

/// Where the first booth count of the `i`-th stage was written (in the file
/// or by a `--set`), for a message about its booths; the stage's own table,
/// or the root, when there is none.
fn first_count_origin(root: &Node, i: usize) -> Origin {
    let stage = root.entry("stages").and_then(|e| e.node.item(i));
    let count = stage
        .and_then(|s| s.entry("booths"))
        .and_then(|e| e.node.item(0))
        .and_then(|g| g.entry("count"));
    count
        .map(|e| e.node.origin.clone())
        .or_else(|| stage.map(|s| s.origin.clone()))
        .unwrap_or_else(|| root.origin.clone())
}

/// Where mode `name` is declared, for a message about it (the root if it is not).
fn mode_origin(root: &Node, name: &str) -> Origin {
    root.entry("modes")
        .and_then(|e| e.node.entry(name))
        .map_or_else(|| root.origin.clone(), |e| e.key_origin.clone())
}
