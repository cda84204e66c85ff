//! Montgomery arithmetic over `N` 64-bit little-endian limbs (u128 products, CIOS multiplication), shared by
//! the base field Fp (6 limbs) and the scalar field Fr (4 limbs). Every value is kept reduced (< m).
//! Requires m odd and m < 2^(64N - 1), so `a + b` of two reduced values never overflows N + 1 limbs.

#[inline(always)]
fn mac(acc: u64, a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = acc as u128 + (a as u128) * (b as u128) + carry as u128;
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + b as u128 + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// a - b - borrow; the returned borrow is 0 or 1.
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub(b as u128 + borrow as u128);
    (t as u64, ((t >> 64) as u64) & 1)
}

/// a < b as integers.
#[inline(always)]
pub fn lt<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    let mut borrow = 0;
    for i in 0..N {
        borrow = sbb(a[i], b[i], borrow).1;
    }
    borrow == 1
}

/// a - m if a >= m (a < 2m).
#[inline(always)]
fn reduce_once<const N: usize>(a: [u64; N], m: &[u64; N]) -> [u64; N] {
    let mut d = [0u64; N];
    let mut borrow = 0;
    for i in 0..N {
        (d[i], borrow) = sbb(a[i], m[i], borrow);
    }
    if borrow == 1 {
        a
    } else {
        d
    }
}

#[inline(always)]
pub fn add<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N]) -> [u64; N] {
    let mut s = [0u64; N];
    let mut carry = 0;
    for i in 0..N {
        (s[i], carry) = adc(a[i], b[i], carry);
    }
    debug_assert_eq!(carry, 0);
    reduce_once(s, m)
}

#[inline(always)]
pub fn sub<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N]) -> [u64; N] {
    let mut d = [0u64; N];
    let mut borrow = 0;
    for i in 0..N {
        (d[i], borrow) = sbb(a[i], b[i], borrow);
    }
    if borrow == 1 {
        let mut carry = 0;
        for i in 0..N {
            (d[i], carry) = adc(d[i], m[i], carry);
        }
    }
    d
}

/// a * b * 2^(-64N) mod m (CIOS); `inv` = -m^(-1) mod 2^64.
#[inline(always)]
pub fn mul<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N], inv: u64) -> [u64; N] {
    let mut t = [0u64; N];
    let mut t_hi = 0u64;
    for i in 0..N {
        let mut c = 0;
        for j in 0..N {
            (t[j], c) = mac(t[j], a[j], b[i], c);
        }
        let (s, s_hi) = adc(t_hi, c, 0);
        let k = t[0].wrapping_mul(inv);
        let (_, mut c) = mac(t[0], k, m[0], 0);
        for j in 1..N {
            (t[j - 1], c) = mac(t[j], k, m[j], c);
        }
        let (top, c2) = adc(s, c, 0);
        t[N - 1] = top;
        t_hi = s_hi + c2;
    }
    debug_assert_eq!(t_hi, 0);
    reduce_once(t, m)
}

/// Little-endian limbs of a big-endian byte string of exactly 8N bytes.
pub fn from_be<const N: usize>(b: &[u8]) -> [u64; N] {
    debug_assert_eq!(b.len(), 8 * N);
    let mut l = [0u64; N];
    for i in 0..N {
        let o = 8 * (N - 1 - i);
        l[i] = u64::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]]);
    }
    l
}

/// Big-endian bytes (8N) of little-endian limbs.
pub fn to_be<const N: usize>(l: &[u64; N], out: &mut [u8]) {
    debug_assert_eq!(out.len(), 8 * N);
    for i in 0..N {
        let o = 8 * (N - 1 - i);
        out[o..o + 8].copy_from_slice(&l[i].to_be_bytes());
    }
}

/// Bit `i` of little-endian limbs.
#[inline(always)]
pub fn bit<const N: usize>(l: &[u64; N], i: usize) -> bool {
    (l[i / 64] >> (i % 64)) & 1 == 1
}
