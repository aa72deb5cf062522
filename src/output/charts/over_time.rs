//! Charts over time: the queue in units and in km with their 5–95% bands,
//! reported figures and policy events, and booth utilisation.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    date_label, draw_observation, err, frame, house_mesh, legend, marker, span_days, time_axis,
    COLOURS, OBSERVED,
};
use crate::report::{Band, Report};

/// A line with its band, in the chart's x unit (days).
struct Line<'a> {
    name: String,
    band: &'a Band,
    colour: RGBColor,
}

/// A time chart: mean lines with 5–95% bands, observations with tolerance bars,
/// and policy events as labelled vertical lines.
fn time_chart<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    lines: &[Line<'_>],
    observed: &[(f64, f64, f64, String)],
) -> Result<(), String> {
    let cal = &report.calendar;
    let band_label = if report.band_replications < report.replications {
        format!(
            "5–95% band of the first {} replications",
            report.band_replications
        )
    } else {
        "5–95% band".to_string()
    };
    let xs: Vec<f64> = report.series.times_h.iter().map(|h| h / 24.0).collect();
    let span = span_days(report);
    let mut y_max = lines
        .iter()
        .flat_map(|l| l.band.p95().iter().chain(&l.band.mean))
        .fold(0.0f64, |a, &b| a.max(b));
    for (_, v, tol, _) in observed {
        y_max = y_max.max(v + tol);
    }
    let y_max = if y_max > 0.0 { y_max * 1.3 } else { 1.0 };
    let (x_axis, step_h) = time_axis(cal, span);
    let mut chart = frame(area, title, 80)
        .build_cartesian_2d(x_axis, 0.0..y_max)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_desc("date")
            .y_desc(y_label)
            .y_labels(10)
            .x_label_formatter(&|x| date_label(cal, *x, step_h)),
    )
    .draw()
    .map_err(err)?;

    // Policy events: vertical lines; each label goes in the first of three
    // rows where it clears the labels already there (about 7.5 px a character
    // on a plot some 1,100 px wide).
    let days_per_char = span * 7.5 / 1100.0;
    let mut row_ends = [f64::NEG_INFINITY; 3];
    for e in &report.events {
        let x = e.at_h / 24.0;
        if x < 0.0 || x > span {
            continue;
        }
        let row = row_ends.iter().position(|&end| end < x).unwrap_or_else(|| {
            (0..3)
                .min_by(|&a, &b| row_ends[a].total_cmp(&row_ends[b]))
                .expect("three rows")
        });
        row_ends[row] = x + (e.label.chars().count() as f64 + 1.0) * days_per_char;
        let grey = RGBColor(0x88, 0x88, 0x88);
        chart
            .draw_series(LineSeries::new(
                vec![(x, 0.0), (x, y_max)],
                grey.stroke_width(1),
            ))
            .map_err(err)?;
        let y = y_max * (0.985 - 0.035 * row as f64);
        chart
            .draw_series(std::iter::once(Text::new(
                e.label.clone(),
                (x, y),
                ("sans-serif", 14)
                    .into_font()
                    .color(&RGBColor(0x55, 0x55, 0x55)),
            )))
            .map_err(err)?;
    }

    for (i, l) in lines.iter().enumerate() {
        let band: Vec<(f64, f64)> = xs
            .iter()
            .zip(l.band.p95())
            .map(|(&x, &y)| (x, y))
            .chain(xs.iter().zip(l.band.p5()).rev().map(|(&x, &y)| (x, y)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                l.colour.mix(0.18).filled(),
            )))
            .map_err(err)?;
        let colour = l.colour;
        chart
            .draw_series(LineSeries::new(
                xs.iter().copied().zip(l.band.mean.iter().copied()),
                colour.stroke_width(3),
            ))
            .map_err(err)?
            .label(format!("{} (mean, {band_label})", l.name))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        let step = (xs.len() / 12).max(1);
        let marks: Vec<(f64, f64)> = xs
            .iter()
            .zip(&l.band.mean)
            .enumerate()
            .filter(|(k, _)| k % step == step / 2)
            .map(|(_, (&x, &y))| (x, y))
            .collect();
        marker(&mut chart, i, marks, colour)?;
    }

    // Observations: points with tolerance bars and their labels.
    for (k, (x, v, tol, label)) in observed.iter().enumerate() {
        let dy = if k % 2 == 0 { 0.03 } else { -0.045 };
        draw_observation(
            &mut chart,
            (*x, *v, *tol),
            label,
            (x + span * 0.008, v + y_max * dy),
        )?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [
                    (x - span * 0.004, v - y_max * 0.007),
                    (x + span * 0.004, v + y_max * 0.007),
                ],
                OBSERVED.filled(),
            )))
            .map_err(err)?;
    }
    if !observed.is_empty() {
        chart
            .draw_series(std::iter::once(Circle::new(
                (-1.0, -1.0),
                0,
                OBSERVED.filled(),
            )))
            .map_err(err)?
            .label("reported (± tolerance)")
            .legend(move |(x, y)| {
                ErrorBar::new_vertical(x + 12, y - 6, y, y + 6, OBSERVED.stroke_width(2), 8)
            });
    }
    legend(
        &mut chart,
        SeriesLabelPosition::Coordinate(12, if report.events.is_empty() { 12 } else { 80 }),
    )
}

