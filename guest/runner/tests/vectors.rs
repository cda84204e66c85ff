//! The shared vectors (test/vectors/**) checked against the Rust core, bit for bit, plus tampered
//! copies that must fail.

use rollbook_guest_core::hex;
use rollbook_guest_core::trie::{verify_proof, ProofError, Witness, WitnessError};
use rollbook_guest_core::blob::CoreKzg;
use rollbook_guest_runner::json::Json;
use rollbook_guest_runner::stf::code_counts;
use rollbook_guest_runner::vectors::{check_file, check_json};
use rollbook_guest_runner::{field, hex32, hex_bytes};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no vectors in {dir}");
    v
}

fn load(rel: &str) -> Json {
    Json::parse(&std::fs::read_to_string(repo().join(rel)).unwrap()).unwrap()
}

fn check_all(dir: &str) {
    for f in files(dir) {
        let n = check_file(&f, &repo()).unwrap_or_else(|e| panic!("{e}"));
        assert!(n > 0, "{}: nothing compared", f.display());
    }
}

/// Replaces the first string value equal to `from` (anywhere in the tree) with `to`.
fn replace(j: &mut Json, from: &str, to: &str) -> bool {
    match j {
        Json::Str(s) if s == from => {
            *s = to.to_string();
            true
        }
        Json::Arr(v) => v.iter_mut().any(|x| replace(x, from, to)),
        Json::Obj(m) => m.iter_mut().any(|(_, x)| replace(x, from, to)),
        _ => false,
    }
}

/// A copy of hex string `s` with its last nibble changed.
fn flip(s: &str) -> String {
    let mut t = s.to_string();
    let last = t.pop().unwrap();
    t.push(if last == '0' { '1' } else { '0' });
    t
}

fn first_str<'a>(j: &'a Json, path: &[&str]) -> &'a str {
    let mut x = j;
    for p in path {
        x = match p.parse::<usize>() {
            Ok(i) => &x.as_array().unwrap()[i],
            Err(_) => x.get(p).unwrap(),
        };
    }
    x.as_str().unwrap()
}

fn must_fail(j: &Json, path: &[&str]) {
    let mut t = j.clone();
    let v = first_str(j, path).to_string();
    assert!(replace(&mut t, &v, &flip(&v)));
    assert!(check_json(&t, &repo()).is_err(), "tampered {path:?} was accepted");
}

#[test]
fn state_vectors_roots_witnesses_and_trie_proofs() {
    check_all("test/vectors/state");
}

#[test]
fn stf_vectors_executed_by_the_rust_stf() {
    check_all("test/vectors/stf");
}

/// A copy of `j` with the number at `path` increased by one.
fn bump(j: &Json, path: &[&str]) -> Json {
    let mut t = j.clone();
    let mut x = &mut t;
    for p in path {
        x = match (p.parse::<usize>(), x) {
            (Ok(i), Json::Arr(v)) => &mut v[i],
            (_, Json::Obj(m)) => &mut m.iter_mut().find(|(k, _)| k == p).unwrap().1,
            _ => panic!("bad path {path:?}"),
        };
    }
    let Json::Num(n) = x else { panic!("not a number at {path:?}") };
    *n = (n.parse::<i128>().unwrap() + 1).to_string();
    t
}

