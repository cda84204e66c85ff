//! Raw DEFLATE decoder (RFC 1951, no zlib or gzip wrapper) for the batch records section,
//! docs/batch-format.md "Compression". It accepts and rejects exactly what zlib's `inflateRaw` (the
//! TypeScript decoder, node/codec/compress.ts) does on a section, including zlib's choices where RFC 1951
//! leaves room:
//! - a code-length code must be complete (over-subscribed or incomplete: error);
//! - a literal/length or distance code must be complete, except a code with a single symbol of length 1
//!   (its unused code is an error when met); an all-zero distance code is allowed (any distance is then
//!   an error); the literal/length code must give the end-of-block symbol 256 a length;
//! - `HLIT > 286` or `HDIST > 30` symbols: error; a repeat code 16 first, or a repeat past the end: error;
//! - symbols 286, 287 (fixed code) and distances 30, 31: error; a distance beyond the output start: error;
//! - stored blocks: `LEN` must be the one's complement of `NLEN`; block type 3: error;
//! - the input ends before the final block ends: error.
//!
//! Consumed input is counted as zlib does: every byte holding a bit of the stream (the final block's
//! padding bits included); [`inflate`] reports trailing bytes after that as [`InflateError::Trailing`].
//! Output is bounded, and the error reported for a stream that is both too long and corrupt follows the
//! TypeScript decoder (Node's zlib binding with `maxOutputLength`): Node runs zlib into 16 KiB output
//! buffers and compares the output so far with the limit only when a buffer is full or zlib stops, and a
//! zlib error raised within the same buffer wins. So [`InflateError::TooLong`] is reported when a byte
//! must be written at a positive multiple of 16 KiB beyond `max_out`, when the input runs out exactly
//! there, or when the stream ends beyond `max_out`; a corrupt stream before that point is
//! [`InflateError::Corrupt`]. Output never exceeds `max_out + 16 KiB`. (Only valid/invalid is consensus;
//! the reason is diagnostic, but the same on both sides.)

use alloc::vec::Vec;

/// Why a section does not inflate to a record section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// Corrupt or truncated stream (codec `DECOMPRESS_FAILED`).
    Corrupt,
    /// Output would exceed `max_out` (codec `RECORDS_LENGTH_MISMATCH`).
    TooLong,
    /// The final block ended `consumed` bytes into the input, before its end (codec `BAD_COMPRESSED_FRAME`).
    Trailing { consumed: usize },
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize, // next byte to load
    buf: u64,
    n: u32, // valid bits in buf
    ran_out: bool,
}

impl<'a> Bits<'a> {
    fn need(&mut self, k: u32) -> Result<(), InflateError> {
        while self.n < k {
            let Some(&b) = self.data.get(self.pos) else {
                self.ran_out = true;
                return Err(InflateError::Corrupt);
            };
            self.pos += 1;
            self.buf |= (b as u64) << self.n;
            self.n += 8;
        }
        Ok(())
    }

    fn bits(&mut self, k: u32) -> Result<u32, InflateError> {
        if k == 0 {
            return Ok(0);
        }
        self.need(k)?;
        let v = (self.buf & ((1u64 << k) - 1)) as u32;
        self.buf >>= k;
        self.n -= k;
        Ok(v)
    }

    /// Drops the bits left in the current byte.
    fn align(&mut self) {
        let r = self.n % 8;
        self.buf >>= r;
        self.n -= r;
    }

    /// Input bytes that hold a consumed bit (whole unused bytes in the buffer are given back).
    fn consumed(&self) -> usize {
        self.pos - (self.n / 8) as usize
    }
}

const MAX_BITS: usize = 15;

/// Node's zlib output buffer size (`zlib.constants.Z_DEFAULT_CHUNK`).
const CHUNK: usize = 16 * 1024;

/// The output and its limit.
struct Out {
    buf: Vec<u8>,
    max: usize,
}

impl Out {
    /// Room for one more byte: refused when the byte would open a new 16 KiB buffer past the limit.
    fn room(&self) -> Result<(), InflateError> {
        let p = self.buf.len();
        if p > self.max && p % CHUNK == 0 {
            Err(InflateError::TooLong)
        } else {
            Ok(())
        }
    }

    /// What running out of input means here: past the limit on a full buffer, the length check wins.
    fn truncated(&self) -> InflateError {
        match self.room() {
            Err(e) => e,
            Ok(()) => InflateError::Corrupt,
        }
    }
}

