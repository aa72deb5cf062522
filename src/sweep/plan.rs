//! A sweep plan: the grid of points (every combination of the swept values),
//! each run for the same replications, as tasks `point × replications + r` in
//! plan order. Values come from lists (`4,6,8`) or exact decimal ranges
//! (`1800..3600:300`, computed as start + i × step, the end included when hit).

use serde::{Deserialize, Serialize};

/// The default cap on the number of points (`--max-points` overrides it).
pub const DEFAULT_MAX_POINTS: usize = 10_000;

/// One swept key and its values (as text, exactly as passed to `--set`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// Dotted key path (`stages.ru-exit.booths.cars.capacity_per_day`).
    pub key: String,
    /// Values in order.
    pub values: Vec<String>,
}

impl Axis {
    /// Parses `KEY=VALUES`. `speed` is short for `service_speed`, the factor on
    /// every booth group's service speed.
    pub fn parse(spec: &str, max_points: usize) -> Result<Axis, String> {
        let (key, values) = spec
            .split_once('=')
            .ok_or_else(|| format!("--vary {spec}: expected KEY=VALUES, e.g. speed=0.5..2:0.25 or stages.exit.booths.cars.count=4,6,8"))?;
        let key = match key.trim() {
            "speed" => "service_speed".to_string(),
            "" => return Err(format!("--vary {spec}: the key is empty")),
            k => k.to_string(),
        };
        let values =
            parse_values(values.trim(), max_points).map_err(|e| format!("--vary {spec}: {e}"))?;
        Ok(Axis { key, values })
    }
}

/// Parses a list `a,b,c` or a range `start..end:step`.
pub fn parse_values(text: &str, max_points: usize) -> Result<Vec<String>, String> {
    if let Some((start, rest)) = text.split_once("..") {
        let (end, step) = rest
            .split_once(':')
            .ok_or("a range needs a step: start..end:step, e.g. 1800..3600:300")?;
        let nums = [start, end, step].map(|s| Decimal::parse(s.trim()));
        let [a, b, s] = match nums {
            [Some(a), Some(b), Some(s)] => [a, b, s],
            _ => {
                return Err(format!(
                    "`{text}`: start, end and step must be decimal numbers"
                ))
            }
        };
        let scale = a.scale.max(b.scale).max(s.scale);
        let (a, b, s) = (a.at_scale(scale), b.at_scale(scale), s.at_scale(scale));
        if s == 0 {
            return Err(format!(
                "`{text}`: the step is 0 (allowed: a step that moves from start to end)"
            ));
        }
        if (b - a).signum() * s.signum() < 0 {
            return Err(format!("`{text}`: the step goes away from the end"));
        }
        let count = (b - a) / s + 1;
        if count as usize > max_points || count < 0 {
            return Err(format!(
                "`{text}` has {count} values, over the cap of {max_points} (raise it with --max-points)"
            ));
        }
        Ok((0..count)
            .map(|i| format_decimal(a + i * s, scale))
            .collect())
    } else {
        let values: Vec<String> = text.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return Err(format!("`{text}`: an empty value in the list"));
        }
        // Two points of one setting would run the same model twice.
        for (i, v) in values.iter().enumerate() {
            if let Some(w) = values[..i].iter().find(|w| same_value(w, v)) {
                return Err(format!("`{text}`: `{w}` and `{v}` are the same value"));
            }
        }
        if values.len() > max_points {
            return Err(format!(
                "{} values, over the cap of {max_points} (raise it with --max-points)",
                values.len()
            ));
        }
        Ok(values)
    }
}

/// Whether two listed values are one: equal as decimal numbers (`1` and
/// `1.0`), or as text when either is not a number.
fn same_value(a: &str, b: &str) -> bool {
    match (Decimal::parse(a), Decimal::parse(b)) {
        (Some(x), Some(y)) => {
            let scale = x.scale.max(y.scale);
            x.at_scale(scale) == y.at_scale(scale)
        }
        _ => a == b,
    }
}

/// Parses every `KEY=VALUES` of a sweep; a key may be swept once (`speed`
/// and `service_speed` are one key).
pub fn parse_axes(specs: &[String], max_points: usize) -> Result<Vec<Axis>, String> {
    let mut axes: Vec<Axis> = Vec::with_capacity(specs.len());
    for spec in specs {
        let axis = Axis::parse(spec, max_points)?;
        if axes.iter().any(|a| a.key == axis.key) {
            return Err(format!(
                "--vary {spec}: `{}` is swept twice; give all its values in one --vary",
                axis.key
            ));
        }
        axes.push(axis);
    }
    Ok(axes)
}

/// A decimal number as an integer mantissa and a count of decimal places.
#[derive(Clone, Copy, Debug)]
struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    fn parse(s: &str) -> Option<Decimal> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return None;
        }
        if int.len() + frac.len() > 30 {
            return None;
        }
        let mantissa: i128 = format!("{int}{frac}").parse().ok()?;
        Some(Decimal {
            mantissa: if neg { -mantissa } else { mantissa },
            scale: frac.len() as u32,
        })
    }

    fn at_scale(self, scale: u32) -> i128 {
        self.mantissa * 10i128.pow(scale - self.scale)
    }
}

