//! Policy events: the rule changes a scenario makes at given times.

use crate::scenario::error::Problems;
use crate::scenario::reader::{array_of_tables, TableReader};
use crate::scenario::tree::Node;
use crate::scenario::{Action, BoothGroup, GroupId, ModeId, PolicyEvent, Stage, StageId};

use super::{Ctx, MAX_BOOTHS};

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

pub(super) fn read_events(
    node: &Node,
    ctx: &Ctx<'_>,
    stages: &[Stage],
    groups: &[BoothGroup],
    p: &mut Problems,
) -> Vec<PolicyEvent> {
    let Some(items) = array_of_tables(node, "events", "events", p) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        // Named as `--set` names it: by its label, else by its place.
        let path = match item.str_value("label") {
            Some(label) => format!("events.{label}"),
            None => format!("events[{i}]"),
        };
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
                    // No stage was read: that is reported already, once.
                    None if stages.is_empty() => None,
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