pub(super) fn queue_chart<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
    km: bool,
) -> Result<(), String> {
    let col = usize::from(km);
    let modes: Vec<(&String, &[Band; 7])> = report
        .modes
        .0
        .iter()
        .map(|(n, _)| n)
        .zip(&report.series.modes)
        .collect();
    let top = |b: &Band| b.p95().iter().chain(&b.mean).fold(0.0f64, |a, &v| a.max(v));
    let scale = modes
        .iter()
        .map(|(_, b)| top(&b[col]))
        .fold(0.0f64, f64::max);
    // Modes whose queue never reaches 2% of the scale would lie flat on the axis: name them instead.
    let (shown, flat): (Vec<_>, Vec<_>) = modes
        .iter()
        .enumerate()
        .partition(|(_, (_, b))| scale > 0.0 && top(&b[col]) >= 0.02 * scale);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let n_vehicles = report.vehicle_modes;
    if km && n_vehicles > 1 && shown.len() > 1 && top(&report.series.road_km) > 0.0 {
        lines.push(Line {
            name: "all vehicles".to_string(),
            band: &report.series.road_km,
            colour: COLOURS[3],
        });
    }
    lines.extend(shown.iter().map(|(i, (name, bands))| Line {
        name: (*name).clone(),
        band: &bands[col],
        colour: COLOURS[i % COLOURS.len()],
    }));
    let note = if flat.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = flat.iter().map(|(_, (n, _))| n.as_str()).collect();
        format!(" (near zero, not drawn: {})", names.join(", "))
    };
    let metric = if km { "queue_km" } else { "queue_units" };
    let observed: Vec<(f64, f64, f64, String)> = report
        .observations
        .iter()
        // Those after the run's end are not drawn (the summary marks them).
        .filter(|o| o.metric == metric && o.compared())
        .map(|o| (o.at_h / 24.0, o.observed, o.tolerance, o.label.clone()))
        .collect();
    let (title, unit) = if km {
        (
            format!("{}: queue on the approach in km{note}", report.scenario),
            "queue length (km)",
        )
    } else {
        (
            format!("{}: units waiting on the approach{note}", report.scenario),
            "units waiting",
        )
    };
    time_chart(report, area, &title, unit, &lines, &observed)
}

pub(super) fn utilisation<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let lines: Vec<Line<'_>> = report
        .stages
        .0
        .iter()
        .zip(&report.series.utilisation)
        .enumerate()
        .map(|(i, ((name, _), band))| Line {
            name: name.clone(),
            band,
            colour: COLOURS[i % COLOURS.len()],
        })
        .collect();
    let title = format!("{}: booth utilisation per stage", report.scenario);
    time_chart(
        report,
        area,
        &title,
        "busy booths / open booths",
        &lines,
        &[],
    )
}