/// Every expected STF output the Rust STF computes is compared: changing one must fail the vector.
#[test]
fn tampered_stf_expectations_are_rejected() {
    let v2 = load("test/vectors/stf/v2.json");
    for path in [
        &["batches", "1", "expected", "txs", "2", "actions", "1", "code"][..],
        &["batches", "1", "expected", "txs", "2", "actions", "0", "fills", "0", "3"],
        &["batches", "1", "expected", "txs", "1", "orderId"],
        &["batches", "2", "expected", "rewards", "0", "amount"],
        &["batches", "1", "timestamp"],
    ] {
        assert!(check_json(&bump(&v2, path), &repo()).is_err(), "tampered {path:?} was accepted");
    }
    let basics = load("test/vectors/stf/basics.json");
    must_fail(&basics, &["batches", "3", "expected", "stateDigest"]);
    let ra = load("test/vectors/guest/ranges.json");
    must_fail(&ra, &["ranges", "1", "publicValues"]);
    must_fail(&ra, &["ranges", "2", "batches", "5", "postRoot"]);
    must_fail(&ra, &["ranges", "2", "inputKeccak"]);
    must_fail(&ra, &["ranges", "3", "receiptsDigest"]);
    assert!(check_json(&bump(&ra, &["ranges", "3", "codes", "tx", "0"]), &repo()).is_err(), "a changed code count was accepted");
    // the last postRoot is compared only with the root of the Rust STF's full state
    let sv = load("test/vectors/state/v2.json");
    must_fail(&sv, &["batches", "4", "postRoot"]);
    let mut t = basics.clone();
    let sig = first_str(&basics, &["batches", "2", "txs", "0", "sig", "s"]).to_string();
    assert!(replace(&mut t, &sig, &flip(&sig)));
    assert!(check_json(&t, &repo()).is_err(), "a changed signature was accepted");
}

#[test]
fn guest_vectors_from_the_typescript_implementation() {
    let names: Vec<String> = files("test/vectors/guest").iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for want in [
        "batch-chain.json",
        "l1-messages.json",
        "public-values.json",
        "trie.json",
        "withdrawals.json",
        "ecrecover.json",
        "eip712.json",
        "inflate.json",
        "blobs.json",
        "witness-updates.json",
        "batches.json",
        "validity.json",
        "ranges.json",
        "witness-exec.json",
    ] {
        assert!(names.iter().any(|n| n == want), "missing test/vectors/guest/{want}");
    }
    check_all("test/vectors/guest");
}

#[test]
fn codec_deflate_vectors() {
    check_all("test/vectors/codec");
}

#[test]
fn tampered_vectors_are_rejected() {
    let s = load("test/vectors/state/basics.json");
    must_fail(&s, &["batches", "2", "preRoot"]);
    must_fail(&s, &["batches", "1", "witness"]);
    let t = load("test/vectors/state/trie-basics.json");
    must_fail(&t, &["root"]);
    must_fail(&t, &["proofs", "0", "siblings", "4"]);
    must_fail(&t, &["leaves", "3"]);
    let g = load("test/vectors/guest/l1-messages.json");
    must_fail(&g, &["messages", "7", "queueHashAfter"]);
    must_fail(&g, &["stf", "0", "batches", "3", "queueHash"]);
    must_fail(&g, &["stf", "1", "fileKeccak"]); // the STF vector changed since generation
    let b = load("test/vectors/guest/batch-chain.json");
    must_fail(&b, &["chains", "0", "4", "batchChain"]);
    must_fail(&b, &["chains", "1", "2", "dataHash"]);
    must_fail(&b, &["extreme", "commitment"]);
    let p = load("test/vectors/guest/public-values.json");
    must_fail(&p, &["cases", "3", "encoded"]);
    must_fail(&p, &["cases", "3", "ziskPublics256"]);
    let w = load("test/vectors/guest/withdrawals.json");
    must_fail(&w, &["trees", "6", "root"]);
    must_fail(&w, &["trees", "9", "records", "5", "proof", "2"]);
    must_fail(&w, &["stf", "0", "records", "1", "recipient"]);
    must_fail(&w, &["stf", "0", "fileKeccak"]);
    let tr = load("test/vectors/guest/trie.json");
    must_fail(&tr, &["sets", "4", "rootAfterDeletes"]);
    must_fail(&tr, &["sets", "5", "proofs", "20", "siblings", "0"]);
    let f = load("test/vectors/stf/basics.json");
    must_fail(&f, &["finalState"]);
    let e = load("test/vectors/guest/ecrecover.json");
    must_fail(&e, &["cases", "0", "signer"]);
    must_fail(&e, &["cases", "5", "digest"]);
    let d = load("test/vectors/guest/eip712.json");
    must_fail(&d, &["cases", "2", "digest"]);
    must_fail(&d, &["cases", "7", "txHash"]);
    must_fail(&d, &["cases", "123", "tx", "actions", "2", "price"]); // a BULK action field
    let i = load("test/vectors/guest/inflate.json");
    must_fail(&i, &["cases", "0", "ok"]);
    must_fail(&i, &["cases", "176", "input"]);
    let bl = load("test/vectors/guest/blobs.json");
    must_fail(&bl, &["cases", "3", "ok"]);
    must_fail(&bl, &["cases", "9", "packedKeccak"]);
    let wu = load("test/vectors/guest/witness-updates.json");
    must_fail(&wu, &["cases", "4", "postRoot"]);
    must_fail(&wu, &["cases", "4", "puts", "0"]);
    must_fail(&wu, &["stfFileKeccak", "basics.json"]);
    let ba = load("test/vectors/guest/batches.json");
    must_fail(&ba, &["cases", "8", "txs", "1", "digest"]);
    must_fail(&ba, &["cases", "8", "input"]);
    must_fail(&ba, &["cases", "8", "txs", "2", "tx", "account"]);
    let va = load("test/vectors/guest/validity.json");
    must_fail(&va, &["cases", "0", "parentChain"]);
    must_fail(&va, &["cases", "0", "commitment", "queueHash"]);
    let df = load("test/vectors/codec/deflate.json");
    must_fail(&df, &["cases", "0", "outputKeccak"]);
    must_fail(&df, &["cases", "5", "output"]);
}

