//! Means with Student-t confidence intervals across replications, and the
//! t quantiles they need (computed, not tabulated).

use std::cell::Cell;

use serde::{Deserialize, Serialize};

/// A mean across replications with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The sample mean.
    pub mean: f64,
    /// `[low, high]` of the 95% Student-t interval (both equal to the mean for one replication).
    pub ci95: [f64; 2],
}

impl Estimate {
    /// The mean of `values` with a two-sided interval at `level` (e.g. 0.95).
    /// NaN values (e.g. a mean wait with nobody served) are left out; with none left, NaN.
    pub fn with_level(values: &[f64], level: f64) -> Estimate {
        let mut running = Running::new();
        values.iter().for_each(|&x| running.add(x));
        running.estimate_at(level)
    }

    /// The mean of `values` with its 95% interval.
    pub fn of(values: &[f64]) -> Estimate {
        Estimate::with_level(values, 0.95)
    }

    /// Whether `x` lies inside the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.ci95[0] <= x && x <= self.ci95[1]
    }
}

/// An [`Estimate`] folded one value at a time, in constant memory: a run
/// keeps one per figure it reports, however many replications it has.
///
/// The mean is the values' sum, in the order added, over their count: the
/// same bits as summing them all at the end. The variance is Welford's
/// update (West, 1979), which stays accurate where the textbook difference
/// of sums cancels; it agrees with the two-pass variance to the last few
/// bits.
#[derive(Clone, Copy, Debug)]
pub struct Running {
    /// Values added, NaN left out.
    n: u64,
    /// Their sum, in the order added (from -0.0, as `Iterator::sum` starts).
    sum: f64,
    /// Welford's running mean (for the variance only).
    center: f64,
    /// Welford's sum of squared deviations from it.
    m2: f64,
}

impl Default for Running {
    fn default() -> Running {
        Running::new()
    }
}

impl Running {
    /// No values yet.
    pub const fn new() -> Running {
        Running {
            n: 0,
            sum: -0.0,
            center: 0.0,
            m2: 0.0,
        }
    }

    /// Adds a value; NaN (a figure a replication did not have) is left out.
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        self.sum += x;
        let delta = x - self.center;
        self.center += delta / self.n as f64;
        self.m2 += delta * (x - self.center);
    }

    /// Values added, NaN left out.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean with its 95% interval.
    pub fn estimate(&self) -> Estimate {
        self.estimate_at(0.95)
    }

    /// The mean with a two-sided interval at `level`; NaN with no values,
    /// and the mean itself as the interval with one.
    pub fn estimate_at(&self, level: f64) -> Estimate {
        let n = self.n;
        if n == 0 {
            return Estimate {
                mean: f64::NAN,
                ci95: [f64::NAN, f64::NAN],
            };
        }
        let mean = self.sum / n as f64;
        if n == 1 {
            return Estimate {
                mean,
                ci95: [mean, mean],
            };
        }
        let var = self.m2 / (n - 1) as f64;
        let half =
            t_quantile_remembered(0.5 + level / 2.0, (n - 1) as f64) * (var / n as f64).sqrt();
        Estimate {
            mean,
            ci95: [mean - half, mean + half],
        }
    }
}

/// [`t_quantile`], remembered for the last `(p, df)` asked on this thread: a
/// report asks for the same one thousands of times (every estimate of one
/// replication count), and each costs a root search on the incomplete beta.
fn t_quantile_remembered(p: f64, df: f64) -> f64 {
    thread_local! {
        static LAST: Cell<(f64, f64, f64)> = const { Cell::new((f64::NAN, f64::NAN, f64::NAN)) };
    }
    LAST.with(|last| {
        let (lp, ldf, q) = last.get();
        if lp == p && ldf == df {
            return q;
        }
        let q = t_quantile(p, df);
        last.set((p, df, q));
        q
    })
}

