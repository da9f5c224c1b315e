//! The statistics of a lift report, each a textbook method named where it is used. Distributions
//! (normal, Student's t, chi-square) come from statrs. Every interval is two-sided at `level`
//! (0.95 in reports), and a quantity that cannot be estimated from the counts (no visitors, no
//! conversions where a ratio needs some) is `None`, never a made-up number.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// The normal quantile of a two-sided interval at `level` (1.959964 for 0.95).
pub fn z_for(level: f64) -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0)
}

/// Wilson's score interval for a proportion `x / n` (Wilson 1927).
pub fn wilson(x: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 || x > n {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let denominator = 1.0 + z2 / n;
    Some(((centre - spread) / denominator, (centre + spread) / denominator))
}

/// The difference of two proportions `x1/n1 − x2/n2` with Newcombe's hybrid score interval
/// (Newcombe 1998, method 10): the Wilson intervals of each proportion, combined. It keeps its
/// coverage near the nominal level where the Wald interval does not (small counts, rates near 0).
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<(f64, f64, f64)> {
    let (l1, u1) = wilson(x1, n1, z)?;
    let (l2, u2) = wilson(x2, n2, z)?;
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let d = p1 - p2;
    let lo = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let hi = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, lo, hi))
}

/// The relative difference `(x1/n1) / (x2/n2) − 1` with the Katz log interval for a ratio of
/// proportions (Katz et al. 1978). None when either side has no conversion: the ratio's
/// logarithm is then unbounded.
pub fn relative(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<(f64, f64, f64)> {
    if x1 == 0 || x2 == 0 || n1 == 0 || n2 == 0 {
        return None;
    }
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let ratio = (x1 / n1) / (x2 / n2);
    let se = (1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2).sqrt();
    Some((ratio - 1.0, ratio * (-z * se).exp() - 1.0, ratio * (z * se).exp() - 1.0))
}

/// Running sums of one group's values per visitor, for a mean and its variance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Moments {
    /// One visitor's value.
    pub fn add(&mut self, v: f64) {
        self.n += 1;
        self.sum += v;
        self.sum_sq += v * v;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (n − 1 in the denominator).
    pub fn variance(&self) -> Option<f64> {
        let n = self.n as f64;
        (self.n > 1).then(|| ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0))
    }
}

/// The difference of two means `a − b` with Welch's interval: unequal variances, Student's t
/// with the Welch–Satterthwaite degrees of freedom (Welch 1947).
pub fn welch(a: &Moments, b: &Moments, level: f64) -> Option<(f64, f64, f64)> {
    let (ma, mb) = (a.mean()?, b.mean()?);
    let (va, vb) = (a.variance()? / a.n as f64, b.variance()? / b.n as f64);
    let d = ma - mb;
    let se2 = va + vb;
    if se2 == 0.0 {
        return Some((d, d, d));
    }
    let df = se2 * se2 / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(1.0 - (1.0 - level) / 2.0);
    let half = t * se2.sqrt();
    Some((d, d - half, d + half))
}

/// Sample-ratio mismatch: the p-value of Pearson's chi-square test (one degree of freedom) that
/// `holdout` of `holdout + treated` visitors came from a holdout share of `share` (0–1). A tiny
/// p-value means the assignment or the logging is broken, and the lift cannot be trusted.
pub fn srm_p(holdout: u64, treated: u64, share: f64) -> Option<f64> {
    let n = (holdout + treated) as f64;
    if n == 0.0 || !(share > 0.0 && share < 1.0) {
        return None;
    }
    let (e_h, e_t) = (n * share, n * (1.0 - share));
    let stat = (holdout as f64 - e_h).powi(2) / e_h + (treated as f64 - e_t).powi(2) / e_t;
    Some(1.0 - ChiSquared::new(1.0).ok()?.cdf(stat))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn the_normal_quantile() {
        close(z_for(0.95), 1.959_964, 1e-6);
    }

    // Values from Newcombe (1998), "Interval estimation for the difference between independent
    // proportions: comparison of eleven methods", Statistics in Medicine 17, table II, method 10.
    #[test]
    fn newcombe_matches_the_papers_examples() {
        let z = z_for(0.95);
        let (d, lo, hi) = newcombe(56, 70, 48, 80, z).unwrap();
        close(d, 0.2, 1e-12);
        close(lo, 0.0524, 5e-5);
        close(hi, 0.3339, 5e-5);
        let (_, lo, hi) = newcombe(9, 10, 3, 10, z).unwrap();
        close(lo, 0.1705, 5e-5);
        close(hi, 0.8090, 5e-5);
        let (_, lo, hi) = newcombe(5, 56, 0, 29, z).unwrap();
        close(lo, -0.0381, 5e-5);
        close(hi, 0.1926, 5e-5);
    }

    // Wilson (1927) for 81 of 263, as in Newcombe (1998a), table I: 0.2553 to 0.3662.
    #[test]
    fn wilson_matches_the_textbook_example() {
        let (lo, hi) = wilson(81, 263, z_for(0.95)).unwrap();
        close(lo, 0.2553, 5e-5);
        close(hi, 0.3662, 5e-5);
        assert_eq!(wilson(1, 0, 1.96), None);
    }

    // Computed by hand: RR = (30/100)/(20/100) = 1.5, se = sqrt(1/30 − 1/100 + 1/20 − 1/100).
    #[test]
    fn relative_lift_by_the_log_method() {
        let z = z_for(0.95);
        let (rel, lo, hi) = relative(30, 100, 20, 100, z).unwrap();
        let se = (1.0f64 / 30.0 - 0.01 + 0.05 - 0.01).sqrt();
        close(rel, 0.5, 1e-12);
        close(lo, 1.5 * (-z * se).exp() - 1.0, 1e-12);
        close(hi, 1.5 * (z * se).exp() - 1.0, 1e-12);
        assert_eq!(relative(0, 100, 20, 100, z), None);
    }

    // Computed by hand: means 3 and 1.5; variances 2.5 and 1.6667 over 5 and 4 values;
    // Welch–Satterthwaite df = 6.97, t(0.975, 6.97) = 2.3671.
    #[test]
    fn welch_by_hand() {
        let (mut a, mut b) = (Moments::default(), Moments::default());
        [1.0, 2.0, 3.0, 4.0, 5.0].into_iter().for_each(|v| a.add(v));
        [0.0, 1.0, 2.0, 3.0].into_iter().for_each(|v| b.add(v));
        let (d, lo, hi) = welch(&a, &b, 0.95).unwrap();
        close(d, 1.5, 1e-12);
        let se = (2.5f64 / 5.0 + (5.0 / 3.0) / 4.0).sqrt();
        close(hi - d, 2.3671 * se, 2e-3);
        close(d - lo, hi - d, 1e-12);
    }

    #[test]
    fn sample_ratio_mismatch() {
        // Exactly the expected split: p = 1.
        close(srm_p(100, 900, 0.1).unwrap(), 1.0, 1e-12);
        // 15 % held out where the bundle says 10 %, over 10,000 visitors: chi-square 277.8.
        assert!(srm_p(1500, 8500, 0.1).unwrap() < 1e-6);
        // 120 of 1,000 held out at 10 %: chi-square 20²/100 + 20²/900 = 4.444, so p = 2(1 − Φ(2.108)) = 0.0350.
        close(srm_p(120, 880, 0.1).unwrap(), 0.0350, 5e-4);
        assert_eq!(srm_p(0, 0, 0.1), None);
    }
}
