//! A small JSON reader (RFC 8259) for vector files and operator inputs: no serde, no dependencies.
//! Numbers keep their source text so 64-bit integers are read exactly.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number's text as written.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    /// Members in document order.
    Obj(Vec<(String, Json)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub message: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON error at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for JsonError {}

struct Parser<'a> {
    s: &'a [u8],
    p: usize,
}

const MAX_NESTING: usize = 256;

impl<'a> Parser<'a> {
    fn err<T>(&self, message: &'static str) -> Result<T, JsonError> {
        Err(JsonError { offset: self.p, message })
    }

    fn ws(&mut self) {
        while self.p < self.s.len() && matches!(self.s[self.p], b' ' | b'\t' | b'\n' | b'\r') {
            self.p += 1;
        }
    }

    fn lit(&mut self, word: &[u8], v: Json) -> Result<Json, JsonError> {
        if self.s[self.p..].starts_with(word) {
            self.p += word.len();
            Ok(v)
        } else {
            self.err("unexpected token")
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_NESTING {
            return self.err("nesting too deep");
        }
        self.ws();
        match self.s.get(self.p) {
            None => self.err("unexpected end"),
            Some(b'n') => self.lit(b"null", Json::Null),
            Some(b't') => self.lit(b"true", Json::Bool(true)),
            Some(b'f') => self.lit(b"false", Json::Bool(false)),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'[') => {
                self.p += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.p) == Some(&b']') {
                    self.p += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.p) {
                        Some(b',') => self.p += 1,
                        Some(b']') => {
                            self.p += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return self.err("expected , or ]"),
                    }
                }
            }
            Some(b'{') => {
                self.p += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.p) == Some(&b'}') {
                    self.p += 1;
                    return Ok(Json::Obj(v));
                }
                loop {
                    self.ws();
                    if self.s.get(self.p) != Some(&b'"') {
                        return self.err("expected a member name");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.p) != Some(&b':') {
                        return self.err("expected :");
                    }
                    self.p += 1;
                    v.push((k, self.value(depth + 1)?));
                    self.ws();
                    match self.s.get(self.p) {
                        Some(b',') => self.p += 1,
                        Some(b'}') => {
                            self.p += 1;
                            return Ok(Json::Obj(v));
                        }
                        _ => return self.err("expected , or }"),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.err("unexpected character"),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.p;
        while self.p < self.s.len() && self.s[self.p].is_ascii_digit() {
            self.p += 1;
        }
        self.p - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.p;
        if self.s[self.p] == b'-' {
            self.p += 1;
        }
        let int_start = self.p;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            return self.err("bad number");
        }
        if self.s.get(self.p) == Some(&b'.') {
            self.p += 1;
            if self.digits() == 0 {
                return self.err("bad number");
            }
        }
        if matches!(self.s.get(self.p), Some(b'e' | b'E')) {
            self.p += 1;
            if matches!(self.s.get(self.p), Some(b'+' | b'-')) {
                self.p += 1;
            }
            if self.digits() == 0 {
                return self.err("bad number");
            }
        }
        Ok(Json::Num(String::from_utf8(self.s[start..self.p].to_vec()).unwrap()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self.s.get(self.p..self.p + 4).ok_or(JsonError { offset: self.p, message: "bad escape" })?;
        let t = std::str::from_utf8(h).ok().and_then(|t| u32::from_str_radix(t, 16).ok());
        self.p += 4;
        t.ok_or(JsonError { offset: self.p, message: "bad escape" })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.p += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.p;
            while self.p < self.s.len() && self.s[self.p] != b'"' && self.s[self.p] != b'\\' && self.s[self.p] >= 0x20 {
                self.p += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.p]).map_err(|_| JsonError { offset: start, message: "invalid UTF-8" })?);
            match self.s.get(self.p) {
                Some(b'"') => {
                    self.p += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.p += 1;
                    let c = *self.s.get(self.p).ok_or(JsonError { offset: self.p, message: "unexpected end" })?;
                    self.p += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) && self.s[self.p..].starts_with(b"\\u") {
                                self.p += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return self.err("bad surrogate pair");
                                }
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            }
                            out.push(char::from_u32(cp).ok_or(JsonError { offset: self.p, message: "bad code point" })?);
                        }
                        _ => return self.err("bad escape"),
                    }
                }
                None => return self.err("unterminated string"),
                Some(_) => return self.err("control character in string"),
            }
        }
    }
}

impl Json {
    /// Parses a whole JSON text.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut p = Parser { s: text.as_bytes(), p: 0 };
        let v = p.value(0)?;
        p.ws();
        if p.p != p.s.len() {
            return p.err("trailing characters");
        }
        Ok(v)
    }

    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// An integer: a JSON number without fraction or exponent, or a string of decimal digits (how
    /// vectors write integers above 2^53).
    pub fn as_i128(&self) -> Option<i128> {
        let t = match self {
            Json::Num(t) => t.as_str(),
            Json::Str(t) => t.as_str(),
            _ => return None,
        };
        let digits = t.strip_prefix('-').unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|v| u64::try_from(v).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn parses_values() {
        let j = Json::parse(r#" {"a": [1, -2, 18446744073709551615, 1.5e3], "b": "x\"\u00e9\ud83d\ude00", "c": null, "d": true} "#).unwrap();
        let a = j.get("a").unwrap().as_array().unwrap();
        assert_eq!(a[0].as_u64(), Some(1));
        assert_eq!(a[1].as_i128(), Some(-2));
        assert_eq!(a[2].as_u64(), Some(u64::MAX));
        assert_eq!(a[3].as_i128(), None);
        assert_eq!(j.get("b").unwrap().as_str(), Some("x\"é😀"));
        assert!(j.get("c").unwrap().is_null());
        assert_eq!(j.get("d").unwrap().as_bool(), Some(true));
        assert_eq!(Json::Str("123".into()).as_u64(), Some(123));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "[1] 2", "\"a\nb\"", "tru", "-"] {
            assert!(Json::parse(bad).is_err(), "{bad:?}");
        }
    }
}
