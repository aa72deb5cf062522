//! Duration distributions (service times) and small integer distributions (people carried).

use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Gamma, LogNormal, Triangular};

use super::error::Problems;
use super::reader::{number, shown, TableReader};
use super::tree::Node;
use crate::time::SimTime;

/// A distribution of durations, in minutes, ready to sample.
#[derive(Clone, Debug)]
pub enum Duration {
    /// Exponential with the given mean; the first field is the scale of a
    /// unit draw, `1 / (1 / mean)`, rounded as `rand_distr::Exp` rounds it.
    Exponential(f64, f64),
    /// Lognormal given by the mean and standard deviation of the duration itself.
    LogNormal(LogNormal<f64>, f64, f64),
    /// Gamma given by mean and standard deviation.
    Gamma(Gamma<f64>, f64, f64),
    /// Erlang: the sum of `k` exponential phases with total mean `mean`.
    Erlang(Gamma<f64>, u32, f64),
    /// Uniform between low and high.
    Uniform(f64, f64),
    /// Triangular with low, mode and high.
    Triangular(Triangular<f64>, f64, f64, f64),
    /// Always the same value.
    Deterministic(f64),
    /// One of the listed values, with the given cumulative weights (summing to 1).
    Empirical(Vec<f64>, Vec<f64>),
}

/// A draw of the exponential distribution with mean 1 (ziggurat).
#[inline(always)]
fn unit_exp<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    Exp1.sample(rng)
}

impl Duration {
    /// The mean, in minutes.
    pub fn mean_min(&self) -> f64 {
        match self {
            Duration::Exponential(_, m)
            | Duration::LogNormal(_, m, _)
            | Duration::Gamma(_, m, _)
            | Duration::Erlang(_, _, m)
            | Duration::Deterministic(m) => *m,
            Duration::Uniform(a, b) => (a + b) / 2.0,
            Duration::Triangular(_, a, c, b) => (a + b + c) / 3.0,
            Duration::Empirical(values, cum) => weighted_sum(values, cum, |v| *v),
        }
    }

