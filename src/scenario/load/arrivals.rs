//! Arrivals: each mode's rate, constant or a profile over time, and the queue
//! already standing at the start.

use crate::scenario::error::Problems;
use crate::scenario::reader::TableReader;
use crate::scenario::tree::{join, Node};
use crate::scenario::Arrivals;
use crate::time::SimTime;

use super::Ctx;

pub(super) fn read_arrivals(
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
