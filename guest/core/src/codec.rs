//! Batch decoding, docs/batch-format.md (format v2): the envelope, the compressed records section,
//! varints and svarints, the per-batch registers, BULK and EXTENDED records, and the EIP-2098 compact
//! signatures. Total: every byte string decodes to a batch or to the first failing check's reason code
//! (the order of that page); an invalid batch is a no-op batch for the STF (docs/stf.md "Batch validity").

use crate::inflate::{inflate, InflateError};
use crate::secp256k1::{split_compact, HALF_N};
use crate::tx::{Action, Address, Body, Signature, Tx};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub const BATCH_VERSION: u8 = 2;
pub const MAX_BATCH_BYTES: usize = 6 * 131_072;
pub const MAX_TXS_PER_BATCH: u64 = 16_384;
pub const MAX_ACCOUNTS_PER_BATCH: usize = 16_384;
pub const MAX_RECORDS_BYTES: u64 = 1 << 21;
/// version, parentBatchHash, timestamp, l1MsgStart, l1MsgEnd
pub const HEADER_BYTES: usize = 1 + 32 + 8 + 8 + 8;
const MAX_AMOUNT: u64 = (1 << 53) - 1;
const MAX_VARINT_BYTES: usize = 8;

/// Reason codes (docs/batch-format.md "Invalid batches"); numbers are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    TooLarge = 1,
    Truncated = 2,
    BadVersion = 3,
    BadCompression = 4,
    BadCompressedFrame = 5,
    DecompressFailed = 6,
    RecordsTooLarge = 7,
    RecordsLengthMismatch = 8,
    VarintTooLong = 9,
    VarintNonCanonical = 10,
    FieldRange = 11,
    BadL1Range = 12,
    TooManyTxs = 13,
    BadKind = 14,
    ReservedFlag = 15,
    BadAccountRef = 16,
    DuplicateAccount = 17,
    TooManyAccounts = 18,
    NonceNoPrevious = 19,
    NonCanonical = 20,
    HighS = 21,
    TrailingBytes = 22,
}

/// The batch header (docs/batch-format.md "Batch envelope").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub parent_batch_hash: [u8; 32],
    pub timestamp: u64,
    pub l1_msg_start: u64,
    pub l1_msg_end: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub header: Header,
    pub compression: u8,
    pub txs: Vec<Tx>,
}

// kind byte
const F_NONCE_SEQ: u8 = 0x08;
const F_MARKET_SAME: u8 = 0x10;
const F_SELL: u8 = 0x20; // PLACE
const F_SIZE_SAME: u8 = 0x40; // PLACE, AMEND
const F_NEW_OPTS: u8 = 0x80; // PLACE
const F_RECIPIENT_SELF: u8 = 0x20; // WITHDRAW
// options byte
const O_HAS_EXPIRY: u8 = 0x20;
const O_HAS_CLIENT_ID: u8 = 0x40;
const O_RESERVED: u8 = 0x80;

/// Flag bits (3-7) a record kind defines (index: kind bits; 0 = EXTENDED).
fn allowed_flags(kind: u8) -> u8 {
    match kind {
        0 => F_NONCE_SEQ,
        1 => F_NONCE_SEQ | F_MARKET_SAME | F_SELL | F_SIZE_SAME | F_NEW_OPTS,
        2..=4 => F_NONCE_SEQ | F_MARKET_SAME,
        5 => F_NONCE_SEQ | F_MARKET_SAME | F_SIZE_SAME,
        6 => F_NONCE_SEQ | F_RECIPIENT_SELF,
        _ => F_NONCE_SEQ, // 7 BULK
    }
}

