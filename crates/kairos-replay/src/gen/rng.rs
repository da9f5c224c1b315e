//! The pseudo-random generator (xoshiro256** seeded through SplitMix64) and the one piece of
//! floating-point maths it needs done the same way everywhere, the logarithm.

/// SplitMix64 (Steele, Lea and Flood): turns one seed into well-mixed words.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256**: small, fast, and good enough for simulation (not for secrets).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four SplitMix64 words of `seed` (never all zero).
    pub fn seeded(seed: u64) -> Rng {
        let mut sm = SplitMix64(seed);
        Rng { s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()] }
    }

    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.s;
        let out = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s1 << 17;
        let (s2, s3) = (s2 ^ s0, s3 ^ s1);
        let (s1, s0) = (s1 ^ s2, s0 ^ s3);
        self.s = [s0, s1, s2 ^ t, s3.rotate_left(45)];
        out
    }

    /// Uniform in [0, 1), 53 random bits.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below n / 2^64). `n` must not be 0.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Exponentially distributed with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * ln(1.0 - self.f64())
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights (which must not all be zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// Natural logarithm of a positive finite number with basic arithmetic only (deterministic
/// everywhere): x = m·2^k with m in [√½, √2), then ln m = 2·atanh((m−1)/(m+1)) by its series.
pub fn ln(x: f64) -> f64 {
    if x <= 0.0 || x.is_nan() {
        return f64::NEG_INFINITY;
    }
    let mut m = x;
    let mut k = 0i32;
    // Subnormals are far below anything drawn here; scale them up first anyway.
    if m < f64::MIN_POSITIVE {
        m *= (1u64 << 54) as f64;
        k -= 54;
    }
    let bits = m.to_bits();
    k += ((bits >> 52) & 0x7ff) as i32 - 1023;
    m = f64::from_bits((bits & !(0x7ff << 52)) | (1023 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        k += 1;
    }
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let (mut term, mut sum) = (z, 0.0);
    let mut n = 1.0;
    while n < 60.0 {
        sum += term / n;
        term *= z2;
        n += 2.0;
    }
    2.0 * sum + f64::from(k) * std::f64::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_the_platform_closely() {
        for x in [1e-300, 1e-10, 0.001, 0.5, 0.999_999, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300] {
            let (a, b) = (ln(x), f64::ln(x));
            assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "ln({x}) = {a}, libm says {b}");
        }
    }

    #[test]
    fn xoshiro_reference_words() {
        // xoshiro256** from state [1, 2, 3, 4]: the reference implementation's first outputs.
        let mut r = Rng { s: [1, 2, 3, 4] };
        let words: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(words, [11520, 0, 1509978240]);
        // SplitMix64 from 0: 0xe220a8397b1dcdaf is its well-known first word.
        assert_eq!(SplitMix64(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn below_and_weighted_stay_in_range() {
        let mut r = Rng::seeded(7);
        for _ in 0..1000 {
            assert!(r.below(3) < 3);
            assert!(r.weighted(&[0, 5, 0, 1]) % 2 == 1);
            let x = r.f64();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