    /// The squared coefficient of variation (variance over mean squared), for
    /// the fluid and heavy-traffic estimates of `borderq check`.
    pub fn scv(&self) -> f64 {
        let m = self.mean_min();
        if m <= 0.0 {
            return 0.0;
        }
        let var = match self {
            Duration::Exponential(_, m) => m * m,
            Duration::LogNormal(_, _, sd) | Duration::Gamma(_, _, sd) => sd * sd,
            Duration::Erlang(_, k, m) => m * m / f64::from(*k),
            Duration::Uniform(a, b) => (b - a) * (b - a) / 12.0,
            Duration::Triangular(_, a, c, b) => {
                (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0
            }
            Duration::Deterministic(_) => 0.0,
            Duration::Empirical(values, cum) => weighted_sum(values, cum, |v| (v - m) * (v - m)),
        };
        var / (m * m)
    }

    /// One draw, in minutes. The exponential and fixed cases are inlined
    /// into the engine's service path; the others are a call away.
    #[inline(always)]
    pub fn sample_min<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            // As `Exp::sample` computes it (the draw times 1 / λ), without its call.
            Duration::Exponential(scale, _) => unit_exp(rng) * scale,
            Duration::Deterministic(v) => *v,
            _ => self.sample_other(rng),
        }
    }

    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Duration::Exponential(scale, _) => unit_exp(rng) * scale,
            Duration::LogNormal(d, _, _) => d.sample(rng),
            Duration::Gamma(d, _, _) | Duration::Erlang(d, _, _) => d.sample(rng),
            Duration::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
            Duration::Triangular(d, ..) => d.sample(rng),
            Duration::Deterministic(v) => *v,
            Duration::Empirical(values, cum) => values[pick(cum, rng.random::<f64>())],
        }
    }

    /// One draw as simulated time, with the times scaled by `factor`.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, factor: f64) -> SimTime {
        SimTime::from_min(self.sample_min(rng) * factor)
    }

    /// Reads a distribution table such as `{ dist = "lognormal", mean_min = 1.8, sd_min = 0.9 }`.
    pub fn read(node: &Node, path: &str, problems: &mut Problems) -> Option<Duration> {
        let mut t = TableReader::new(node, path, problems)?;
        let positive = |v: f64| v > 0.0;
        let non_negative = |v: f64| v >= 0.0;
        let kinds = [
            "exponential",
            "lognormal",
            "gamma",
            "erlang",
            "uniform",
            "triangular",
            "deterministic",
            "empirical",
        ];
        let kind = t.opt_choice("dist", &kinds, problems);
        if kind.is_none() && !t.has("dist") {
            t.missing("dist", &format!("one of {}", kinds.join(", ")), problems);
        }
        let d = match kind? {
            "exponential" => {
                let m = t.f64_where("mean_min", positive, "a mean above 0 minutes", problems);
                t.finish(problems);
                let m = m?;
                Duration::Exponential(1.0 / (1.0 / m), m)
            }
            kind @ ("lognormal" | "gamma") => {
                let m = t.f64_where("mean_min", positive, "a mean above 0 minutes", problems);
                let sd = t.f64_where(
                    "sd_min",
                    positive,
                    "a standard deviation above 0 minutes",
                    problems,
                );
                t.finish(problems);
                let (m, sd) = (m?, sd?);
                if kind == "lognormal" {
                    let sigma2 = (1.0 + (sd / m).powi(2)).ln();
                    let mu = m.ln() - sigma2 / 2.0;
                    Duration::LogNormal(LogNormal::new(mu, sigma2.sqrt()).ok()?, m, sd)
                } else {
                    let shape = (m / sd).powi(2);
                    Duration::Gamma(Gamma::new(shape, sd * sd / m).ok()?, m, sd)
                }
            }
            "erlang" => {
                let k = t.opt_int("k", 1, 1000, problems);
                if !t.has("k") {
                    t.missing("k", "the number of phases, 1 to 1000", problems);
                }
                let m = t.f64_where("mean_min", positive, "a mean above 0 minutes", problems);
                t.finish(problems);
                let (k, m) = (k? as u32, m?);
                Duration::Erlang(Gamma::new(f64::from(k), m / f64::from(k)).ok()?, k, m)
            }
            "uniform" => {
                let lo = t.f64_where("low_min", non_negative, "0 minutes or more", problems);
                let hi = t.f64_where("high_min", non_negative, "0 minutes or more", problems);
                t.finish(problems);
                let (lo, hi) = (lo?, hi?);
                if lo > hi {
                    problems.at(
                        path,
                        node_origin(node),
                        format!("low_min {lo} is above high_min {hi}"),
                    );
                    return None;
                }
                Duration::Uniform(lo, hi)
            }
            "triangular" => {
                let lo = t.f64_where("low_min", non_negative, "0 minutes or more", problems);
                let mode = t.f64_where("mode_min", non_negative, "0 minutes or more", problems);
                let hi = t.f64_where("high_min", non_negative, "0 minutes or more", problems);
                t.finish(problems);
                let (lo, mode, hi) = (lo?, mode?, hi?);
                if !(lo <= mode && mode <= hi && lo < hi) {
                    problems.at(
                        path,
                        node_origin(node),
                        format!("need low_min <= mode_min <= high_min and low_min < high_min, found {lo}, {mode}, {hi}"),
                    );
                    return None;
                }
                Duration::Triangular(Triangular::new(lo, hi, mode).ok()?, lo, mode, hi)
            }
            "deterministic" => {
                let v = t.f64_where("value_min", non_negative, "0 minutes or more", problems);
                t.finish(problems);
                Duration::Deterministic(v?)
            }
            "empirical" => {
                let values = read_list(
                    &mut t,
                    "values_min",
                    non_negative,
                    "numbers of minutes, 0 or more",
                    problems,
                );
                let weights = read_list(
                    &mut t,
                    "weights",
                    non_negative,
                    "weights, 0 or more",
                    problems,
                );
                t.finish(problems);
                let values = values?;
                let cum = cumulative(&values, weights, path, node, problems)?;
                Duration::Empirical(values, cum)
            }
            _ => unreachable!("the choice was checked"),
        };
        Some(d)
    }
}

/// A distribution of the number of people a unit carries.
#[derive(Clone, Debug, PartialEq)]
pub enum People {
    /// Always this many.
    Fixed(u32),
    /// One of the listed counts with cumulative weights.
    Empirical(Vec<u32>, Vec<f64>),
}

impl People {
    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match self {
            People::Fixed(n) => *n,
            People::Empirical(values, cum) => values[pick(cum, rng.random::<f64>())],
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        match self {
            People::Fixed(n) => f64::from(*n),
            People::Empirical(values, cum) => weighted_sum(values, cum, |&v| f64::from(v)),
        }
    }