/// Flag bits (3-7) a BULK action byte may set for its op (bit 3 is reserved in actions).
fn action_flags(op: u8) -> u8 {
    match op {
        1 => F_MARKET_SAME | F_SELL | F_SIZE_SAME | F_NEW_OPTS,
        5 => F_MARKET_SAME | F_SIZE_SAME,
        _ => F_MARKET_SAME,
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, Reason>;

impl<'a> Reader<'a> {
    fn u8(&mut self) -> R<u8> {
        let v = *self.b.get(self.pos).ok_or(Reason::Truncated)?;
        self.pos += 1;
        Ok(v)
    }

    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        if self.b.len() - self.pos < n {
            return Err(Reason::Truncated);
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn addr(&mut self) -> R<Address> {
        let mut a = [0u8; 20];
        a.copy_from_slice(self.take(20)?);
        Ok(a)
    }

    fn be8(&mut self) -> R<u64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8)?);
        let v = u64::from_be_bytes(w);
        if v > MAX_AMOUNT {
            return Err(Reason::FieldRange);
        }
        Ok(v)
    }

    /// Canonical LEB128 of at most 8 bytes, any value below 2^56.
    fn leb(&mut self) -> R<u64> {
        let mut v = 0u64;
        for i in 0..MAX_VARINT_BYTES {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(Reason::VarintNonCanonical);
                }
                return Ok(v);
            }
        }
        Err(Reason::VarintTooLong)
    }

    fn varint(&mut self, max: u64) -> R<u64> {
        let v = self.leb()?;
        if v > max {
            return Err(Reason::FieldRange);
        }
        Ok(v)
    }

    /// Zigzag varint as a signed delta.
    fn svarint(&mut self) -> R<i64> {
        let z = self.leb()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    /// `base + svarint` in [0, MAX_AMOUNT] (`FIELD_RANGE`), not 0 if `non_zero` (`NON_CANONICAL`).
    fn offset(&mut self, base: u64, non_zero: bool) -> R<u64> {
        let v = base as i128 + self.svarint()? as i128;
        if !(0..=MAX_AMOUNT as i128).contains(&v) {
            return Err(Reason::FieldRange);
        }
        if non_zero && v == 0 {
            return Err(Reason::NonCanonical);
        }
        Ok(v as u64)
    }
}

/// The registers of docs/batch-format.md "Records" (empty at every batch start).
#[derive(Default)]
struct Registers {
    addrs: Vec<Address>,
    index: BTreeMap<Address, usize>,
    nonce: Vec<Option<u64>>,
    client_id: Vec<u64>,
    opts: Vec<u8>,
    market: u32,
    price: BTreeMap<u32, u64>,
    size: BTreeMap<u32, u64>,
    order_id: u64,
}

impl Registers {
    /// An account reference: an existing entry, or the next index followed by a new address.
    fn account_ref(&mut self, r: &mut Reader) -> R<usize> {
        let i = r.varint(u64::MAX)?;
        let n = self.addrs.len() as u64;
        if i < n {
            return Ok(i as usize);
        }
        if i > n {
            return Err(Reason::BadAccountRef);
        }
        if self.addrs.len() >= MAX_ACCOUNTS_PER_BATCH {
            return Err(Reason::TooManyAccounts);
        }
        let a = r.addr()?;
        if self.index.contains_key(&a) {
            return Err(Reason::DuplicateAccount);
        }
        self.index.insert(a, self.addrs.len());
        self.addrs.push(a);
        self.nonce.push(None);
        self.client_id.push(0);
        self.opts.push(0);
        Ok(self.addrs.len() - 1)
    }

    /// Step 2: the market (kinds 1-5 and BULK actions).
    fn market(&mut self, r: &mut Reader, flags: u8) -> R<u32> {
        if flags & F_MARKET_SAME == 0 {
            let m = r.varint(u32::MAX as u64)? as u32;
            if m == self.market {
                return Err(Reason::NonCanonical);
            }
            self.market = m;
        }
        Ok(self.market)
    }

    fn price(&mut self, r: &mut Reader, market: u32) -> R<u64> {
        let p = r.offset(*self.price.get(&market).unwrap_or(&0), false)?;
        self.price.insert(market, p);
        Ok(p)
    }

    fn size(&mut self, r: &mut Reader, market: u32, flags: u8) -> R<u64> {
        let prev = *self.size.get(&market).unwrap_or(&0);
        let mut size = prev;
        if flags & F_SIZE_SAME == 0 {
            size = r.varint(MAX_AMOUNT)?;
            if size == prev {
                return Err(Reason::NonCanonical);
            }
        }
        self.size.insert(market, size);
        Ok(size)
    }