/// A canonical Huffman code, decoded bit by bit (counts per length + symbols in code order).
struct Huffman {
    /// longest code length (0: no codes; any decode fails after one bit, as zlib's table does)
    max: usize,
    count: [u16; MAX_BITS + 1],
    symbol: Vec<u16>,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    /// the code-length code: must be complete
    Codes,
    /// literal/length or distance: complete, or a single code of length 1, or (distance) empty
    Lens,
}

impl Huffman {
    fn new(lengths: &[u8], kind: Kind) -> Result<Huffman, InflateError> {
        let mut count = [0u16; MAX_BITS + 1];
        for &l in lengths {
            count[l as usize] += 1;
        }
        let max = (1..=MAX_BITS).rev().find(|&l| count[l] != 0).unwrap_or(0);
        if max == 0 {
            // zlib builds a table that makes any decode fail; for the code-length code every symbol then
            // reads as length 0, which leaves symbol 256 without a code: an error either way
            if kind == Kind::Codes {
                return Err(InflateError::Corrupt);
            }
            return Ok(Huffman { max, count, symbol: Vec::new() });
        }
        let mut left: i32 = 1;
        for len in 1..=MAX_BITS {
            left <<= 1;
            left -= count[len] as i32;
            if left < 0 {
                return Err(InflateError::Corrupt); // over-subscribed
            }
        }
        if left > 0 && (kind == Kind::Codes || max != 1) {
            return Err(InflateError::Corrupt); // incomplete
        }
        let mut offs = [0u16; MAX_BITS + 2];
        for len in 1..=MAX_BITS {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = alloc::vec![0u16; offs[MAX_BITS + 1] as usize];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        count[0] = 0;
        Ok(Huffman { max, count, symbol })
    }

    fn decode(&self, b: &mut Bits) -> Result<u16, InflateError> {
        let mut code: i32 = 0;
        let mut first: i32 = 0;
        let mut index: i32 = 0;
        if self.max == 0 {
            b.bits(1)?;
            return Err(InflateError::Corrupt);
        }
        for len in 1..=self.max {
            code |= b.bits(1)? as i32;
            let c = self.count[len] as i32;
            if code - c < first {
                return Ok(self.symbol[(index + (code - first)) as usize]);
            }
            index += c;
            first += c;
            first <<= 1;
            code <<= 1;
        }
        Err(InflateError::Corrupt) // an unused code (incomplete single-symbol code, or an empty code)
    }
}

const LEN_BASE: [u16; 29] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
    24577,
];
const DIST_EXTRA: [u8; 30] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/// Order in which code-length code lengths are sent.
const CL_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

fn codes(b: &mut Bits, out: &mut Out, lit: &Huffman, dist: &Huffman) -> Result<(), InflateError> {
    loop {
        let sym = lit.decode(b)? as usize;
        if sym < 256 {
            out.room()?;
            out.buf.push(sym as u8);
        } else if sym == 256 {
            return Ok(());
        } else {
            let i = sym - 257;
            if i >= 29 {
                return Err(InflateError::Corrupt); // 286, 287
            }
            let len = LEN_BASE[i] as usize + b.bits(LEN_EXTRA[i] as u32)? as usize;
            let d = dist.decode(b)? as usize;
            if d >= 30 {
                return Err(InflateError::Corrupt);
            }
            let back = DIST_BASE[d] as usize + b.bits(DIST_EXTRA[d] as u32)? as usize;
            if back > out.buf.len() {
                return Err(InflateError::Corrupt); // too far back
            }
            let start = out.buf.len() - back;
            for k in 0..len {
                out.room()?;
                let c = out.buf[start + k];
                out.buf.push(c);
            }
        }
    }
}