fn format_decimal(v: i128, scale: u32) -> String {
    if scale == 0 {
        return v.to_string();
    }
    let p = 10i128.pow(scale);
    let sign = if v < 0 { "-" } else { "" };
    let (int, frac) = (v.abs() / p, v.abs() % p);
    let frac = format!("{frac:0width$}", width = scale as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// The whole grid, with what identifies it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file name (without folders).
    pub scenario_file: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// `--set` overrides applied to every point, before the swept values.
    pub overrides: Vec<String>,
    /// Swept keys; the first varies slowest.
    pub axes: Vec<Axis>,
    /// Whether points use independent streams (no common random numbers).
    pub independent: bool,
    /// Names of the metrics each task records, in order.
    pub metrics: Vec<String>,
    /// borderq version.
    pub version: String,
    /// Hash of the scenario text and all of the above: records of different
    /// plans never mix.
    pub hash: String,
}

impl Plan {
    /// Number of points.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Number of tasks (points × replications).
    pub fn tasks(&self) -> usize {
        self.points() * self.replications as usize
    }

    /// The swept values of point `p` (one per axis).
    pub fn point_values(&self, p: usize) -> Vec<&str> {
        let mut rest = p;
        let mut out = vec![""; self.axes.len()];
        for (i, axis) in self.axes.iter().enumerate().rev() {
            out[i] = &axis.values[rest % axis.values.len()];
            rest /= axis.values.len();
        }
        out
    }

    /// The `--set` overrides of point `p`: the plan's, then the swept values.
    pub fn point_overrides(&self, p: usize) -> Vec<String> {
        let mut o = self.overrides.clone();
        o.extend(
            self.axes
                .iter()
                .zip(self.point_values(p))
                .map(|(a, v)| format!("{}={v}", a.key)),
        );
        o
    }

    /// `(point, replication)` of task `k`.
    pub fn task(&self, k: usize) -> (usize, u32) {
        (
            k / self.replications as usize,
            (k % self.replications as usize) as u32,
        )
    }

    /// A readable name of task `k` (`point 3 (speed=1.5), replication 7`).
    pub fn task_label(&self, k: usize) -> String {
        let (p, r) = self.task(k);
        let vals: Vec<String> = self
            .axes
            .iter()
            .zip(self.point_values(p))
            .map(|(a, v)| format!("{}={v}", a.key))
            .collect();
        format!("point {p} ({}), replication {r}", vals.join(", "))
    }
}

/// FNV-1a, 64 bits: a stable hash (the same on every platform and version).
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_exact_decimals() {
        assert_eq!(
            parse_values("0.1..0.5:0.1", 100).unwrap(),
            ["0.1", "0.2", "0.3", "0.4", "0.5"]
        );
        assert_eq!(parse_values("1800..3600:300", 100).unwrap().len(), 7);
        assert_eq!(
            parse_values("0.5..2:0.25", 100).unwrap(),
            ["0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"]
        );
        // The end is included only when hit.
        assert_eq!(
            parse_values("1..2:0.3", 100).unwrap(),
            ["1", "1.3", "1.6", "1.9"]
        );
        assert_eq!(parse_values("3..1:-1", 100).unwrap(), ["3", "2", "1"]);
        assert_eq!(parse_values("4, 6,8", 100).unwrap(), ["4", "6", "8"]);
    }

    #[test]
    fn bad_ranges_say_why() {
        let cases = [
            ("1..2:0", "step is 0"),
            ("1..2:-1", "away from the end"),
            ("1..1000:1", "over the cap of 100"),
            ("a..2:1", "decimal numbers"),
            ("1..2", "needs a step"),
            ("1,2,1.0", "`1` and `1.0` are the same value"),
            ("a,b,a", "`a` and `a` are the same value"),
        ];
        for (text, why) in cases {
            let err = parse_values(text, 100).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
        let twice = ["speed=1,2".to_string(), "service_speed=3".to_string()];
        assert!(parse_axes(&twice, 10)
            .unwrap_err()
            .contains("`service_speed` is swept twice"));
        assert!(Axis::parse("nokey", 10).unwrap_err().contains("KEY=VALUES"));
        assert_eq!(Axis::parse("speed=1,2", 10).unwrap().key, "service_speed");
    }

    #[test]
    fn points_enumerate_the_grid_first_axis_slowest() {
        let plan = Plan {
            scenario: String::new(),
            scenario_file: String::new(),
            seed: 1,
            replications: 2,
            overrides: vec!["seed=3".into()],
            axes: vec![
                Axis {
                    key: "a".into(),
                    values: vec!["1".into(), "2".into()],
                },
                Axis {
                    key: "b".into(),
                    values: vec!["x".into(), "y".into(), "z".into()],
                },
            ],
            independent: false,
            metrics: vec![],
            version: String::new(),
            hash: String::new(),
        };
        assert_eq!(plan.points(), 6);
        assert_eq!(plan.tasks(), 12);
        assert_eq!(plan.point_values(4), ["2", "y"]);
        assert_eq!(plan.point_overrides(1), ["seed=3", "a=1", "b=y"]);
        assert_eq!(plan.task(7), (3, 1));
    }
}
