//! The noise: the discrete Laplace mechanism, sampled exactly.
//!
//! Counts are integers, so the noise is too: the discrete Laplace distribution (the two-sided
//! geometric) with scale `t`, `P(Z = z) ∝ exp(−|z| / t)`, added to each count of a query whose
//! L1 sensitivity is `Δ`, with `t = Δ / ε`, gives ε-differential privacy (pure: δ = 0).
//!
//! The sampler follows Canonne, Kamath & Steinke (2020), "The Discrete Gaussian for Differential
//! Privacy", NeurIPS 2020 (arXiv:2004.00010), Algorithms 1 and 2: Bernoulli trials of
//! probability `exp(−γ)` for a rational `γ` built from uniform integers only, then the discrete
//! Laplace from them by rejection. No floating-point number is ever drawn, so none of the
//! attacks on floating-point Laplace noise (Mironov 2012: the low bits of a double give the
//! true value away) apply. ε is held exactly as a whole number of millionths ([`Epsilon`]), so
//! the scale `Δ / ε` is an exact fraction.
//!
//! The random numbers come from ChaCha20, seeded from the operating system, or from a seed given
//! to reproduce a release (whoever holds the seed can recompute the noise: it is kept by the
//! person who released, and the audit log records only that a seed was used).

use rand::Rng;

use crate::ReleaseError;

/// A privacy-loss parameter ε, held exactly as a whole number of millionths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epsilon(u64);

/// Millionths in one.
const MICRO: u64 = 1_000_000;

/// The largest ε taken (a release at ε = 100 protects nobody; the bound keeps arithmetic exact).
pub const MAX_EPSILON: u64 = 100;

impl Epsilon {
    /// From millionths.
    pub fn from_micros(m: u64) -> Epsilon {
        Epsilon(m)
    }

    pub fn micros(self) -> u64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// ε written in decimal (`0.5`, `2`, `0.000001`): more than zero, at most [`MAX_EPSILON`], at
    /// most six decimals. `allow_zero` accepts 0 (a budget spent to nothing).
    pub fn parse(text: &str, allow_zero: bool) -> Result<Epsilon, ReleaseError> {
        let t = text.trim();
        let bad = || {
            ReleaseError::Epsilon(format!(
                "\"{text}\" is not a privacy loss ε: write a decimal number above 0 and at most {MAX_EPSILON}, with at most six decimals (e.g. 0.5)"
            ))
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 6
            || whole.len() > 4
        {
            return Err(bad());
        }
        let w: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let f: u64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<6}").parse().map_err(|_| bad())?
        };
        let m = w * MICRO + f;
        if (m == 0 && !allow_zero) || m > MAX_EPSILON * MICRO {
            return Err(bad());
        }
        Ok(Epsilon(m))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MICRO as f64
    }

    pub fn checked_add(self, other: Epsilon) -> Option<Epsilon> {
        self.0.checked_add(other.0).map(Epsilon)
    }

    pub fn saturating_sub(self, other: Epsilon) -> Epsilon {
        Epsilon(self.0.saturating_sub(other.0))
    }
}

