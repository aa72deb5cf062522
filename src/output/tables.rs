//! Exporters: each a pure function from a [`Report`] to one file
//! (`summary.json`, `timeseries.csv`, `waits.csv`, `observations.csv`) or to
//! the text summary printed by `borderq run`; the two that grow with the
//! horizon stream into a writer.

use std::fmt::Write as _;

use crate::report::{DurationSummary, Report};
use crate::stats::Estimate;

/// A number for CSV and tables: at most `decimals` places, trailing zeros
/// trimmed, empty for NaN.
pub fn num(x: f64, decimals: usize) -> String {
    Num(x, decimals).to_string()
}

/// [`num`] formatted where it is written: `write!(out, "{}", Num(x, 3))`
/// writes what `num(x, 3)` returns without a string of its own (long tables
/// are mostly numbers).
#[derive(Clone, Copy, Debug)]
pub struct Num(pub f64, pub usize);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Num(x, decimals) = *self;
        if x.is_nan() {
            return f.pad("");
        }
        // `pad`, so that a width such as `{:>8}` lines the number up.
        let mut buf = [0; 32];
        match rounded_through_integers(x, decimals, &mut buf) {
            Some(s) => f.pad(s),
            None => f.pad(&num_formatted(x, decimals)),
        }
    }
}

/// A number without trailing zeros, its digits grouped in thousands:
/// "14,000", "0.25", "45" (for charts' axes and counts in prose).
pub fn grouped(x: f64) -> String {
    let s = num(x, 4);
    let (sign, rest) = s.split_at(usize::from(s.starts_with('-')));
    let (int, frac) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, d) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out.push_str(frac);
    out
}

/// A count with its noun, plural unless it is one, its digits grouped:
/// "1 mode", "3 booth groups", "1,885,426 events".
pub fn counted(n: usize, noun: &str) -> String {
    format!(
        "{} {noun}{}",
        grouped(n as f64),
        if n == 1 { "" } else { "s" }
    )
}

/// A large rate in words: "19.1 million", "845,210".
pub fn per_second(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{} million", num(rate / 1e6, 1))
    } else {
        grouped(rate.round())
    }
}

