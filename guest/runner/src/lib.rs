//! The native runner of the Rollbook guest core: commands that compute and check commitments from JSON
//! files and hex inputs (`rollbook-guest help`), and the checks of the shared vector files.

pub mod bench;
pub mod commands;
pub mod json;
pub mod kzg;
pub mod stf;
pub mod vectors;

use json::Json;
use rollbook_guest_core::hex;

/// Member `key` of an object, or an error naming it.
pub fn field<'a>(j: &'a Json, key: &str) -> Result<&'a Json, String> {
    j.get(key).ok_or_else(|| format!("missing `{key}`"))
}

/// Hex bytes from a JSON string.
pub fn hex_bytes(j: &Json) -> Result<Vec<u8>, String> {
    let s = j.as_str().ok_or("expected a hex string")?;
    hex::decode(s).map_err(|_| format!("not hex: {}", short(s)))
}

/// 32 hex bytes from a JSON string.
pub fn hex32(j: &Json) -> Result<[u8; 32], String> {
    let s = j.as_str().ok_or("expected a 32-byte hex string")?;
    hex::decode32(s).map_err(|_| format!("not 32 hex bytes: {}", short(s)))
}

/// 20 hex bytes (an address) from a JSON string.
pub fn hex20(j: &Json) -> Result<[u8; 20], String> {
    let s = j.as_str().ok_or("expected a 20-byte hex string")?;
    hex::decode20(s).map_err(|_| format!("not 20 hex bytes: {}", short(s)))
}

/// A u64 member (JSON number or decimal string).
pub fn u64_field(j: &Json, key: &str) -> Result<u64, String> {
    field(j, key)?.as_u64().ok_or_else(|| format!("`{key}` is not a u64"))
}

fn short(s: &str) -> String {
    if s.len() > 24 {
        format!("{}…", &s[..24])
    } else {
        s.to_string()
    }
}

/// Runs a stateless execution `f`, turning a panic of the guarded STF into `WITNESS_INSUFFICIENT` (docs/stf.md:
/// an unproven read, message `WITNESS_INSUFFICIENT: ...`, or any other failure of the execution on a witness
/// whose root matched, reported with its message; in a zkVM the panic aborts the program: no proof). The
/// process's panic hook stays silent for the first kind.
pub fn catch_insufficient<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !panic_text(info.payload()).starts_with("WITNESS_INSUFFICIENT") {
                default(info);
            }
        }));
    });
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let m = panic_text(p.as_ref());
        if m.starts_with("WITNESS_INSUFFICIENT") {
            m
        } else {
            format!("WITNESS_INSUFFICIENT: execution failed on the partial state: {m}")
        }
    })
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
