//! Stable bucketing of customers for holdouts and A/B arms. Specified in
//! docs/bucketing.md and pinned by tests/vectors/bucketing.json, which every
//! platform (native, wasm in Node, browser, worker) must reproduce.

/// Number of buckets: shares are expressed in hundredths of a percent.
pub const BUCKETS: u64 = 10_000;

/// `fmix64(fnv1a64(utf8(salt) ++ ":" ++ utf8(customer_id))) mod 10000`.
pub fn bucket(salt: &str, customer_id: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in salt.bytes().chain(std::iter::once(b':')).chain(customer_id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (fmix64(h) % BUCKETS) as u32
}

/// MurmurHash3's 64-bit finaliser: spreads FNV's weak low bits over the whole word.
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_uniform_enough() {
        let mut counts = [0u32; 10];
        for i in 0..100_000 {
            counts[(bucket("salt", &format!("customer-{i}")) / 1000) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }
}