#[test]
fn malformed_proofs_are_rejected() {
    let t = load("test/vectors/state/trie-basics.json");
    let root = hex32(field(&t, "root").unwrap()).unwrap();
    let proofs = t.get("proofs").unwrap().as_array().unwrap();
    let p = proofs.iter().find(|p| p.get("present").unwrap().as_bool().unwrap()).unwrap();
    let key = hex_bytes(field(p, "key").unwrap()).unwrap();
    let sib: Vec<[u8; 32]> = p.get("siblings").unwrap().as_array().unwrap().iter().map(|s| hex32(s).unwrap()).collect();
    let leaf = hex_bytes(field(p, "leaf").unwrap()).unwrap();
    assert!(verify_proof(&root, &key, &sib, Some(&leaf)).is_ok());
    // a key of the wrong length, an unknown tag
    assert_eq!(verify_proof(&root, &key[..key.len() - 1], &sib, Some(&leaf)), Err(ProofError::MalformedKey));
    assert_eq!(verify_proof(&root, &[9u8, 0, 0, 0, 0], &sib, Some(&leaf)), Err(ProofError::MalformedKey));
    // siblings not a whole number of levels
    assert_eq!(verify_proof(&root, &key, &sib[..sib.len() - 1], Some(&leaf)), Err(ProofError::TooDeep));
    // the leaf claimed missing: the empty slot does not hash to the root
    assert_eq!(verify_proof(&root, &key, &sib, None), Err(ProofError::RootMismatch));
    // a leaf with an unknown tag
    let mut bad = leaf.clone();
    bad[0] = 0;
    assert_eq!(verify_proof(&root, &key, &sib, Some(&bad)), Err(ProofError::MalformedLeaf));
    // another key's leaf that is not on this key's path
    let other = proofs.iter().find(|q| q.get("key").unwrap().as_str() != p.get("key").unwrap().as_str() && !q.get("leaf").unwrap().is_null()).unwrap();
    let other_leaf = hex_bytes(field(other, "leaf").unwrap()).unwrap();
    let r = verify_proof(&root, &key, &sib, Some(&other_leaf));
    assert!(matches!(r, Err(ProofError::LeafOffPath) | Err(ProofError::RootMismatch)), "{r:?}");
    // the value changed: inclusion of a different leaf fails
    let mut changed = leaf.clone();
    *changed.last_mut().unwrap() ^= 1;
    assert_eq!(verify_proof(&root, &key, &sib, Some(&changed)), Err(ProofError::RootMismatch));
}

