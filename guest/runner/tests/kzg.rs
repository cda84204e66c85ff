//! KZG commitments (guest/core/src/kzg) against c-kzg: test/vectors/guest/kzg (guest/vectors-gen/kzg.ts),
//! the blobs of the range vectors with their c-kzg commitments, and the embedded setup against the official
//! trusted_setup.txt decompressed here with the core's own checked decompression.

use rollbook_guest_core::hex;
use rollbook_guest_core::kzg::eval::evaluate_blob;
use rollbook_guest_core::kzg::g1::G1Affine;
use rollbook_guest_core::kzg::setup::{bit_reverse, G1_LAGRANGE_BRP, SETUP_FILE_SHA256};
use rollbook_guest_core::kzg::{blob_to_commitment, versioned_hash, KzgError, BYTES_PER_BLOB};
use rollbook_guest_core::range::RangeInput;
use rollbook_guest_core::sha256::sha256;
use rollbook_guest_runner::json::Json;
use rollbook_guest_runner::{field, hex32, hex_bytes, u64_field};
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

fn blob(blobs: &[u8], i: u64) -> &[u8] {
    &blobs[i as usize * BYTES_PER_BLOB..(i as usize + 1) * BYTES_PER_BLOB]
}

#[test]
fn commitments_equal_c_kzg() {
    let (j, blobs) = vectors();
    let cases = field(&j, "cases").unwrap().as_array().unwrap();
    let (mut ok, mut refused) = (0, 0);
    for c in cases {
        let name = field(c, "name").unwrap().as_str().unwrap();
        let b = blob(&blobs, u64_field(c, "blob").unwrap());
        let got = blob_to_commitment(b);
        if let Some(e) = c.get("error") {
            let index = u64_field(c, "index").unwrap() as usize;
            assert_eq!(got, Err(KzgError::NonCanonicalFieldElement { index }), "{name}");
            assert_eq!(got.unwrap_err().code(), e.as_str().unwrap(), "{name}");
            refused += 1;
        } else {
            let want = hex_bytes(field(c, "commitment").unwrap()).unwrap();
            let got = got.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(hexs(&got), hexs(&want), "{name}");
            assert_eq!(versioned_hash(&got), hex32(field(c, "versionedHash").unwrap()).unwrap(), "{name}");
            // the commitment decompresses to a valid G1 point that compresses back to the same bytes
            assert_eq!(G1Affine::from_compressed(&got).unwrap().to_compressed(), got, "{name}");
            ok += 1;
        }
    }
    assert!(ok >= 10 && refused >= 4, "{ok} commitments, {refused} refusals");
    // a blob of the wrong size
    assert_eq!(blob_to_commitment(&blobs[..BYTES_PER_BLOB - 1]), Err(KzgError::BlobSize));
}

#[test]
fn evaluations_equal_c_kzg() {
    let (j, blobs) = vectors();
    for e in field(&j, "evaluations").unwrap().as_array().unwrap() {
        let b = blob(&blobs, u64_field(e, "blob").unwrap());
        let z = hex32(field(e, "z").unwrap()).unwrap();
        assert_eq!(evaluate_blob(b, &z), Ok(hex32(field(e, "y").unwrap()).unwrap()), "z {}", hexs(&z));
    }
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
