//! The chart of people crossed per day, stacked by mode.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    date_label, draw_observation, err, frame, house_mesh, legend, span_days, time_axis, COLOURS,
};
use crate::output::tables::grouped;
use crate::report::Report;

pub(super) fn crossings_per_day<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let periods = report
        .modes
        .0
        .iter()
        .map(|(_, m)| m.per_day.len())
        .max()
        .unwrap_or(0);
    // Counts come per period: a day, or several days for long horizons. Each
    // bar spans its period as far as the run went, at the period's crossings
    // per day, so a half-covered last day or a four-day period reads as a
    // daily rate like the others.
    let width = report
        .modes
        .0
        .iter()
        .find_map(|(_, m)| m.per_day.first().map(|p| p.days))
        .unwrap_or(1.0);
    // The run's end: its horizon, or, for runs that stop after a number of
    // crossings, as far as their samples go.
    let end = match report.end_after_crossings {
        None => report.horizon_h / 24.0,
        Some(_) => span_days(report),
    };
    let spans: Vec<(f64, f64)> = (0..periods)
        .map(|d| (d as f64 * width, ((d + 1) as f64 * width).min(end)))
        .filter(|(from, to)| to > from)
        .collect();
    let rate = |d: usize, m: &crate::report::ModeReport| {
        let (from, to) = spans[d];
        m.per_day.get(d).map_or(0.0, |c| c.crossed_persons.mean) / (to - from)
    };
    // Observed counts over periods of about a day, drawn per day; those the
    // run did not reach the end of are not drawn (the summary marks them).
    let observed: Vec<(f64, f64, f64, String)> = report
        .observations
        .iter()
        .filter(|o| o.metric == "crossed_persons" && o.compared())
        .filter_map(|o| {
            let len_h = o.until_h? - o.at_h;
            (len_h > 0.0 && len_h <= 36.0).then(|| {
                (
                    o.at_h / 24.0 + len_h / 48.0,
                    o.observed * 24.0 / len_h,
                    o.tolerance * 24.0 / len_h,
                    o.label.clone(),
                )
            })
        })
        .collect();
    let y_max = (0..spans.len())
        .map(|d| report.modes.0.iter().map(|(_, m)| rate(d, m)).sum::<f64>())
        .chain(observed.iter().map(|o| o.1 + o.2))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let cal = &report.calendar;
    let span = spans.last().map_or(1.0, |s| s.1);
    let (x_axis, step_h) = time_axis(cal, span);
    let y_desc = if width > 1.0 {
        format!(
            "people crossed per day, mean over {} days (stacked by mode)",
            grouped(width)
        )
    } else {
        "people crossed per day (stacked by mode)".to_string()
    };
    let title = format!("{}: people crossed per day, by mode", report.scenario);
    let mut chart = frame(area, &title, 90)
        .build_cartesian_2d(x_axis, 0.0..y_max)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_desc("day")
            .y_desc(y_desc)
            .x_label_formatter(&|x| date_label(cal, *x, step_h)),
    )
    .draw()
    .map_err(err)?;
    let mut base = vec![0.0; spans.len()];
    for (i, (name, m)) in report.modes.0.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = spans
            .iter()
            .enumerate()
            .map(|(d, &(from, to))| {
                let v = rate(d, m);
                let gap = 0.1 * (to - from);
                let r = Rectangle::new(
                    [(from + gap, base[d]), (to - gap, base[d] + v)],
                    colour.mix(0.85).filled(),
                );
                base[d] += v;
                r
            })
            .collect();
        let units: f64 = m.per_day.iter().map(|c| c.crossed_units.mean).sum();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(format!("{name} ({} units in all)", grouped(units.round())))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled()));
    }
    for (x, v, tol, label) in &observed {
        draw_observation(&mut chart, (*x, *v, *tol), label, (x + 0.12 * width, *v))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}
