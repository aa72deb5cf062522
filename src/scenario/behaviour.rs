//! What travellers choose: patience (giving up), balking, and leaving a
//! vehicle to walk; read from a mode's table.

use super::dist::Duration;
use super::error::Problems;
use super::reader::{number, TableReader};
use super::tree::{Node, Value};
use super::ModeId;
use crate::time::SimTime;

/// A mode's behaviour.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// How long a unit waits on the approach before giving up.
    pub patience: Option<Duration>,
    /// Not joining a long queue.
    pub balk: Option<Balk>,
    /// Leaving the vehicle to continue in another mode.
    pub switching: Option<Switching>,
}

/// Not joining the queue when it is longer than a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Balk {
    /// Threshold on the mode's approach queue in km.
    pub above_km: Option<f64>,
    /// Threshold on the expected wait in hours (units ahead ÷ the open booths' service rate).
    pub above_wait_h: Option<f64>,
    /// Probability of not joining when above the threshold.
    pub probability: f64,
}

/// What happens to a vehicle its occupants leave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Abandoned {
    /// It leaves the queue at once (pushed aside or driven off by a friend).
    Leaves,
    /// It stays as a blocked place in the queue until cleared after this long.
    Blocks(SimTime),
}

/// Occupants leaving a vehicle to continue in another mode (on foot, by bicycle).
#[derive(Clone, Debug, PartialEq)]
pub struct Switching {
    /// The mode they continue in (each person becomes one unit of it).
    pub to: ModeId,
    /// Probability of switching, rather than turning back, when patience runs
    /// out while `to` is allowed.
    pub on_patience: f64,
    /// When an `allow_mode` event allows `to`: `(within_km, probability)`,
    /// sorted by distance; a unit this far or less from the checkpoint
    /// switches with that probability (the first band that contains it).
    pub when_allowed: Vec<(f64, f64)>,
    /// Walking speed from their place in the jam to the checkpoint, km/h.
    pub walk_kmh: f64,
    /// What becomes of the vehicle.
    pub vehicle: Abandoned,
}

fn probability(v: f64) -> bool {
    (0.0..=1.0).contains(&v)
}

/// Reads `patience`, `balk` and `switching` from a mode's table.
pub fn read(m: &mut TableReader<'_>, modes: &[String], p: &mut Problems) -> Behaviour {
    let patience = m
        .node("patience")
        .and_then(|n| Duration::read(n, &m.key_path("patience"), p));
    let balk = m
        .node("balk")
        .and_then(|n| read_balk(n, &m.key_path("balk"), p));
    let switching = m
        .node("switching")
        .and_then(|n| read_switching(n, &m.key_path("switching"), modes, p));
    Behaviour {
        patience,
        balk,
        switching,
    }
}

fn read_balk(node: &Node, path: &str, p: &mut Problems) -> Option<Balk> {
    let mut t = TableReader::new(node, path, p)?;
    let above_km = t.opt_f64_where("above_km", |v| v >= 0.0, "0 km or more", p);
    let above_wait_h = t.opt_f64_where("above_wait_h", |v| v >= 0.0, "0 hours or more", p);
    let prob = t.f64_where("probability", probability, "a probability from 0 to 1", p);
    t.finish(p);
    if above_km.is_none() && above_wait_h.is_none() {
        p.at(
            path,
            &node.origin,
            "give a threshold: above_km or above_wait_h",
        );
        return None;
    }
    Some(Balk {
        above_km,
        above_wait_h,
        probability: prob?,
    })
}

