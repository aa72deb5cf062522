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