    /// Step 3 for a trading kind (1..5) of account `a`, after its market: the action's fields.
    fn trading_body(&mut self, r: &mut Reader, h: &Header, a: usize, op: u8, flags: u8, market: u32) -> R<Action> {
        let mut x = Action { op, market, ..Action::default() };
        match op {
            1 => {
                let mut o = self.opts[a];
                if flags & F_NEW_OPTS != 0 {
                    let n = r.u8()?;
                    if n & O_RESERVED != 0 {
                        return Err(Reason::ReservedFlag);
                    }
                    if n & 7 > 4 {
                        return Err(Reason::FieldRange);
                    }
                    if n == o {
                        return Err(Reason::NonCanonical);
                    }
                    o = n;
                    self.opts[a] = n;
                }
                x.price = self.price(r, market)?;
                x.size = self.size(r, market, flags)?;
                if o & O_HAS_EXPIRY != 0 {
                    x.expiry = r.offset(h.timestamp, true)?;
                }
                if o & O_HAS_CLIENT_ID != 0 {
                    x.client_id = r.offset(self.client_id[a], true)?;
                    self.client_id[a] = x.client_id;
                }
                x.side = (flags & F_SELL != 0) as u8;
                x.tif = o & 7;
                x.stp = (o >> 3) & 3;
            }
            2 => {
                x.order_id = r.offset(self.order_id, false)?;
                self.order_id = x.order_id;
            }
            3 => {
                x.client_id = r.offset(self.client_id[a], false)?;
                self.client_id[a] = x.client_id;
            }
            4 => {}
            _ => {
                x.order_id = r.offset(self.order_id, false)?;
                self.order_id = x.order_id;
                x.price = self.price(r, market)?;
                x.size = self.size(r, market, flags)?;
            }
        }
        Ok(x)
    }
}

fn single(x: Action) -> Body {
    match x.op {
        1 => Body::Place {
            market: x.market,
            side: x.side,
            tif: x.tif,
            price: x.price,
            size: x.size,
            expiry: x.expiry,
            client_id: x.client_id,
            stp: x.stp,
        },
        2 => Body::Cancel { market: x.market, order_id: x.order_id },
        3 => Body::CancelByClientId { market: x.market, client_id: x.client_id },
        4 => Body::CancelAll { market: x.market },
        _ => Body::Amend { market: x.market, order_id: x.order_id, price: x.price, size: x.size },
    }
}

const NO_SIG: Signature = Signature { r: [0; 32], s: [0; 32], v: 0 };

fn records(r: &mut Reader, h: &Header, count: usize) -> R<Vec<Tx>> {
    let mut g = Registers::default();
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        let flags = r.u8()?;
        let kind = flags & 7;
        if flags & 0xf8 & !allowed_flags(kind) != 0 {
            return Err(Reason::ReservedFlag);
        }
        let xkind = if kind == 0 {
            let k = r.u8()?;
            if k != 8 && k != 9 {
                return Err(Reason::BadKind);
            }
            k
        } else {
            kind
        };
        let a = g.account_ref(r)?;
        let account = g.addrs[a];
        // 1. nonce
        let nonce = match (flags & F_NONCE_SEQ != 0, g.nonce[a]) {
            (true, None) => return Err(Reason::NonceNoPrevious),
            (true, Some(p)) => {
                if p + 1 > MAX_AMOUNT {
                    return Err(Reason::FieldRange);
                }
                p + 1
            }
            (false, None) => r.varint(MAX_AMOUNT)?,
            (false, Some(p)) => {
                let d = r.svarint()?;
                if d == 0 {
                    return Err(Reason::NonCanonical);
                }
                let n = p as i128 + 1 + d as i128;
                if !(0..=MAX_AMOUNT as i128).contains(&n) {
                    return Err(Reason::FieldRange);
                }
                n as u64
            }
        };
        g.nonce[a] = Some(nonce);
        // 2-3. market and body
        let body = match xkind {
            1..=5 => {
                let market = g.market(r, flags)?;
                single(g.trading_body(r, h, a, kind, flags, market)?)
            }
            6 => {
                let asset = r.varint(u32::MAX as u64)? as u32;
                let amount = r.varint(MAX_AMOUNT)?;
                let recipient = if flags & F_RECIPIENT_SELF != 0 {
                    account
                } else {
                    let ri = g.account_ref(r)?;
                    if ri == a {
                        return Err(Reason::NonCanonical);
                    }
                    g.addrs[ri]
                };
                Body::Withdraw { asset, amount, recipient }
            }
            7 => {
                let n = r.varint(63)? as usize + 1;
                let mut actions = Vec::with_capacity(n);
                for _ in 0..n {
                    let af = r.u8()?;
                    let op = af & 7;
                    if !(1..=5).contains(&op) {
                        return Err(Reason::BadKind);
                    }
                    if af & 0xf8 & !action_flags(op) != 0 {
                        return Err(Reason::ReservedFlag);
                    }
                    let market = g.market(r, af)?;
                    actions.push(g.trading_body(r, h, a, op, af, market)?);
                }
                Body::Bulk(actions)
            }
            8 => {
                let agent = r.addr()?;
                Body::ApproveAgent { agent, expiry: r.offset(h.timestamp, false)? }
            }
            _ => Body::RevokeAgent { agent: r.addr()? },
        };
        txs.push(Tx { account, nonce, body, sig: NO_SIG });
    }
    Ok(txs)
}