fn fixed() -> (Huffman, Huffman) {
    let mut l = [0u8; 288];
    for (s, x) in l.iter_mut().enumerate() {
        *x = match s {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    let lit = Huffman::new(&l, Kind::Lens).expect("fixed literal code");
    let dist = Huffman::new(&[5u8; 30 + 2], Kind::Lens).expect("fixed distance code");
    (lit, dist)
}

fn dynamic(b: &mut Bits) -> Result<(Huffman, Huffman), InflateError> {
    let nlen = b.bits(5)? as usize + 257;
    let ndist = b.bits(5)? as usize + 1;
    let ncode = b.bits(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return Err(InflateError::Corrupt);
    }
    let mut cl = [0u8; 19];
    for &i in CL_ORDER.iter().take(ncode) {
        cl[i] = b.bits(3)? as u8;
    }
    let clc = Huffman::new(&cl, Kind::Codes)?;
    let mut lens = [0u8; 286 + 30];
    let mut have = 0;
    while have < nlen + ndist {
        let sym = clc.decode(b)?;
        if sym < 16 {
            lens[have] = sym as u8;
            have += 1;
            continue;
        }
        let (v, rep) = match sym {
            16 => {
                if have == 0 {
                    return Err(InflateError::Corrupt);
                }
                (lens[have - 1], 3 + b.bits(2)? as usize)
            }
            17 => (0, 3 + b.bits(3)? as usize),
            _ => (0, 11 + b.bits(7)? as usize),
        };
        if have + rep > nlen + ndist {
            return Err(InflateError::Corrupt);
        }
        for x in lens[have..have + rep].iter_mut() {
            *x = v;
        }
        have += rep;
    }
    if lens[256] == 0 {
        return Err(InflateError::Corrupt); // no end-of-block code
    }
    let lit = Huffman::new(&lens[..nlen], Kind::Lens)?;
    let dist = Huffman::new(&lens[nlen..nlen + ndist], Kind::Lens)?;
    Ok((lit, dist))
}

/// Inflates one raw DEFLATE stream that must occupy all of `input`, producing at most `max_out` bytes.
pub fn inflate(input: &[u8], max_out: usize) -> Result<Vec<u8>, InflateError> {
    let mut b = Bits { data: input, pos: 0, buf: 0, n: 0, ran_out: false };
    let mut out = Out { buf: Vec::new(), max: max_out };
    match blocks(&mut b, &mut out) {
        Err(InflateError::Corrupt) if b.ran_out => return Err(out.truncated()),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    if out.buf.len() > max_out {
        return Err(InflateError::TooLong);
    }
    let consumed = b.consumed();
    if consumed != input.len() {
        return Err(InflateError::Trailing { consumed });
    }
    Ok(out.buf)
}

fn blocks(b: &mut Bits, out: &mut Out) -> Result<(), InflateError> {
    loop {
        let last = b.bits(1)?;
        match b.bits(2)? {
            0 => {
                b.align();
                let len = b.bits(16)? as usize;
                let nlen = b.bits(16)? as usize;
                if len != (!nlen & 0xffff) {
                    return Err(InflateError::Corrupt);
                }
                // the bit buffer is byte aligned and empty here (32 bits were just taken from whole bytes)
                debug_assert_eq!(b.n % 8, 0);
                for _ in 0..len {
                    out.room()?;
                    let c = b.bits(8)? as u8;
                    out.buf.push(c);
                }
            }
            1 => {
                let (lit, dist) = fixed();
                codes(b, out, &lit, &dist)?;
            }
            2 => {
                let (lit, dist) = dynamic(b)?;
                codes(b, out, &lit, &dist)?;
            }
            _ => return Err(InflateError::Corrupt),
        }
        if last == 1 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_fixed() {
        // stored block "abc"
        assert_eq!(inflate(&[0x01, 0x03, 0x00, 0xfc, 0xff, b'a', b'b', b'c'], 10).unwrap(), b"abc");
        // bad NLEN
        assert_eq!(inflate(&[0x01, 0x03, 0x00, 0xfc, 0xfe, b'a', b'b', b'c'], 10), Err(InflateError::Corrupt));
        // zlib.deflateRawSync("hello hello hello") (fixed Huffman with a match)
        let s = [0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x00];
        assert_eq!(inflate(&s, 100).unwrap(), b"hello hello hello");
        assert_eq!(inflate(&s, 16), Err(InflateError::TooLong));
        // a stream running past the limit and then corrupt inside the same 16 KiB: zlib's error wins
        assert_eq!(inflate(&s[..9], 16), Err(InflateError::Corrupt));
        assert_eq!(inflate(&s[..9], 100), Err(InflateError::Corrupt));
        let mut t = s.to_vec();
        t.push(0);
        assert_eq!(inflate(&t, 100), Err(InflateError::Trailing { consumed: 10 }));
        // block type 3
        assert_eq!(inflate(&[0x07], 10), Err(InflateError::Corrupt));
        assert_eq!(inflate(&[], 10), Err(InflateError::Corrupt));
    }
}
