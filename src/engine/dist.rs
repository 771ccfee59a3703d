//! Probability distributions of non-negative quantities (durations, counts, patience).
//!
//! Users give the parameters they know: a lognormal by its mean and standard deviation, a
//! triangular by min, mode and max. Constructors check the parameters and return a typed
//! [`DistError`] for anything impossible; sampling never fails and never panics. Sampling
//! uses `rand_distr`'s algorithms (ziggurat for the exponential and normal), pinned by the
//! lock file, so a seed keeps its meaning.
//!
//! Every family here has its support in `[0, inf)`: the normal is truncated at zero by
//! rejection (its parameters are those of the normal *before* truncation, and the mean must
//! be positive so that at least half of the draws are accepted).
//!
//! Values are unitless `f64`; the model decides the unit (see [`Dist::scaled`] to turn a
//! distribution in days into one in clock ticks). This module must not know about time or
//! models.

use rand::Rng as RandCore;
use rand_distr::{Distribution, Exp1, Gamma, StandardNormal, Triangular, Weibull};
use std::fmt;

/// Why a distribution's parameters are impossible.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DistError {
    /// A parameter is out of its range.
    #[error("{family}: `{param}` must be {requirement}, but it is {value}")]
    OutOfRange {
        family: &'static str,
        param: &'static str,
        requirement: &'static str,
        value: f64,
    },
    /// Parameters that must be ordered are not.
    #[error("{family}: the parameters must satisfy {requirement}, but they are {values}")]
    Order {
        family: &'static str,
        requirement: &'static str,
        values: String,
    },
    /// An empirical distribution was given no values, or values and weights that disagree.
    #[error("empirical: {0}")]
    Empirical(&'static str),
}

/// A distribution of a non-negative quantity, ready to sample.
#[derive(Clone, Debug)]
pub struct Dist {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Fixed(f64),
    Exponential {
        mean: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
        d: Triangular<f64>,
    },
    TruncatedNormal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mean: f64,
        sd: f64,
        mu: f64,
        sigma: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
        d: Gamma<f64>,
    },
    Weibull {
        shape: f64,
        scale: f64,
        d: Weibull<f64>,
    },
    Empirical {
        values: Box<[f64]>,
        cumulative: Option<Box<[f64]>>,
    },
}

fn check(
    family: &'static str,
    param: &'static str,
    requirement: &'static str,
    value: f64,
    ok: impl Fn(f64) -> bool,
) -> Result<(), DistError> {
    if value.is_finite() && ok(value) {
        Ok(())
    } else {
        Err(DistError::OutOfRange {
            family,
            param,
            requirement,
            value,
        })
    }
}

const NON_NEGATIVE: &str = "a finite number >= 0";
const POSITIVE: &str = "a finite number > 0";

impl Dist {
    /// Always `value`.
    pub fn fixed(value: f64) -> Result<Dist, DistError> {
        check("fixed", "value", NON_NEGATIVE, value, |v| v >= 0.0)?;
        Ok(Dist {
            kind: Kind::Fixed(value),
        })
    }

    /// Exponential with the given mean (rate = 1 / mean).
    pub fn exponential(mean: f64) -> Result<Dist, DistError> {
        check("exponential", "mean", POSITIVE, mean, |v| v > 0.0)?;
        Ok(Dist {
            kind: Kind::Exponential { mean },
        })
    }

    /// Uniform on `[min, max]`.
    pub fn uniform(min: f64, max: f64) -> Result<Dist, DistError> {
        check("uniform", "min", NON_NEGATIVE, min, |v| v >= 0.0)?;
        check("uniform", "max", NON_NEGATIVE, max, |v| v >= 0.0)?;
        if min > max {
            return Err(DistError::Order {
                family: "uniform",
                requirement: "min <= max",
                values: format!("min = {min}, max = {max}"),
            });
        }
        Ok(Dist {
            kind: Kind::Uniform { min, max },
        })
    }