/// Decodes batch bytes (docs/batch-format.md).
pub fn decode_batch(b: &[u8]) -> Result<Batch, Reason> {
    if b.len() > MAX_BATCH_BYTES {
        return Err(Reason::TooLarge);
    }
    let mut r = Reader { b, pos: 0 };
    if r.u8()? != BATCH_VERSION {
        return Err(Reason::BadVersion);
    }
    if b.len() < HEADER_BYTES {
        return Err(Reason::Truncated);
    }
    let mut parent_batch_hash = [0u8; 32];
    parent_batch_hash.copy_from_slice(r.take(32)?);
    let timestamp = r.be8()?;
    let l1_msg_start = r.be8()?;
    let l1_msg_end = r.be8()?;
    if l1_msg_start > l1_msg_end {
        return Err(Reason::BadL1Range);
    }
    let header = Header { parent_batch_hash, timestamp, l1_msg_start, l1_msg_end };
    let count = r.varint(MAX_AMOUNT)?;
    if count > MAX_TXS_PER_BATCH {
        return Err(Reason::TooManyTxs);
    }
    let count = count as usize;
    let compression = r.u8()?;
    if compression > 1 {
        return Err(Reason::BadCompression);
    }
    let records_length = r.varint(MAX_AMOUNT)?;
    if records_length > MAX_RECORDS_BYTES {
        return Err(Reason::RecordsTooLarge);
    }
    let records_length = records_length as usize;
    let sig_bytes = 64 * count;
    if b.len() < r.pos + sig_bytes {
        return Err(Reason::Truncated);
    }
    let sig_start = b.len() - sig_bytes;
    let section = &b[r.pos..sig_start];
    let inflated;
    let recs: &[u8] = if compression == 0 {
        if section.len() != records_length {
            return Err(Reason::RecordsLengthMismatch);
        }
        section
    } else {
        inflated = match inflate(section, records_length.max(1)) {
            Ok(v) => v,
            Err(InflateError::Corrupt) => return Err(Reason::DecompressFailed),
            Err(InflateError::TooLong) => return Err(Reason::RecordsLengthMismatch),
            Err(InflateError::Trailing { .. }) => return Err(Reason::BadCompressedFrame),
        };
        if inflated.len() != records_length {
            return Err(Reason::RecordsLengthMismatch);
        }
        &inflated
    };
    let mut rr = Reader { b: recs, pos: 0 };
    let mut txs = records(&mut rr, &header, count)?;
    if rr.pos != recs.len() {
        return Err(Reason::TrailingBytes);
    }
    for (t, tx) in txs.iter_mut().enumerate() {
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&b[sig_start + 64 * t..sig_start + 64 * t + 64]);
        let (r, s, v) = split_compact(&sig);
        if s > HALF_N {
            return Err(Reason::HighS);
        }
        tx.sig = Signature { r, s, v };
    }
    Ok(Batch { header, compression, txs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    fn golden() -> Vec<u8> {
        // docs/batch-format.md "Golden vector" (v2 header)
        let mut b = hex::decode("02").unwrap();
        b.extend([0x11; 32]);
        b.extend(hex::decode("00000000684ee180000000000000000a000000000000000c060061").unwrap());
        b.extend(hex::decode("8100").unwrap());
        b.extend([0xab; 20]);
        b.extend(hex::decode("050143c09a0c0a02").unwrap());
        b.extend(hex::decode("1a0082bfd606").unwrap());
        b.extend(hex::decode("0301").unwrap());
        b.extend([0xcd; 20]);
        b.extend(hex::decode("000258").unwrap());
        b.extend(hex::decode("1c01").unwrap());
        b.extend(hex::decode("0d0001021314").unwrap());
        b.extend(hex::decode("0602").unwrap());
        b.extend([0x0f; 20]);
        b.extend(hex::decode("0302c0843d00").unwrap());
        for t in 0..6u8 {
            let mut sig = [t + 1; 64];
            sig[32] = 0x80 | (t & 1) << 6; // v = 1, s well below n/2
            b.extend(sig);
        }
        b
    }

    #[test]
    fn golden_vector() {
        let b = golden();
        let batch = decode_batch(&b).unwrap();
        assert_eq!(batch.header.timestamp, 1_750_000_000);
        assert_eq!((batch.header.l1_msg_start, batch.header.l1_msg_end), (10, 12));
        let a = [0xab; 20];
        let t = &batch.txs;
        assert_eq!(t.len(), 6);
        assert_eq!(
            t[0].body,
            Body::Place { market: 1, side: 0, tif: 3, price: 100_000, size: 10, expiry: 0, client_id: 1, stp: 0 }
        );
        assert_eq!((t[0].account, t[0].nonce), (a, 5));
        assert_eq!(t[1].body, Body::Cancel { market: 1, order_id: 7_000_001 });
        assert_eq!(t[1].nonce, 6);
        assert_eq!(t[2].body, Body::CancelByClientId { market: 2, client_id: 44 });
        assert_eq!((t[2].account, t[2].nonce), ([0xcd; 20], 0));
        assert_eq!(t[3].body, Body::CancelAll { market: 2 });
        assert_eq!(t[4].body, Body::Amend { market: 1, order_id: 7_000_002, price: 99_990, size: 20 });
        assert_eq!(t[4].nonce, 7);
        assert_eq!(t[5].body, Body::Withdraw { asset: 2, amount: 1_000_000, recipient: a });
        assert_eq!((t[5].account, t[5].nonce), ([0x0f; 20], 3));
        assert_eq!(t[0].sig.v, 1);
        assert_eq!(t[0].sig.s[0], 0);
    }

    #[test]
    fn envelope_errors() {
        let g = golden();
        assert_eq!(decode_batch(&[]), Err(Reason::Truncated));
        assert_eq!(decode_batch(&[1]), Err(Reason::BadVersion));
        assert_eq!(decode_batch(&g[..40]), Err(Reason::Truncated));
        let mut b = g.clone();
        b[33] = 0x01; // timestamp >= 2^53
        assert_eq!(decode_batch(&b), Err(Reason::FieldRange));
        let mut b = g.clone();
        b[48] = 13; // l1MsgStart 13 > l1MsgEnd 12
        assert_eq!(decode_batch(&b), Err(Reason::BadL1Range));
        let mut b = g.clone();
        b[58] = 2;
        assert_eq!(decode_batch(&b), Err(Reason::BadCompression));
        let mut b = g.clone();
        b[58] = 1; // DEFLATE of plain records
        assert!(matches!(decode_batch(&b), Err(Reason::DecompressFailed | Reason::BadCompressedFrame | Reason::RecordsLengthMismatch)));
        let mut b = g.clone();
        b[59] = 0x62; // recordsLength 98
        assert_eq!(decode_batch(&b), Err(Reason::RecordsLengthMismatch));
        let mut b = g.clone();
        let n = b.len();
        b[n - 32..].fill(0xff); // s' of the last tx: high s
        assert_eq!(decode_batch(&b), Err(Reason::HighS));
        let mut b = g.clone();
        b.truncate(b.len() - 1);
        assert!(decode_batch(&b).is_err());
        let mut too_large = g.clone();
        too_large.resize(MAX_BATCH_BYTES + 1, 0);
        assert_eq!(decode_batch(&too_large), Err(Reason::TooLarge));
    }

    #[test]
    fn varints() {
        let rd = |b: &[u8]| Reader { b, pos: 0 }.leb();
        assert_eq!(rd(&[0x00]), Ok(0));
        assert_eq!(rd(&[0x80, 0x01]), Ok(128));
        assert_eq!(rd(&[0x80, 0x00]), Err(Reason::VarintNonCanonical));
        assert_eq!(rd(&[0x80]), Err(Reason::Truncated));
        assert_eq!(rd(&[0xff; 8]), Err(Reason::VarintTooLong));
        assert_eq!(rd(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), Ok((1 << 56) - 1));
        let sv = |b: &[u8]| Reader { b, pos: 0 }.svarint();
        assert_eq!(sv(&[0x00]), Ok(0));
        assert_eq!(sv(&[0x01]), Ok(-1));
        assert_eq!(sv(&[0x02]), Ok(1));
        assert_eq!(sv(&[0x13]), Ok(-10));
    }
}
