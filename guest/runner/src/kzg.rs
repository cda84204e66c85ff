//! `test/vectors/guest/kzg/commitments.json` (guest/vectors-gen/kzg.ts, c-kzg 4.1.0): the blobs of
//! `blobsFile` (its sha256 recorded) with their commitments and versioned hashes or the refusal of a
//! non-canonical element, option B's evaluations y = p(z), and the embedded setup's sha256.

use crate::json::Json;
use crate::{field, hex32, hex_bytes, u64_field};
use rollbook_guest_core::kzg::eval::evaluate_blob;
use rollbook_guest_core::kzg::g1::G1Affine;
use rollbook_guest_core::kzg::setup::G1_LAGRANGE_BRP;
use rollbook_guest_core::kzg::{blob_to_commitment, versioned_hash, KzgError, BYTES_PER_BLOB};
use rollbook_guest_core::sha256::sha256;
use std::path::Path;

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn check_kzg(j: &Json, repo_root: &Path) -> Result<usize, String> {
    let want_setup = field(j, "setupBinSha256")?.as_str().ok_or("setupBinSha256")?;
    if hexs(&sha256(G1_LAGRANGE_BRP)) != want_setup {
        return Err(format!("embedded setup sha256 {} != vector {want_setup}", hexs(&sha256(G1_LAGRANGE_BRP))));
    }
    let file = field(j, "blobsFile")?.as_str().ok_or("blobsFile")?;
    let blobs = std::fs::read(repo_root.join("test/vectors/guest").join(file)).map_err(|e| format!("{file}: {e}"))?;
    if hexs(&sha256(&blobs)) != field(j, "blobsSha256")?.as_str().unwrap_or("") {
        return Err(format!("{file} is not the file the vectors were made from"));
    }
    let blob = |c: &Json| -> Result<&[u8], String> {
        let i = u64_field(c, "blob")? as usize;
        blobs.get(i * BYTES_PER_BLOB..(i + 1) * BYTES_PER_BLOB).ok_or_else(|| format!("blob {i} is past the end of {file}"))
    };
    let mut n = 1;
    for c in field(j, "cases")?.as_array().ok_or("cases")? {
        let name = field(c, "name")?.as_str().unwrap_or("");
        let got = blob_to_commitment(blob(c)?);
        if let Some(code) = c.get("error") {
            let index = u64_field(c, "index")? as usize;
            if got != Err(KzgError::NonCanonicalFieldElement { index }) || code.as_str() != Some("KZG_NON_CANONICAL_FIELD_ELEMENT") {
                return Err(format!("{name}: Rust {got:?}, vector {} at {index}", code.as_str().unwrap_or("")));
            }
            n += 1;
            continue;
        }
        let want = hex_bytes(field(c, "commitment")?)?;
        let got = got.map_err(|e| format!("{name}: Rust refuses ({}), c-kzg commits", e.code()))?;
        if got[..] != want[..] {
            return Err(format!("{name}: commitment Rust {}, vector {}", hexs(&got), hexs(&want)));
        }
        if versioned_hash(&got) != hex32(field(c, "versionedHash")?)? {
            return Err(format!("{name}: versioned hash"));
        }
        // the commitment is a valid G1 point whose compressed form is itself
        if G1Affine::from_compressed(&got).map(|p| p.to_compressed()) != Ok(got) {
            return Err(format!("{name}: the commitment does not decompress to itself"));
        }
        n += 3;
    }
    for (i, e) in field(j, "evaluations")?.as_array().ok_or("evaluations")?.iter().enumerate() {
        let z = hex32(field(e, "z")?)?;
        let got = evaluate_blob(blob(e)?, &z).map_err(|e| format!("evaluation {i}: {e:?}"))?;
        if got != hex32(field(e, "y")?)? {
            return Err(format!("evaluation {i}: y Rust {}, vector {}", hexs(&got), field(e, "y")?.as_str().unwrap_or("")));
        }
        n += 1;
    }
    Ok(n)
}