#[test]
fn malformed_witnesses_are_rejected() {
    let s = load("test/vectors/state/basics.json");
    let w = hex_bytes(field(&s.get("batches").unwrap().as_array().unwrap()[1], "witness").unwrap()).unwrap();
    assert!(Witness::parse(&w).is_ok());
    assert!(matches!(Witness::parse(&w[..w.len() - 1]), Err(WitnessError::Truncated(_))));
    let mut longer = w.clone();
    longer.push(0);
    assert_eq!(Witness::parse(&longer).err(), Some(WitnessError::TrailingBytes(w.len())));
    let mut tag = w.clone();
    tag[0] = 4;
    assert_eq!(Witness::parse(&tag).err(), Some(WitnessError::BadTag(0)));
    assert_eq!(Witness::parse(&[]).err(), Some(WitnessError::Truncated(0)));
    // two leaves swapped between sibling slots: each is off its key path
    let leaves = Witness::parse(&w).unwrap().leaves();
    let mut swapped: Vec<u8> = vec![3];
    for l in [leaves[1], leaves[0]] {
        swapped.push(2);
        swapped.extend_from_slice(&(l.len() as u16).to_be_bytes());
        swapped.extend_from_slice(l);
    }
    swapped.extend_from_slice(&[0, 0]);
    let r = Witness::parse(&swapped);
    assert!(matches!(r, Err(WitnessError::LeafOffPath(_))), "{r:?}");
    // NODEs nested past 128 digits
    let deep = vec![3u8; 130];
    assert!(matches!(Witness::parse(&deep), Err(WitnessError::TooDeep(_)) | Err(WitnessError::Truncated(_))));
    let mut deep = vec![3u8; 129];
    deep.extend(vec![0u8; 4 * 129]);
    assert_eq!(Witness::parse(&deep).err(), Some(WitnessError::TooDeep(128)));
    // a HASH node answers `Unknown`
    let h = hex::decode("01").unwrap().into_iter().chain([7u8; 32]).collect::<Vec<u8>>();
    let wit = Witness::parse(&h).unwrap();
    assert_eq!(wit.root(), [7u8; 32]);
    assert_eq!(wit.lookup(&[1]), rollbook_guest_core::trie::Lookup::Unknown);
}

/// A range whose second batch's messages do not continue the first's is refused (I3), whatever its own
/// chain says; the unchanged input proves.
#[test]
fn range_messages_must_continue() {
    use rollbook_guest_core::range::{prove_range, RangeError, RangeInput};
    use rollbook_guest_core::secp256k1::Native;
    use rollbook_guest_core::validity::InputMismatch;
    let bytes = std::fs::read(repo().join("test/vectors/guest/ranges/a-3.bin")).unwrap();
    let input = RangeInput::decode(&bytes).unwrap();
    assert!(prove_range(input.clone(), &Native, &CoreKzg, false).is_ok());
    let mut bad = input.clone();
    bad.batches[1].queue_hash_start[0] ^= 1;
    let index = bad.batches[1].index;
    assert_eq!(prove_range(bad, &Native, &CoreKzg, false).unwrap_err(), RangeError::Input(index, InputMismatch::I3Messages));
    let mut empty = input;
    empty.batches.clear();
    assert_eq!(prove_range(empty, &Native, &CoreKzg, false).unwrap_err(), RangeError::EmptyRange);
}