fn read_switching(
    node: &Node,
    path: &str,
    modes: &[String],
    p: &mut Problems,
) -> Option<Switching> {
    let mut t = TableReader::new(node, path, p)?;
    let to_path = t.key_path("to");
    let to = match t.opt_str("to", p) {
        Some(name) => match modes.iter().position(|m| m == name) {
            Some(i) => Some(ModeId(i)),
            None => {
                p.at(
                    &to_path,
                    t.origin(),
                    format!("unknown mode `{name}` (modes: {})", modes.join(", ")),
                );
                None
            }
        },
        None => {
            if !t.has("to") {
                t.missing(
                    "to",
                    "the mode the occupants continue in, e.g. \"pedestrian\"",
                    p,
                );
            }
            None
        }
    };
    let on_patience = t
        .opt_f64_where("on_patience", probability, "a probability from 0 to 1", p)
        .unwrap_or(0.0);
    let bands_path = t.key_path("when_allowed");
    let when_allowed = match t.opt_array("when_allowed", p) {
        Some(items) => read_bands(items, &bands_path, p),
        None => Vec::new(),
    };
    let walk_kmh = t
        .opt_f64_where(
            "walk_kmh",
            |v| v > 0.0 && v <= 100.0,
            "above 0 and at most 100 km/h",
            p,
        )
        .unwrap_or(4.5);
    let vehicle = match t.opt_choice("vehicle", &["leaves", "blocks"], p) {
        Some("blocks") => {
            let h = t.f64_where(
                "clear_after_h",
                |v| v >= 0.0,
                "0 hours or more, for vehicle = \"blocks\"",
                p,
            );
            Abandoned::Blocks(SimTime::from_h(h.unwrap_or(0.0)))
        }
        _ => Abandoned::Leaves,
    };
    t.finish(p);
    Some(Switching {
        to: to?,
        on_patience,
        when_allowed,
        walk_kmh,
        vehicle,
    })
}

fn read_bands(items: &[Node], path: &str, p: &mut Problems) -> Vec<(f64, f64)> {
    let mut bands = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        let Some(mut t) = TableReader::new(item, &ipath, p) else {
            continue;
        };
        let km = t.f64_where("within_km", |v| v >= 0.0, "0 km or more", p);
        let prob = t.f64_where("probability", probability, "a probability from 0 to 1", p);
        t.finish(p);
        if let (Some(km), Some(prob)) = (km, prob) {
            if bands.last().is_some_and(|&(prev, _)| km <= prev) {
                p.at(
                    &ipath,
                    &item.origin,
                    "bands must be in increasing within_km",
                );
            }
            bands.push((km, prob));
        }
    }
    bands
}

/// Reads a booth schedule: `[{ from = "06:00", count = 8 }, ...]`, repeating
/// daily; returns `(minute of day, count)` sorted by time.
pub fn read_schedule(
    items: &[Node],
    path: &str,
    max_booths: i64,
    p: &mut Problems,
) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        let Some(mut t) = TableReader::new(item, &ipath, p) else {
            continue;
        };
        let from_path = t.key_path("from");
        let from = match t.node("from") {
            Some(n) => {
                match &n.value {
                    Value::Str(s) => match parse_hhmm(s) {
                        Some(m) => Some(m),
                        None => {
                            p.at(&from_path, &n.origin, format!("`{s}` is not a time of day (allowed: \"HH:MM\", 00:00 to 23:59)"));
                            None
                        }
                    },
                    _ => {
                        let _ = number(n, &from_path, p);
                        p.at(
                            &from_path,
                            &n.origin,
                            "expected a time of day as a string, e.g. \"06:00\"",
                        );
                        None
                    }
                }
            }
            None => {
                t.missing(
                    "from",
                    "the time of day the count starts, e.g. \"06:00\"",
                    p,
                );
                None
            }
        };
        let count = t.opt_int("count", 0, max_booths, p);
        if count.is_none() && !t.has("count") {
            t.missing("count", "the booths open from then on", p);
        }
        t.finish(p);
        if let (Some(f), Some(c)) = (from, count) {
            if out.iter().any(|&(g, _)| g == f) {
                p.at(&ipath, &item.origin, "two entries at the same time of day");
            }
            out.push((f, c as u32));
        }
    }
    out.sort_unstable();
    if out.is_empty() {
        p.push(super::Problem::new(
            path,
            None,
            "the schedule is empty (allowed: at least one { from = \"00:00\", count = ... })",
        ));
    }
    out
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.len() == 5).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day() {
        assert_eq!(parse_hhmm("06:30"), Some(390));
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("6:30"), None);
    }
}