    /// Reads `people = 3` or `people = { values = [1, 2, 3, 4, 5], weights = [...] }`.
    pub fn read(node: &Node, path: &str, problems: &mut Problems) -> Option<People> {
        if let super::tree::Value::Int(_) = node.value {
            let n = super::reader::integer(node, path, 1, 1000, problems)?;
            return Some(People::Fixed(n as u32));
        }
        let mut t = TableReader::new(node, path, problems)?;
        let whole = |v: f64| (1.0..=1000.0).contains(&v) && v.fract() == 0.0;
        let values = read_list(
            &mut t,
            "values",
            whole,
            "whole numbers of people from 1 to 1000",
            problems,
        );
        let weights = read_list(
            &mut t,
            "weights",
            |v| v >= 0.0,
            "weights, 0 or more",
            problems,
        );
        t.finish(problems);
        let values = values?;
        let cum = cumulative(&values, weights, path, node, problems)?;
        Some(People::Empirical(
            values.iter().map(|&v| v as u32).collect(),
            cum,
        ))
    }
}

fn node_origin(node: &Node) -> &super::tree::Origin {
    &node.origin
}

fn read_list(
    t: &mut TableReader<'_>,
    key: &'static str,
    ok: impl Fn(f64) -> bool,
    allowed: &str,
    problems: &mut Problems,
) -> Option<Vec<f64>> {
    let path = t.key_path(key);
    let items = t.opt_array(key, problems)?;
    let mut out = Vec::with_capacity(items.len());
    let mut good = true;
    for (i, n) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match number(n, &p, problems) {
            Some(v) if ok(v) => out.push(v),
            Some(v) => {
                problems.at(
                    &p,
                    &n.origin,
                    format!("{} is not allowed (allowed: {allowed})", shown(v)),
                );
                good = false;
            }
            None => good = false,
        }
    }
    good.then_some(out)
}

/// Cumulative weights (ending at exactly 1) for `values`, equal weights when none are given.
fn cumulative(
    values: &[f64],
    weights: Option<Vec<f64>>,
    path: &str,
    node: &Node,
    problems: &mut Problems,
) -> Option<Vec<f64>> {
    if values.is_empty() {
        problems.at(
            path,
            &node.origin,
            "the list of values is empty (allowed: at least one value)",
        );
        return None;
    }
    let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
    if weights.len() != values.len() {
        problems.at(
            path,
            &node.origin,
            format!(
                "{} weights for {} values (allowed: one weight per value)",
                weights.len(),
                values.len()
            ),
        );
        return None;
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        problems.at(
            path,
            &node.origin,
            "the weights add up to 0 (allowed: a positive total)",
        );
        return None;
    }
    let mut acc = 0.0;
    let mut cum: Vec<f64> = weights
        .iter()
        .map(|w| {
            acc += w;
            acc / total
        })
        .collect();
    *cum.last_mut().expect("not empty") = 1.0;
    Some(cum)
}

/// Σ f(value) × weight, with the weights given as cumulative shares.
fn weighted_sum<T>(values: &[T], cum: &[f64], f: impl Fn(&T) -> f64) -> f64 {
    let mut prev = 0.0;
    values
        .iter()
        .zip(cum)
        .map(|(v, &c)| {
            let w = c - prev;
            prev = c;
            f(v) * w
        })
        .sum()
}

/// Index of the first cumulative weight above `u` (u in [0, 1)).
#[inline]
fn pick(cum: &[f64], u: f64) -> usize {
    cum.partition_point(|&c| c <= u).min(cum.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mean_of(d: &Duration, n: usize) -> f64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        (0..n).map(|_| d.sample_min(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_stated_means() {
        // 200,000 draws: the standard error of the mean is below 0.3% of the mean
        // for every distribution here (scv <= 1), so 1.5% is over five standard errors.
        const REL_TOL: f64 = 0.015;
        let cases = [
            Duration::Exponential(1.0 / (1.0 / 2.0), 2.0),
            Duration::LogNormal(
                LogNormal::new(1.8f64.ln() - 0.2231 / 2.0, 0.2231f64.sqrt()).unwrap(),
                1.8,
                0.9,
            ),
            Duration::Erlang(Gamma::new(3.0, 1.0).unwrap(), 3, 3.0),
            Duration::Uniform(1.0, 3.0),
            Duration::Triangular(Triangular::new(1.0, 4.0, 2.0).unwrap(), 1.0, 2.0, 4.0),
            Duration::Empirical(vec![1.0, 5.0], vec![0.75, 1.0]),
        ];
        for d in &cases {
            let m = mean_of(d, 200_000);
            assert!(
                (m / d.mean_min() - 1.0).abs() < REL_TOL,
                "{d:?}: sample mean {m}"
            );
        }
    }

    #[test]
    fn people_empirical_mean() {
        let p = People::Empirical(vec![1, 3], vec![0.5, 1.0]);
        assert_eq!(p.mean(), 2.0);
        assert_eq!(pick(&[0.5, 1.0], 0.0), 0);
        assert_eq!(pick(&[0.5, 1.0], 0.5), 1);
        assert_eq!(pick(&[0.5, 1.0], 0.999), 1);
    }
}