#[test]
fn witness_range_inputs_refused() {
    use rollbook_guest_core::range::RangeError;
    use rollbook_guest_core::secp256k1::Native;
    use rollbook_guest_core::witness::WitnessExecError;
    use rollbook_guest_core::witness_range::{prove_witness_range, WitnessRangeInput};
    let bytes = std::fs::read(repo().join("test/vectors/guest/ranges/a-1.witness.bin")).unwrap();
    // truncated or extended input
    assert_eq!(WitnessRangeInput::decode(&bytes[..bytes.len() - 1]).unwrap_err(), RangeError::MalformedInput);
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(WitnessRangeInput::decode(&longer).unwrap_err(), RangeError::MalformedInput);
    let input = WitnessRangeInput::decode(&bytes).unwrap();
    let kzg = CoreKzg;
    // format 1 (no magic) is refused
    assert_eq!(WitnessRangeInput::decode(&bytes[8..]).unwrap_err(), RangeError::MalformedInput);
    // a changed leaf byte in the second batch's witness: it no longer hashes to the first batch's post-state root
    let mut bad = input.clone();
    let w = &mut bad.batches[1].witness;
    let at = w.iter().position(|&b| b == 2).unwrap() + 10; // inside the first LEAF
    w[at] ^= 0x40;
    match prove_witness_range(&bad, &Native, &kzg) {
        Err(RangeError::Witness(i, WitnessExecError::RootMismatch | WitnessExecError::Malformed(_))) => assert_eq!(i, input.batches[1].header.index),
        r => panic!("a changed witness was accepted: {:?}", r.map(|o| o.public_values)),
    }
    // the batches out of order: the second one's witness does not follow the first's (I1 or the root)
    let mut swapped = input.clone();
    swapped.batches.swap(0, 1);
    assert!(prove_witness_range(&swapped, &Native, &kzg).is_err());
    // a witness from another batch: not the pre-state of this one
    let mut other = input.clone();
    other.batches[2].witness = input.batches[3].witness.clone();
    assert!(prove_witness_range(&other, &Native, &kzg).is_err());
}

/// The range vectors' blobs, each with its c-kzg commitment, and the witness-mode input holding the first
/// blob batch (file, batch position).
fn vector_blobs() -> (Vec<([u8; 48], Vec<u8>)>, String, usize) {
    let mut blobs = Vec::new();
    let mut first = None;
    let mut names: Vec<String> = std::fs::read_dir(repo().join("test/vectors/guest/ranges"))
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".witness.bin"))
        .collect();
    names.sort();
    for n in names {
        let input = rollbook_guest_core::range::RangeInput::decode(&std::fs::read(repo().join("test/vectors/guest/ranges").join(&n)).unwrap()).unwrap();
        for (k, b) in input.batches.iter().enumerate() {
            if !b.blobs.is_empty() && first.is_none() {
                first = Some((n.replace(".bin", ".witness.bin"), k));
            }
            blobs.extend(b.blobs.iter().cloned());
        }
    }
    let (f, k) = first.expect("a blob batch in the range vectors");
    (blobs, f, k)
}