/// [`num`] through `format!`, which rounds the exact binary value.
fn num_formatted(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// [`num`] through an integer, several times faster than `format!`, where
/// the result is certainly the same: the scaled value below 2^40, where its
/// rounding error (under 2^-13) cannot cross a tie kept 1/1000 away. The
/// digits are written into `buf` from its end. Otherwise `None`.
fn rounded_through_integers(x: f64, decimals: usize, buf: &mut [u8; 32]) -> Option<&str> {
    const SCALE: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    let y = x * *SCALE.get(decimals)?;
    let beyond = y.is_nan() || y.abs() >= (1u64 << 40) as f64;
    if beyond || ((y - y.trunc()).abs() - 0.5).abs() < 1e-3 {
        return None;
    }
    let mut n = (y.round() as i64).unsigned_abs();
    let mut places = decimals;
    while places > 0 && n % 10 == 0 {
        n /= 10;
        places -= 1;
    }
    let negative = y < 0.0 && n != 0;
    // Under 2^40 is at most 13 digits; with nine places, a point, a
    // leading zero and a sign, at most 15 bytes.
    let mut at = buf.len();
    let mut digits = 0;
    loop {
        if places > 0 && digits == places {
            at -= 1;
            buf[at] = b'.';
        }
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        digits += 1;
        if n == 0 && digits > places {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    Some(std::str::from_utf8(&buf[at..]).expect("ASCII digits"))
}

/// Quotes a CSV field if needed.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `summary.json` as bytes (for comparisons; the file itself is streamed).
pub fn summary_json(report: &Report) -> Vec<u8> {
    let mut v = Vec::new();
    write_summary_json(report, &mut v).expect("a report always serialises");
    v
}

/// Writes `summary.json`: the report, pretty-printed, with a final newline.
pub fn write_summary_json(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    w.write_all(b"\n")
}

/// `timeseries.csv`: one row per sample time, per mode the approach queue in
/// units and km (mean, p5, p95 across replications) and crossings so far.
/// Streamed: a long run's table is never held whole in memory.
pub fn write_timeseries_csv(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let s = &report.series;
    write!(out, "time_h,datetime")?;
    for bands in &s.modes {
        for b in &bands[..2] {
            write!(out, ",{0}_mean,{0}_p5,{0}_p95", b.name)?;
        }
        for b in &bands[2..] {
            write!(out, ",{}_mean", b.name)?;
        }
    }
    write!(out, ",{0}_mean,{0}_p5,{0}_p95", s.road_km.name)?;
    for b in &s.utilisation {
        write!(out, ",{}_mean", b.name)?;
    }
    writeln!(out)?;
    for r in 0..s.times_h.len() {
        write!(out, "{},{}", Num(s.times_h[r], 4), s.datetimes[r])?;
        for bands in &s.modes {
            for (b, d) in [(&bands[0], 2), (&bands[1], 3)] {
                write!(
                    out,
                    ",{},{},{}",
                    Num(b.mean[r], d),
                    Num(b.p5()[r], d),
                    Num(b.p95()[r], d)
                )?;
            }
            for b in &bands[2..] {
                write!(out, ",{}", Num(b.mean[r], 2))?;
            }
        }
        let b = &s.road_km;
        write!(
            out,
            ",{},{},{}",
            Num(b.mean[r], 3),
            Num(b.p5()[r], 3),
            Num(b.p95()[r], 3)
        )?;
        for b in &s.utilisation {
            write!(out, ",{}", Num(b.mean[r], 4))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `waits.csv`: wait percentiles by mode and arrival cohort, of those whose
/// wait ended by the end of the run (served at their last stage).
pub fn waits_csv(report: &Report) -> String {
    let mut out = String::from(
        "mode,cohort_start,cohort_start_h,cohort_days,served,wait_mean_min,wait_p50_min,wait_p90_min,wait_p95_min,wait_p99_min,wait_max_min\n",
    );
    for c in &report.cohorts {
        let w = &c.wait;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            field(&c.mode),
            c.start,
            Num(c.start_h, 3),
            Num(c.days, 3),
            w.count,
            Num(w.mean, 3),
            Num(w.p50, 3),
            Num(w.p90, 3),
            Num(w.p95, 3),
            Num(w.p99, 3),
            Num(w.max, 3)
        )
        .unwrap();
    }
    out
}

/// `observations.csv`: each reported figure beside the simulated mean.
pub fn observations_csv(report: &Report) -> String {
    let mut out = String::from(
        "metric,mode,at,until,observed,tolerance,simulated_mean,simulated_ci95_low,simulated_ci95_high,within,source\n",
    );
    for o in &report.observations {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            o.metric,
            field(o.mode.as_deref().unwrap_or("")),
            o.at,
            o.until.as_deref().unwrap_or(""),
            Num(o.observed, 4),
            Num(o.tolerance, 4),
            Num(o.simulated.mean, 4),
            Num(o.simulated.ci95[0], 4),
            Num(o.simulated.ci95[1], 4),
            o.within,
            field(&o.source)
        )
        .unwrap();
    }
    out
}

/// A mean and its 95% half-width at `d` decimals, or up to two more where
/// the half-width would round to nothing ("0.13 ±0.02", not "0.1 ±0").
fn est(e: &Estimate, d: usize) -> String {
    match est_parts(e, d) {
        (mean, Some(half)) => format!("{mean} {half}"),
        (mean, None) => mean,
    }
}

/// The width in characters of the widest of `cells`: a column's width in a
/// printed table.
pub fn widest<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells
        .into_iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
}

/// A mean and its 95% half-width at `d` decimals, or up to two more where
/// the half-width would round to nothing, in two parts: the mean and the
/// "±half-width" (none when the interval is a point), for tables that line
/// them up in columns.
pub fn est_parts(e: &Estimate, d: usize) -> (String, Option<String>) {
    if e.mean.is_nan() {
        return ("n/a".to_string(), None);
    }
    let half = (e.ci95[1] - e.ci95[0]) / 2.0;
    if half == 0.0 {
        return (num(e.mean, d), None);
    }
    let d = (d..=d + 2).find(|&d| num(half, d) != "0").unwrap_or(d + 2);
    (num(e.mean, d), Some(format!("±{}", num(half, d))))
}

/// A length given in km: in metres below one km (a footpath's queue of 54
/// people is "38 ±5 m", not "0.04 ±0 km").
fn length(km: &Estimate) -> String {
    if km.mean.abs() < 1.0 {
        let m = Estimate {
            mean: km.mean * 1000.0,
            ci95: [km.ci95[0] * 1000.0, km.ci95[1] * 1000.0],
        };
        format!("{} m", est(&m, 0))
    } else {
        format!("{} km", est(km, 2))
    }
}

fn dur(w: &DurationSummary) -> String {
    if w.count == 0 {
        return "nobody served".to_string();
    }
    let half = (w.ci95[1] - w.ci95[0]) / 2.0;
    let (scale, unit) = if w.max >= 180.0 {
        (60.0, "h")
    } else {
        (1.0, "min")
    };
    let ci = if half > 0.0 {
        format!(" ±{}", num(half / scale, 2))
    } else {
        String::new()
    };
    format!(
        "mean {}{ci} {unit}, p50 {}, p95 {}, max {} {unit}",
        num(w.mean / scale, 2),
        num(w.p50 / scale, 2),
        num(w.p95 / scale, 2),
        num(w.max / scale, 2)
    )
}

/// The readable summary `borderq run` prints: per mode waits, peak queue and
/// crossings; booth utilisation; every observation beside the model.
pub fn text_summary(report: &Report, start_label: impl Fn(f64) -> String) -> String {
    let mut out = String::new();
    let span = match report.end_after_crossings {
        Some(n) => format!(
            "until {} crossed, within {} h",
            grouped(n as f64),
            num(report.horizon_h, 2)
        ),
        None => format!("for {} h", num(report.horizon_h, 2)),
    };
    writeln!(
        out,
        "{} — {}, seed {}, from {} {span} (± is the 95% interval)",
        report.scenario,
        counted(report.replications as usize, "replication"),
        report.seed,
        report.start,
    )
    .unwrap();
    // When the mean queue (across replications) is longest: a clearer "when"
    // than the mean of each replication's peak time, which can fall between two peaks.
    let longest = |b: &crate::report::Band| -> String {
        let at = b
            .mean
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
                if v > best.1 {
                    (i, v)
                } else {
                    best
                }
            })
            .0;
        report
            .series
            .times_h
            .get(at)
            .map_or_else(String::new, |&h| start_label(h))
    };
    for (i, (name, m)) in report.modes.0.iter().enumerate() {
        writeln!(out, "\n{name}").unwrap();
        writeln!(out, "  wait      {}", dur(&m.wait_min)).unwrap();
        writeln!(out, "  sojourn   {}", dur(&m.sojourn_min)).unwrap();
        writeln!(
            out,
            "  queue     peak {} units = {} (the mean queue longest around {}), mean {} units",
            est(&m.queue_peak_units, 0),
            length(&m.queue_peak_km),
            longest(&report.series.modes[i][0]),
            est(&m.queue_mean_units, 1)
        )
        .unwrap();
        writeln!(
            out,
            "  crossed   {} units, {} people; arrived {}; still in the system at the end {}",
            est(&m.crossed_units, 0),
            est(&m.crossed_persons, 0),
            est(&m.arrived_units, 0),
            est(&m.in_system_units, 0)
        )
        .unwrap();
        let behaviour = [
            ("balked", &m.balked_units),
            ("reneged", &m.reneged_units),
            ("switched", &m.switched_units),
            ("sent away", &m.sent_away_units),
            ("jumped the queue", &m.jumped_units),
            ("came from another mode", &m.switched_in_units),
        ];
        if behaviour.iter().any(|(_, e)| e.mean > 0.0) {
            let parts: Vec<String> = behaviour
                .iter()
                .filter(|(_, e)| e.mean > 0.0)
                .map(|(what, e)| match (*what, &m.switched_to) {
                    ("switched", Some(to)) => format!(
                        "switched {} (with {} people) to {to}",
                        est(e, 0),
                        est(&m.switched_persons, 0)
                    ),
                    _ => format!("{what} {}", est(e, 0)),
                })
                .collect();
            writeln!(out, "  choices   {}", parts.join("; ")).unwrap();
        }
    }
    // A scenario of walkers alone has no road queue to speak of.
    if report.vehicle_modes > 0 {
        writeln!(
            out,
            "\nroad      peak {} (the mean longest around {}), mean {}",
            length(&report.road.queue_peak_km),
            longest(&report.series.road_km),
            length(&report.road.queue_mean_km)
        )
        .unwrap();
    }
    writeln!(out, "\nbooth utilisation").unwrap();
    for (name, s) in &report.stages.0 {
        let groups: Vec<String> = s
            .groups
            .0
            .iter()
            .map(|(g, u)| format!("{g} {}", num(u.mean, 3)))
            .collect();
        writeln!(
            out,
            "  {name:<12} {}  ({})",
            num(s.utilisation.mean, 3),
            groups.join(", ")
        )
        .unwrap();
    }
    if !report.observations.is_empty() {
        writeln!(
            out,
            "\nobservations (model mean ± 95% interval against the reported figure ± tolerance)"
        )
        .unwrap();
        // Columns as wide as their widest entry, so the figures line up.
        let rows: Vec<_> = report
            .observations
            .iter()
            .map(|o| {
                let when = match &o.until {
                    Some(u) => format!("{} → {}", o.at, u),
                    None => o.at.clone(),
                };
                // The mean and its half-width in columns of their own.
                let (mean, half) = est_parts(&o.simulated, 1);
                let half = half.unwrap_or_default();
                let reported = num(o.observed, 1);
                let tolerance = format!("±{}", num(o.tolerance, 1));
                [when, mean, half, reported, tolerance]
            })
            .collect();
        let width = |i: usize| widest(rows.iter().map(|r| r[i].as_str()));
        let [w_when, w_mean, w_half, w_reported, w_tolerance] = std::array::from_fn(width);
        for (o, [when, mean, half, reported, tolerance]) in report.observations.iter().zip(&rows) {
            writeln!(
                out,
                "  {} {:<16} {:<9} {when:<w_when$}  model {mean:>w_mean$} {half:<w_half$}  \
                 reported {reported:>w_reported$} {tolerance:<w_tolerance$}  {}",
                match (o.compared(), o.within) {
                    (false, _) => "–",
                    (true, true) => "✓",
                    (true, false) => "✗",
                },
                o.metric,
                o.mode.as_deref().unwrap_or("all"),
                o.source
            )
            .unwrap();
        }
        if report.observations.iter().any(|o| !o.compared()) {
            writeln!(
                out,
                "  – not compared: the run ends before the reported time, or before the end of the reported period"
            )
            .unwrap();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_in_thousands_and_trimmed() {
        let cases = [
            (14_000.0, "14,000"),
            (45.0, "45"),
            (0.25, "0.25"),
            (0.30000000000000004, "0.3"),
            (1234567.5, "1,234,567.5"),
            (-2500.0, "-2,500"),
            (999.0, "999"),
            (0.0, "0"),
        ];
        for (x, want) in cases {
            assert_eq!(grouped(x), want, "{x}");
        }
    }

    #[test]
    fn counts_and_rates_read_as_words() {
        assert_eq!(counted(1, "event"), "1 event");
        assert_eq!(counted(1_885_426, "event"), "1,885,426 events");
        assert_eq!(per_second(1.9128e7), "19.1 million");
        assert_eq!(per_second(845_210.4), "845,210");
    }

    #[test]
    fn numbers_are_trimmed() {
        assert_eq!(
            format!(
                "[{:>6}|{:<5}|{:^4}]",
                Num(1.25, 1),
                Num(f64::NAN, 2),
                Num(-3.0, 2)
            ),
            "[   1.2|     | -3 ]"
        );
        assert_eq!(num(1.5000, 3), "1.5");
        assert_eq!(num(2.0, 3), "2");
        assert_eq!(num(-0.0001, 2), "0");
        assert_eq!(num(f64::NAN, 2), "");
        assert_eq!(num(1234.5678, 2), "1234.57");
        assert_eq!(field("a,b"), "\"a,b\"");
    }

    #[test]
    fn lengths_under_a_km_are_in_metres() {
        let e = |mean, low, high| Estimate {
            mean,
            ci95: [low, high],
        };
        assert_eq!(length(&e(0.0378, 0.0329, 0.0427)), "38 ±5 m");
        assert_eq!(length(&e(0.999, 0.999, 0.999)), "999 m");
        assert_eq!(length(&e(16.62, 16.35, 16.89)), "16.62 ±0.27 km");
        assert_eq!(length(&e(1.0, 0.9, 1.1)), "1 ±0.1 km");
    }

    #[test]
    fn a_half_width_gets_the_decimals_it_needs() {
        let e = |mean, low, high| Estimate {
            mean,
            ci95: [low, high],
        };
        assert_eq!(est(&e(0.134, 0.114, 0.154), 1), "0.13 ±0.02");
        assert_eq!(est(&e(2.94, 2.5, 3.38), 0), "2.9 ±0.4");
        assert_eq!(est(&e(4320.2, 4262.0, 4378.4), 0), "4320 ±58");
        // At most two decimals more; a single replication has no interval.
        assert_eq!(est(&e(5.0, 4.9999, 5.0001), 0), "5 ±0");
        assert_eq!(est(&e(5.0, 5.0, 5.0), 0), "5");
        assert_eq!(est(&e(f64::NAN, 0.0, 0.0), 0), "n/a");
    }

    #[test]
    fn integer_rounding_agrees_with_format() {
        // Values of every magnitude the tables hold, both signs, many near
        // ties and near zero: the fast path must give format!'s bytes or
        // step aside.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut fast = 0;
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = (x >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi((x % 17) as i32 - 6);
            let mut v = (mantissa - 0.5) * scale;
            if i % 4 == 0 {
                // Exactly on or next to a decimal tie.
                v = ((v * 1000.0).trunc() + 0.5) / 1000.0;
            }
            let d = (x >> 5) as usize % 7;
            if let Some(s) = rounded_through_integers(v, d, &mut [0; 32]) {
                fast += 1;
                assert_eq!(s, num_formatted(v, d), "{v:e} to {d} places");
            }
        }
        assert!(fast > 150_000, "the fast path took only {fast} of 200,000");
    }
}
