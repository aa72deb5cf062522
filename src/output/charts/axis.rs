//! The time axis of the charts over time: ticks on round clock times or
//! dates, labelled in the scenario's calendar.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

use crate::report::Report;
use crate::time::{Calendar, SimTime};

/// Steps between time ticks, in hours: the first that gives at most 12 ticks.
const TICK_STEPS_H: [f64; 14] = [
    0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0, 336.0, 720.0, 2160.0,
];

/// The time axis over `[0, span_days]` with ticks on round clock times or
/// dates (every 15 min up to every 90 days, at most 12 ticks), and the step in hours.
pub(super) fn time_axis(cal: &Calendar, span_days: f64) -> (TimeAxis, f64) {
    let span_h = span_days * 24.0;
    let step = TICK_STEPS_H
        .iter()
        .copied()
        .find(|s| span_h / s <= 12.0)
        .unwrap_or(span_h / 12.0);
    // Align to the calendar: hours of day for steps under a day, midnights above.
    let start = cal.start();
    let offset_h = f64::from(start.hour) + f64::from(start.minute) / 60.0;
    let align = if step < 24.0 { step } else { 24.0 };
    let first = ((offset_h / align).ceil() * align - offset_h).max(0.0);
    let ticks: Vec<f64> = (0..)
        .map(|i| (first + f64::from(i) * step) / 24.0)
        .take_while(|&d| d <= span_days + 1e-9)
        .collect();
    (
        TimeAxis {
            span: span_days,
            ticks,
        },
        step,
    )
}

/// A time axis in days whose ticks fall on round clock times or dates.
#[derive(Clone, Debug)]
pub(super) struct TimeAxis {
    span: f64,
    ticks: Vec<f64>,
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = if self.span > 0.0 {
            value / self.span
        } else {
            0.0
        };
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // The bold mesh lines and labels; the light mesh asks for none.
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.span
    }
}

/// Tick label for a time `x` days from the start, for ticks `step_h` hours apart.
pub(super) fn date_label(cal: &Calendar, x: f64, step_h: f64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d = cal.datetime(SimTime::from_days(x.max(0.0)));
    let date = format!("{} {}", d.day, MONTHS[(d.month - 1) as usize]);
    let midnight = d.hour == 0 && d.minute == 0;
    if step_h >= 24.0 || midnight {
        date
    } else if x < step_h / 24.0 {
        format!("{date} {:02}:{:02}", d.hour, d.minute)
    } else {
        format!("{:02}:{:02}", d.hour, d.minute)
    }
}

/// Days the time axis spans: to the last sample, or the horizon without samples.
pub(super) fn span_days(report: &Report) -> f64 {
    let last_h = report.series.times_h.last().copied();
    (last_h.unwrap_or(report.horizon_h) / 24.0).max(1e-6)
}

/// Round durations for a log axis of waits, in minutes, with their labels:
/// a reader sees "1 h" and "1 day" where plotters would print 60.0 and 1440.0.
const DURATION_TICKS: [(f64, &str); 12] = [
    (0.1 / 60.0, "0.1 s"),
    (1.0 / 60.0, "1 s"),
    (10.0 / 60.0, "10 s"),
    (1.0, "1 min"),
    (10.0, "10 min"),
    (60.0, "1 h"),
    (360.0, "6 h"),
    (1440.0, "1 day"),
    (10_080.0, "1 week"),
    (43_200.0, "30 days"),
    (144_000.0, "100 days"),
    (525_600.0, "1 year"),
];

/// Durations between those, in minutes: faint grid lines, labelled too
/// when a short axis would otherwise carry few labels.
const DURATION_MINOR: [(f64, &str); 16] = [
    (0.5 / 60.0, "0.5 s"),
    (2.0 / 60.0, "2 s"),
    (5.0 / 60.0, "5 s"),
    (20.0 / 60.0, "20 s"),
    (0.5, "30 s"),
    (2.0, "2 min"),
    (5.0, "5 min"),
    (20.0, "20 min"),
    (30.0, "30 min"),
    (120.0, "2 h"),
    (180.0, "3 h"),
    (720.0, "12 h"),
    (2880.0, "2 days"),
    (4320.0, "3 days"),
    (20_160.0, "2 weeks"),
    (30_240.0, "3 weeks"),
];

/// Fewest labels on a duration axis before the minor durations get labels.
const FEWEST_DURATION_LABELS: usize = 5;

/// The labelled and the faint durations (minutes) that fall within `lo..hi`.
pub(super) fn duration_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let within = |x: &f64| (lo..=hi).contains(x);
    let major: Vec<f64> = DURATION_TICKS
        .iter()
        .map(|&(x, _)| x)
        .filter(within)
        .collect();
    let minor: Vec<f64> = DURATION_MINOR
        .iter()
        .map(|&(x, _)| x)
        .filter(within)
        .collect();
    if major.len() >= FEWEST_DURATION_LABELS {
        return (major, minor);
    }
    let mut all = [major, minor].concat();
    all.sort_by(f64::total_cmp);
    (all, Vec::new())
}

/// The label of a duration tick given in minutes.
pub(super) fn duration_label(min: f64) -> String {
    DURATION_TICKS
        .iter()
        .chain(&DURATION_MINOR)
        .find(|&&(x, _)| (x - min).abs() <= 1e-9 * x)
        .map_or_else(|| format!("{min} min"), |&(_, label)| label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(lo: f64, hi: f64) -> Vec<String> {
        duration_ticks(lo, hi)
            .0
            .into_iter()
            .map(duration_label)
            .collect()
    }

    #[test]
    fn a_long_axis_is_labelled_at_the_round_durations_only() {
        // From 0.06 s to two days: eight labels, the minor durations faint.
        let (labelled, faint) = duration_ticks(1e-3, 2900.0);
        assert_eq!(labelled.len(), 8);
        assert!(faint.contains(&5.0) && faint.contains(&2880.0));
        assert_eq!(labels(1e-3, 2900.0)[7], "1 day");
    }

    #[test]
    fn a_short_axis_labels_the_minor_durations_too() {
        // From 0.06 s to 6 minutes, the round durations alone give four labels.
        assert_eq!(
            labels(1e-3, 6.0),
            [
                "0.1 s", "0.5 s", "1 s", "2 s", "5 s", "10 s", "20 s", "30 s", "1 min", "2 min",
                "5 min"
            ]
        );
        // Three minutes to an hour and a half.
        assert_eq!(
            labels(3.0, 90.0),
            ["5 min", "10 min", "20 min", "30 min", "1 h"]
        );
    }
}