/// Blob binding in witness mode (docs/proving.md "Blob binding") with the core's KZG against the commitments
/// c-kzg computed for the vectors: the vector's blob batch is bound and proves; a changed blob byte, a wrong
/// versioned hash or a missing one is refused as BlobBinding of that batch, before anything else of it is
/// looked at; blobs in another order do not bind; a field element equal to the scalar modulus r is not a blob
/// (BLOB_NOT_COMMITTABLE with the blob's index) while r - 1 is one (another commitment).
#[test]
fn witness_range_blobs_bound_to_versioned_hashes() {
    use rollbook_guest_core::blob::{bind_blobs, check_commitments, versioned_hash, BlobBindError};
    use rollbook_guest_core::range::RangeError;
    use rollbook_guest_core::secp256k1::Native;
    use rollbook_guest_core::witness_range::{prove_witness_range, WitnessRangeInput};
    let kzg = CoreKzg;
    let (blobs, file, k) = vector_blobs();
    let input = WitnessRangeInput::decode(&std::fs::read(repo().join("test/vectors/guest/ranges").join(&file)).unwrap()).unwrap();
    let index = input.batches[k].header.index;
    assert_eq!(input.batches[k].blobs.len(), input.batches[k].versioned_hashes.len());
    assert!(prove_witness_range(&input, &Native, &kzg).is_ok(), "{file}: the bound blobs prove");
    // a changed byte inside a field element (canonical still): another blob
    let mut tampered = input.clone();
    tampered.batches[k].blobs[0][31 * 32 + 31] ^= 1;
    assert_eq!(prove_witness_range(&tampered, &Native, &kzg).unwrap_err(), RangeError::BlobBinding(index, BlobBindError::VersionedHash(0)));
    // a wrong versioned hash (c(i)'s dataHash is not even looked at: the binding comes first)
    let mut wrong = input.clone();
    wrong.batches[k].versioned_hashes[0][31] ^= 1;
    assert_eq!(prove_witness_range(&wrong, &Native, &kzg).unwrap_err(), RangeError::BlobBinding(index, BlobBindError::VersionedHash(0)));
    // one hash fewer than blobs
    let mut fewer = input.clone();
    fewer.batches[k].versioned_hashes.clear();
    assert_eq!(prove_witness_range(&fewer, &Native, &kzg).unwrap_err(), RangeError::BlobBinding(index, BlobBindError::Count { blobs: 1, hashes: 0 }));
    // two vector blobs: bound in their order, not in the other
    assert!(blobs.len() >= 2);
    let (a, b) = (&blobs[0], &blobs[1]);
    let hashes = [versioned_hash(&a.0), versioned_hash(&b.0)];
    assert_eq!(bind_blobs(&kzg, &[&a.1, &b.1], &hashes), Ok(()));
    assert_eq!(bind_blobs(&kzg, &[&b.1, &a.1], &hashes), Err(BlobBindError::VersionedHash(0)));
    assert_eq!(bind_blobs(&kzg, &[&a.1[..1000]], &hashes[..1]), Err(BlobBindError::NotCommittable(0)));
    // the carried commitments of RBRANGE1: the blob's own, not another's
    assert_eq!(check_commitments(&kzg, &[(a.0, &a.1), (b.0, &b.1)]), Ok(hashes.to_vec()));
    assert_eq!(check_commitments(&kzg, &[(a.0, &a.1), (a.0, &b.1)]), Err(BlobBindError::Commitment(1)));
    // a field element not below r: not a blob, whichever position; r - 1 is a blob, just not the committed one
    const R: &str = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
    const R_MINUS_1: &str = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000";
    let with_fe = |blob: &[u8], at: usize, fe: &str| {
        let mut x = blob.to_vec();
        x[at * 32..at * 32 + 32].copy_from_slice(&hex::decode(fe).unwrap());
        x
    };
    let b_r = with_fe(&b.1, 4095, R);
    assert_eq!(bind_blobs(&kzg, &[&a.1, &b_r], &hashes), Err(BlobBindError::NotCommittable(1)));
    assert_eq!(BlobBindError::NotCommittable(1).code(), "BLOB_NOT_COMMITTABLE");
    assert_eq!(bind_blobs(&kzg, &[&a.1, &with_fe(&b.1, 4095, R_MINUS_1)], &hashes), Err(BlobBindError::VersionedHash(1)));
    assert_eq!(check_commitments(&kzg, &[(a.0, &a.1), (b.0, &b_r)]), Err(BlobBindError::NotCommittable(1)));
    // in the prover input: the blob batch is refused before its bytes are unpacked (whose FE check would
    // otherwise call the batch undecodable and execute it as an empty batch)
    let mut non_canonical = input.clone();
    non_canonical.batches[k].blobs[0] = with_fe(&non_canonical.batches[k].blobs[0], 0, R);
    assert_eq!(prove_witness_range(&non_canonical, &Native, &kzg).unwrap_err(), RangeError::BlobBinding(index, BlobBindError::NotCommittable(0)));
}