    /// Triangular with the given minimum, most likely value and maximum.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, DistError> {
        check("triangular", "min", NON_NEGATIVE, min, |v| v >= 0.0)?;
        check("triangular", "mode", NON_NEGATIVE, mode, |v| v >= 0.0)?;
        check("triangular", "max", NON_NEGATIVE, max, |v| v >= 0.0)?;
        if !(min <= mode && mode <= max) {
            return Err(DistError::Order {
                family: "triangular",
                requirement: "min <= mode <= max",
                values: format!("min = {min}, mode = {mode}, max = {max}"),
            });
        }
        if min == max {
            return Dist::fixed(min);
        }
        let d = Triangular::new(min, max, mode).expect("checked above");
        Ok(Dist {
            kind: Kind::Triangular { min, mode, max, d },
        })
    }

    /// Normal with the given mean and standard deviation, truncated at zero.
    pub fn truncated_normal(mean: f64, sd: f64) -> Result<Dist, DistError> {
        check("normal", "mean", POSITIVE, mean, |v| v > 0.0)?;
        check("normal", "sd", NON_NEGATIVE, sd, |v| v >= 0.0)?;
        Ok(Dist {
            kind: Kind::TruncatedNormal { mean, sd },
        })
    }

    /// Lognormal with the given mean and standard deviation (of the variable itself, not of
    /// its logarithm): sigma^2 = ln(1 + sd^2 / mean^2), mu = ln(mean) - sigma^2 / 2.
    pub fn lognormal(mean: f64, sd: f64) -> Result<Dist, DistError> {
        check("lognormal", "mean", POSITIVE, mean, |v| v > 0.0)?;
        check("lognormal", "sd", NON_NEGATIVE, sd, |v| v >= 0.0)?;
        let sigma2 = (sd * sd / (mean * mean)).ln_1p();
        let (mu, sigma) = (mean.ln() - sigma2 / 2.0, sigma2.sqrt());
        Ok(Dist {
            kind: Kind::LogNormal {
                mean,
                sd,
                mu,
                sigma,
            },
        })
    }

    /// Gamma with the given shape k and scale theta (mean k * theta).
    pub fn gamma(shape: f64, scale: f64) -> Result<Dist, DistError> {
        check("gamma", "shape", POSITIVE, shape, |v| v > 0.0)?;
        check("gamma", "scale", POSITIVE, scale, |v| v > 0.0)?;
        let d = Gamma::new(shape, scale).expect("checked above");
        Ok(Dist {
            kind: Kind::Gamma { shape, scale, d },
        })
    }

    /// Weibull with the given shape k and scale lambda.
    pub fn weibull(shape: f64, scale: f64) -> Result<Dist, DistError> {
        check("weibull", "shape", POSITIVE, shape, |v| v > 0.0)?;
        check("weibull", "scale", POSITIVE, scale, |v| v > 0.0)?;
        let d = Weibull::new(scale, shape).expect("checked above");
        Ok(Dist {
            kind: Kind::Weibull { shape, scale, d },
        })
    }

    /// One of the listed values, with probabilities proportional to `weights` (equal
    /// probabilities when `weights` is `None`).
    pub fn empirical(values: &[f64], weights: Option<&[f64]>) -> Result<Dist, DistError> {
        if values.is_empty() {
            return Err(DistError::Empirical("give at least one value"));
        }
        for &v in values {
            check("empirical", "every value", NON_NEGATIVE, v, |v| v >= 0.0)?;
        }
        let cumulative = match weights {
            None => None,
            Some(w) => {
                if w.len() != values.len() {
                    return Err(DistError::Empirical(
                        "give exactly one weight per value (or no weights)",
                    ));
                }
                let mut acc = 0.0;
                let mut cum = Vec::with_capacity(w.len());
                for &x in w {
                    check("empirical", "every weight", NON_NEGATIVE, x, |v| v >= 0.0)?;
                    acc += x;
                    cum.push(acc);
                }
                if acc <= 0.0 {
                    return Err(DistError::Empirical("at least one weight must be > 0"));
                }
                Some(cum.into_boxed_slice())
            }
        };
        Ok(Dist {
            kind: Kind::Empirical {
                values: values.into(),
                cumulative,
            },
        })
    }

    /// The same family with every value multiplied by `k > 0` (a change of unit).
    pub fn scaled(&self, k: f64) -> Dist {
        assert!(k.is_finite() && k > 0.0, "scale factor must be positive");
        let rebuilt = match &self.kind {
            Kind::Fixed(v) => Dist::fixed(v * k),
            Kind::Exponential { mean } => Dist::exponential(mean * k),
            Kind::Uniform { min, max } => Dist::uniform(min * k, max * k),
            Kind::Triangular { min, mode, max, .. } => Dist::triangular(min * k, mode * k, max * k),
            Kind::TruncatedNormal { mean, sd } => Dist::truncated_normal(mean * k, sd * k),
            Kind::LogNormal { mean, sd, .. } => Dist::lognormal(mean * k, sd * k),
            Kind::Gamma { shape, scale, .. } => Dist::gamma(*shape, scale * k),
            Kind::Weibull { shape, scale, .. } => Dist::weibull(*shape, scale * k),
            Kind::Empirical { values, cumulative } => Ok(Dist {
                kind: Kind::Empirical {
                    values: values.iter().map(|v| v * k).collect(),
                    cumulative: cumulative.clone(),
                },
            }),
        };
        rebuilt.expect("scaling a valid distribution by k > 0 keeps it valid")
    }

    /// The analytic mean (for the truncated normal: of the truncated variable).
    pub fn mean(&self) -> f64 {
        match &self.kind {
            Kind::Fixed(v) => *v,
            Kind::Exponential { mean } | Kind::LogNormal { mean, .. } => *mean,
            Kind::Uniform { min, max } => (min + max) / 2.0,
            Kind::Triangular { min, mode, max, .. } => (min + mode + max) / 3.0,
            Kind::TruncatedNormal { mean, sd } => {
                if *sd == 0.0 {
                    return *mean;
                }
                let a = -mean / sd; // standardised truncation point
                let phi = (-a * a / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                mean + sd * phi / (1.0 - standard_normal_cdf(a))
            }
            Kind::Gamma { shape, scale, .. } => shape * scale,
            Kind::Weibull { shape, scale, .. } => scale * gamma_fn(1.0 + 1.0 / shape),
            Kind::Empirical { values, cumulative } => match cumulative {
                None => values.iter().sum::<f64>() / values.len() as f64,
                Some(c) => {
                    let total = c[c.len() - 1];
                    let mut prev = 0.0;
                    let mut m = 0.0;
                    for (v, &ci) in values.iter().zip(c.iter()) {
                        m += v * (ci - prev);
                        prev = ci;
                    }
                    m / total
                }
            },
        }
    }

    /// The largest value the distribution can produce (infinite for unbounded families).
    pub fn max(&self) -> f64 {
        match &self.kind {
            Kind::Fixed(v) => *v,
            Kind::Uniform { max, .. } | Kind::Triangular { max, .. } => *max,
            Kind::Empirical { values, .. } => values.iter().copied().fold(0.0, f64::max),
            _ => f64::INFINITY,
        }
    }

    /// One draw. Never negative, never NaN. A fixed value is read in place (steps of
    /// fixed length are common: sterility tests, couriers on a timetable); a random one
    /// is drawn out of line.
    #[inline(always)]
    pub fn sample<R: RandCore + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            Kind::Fixed(v) => *v,
            _ => self.draw(rng),
        }
    }

    /// Like [`Dist::sample`], the same draw, with an exponential drawn in place too: for
    /// the one call site where exponentials dominate (Poisson arrivals). Everywhere else
    /// the larger code costs more than the call it saves.
    #[inline(always)]
    pub fn sample_gap<R: RandCore + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            Kind::Exponential { mean } => mean * <Exp1 as Distribution<f64>>::sample(&Exp1, rng),
            _ => self.sample(rng),
        }
    }

    #[inline(never)]
    fn draw<R: RandCore + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            Kind::Fixed(v) => *v,
            Kind::Exponential { mean } => mean * <Exp1 as Distribution<f64>>::sample(&Exp1, rng),
            Kind::Uniform { min, max } => min + (max - min) * unit(rng),
            Kind::Triangular { d, .. } => d.sample(rng),
            Kind::TruncatedNormal { mean, sd } => loop {
                let z: f64 = StandardNormal.sample(rng);
                let x = mean + sd * z;
                if x >= 0.0 {
                    break x;
                }
            },
            Kind::LogNormal { mu, sigma, .. } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Kind::Gamma { d, .. } => d.sample(rng),
            Kind::Weibull { d, .. } => d.sample(rng),
            Kind::Empirical { values, cumulative } => {
                let i = match cumulative {
                    None => ((unit(rng) * values.len() as f64) as usize).min(values.len() - 1),
                    Some(c) => {
                        let u = unit(rng) * c[c.len() - 1];
                        c.partition_point(|&x| x <= u).min(values.len() - 1)
                    }
                };
                values[i]
            }
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Fixed(v) => write!(f, "fixed({v})"),
            Kind::Exponential { mean } => write!(f, "exponential(mean {mean})"),
            Kind::Uniform { min, max } => write!(f, "uniform({min}, {max})"),
            Kind::Triangular { min, mode, max, .. } => {
                write!(f, "triangular({min}, {mode}, {max})")
            }
            Kind::TruncatedNormal { mean, sd } => write!(f, "normal(mean {mean}, sd {sd}) >= 0"),
            Kind::LogNormal { mean, sd, .. } => write!(f, "lognormal(mean {mean}, sd {sd})"),
            Kind::Gamma { shape, scale, .. } => write!(f, "gamma(shape {shape}, scale {scale})"),
            Kind::Weibull { shape, scale, .. } => {
                write!(f, "weibull(shape {shape}, scale {scale})")
            }
            Kind::Empirical { values, .. } => write!(f, "empirical({} values)", values.len()),
        }
    }
}