/// The `p` quantile of Student's t distribution with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    assert!(p > 0.0 && p < 1.0 && df > 0.0, "t_quantile({p}, {df})");
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    // Bisection on the CDF: monotone, and 200 halvings reach machine precision.
    let (mut lo, mut hi) = (0.0, 1.0);
    while t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return hi;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The CDF of Student's t distribution.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * reg_inc_beta(df / 2.0, 0.5, x);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos approximation (g = 7, n = 9), accurate to about 1e-15.
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method).
fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - reg_inc_beta(b, a, 1.0 - x);
    }
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut f = d;
    let mut step = |num: f64, c: &mut f64, d: &mut f64| {
        *d = 1.0 + num * *d;
        if d.abs() < TINY {
            *d = TINY;
        }
        *c = 1.0 + num / *c;
        if c.abs() < TINY {
            *c = TINY;
        }
        *d = 1.0 / *d;
        f *= *c * *d;
    };
    for m in 1..500 {
        let m = f64::from(m);
        step(
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            &mut c,
            &mut d,
        );
        step(
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
            &mut c,
            &mut d,
        );
        if (c * d - 1.0).abs() < 1e-16 {
            break;
        }
    }
    front * f / a
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn t_quantiles_match_published_tables() {
        // Two-sided 95% and 99% critical values (any statistics textbook's t table).
        let table = [
            (1.0, 12.706, 63.657),
            (2.0, 4.303, 9.925),
            (4.0, 2.776, 4.604),
            (9.0, 2.262, 3.250),
            (19.0, 2.093, 2.861),
            (29.0, 2.045, 2.756),
            (99.0, 1.984, 2.626),
        ];
        for (df, t95, t99) in table {
            assert!((t_quantile(0.975, df) - t95).abs() < 5e-4, "df {df}");
            assert!((t_quantile(0.995, df) - t99).abs() < 5e-4, "df {df}");
        }
    }

    /// The running fold against the two-pass formulas: the same mean bits,
    /// the variance to within a few units in the last place, on values
    /// far from zero with a small spread (where a difference of sums would
    /// lose every digit), with NaN among them.
    #[test]
    fn running_agrees_with_two_passes() {
        let mut rng = crate::engine::rng::SplitMix64::new(3, 0);
        let mut next = || rng.random::<f64>();
        for (n, offset, spread) in [(2, 0.0, 1.0), (20, 1e9, 1e-3), (1_000, -5.0, 100.0)] {
            let values: Vec<f64> = (0..n)
                .map(|i| {
                    if i % 7 == 3 {
                        f64::NAN
                    } else {
                        offset + spread * next()
                    }
                })
                .collect();
            let kept: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
            let mean = kept.iter().sum::<f64>() / kept.len() as f64;
            let var =
                kept.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (kept.len() - 1) as f64;
            let half =
                t_quantile(0.975, (kept.len() - 1) as f64) * (var / kept.len() as f64).sqrt();
            let mut running = Running::new();
            values.iter().for_each(|&x| running.add(x));
            let e = running.estimate();
            assert_eq!(running.count(), kept.len() as u64);
            assert_eq!(e.mean.to_bits(), mean.to_bits(), "n {n}");
            // The ends themselves, each within the rounding of its own size.
            for (got, want) in e.ci95.into_iter().zip([mean - half, mean + half]) {
                let tolerance = 1e-12 * half + 2.0 * f64::EPSILON * want.abs();
                assert!(
                    (got - want).abs() <= tolerance,
                    "n {n}: {got} against {want}"
                );
            }
            // `Estimate::of` is this fold, so `run` and `sweep` agree to the bit.
            assert_eq!(Estimate::of(&values), e);
        }
    }

    #[test]
    fn estimate_of_known_sample() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.mean, 3.0);
        // s = sqrt(2.5), half width = 2.776445 * sqrt(2.5 / 5)
        let half = 2.776_445 * 0.5f64.sqrt();
        assert!((e.ci95[1] - 3.0 - half).abs() < 1e-5);
        assert!(e.contains(3.0) && !e.contains(5.0));
        assert_eq!(Estimate::of(&[7.0]).ci95, [7.0, 7.0]);
        assert!(Estimate::of(&[f64::NAN]).mean.is_nan());
    }
}
