//! Observations: the reported figures a run is compared against.

use crate::scenario::error::Problems;
use crate::scenario::reader::{array_of_tables, TableReader};
use crate::scenario::tree::Node;
use crate::scenario::{Metric, Observation};

use super::Ctx;

const METRICS: [&str; 4] = [
    "queue_km",
    "queue_units",
    "crossed_persons",
    "crossed_units",
];

pub(super) fn read_observations(node: &Node, ctx: &Ctx<'_>, p: &mut Problems) -> Vec<Observation> {
    let Some(items) = array_of_tables(node, "observations", "observations", p) else {
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
