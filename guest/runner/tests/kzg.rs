//! KZG commitments (guest/core/src/kzg) against c-kzg: test/vectors/guest/kzg (guest/vectors-gen/kzg.ts),
//! the blobs of the range vectors with their c-kzg commitments, and the embedded setup against the official
//! trusted_setup.txt decompressed here with the core's own checked decompression.

use rollbook_guest_core::hex;
use rollbook_guest_core::kzg::g1::G1Affine;
use rollbook_guest_core::kzg::setup::{bit_reverse, G1_LAGRANGE_BRP, SETUP_FILE_SHA256};
use rollbook_guest_core::kzg::{blob_to_commitment, KzgError, BYTES_PER_BLOB};
use rollbook_guest_core::range::RangeInput;
use rollbook_guest_core::sha256::sha256;
use rollbook_guest_runner::json::Json;
use rollbook_guest_runner::vectors::check_json;
use rollbook_guest_runner::{field, u64_field};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn vectors() -> (Json, Vec<u8>) {
    let j = Json::parse(&std::fs::read_to_string(repo().join("test/vectors/guest/kzg/commitments.json")).unwrap()).unwrap();
    let blobs = std::fs::read(repo().join("test/vectors/guest").join(field(&j, "blobsFile").unwrap().as_str().unwrap())).unwrap();
    assert_eq!(hexs(&sha256(&blobs)), field(&j, "blobsSha256").unwrap().as_str().unwrap(), "blobs.bin is not the one the vectors were made from");
    (j, blobs)
}

#[test]
fn commitments_and_evaluations_equal_c_kzg() {
    let (j, blobs) = vectors();
    let n = check_json(&j, &repo()).unwrap_or_else(|e| panic!("{e}"));
    let cases = field(&j, "cases").unwrap().as_array().unwrap();
    let refused = cases.iter().filter(|c| c.get("error").is_some()).count();
    assert!(cases.len() - refused >= 10 && refused >= 4 && n > 40, "{} commitments, {refused} refusals, {n} checks", cases.len() - refused);
    assert_eq!(blob_to_commitment(&blobs[..BYTES_PER_BLOB - 1]), Err(KzgError::BlobSize));
    assert_eq!(blob_to_commitment(&[]).map_err(|e| e.code()), Err("KZG_BLOB_SIZE"));
}

/// A changed commitment, versioned hash, evaluation or refusal index in the vectors must fail.
#[test]
fn tampered_kzg_vectors_fail() {
    let (j, _) = vectors();
    let text = std::fs::read_to_string(repo().join("test/vectors/guest/kzg/commitments.json")).unwrap();
    let first = |key: &str| -> String {
        let c = field(&j, "cases").unwrap().as_array().unwrap().iter().find(|c| c.get(key).is_some()).unwrap();
        c.get(key).unwrap().as_str().map(str::to_string).unwrap_or_else(|| format!("{}", u64_field(c, key).unwrap()))
    };
    let y = field(&field(&j, "evaluations").unwrap().as_array().unwrap()[0], "y").unwrap().as_str().unwrap().to_string();
    for from in [first("commitment"), first("versionedHash"), y] {
        // flip the last hex digit
        let mut to = from.clone();
        let last = to.pop().unwrap();
        to.push(if last == '0' { '1' } else { '0' });
        let bad = Json::parse(&text.replacen(&format!("\"{from}\""), &format!("\"{to}\""), 1)).unwrap();
        assert!(check_json(&bad, &repo()).is_err(), "{from} -> {to} accepted");
    }
    let index = format!("\"index\": {}", first("index"));
    let bad = Json::parse(&text.replacen(&index, "\"index\": 1", 1)).unwrap();
    assert!(check_json(&bad, &repo()).is_err(), "another refusal index accepted");
}

/// Every blob of the range vectors (packed batch data, committed by c-kzg through node/da).
#[test]
fn range_vector_blobs_match_their_commitments() {
    let manifest = Json::parse(&std::fs::read_to_string(repo().join("test/vectors/guest/ranges.json")).unwrap()).unwrap();
    let mut n = 0;
    for r in field(&manifest, "ranges").unwrap().as_array().unwrap() {
        let file = field(r, "file").unwrap().as_str().unwrap();
        let input = RangeInput::decode(&std::fs::read(repo().join("test/vectors/guest").join(file)).unwrap()).unwrap();
        for b in &input.batches {
            for (c, data) in &b.blobs {
                assert_eq!(blob_to_commitment(data).as_ref().map(|x| hexs(x)), Ok(hexs(c)), "{file} batch {}", b.index);
                n += 1;
            }
        }
    }
    assert!(n >= 10, "only {n} blobs in the range vectors");
}

/// The embedded points are the official setup's g1_lagrange points in bit-reversed order.
#[test]
fn embedded_setup_is_the_official_one() {
    let (j, _) = vectors();
    assert_eq!(hexs(&sha256(G1_LAGRANGE_BRP)), field(&j, "setupBinSha256").unwrap().as_str().unwrap());
    let path = repo().join("node_modules/c-kzg/deps/c-kzg/trusted_setup.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (npm ci installs c-kzg)", path.display()));
    assert_eq!(hexs(&sha256(text.as_bytes())), SETUP_FILE_SHA256, "not the official trusted setup");
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!((lines[0], lines[1]), ("4096", "65"));
    for i in 0..4096 {
        let c: [u8; 48] = hex::decode(lines[2 + bit_reverse(i)]).unwrap().try_into().unwrap();
        let p = G1Affine::from_compressed(&c).unwrap_or_else(|e| panic!("setup point {i}: {e:?}"));
        assert_eq!(p.to_uncompressed(), G1_LAGRANGE_BRP[i * 96..(i + 1) * 96], "embedded point {i}");
    }
}
