//! Lower-case hex without a prefix on output; `0x` accepted (and optional) on input.

use alloc::string::String;
use alloc::vec::Vec;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`, no `0x` prefix.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `0x` + lower-case hex.
pub fn encode_prefixed(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    s.push_str(&encode(bytes));
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Hex decoding error: odd length or a non-hex character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexError;

/// Decodes hex with or without a `0x` prefix.
pub fn decode(s: &str) -> Result<Vec<u8>, HexError> {
    let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s).as_bytes();
    if s.len() % 2 != 0 {
        return Err(HexError);
    }
    let mut out = Vec::with_capacity(s.len() / 2);
    for pair in s.chunks_exact(2) {
        out.push((nibble(pair[0]).ok_or(HexError)? << 4) | nibble(pair[1]).ok_or(HexError)?);
    }
    Ok(out)
}

/// Decodes exactly 32 bytes of hex.
pub fn decode32(s: &str) -> Result<[u8; 32], HexError> {
    let v = decode(s)?;
    v.as_slice().try_into().map_err(|_| HexError)
}

/// Decodes exactly 20 bytes of hex (an address).
pub fn decode20(s: &str) -> Result<[u8; 20], HexError> {
    let v = decode(s)?;
    v.as_slice().try_into().map_err(|_| HexError)
}