/// Full-state mode (RBRANGE1): a blob carried with another blob's commitment is refused, whatever the rest.
#[test]
fn range_carried_commitment_must_match() {
    use rollbook_guest_core::blob::BlobBindError;
    use rollbook_guest_core::range::{prove_range, RangeError, RangeInput};
    use rollbook_guest_core::secp256k1::Native;
    let (blobs, file, k) = vector_blobs();
    let input = RangeInput::decode(&std::fs::read(repo().join("test/vectors/guest/ranges").join(file.replace(".witness.bin", ".bin"))).unwrap()).unwrap();
    let other = blobs.iter().find(|(c, _)| *c != input.batches[k].blobs[0].0).unwrap().0;
    let mut bad = input.clone();
    bad.batches[k].blobs[0].0 = other;
    let index = bad.batches[k].index;
    assert_eq!(prove_range(bad, &Native, &CoreKzg, false).unwrap_err(), RangeError::BlobBinding(index, BlobBindError::Commitment(0)));
}

/// Every error code of docs/stf.md "Error codes" occurs in the vectors the Rust side is checked on: a
/// transaction or BULK action code (classes REJECTED / FAILED) in the STF vectors' expectations or the range
/// vectors' receipts (ranges.json `codes`, equal to the Rust run's counts and covered by the receipts digest),
/// an L1 code (class L1) among their L1 receipts.
#[test]
fn every_error_code_of_the_spec_occurs_in_the_vectors() {
    let doc = std::fs::read_to_string(repo().join("docs/stf.md")).unwrap();
    let table = doc.split("\n## Error codes\n").nth(1).expect("docs/stf.md: no Error codes section");
    let table = table.split("\n## ").next().unwrap();
    let mut rows = Vec::new();
    for line in table.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let (Some(code), Some(name), Some(class)) = (cells.get(1).and_then(|c| c.parse::<u8>().ok()), cells.get(2), cells.get(3)) {
            rows.push((code, name.to_string(), class.to_string()));
        }
    }
    assert!(rows.len() >= 33, "docs/stf.md error table: {} rows", rows.len());
    let (mut txs, mut l1) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for f in files("test/vectors/stf") {
        let j = Json::parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for b in j.get("batches").unwrap().as_array().unwrap() {
            let e = b.get("expected").unwrap();
            for r in e.get("l1").unwrap().as_array().unwrap() {
                l1.insert(r.get("code").unwrap().as_u64().unwrap() as u8);
            }
            for t in e.get("txs").unwrap().as_array().unwrap() {
                txs.insert(t.get("code").unwrap().as_u64().unwrap() as u8);
                for a in t.get("actions").and_then(Json::as_array).unwrap_or(&[]) {
                    txs.insert(a.get("code").unwrap().as_u64().unwrap() as u8);
                }
            }
        }
    }
    for r in load("test/vectors/guest/ranges.json").get("ranges").unwrap().as_array().unwrap() {
        let codes = r.get("codes").unwrap();
        for class in ["tx", "action"] {
            txs.extend(code_counts(codes.get(class).unwrap()).unwrap().into_keys());
        }
        l1.extend(code_counts(codes.get("l1").unwrap()).unwrap().into_keys());
    }
    let mut missing = Vec::new();
    for (code, name, class) in &rows {
        if (class.contains("REJECTED") || class.contains("FAILED")) && !txs.contains(code) {
            missing.push(format!("{code} {name} (transaction)"));
        }
        if class.contains("L1") && !l1.contains(code) {
            missing.push(format!("{code} {name} (L1 message)"));
        }
    }
    assert!(missing.is_empty(), "error codes of docs/stf.md no vector exercises: {missing:?}");
}