impl std::fmt::Display for Epsilon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (w, r) = (self.0 / MICRO, self.0 % MICRO);
        if r == 0 {
            write!(f, "{w}")
        } else {
            let frac = format!("{r:06}");
            write!(f, "{w}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// Written as its decimal text (`"0.5"`), exact.
impl serde::Serialize for Epsilon {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The discrete Laplace scale `Δ / ε` as an exact fraction `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub num: u64,
    pub den: u64,
}

impl Scale {
    /// The scale for a query of L1 sensitivity `sensitivity` released under `epsilon`.
    pub fn for_query(sensitivity: u64, epsilon: Epsilon) -> Scale {
        let (num, den) = (sensitivity.max(1) * MICRO, epsilon.micros().max(1));
        let g = gcd(num, den);
        Scale {
            num: num / g,
            den: den / g,
        }
    }

    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The variance of the discrete Laplace noise of this scale: `2p / (1 − p)²`, `p = e^(−1/t)`.
    pub fn variance(self) -> f64 {
        let p = (-1.0 / self.as_f64()).exp();
        2.0 * p / (1.0 - p).powi(2)
    }
}

/// A Bernoulli trial of probability `num / den` (`num ≤ den`): one uniform integer.
fn bernoulli<R: Rng>(rng: &mut R, num: u64, den: u64) -> bool {
    rng.random_range(0..den) < num
}

/// A Bernoulli trial of probability `exp(−num/den)` (CKS 2020, Algorithm 1).
fn bernoulli_exp_neg<R: Rng>(rng: &mut R, num: u64, den: u64) -> bool {
    // γ > 1: exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)), each factor its own trial.
    for _ in 0..num / den {
        if !bernoulli_exp_neg_at_most_one(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp_neg_at_most_one(rng, num % den, den)
}

/// `exp(−γ)` for `γ = num/den ∈ [0, 1]`: count the successes of trials of probability `γ / k`,
/// `k = 1, 2, …`, until the first failure; the result is whether that count is even (the series
/// of `exp(−γ)`, sampled term by term).
fn bernoulli_exp_neg_at_most_one<R: Rng>(rng: &mut R, num: u64, den: u64) -> bool {
    let mut k: u64 = 1;
    loop {
        // Probability γ / k = num / (den · k); k stays small (the loop ends fast for γ ≤ 1).
        if !bernoulli(rng, num, den.saturating_mul(k)) {
            break;
        }
        k += 1;
    }
    k % 2 == 1
}

/// One draw of discrete Laplace noise of scale `scale` (CKS 2020, Algorithm 2): with
/// `scale = t / s`, draw `U` uniform in `0..t`, keep it with probability `exp(−U/t)`, add `t`
/// times a geometric count of `exp(−1)` trials, divide by `s`, then give it a sign (a draw of 0
/// with a minus sign is redrawn, so 0 is not counted twice).
pub fn discrete_laplace<R: Rng>(rng: &mut R, scale: Scale) -> i64 {
    let (t, s) = (scale.num, scale.den);
    loop {
        let u = rng.random_range(0..t);
        if !bernoulli_exp_neg(rng, u, t) {
            continue;
        }
        let mut v: u64 = 0;
        while bernoulli_exp_neg(rng, 1, 1) {
            v += 1;
        }
        let x = u.saturating_add(t.saturating_mul(v));
        let y = (x / s) as i64;
        let negative = bernoulli(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        return if negative { -y } else { y };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn epsilon_is_read_exactly_and_refused_in_words() {
        assert_eq!(Epsilon::parse("0.5", false).unwrap().micros(), 500_000);
        assert_eq!(Epsilon::parse("2", false).unwrap().micros(), 2_000_000);
        assert_eq!(Epsilon::parse(".25", false).unwrap().micros(), 250_000);
        assert_eq!(Epsilon::parse("0.000001", false).unwrap().micros(), 1);
        assert_eq!(
            Epsilon::parse("1.250000", false).unwrap().to_string(),
            "1.25"
        );
        assert_eq!(Epsilon::parse("0", true).unwrap().to_string(), "0");
        for bad in [
            "0",
            "-1",
            "1e-3",
            "0.0000001",
            "abc",
            "",
            "101",
            "1,5",
            "NaN",
        ] {
            let e = Epsilon::parse(bad, false).unwrap_err().to_string();
            assert!(e.contains("privacy loss"), "{bad}: {e}");
        }
    }

    #[test]
    fn bernoulli_exp_matches_its_probability() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for (num, den) in [(1u64, 2u64), (1, 1), (3, 2), (5, 1)] {
            let n = 200_000;
            let hits = (0..n)
                .filter(|_| bernoulli_exp_neg(&mut rng, num, den))
                .count() as f64;
            let p = (-(num as f64) / den as f64).exp();
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (hits / n as f64 - p).abs() < 5.0 * sd,
                "exp(-{num}/{den}): {} vs {p}",
                hits / n as f64
            );
        }
    }
}