/// A uniform draw in `[0, 1)` from the top 53 bits of one 64-bit output (portable).
#[inline]
pub fn unit<R: RandCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard normal CDF via the complementary error function (accurate to about 1e-7,
/// enough for a reported mean).
fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    // Numerical Recipes' erfcc: fractional error below 1.2e-7 everywhere.
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The gamma function by the Lanczos approximation (g = 7, n = 9), for x > 0.
fn gamma_fn(x: f64) -> f64 {
    const G: [f64; 9] = [
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
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x))
    } else {
        let x = x - 1.0;
        let t = x + 7.5;
        let mut a = G[0];
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Streams;

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = Streams::new(42, 0).stream(1);
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let x = d.sample(&mut rng);
            assert!(x >= 0.0 && x.is_finite());
            s += x;
            s2 += x * x;
        }
        let m = s / n as f64;
        (m, ((s2 / n as f64 - m * m) / n as f64).sqrt())
    }

    #[test]
    fn sample_means_match_analytic_means() {
        let cases = [
            Dist::fixed(3.0).unwrap(),
            Dist::exponential(2.0).unwrap(),
            Dist::uniform(1.0, 5.0).unwrap(),
            Dist::triangular(8.0, 10.0, 14.0).unwrap(),
            Dist::truncated_normal(1.0, 1.0).unwrap(),
            Dist::lognormal(1.0, 0.3).unwrap(),
            Dist::gamma(2.5, 0.4).unwrap(),
            Dist::weibull(1.5, 2.0).unwrap(),
            Dist::empirical(&[1.0, 2.0, 10.0], Some(&[1.0, 2.0, 1.0])).unwrap(),
            Dist::empirical(&[1.0, 2.0], None).unwrap(),
        ];
        for d in &cases {
            let (m, se) = sample_mean(d, 200_000);
            // 5.5 standard errors: a false failure has probability below 1e-7 per case.
            assert!(
                (m - d.mean()).abs() <= 5.5 * se + 1e-12,
                "{d}: sample mean {m} vs analytic {} (se {se})",
                d.mean()
            );
        }
    }

    #[test]
    fn a_gap_is_the_same_draw_as_a_sample() {
        for d in [
            Dist::exponential(2.0).unwrap(),
            Dist::fixed(3.0).unwrap(),
            Dist::lognormal(1.0, 0.3).unwrap(),
        ] {
            let mut a = Streams::new(7, 0).stream(3);
            let mut b = a.clone();
            for _ in 0..1_000 {
                assert_eq!(
                    d.sample(&mut a).to_bits(),
                    d.sample_gap(&mut b).to_bits(),
                    "{d}"
                );
            }
        }
    }

    #[test]
    fn impossible_parameters_are_typed_errors() {
        assert!(matches!(
            Dist::exponential(0.0),
            Err(DistError::OutOfRange { param: "mean", .. })
        ));
        assert!(matches!(
            Dist::triangular(5.0, 4.0, 6.0),
            Err(DistError::Order { .. })
        ));
        assert!(matches!(
            Dist::lognormal(1.0, -0.1),
            Err(DistError::OutOfRange { param: "sd", .. })
        ));
        assert!(matches!(
            Dist::uniform(2.0, 1.0),
            Err(DistError::Order { .. })
        ));
        assert!(Dist::fixed(f64::NAN).is_err());
        assert!(Dist::gamma(0.0, 1.0).is_err());
        assert!(Dist::weibull(1.0, -1.0).is_err());
        assert!(Dist::truncated_normal(-1.0, 1.0).is_err());
        assert!(Dist::empirical(&[], None).is_err());
        assert!(Dist::empirical(&[1.0], Some(&[0.0])).is_err());
        assert!(Dist::empirical(&[1.0, 2.0], Some(&[1.0])).is_err());
        let msg = Dist::triangular(5.0, 4.0, 6.0).unwrap_err().to_string();
        assert!(msg.contains("min <= mode <= max"), "{msg}");
    }

    #[test]
    fn scaling_changes_the_unit_only() {
        let d = Dist::lognormal(1.0, 0.3).unwrap().scaled(24.0);
        assert!((d.mean() - 24.0).abs() < 1e-12);
        assert_eq!(
            Dist::triangular(1.0, 2.0, 4.0).unwrap().scaled(2.0).max(),
            8.0
        );
    }

    #[test]
    fn helper_functions_are_accurate() {
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-9);
        assert!((standard_normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }
}
