//! The `rollbook-guest` binary, run as an operator would.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_rollbook-guest")).args(args).current_dir(repo()).output().unwrap();
    (o.status.success(), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollbook-guest-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn keccak_and_queue_hash() {
    let (ok, out, _) = run(&["keccak", "0x616263"]);
    assert!(ok);
    assert_eq!(out, "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45\n");
    // q(1) of a message m is H(0x00*32 ‖ H(m)); q(2) continues from it
    let m = "0x01000000000000000000000000000000000000000100000001000000000000000a";
    let (ok, out, _) = run(&["queue-hash", m, m]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    let (_, cont, _) = run(&["queue-hash", "--from", lines[0], m]);
    assert_eq!(cont.trim(), lines[1]);
    let (ok, out, _) = run(&["decode-message", m]);
    assert!(ok && out.starts_with("Deposit {"), "{out}");
    let (ok, out, _) = run(&["decode-message", "0x0102"]);
    assert!(ok && out.trim() == "Invalid");
}

#[test]
fn verify_proof_from_a_proof_file() {
    let (ok, out, _) = run(&["check-vectors", "test/vectors/state/trie-basics.json"]);
    assert!(ok, "{out}");
    let t = std::fs::read_to_string(repo().join("test/vectors/state/trie-basics.json")).unwrap();
    let j = rollbook_guest_runner::json::Json::parse(&t).unwrap();
    let root = j.get("root").unwrap().as_str().unwrap();
    for p in j.get("proofs").unwrap().as_array().unwrap() {
        let sib: Vec<String> = p.get("siblings").unwrap().as_array().unwrap().iter().map(|s| format!("\"{}\"", s.as_str().unwrap())).collect();
        let leaf = match p.get("leaf").unwrap().as_str() {
            Some(l) => format!("\"{l}\""),
            None => "null".into(),
        };
        let key = p.get("key").unwrap().as_str().unwrap();
        let file = tmp("proof.json", &format!("{{\"root\":\"{root}\",\"key\":\"{key}\",\"siblings\":[{}],\"leaf\":{leaf}}}", sib.join(",")));
        let (ok, out, err) = run(&["verify-proof", file.to_str().unwrap(), "--root", root]);
        assert!(ok, "{err}");
        if p.get("present").unwrap().as_bool().unwrap() {
            assert_eq!(out.trim(), format!("present {}", p.get("leaf").unwrap().as_str().unwrap()));
        } else {
            assert_eq!(out.trim(), "absent");
        }
        // against another trusted root: refused, exit status 1
        let (ok, _, err) = run(&["verify-proof", file.to_str().unwrap(), "--root", &format!("0x{}", "11".repeat(32))]);
        assert!(!ok && err.contains("not the trusted root"));
    }
}

#[test]
fn batch_chain_public_values_and_withdrawals() {
    let batches = tmp(
        "batches.json",
        r#"{"batches":[{"index":1,"dataKind":2,"calldata":"0x","l1MsgStart":0,"l1MsgEnd":0,
            "queueHash":"0x0000000000000000000000000000000000000000000000000000000000000000","l1Timestamp":1700000000,"l1BlockNumber":19000000,
            "proposer":"0x00000000000000000000000000000000000000aa","queueHashStart":"0x0000000000000000000000000000000000000000000000000000000000000000"}]}"#,
    );
    let (ok, out, err) = run(&["batch-chain", batches.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("batch 1 commitment 0x"), "{out}");
    let pv = tmp(
        "pv.json",
        &format!(
            r#"{{"prevStateRoot":"0x{a}","newStateRoot":"0x{a}","firstBatch":1,"lastBatch":"18446744073709551615","prevBatchChain":"0x{a}",
            "newBatchChain":"0x{a}","l1MessagesConsumed":3,"l1QueueHash":"0x{a}","withdrawalRoot":"0x{a}","prover":"0x{p}"}}"#,
            a = "ab".repeat(32),
            p = "cd".repeat(20)
        ),
    );
    let (ok, out, err) = run(&["public-values", pv.to_str().unwrap()]);
    assert!(ok, "{err}");
    let encoded = out.lines().next().unwrap().strip_prefix("publicValues ").unwrap().to_string();
    assert_eq!(encoded.len(), 2 + 640);
    let (ok, back, _) = run(&["decode-public-values", &encoded]);
    assert!(ok);
    assert!(back.contains("lastBatch 18446744073709551615\n") && back.contains(&format!("prover 0x{}\n", "cd".repeat(20))), "{back}");
    let recs = tmp(
        "w.json",
        r#"[{"withdrawalId":0,"recipient":"0x0d0e965700faad2eb14cdad68050b3af84a4b30d","asset":3,"amount":500},
            {"withdrawalId":1,"recipient":"0x0d0e965700faad2eb14cdad68050b3af84a4b30d","asset":3,"amount":7}]"#,
    );
    let (ok, out, _) = run(&["withdrawal-tree", recs.to_str().unwrap()]);
    assert!(ok && out.lines().count() == 3, "{out}");
    let (ok, _, err) = run(&["no-such-command"]);
    assert!(!ok && err.contains("unknown command"));
}

#[test]
fn check_vectors_summary_line() {
    let (ok, out, err) = run(&["check-vectors"]);
    assert!(ok, "{out}{err}");
    let last = out.lines().last().unwrap();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
    let bad = tmp("bad.json", "{\"name\":\"trie-basics\",\"leaves\":[],\"root\":\"0x00\",\"proofs\":[]}");
    let (ok, _, err) = run(&["check-vectors", bad.to_str().unwrap()]);
    assert!(!ok && err.trim_end().ends_with("0 passed, 1 failed"), "{err}");
}

#[test]
fn prove_range_prints_and_writes_the_public_values() {
    let manifest = std::fs::read_to_string(repo().join("test/vectors/guest/ranges.json")).unwrap();
    let j = rollbook_guest_runner::json::Json::parse(&manifest).unwrap();
    let r = &j.get("ranges").unwrap().as_array().unwrap()[1];
    let file = format!("test/vectors/guest/{}", r.get("file").unwrap().as_str().unwrap());
    let want = r.get("publicValues").unwrap().as_str().unwrap();
    let out_path = std::env::temp_dir().join(format!("rollbook-guest-pv-{}.bin", std::process::id()));
    let bytes = std::fs::read(repo().join(&file)).unwrap();
    let (ok, out, err) = run(&["prove-range", &file, "--out", out_path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("publicValues {want}")), "{out}");
    let raw = std::fs::read(&out_path).unwrap();
    assert_eq!(raw.len(), 320);
    assert_eq!(rollbook_guest_core::hex::encode_prefixed(&raw), want);
    // wrong inputs: a truncated file, a batch that does not follow the state (I1)
    let cut = tmp("cut.bin", "");
    std::fs::write(&cut, &bytes[..bytes.len() - 1]).unwrap();
    let (ok, _, err) = run(&["prove-range", cut.to_str().unwrap()]);
    assert!(!ok && err.contains("MalformedInput"), "{err}");
    let later = format!("test/vectors/guest/{}", j.get("ranges").unwrap().as_array().unwrap()[2].get("file").unwrap().as_str().unwrap());
    let mut spliced = bytes.clone();
    let other = std::fs::read(repo().join(&later)).unwrap();
    // keep range 1's pre-state, take range 2's batches: batch indexes no longer follow the state
    let state_len = u32::from_be_bytes(bytes[60..64].try_into().unwrap()) as usize;
    let other_len = u32::from_be_bytes(other[60..64].try_into().unwrap()) as usize;
    spliced.truncate(64 + state_len);
    spliced.extend_from_slice(&other[64 + other_len..]);
    let sp = tmp("spliced.bin", "");
    std::fs::write(&sp, &spliced).unwrap();
    let (ok, _, err) = run(&["prove-range", sp.to_str().unwrap()]);
    assert!(!ok && err.contains("I1Index"), "{err}");
}

/// `prove-witness-range` on a prover input holding a blob batch: the blobs bind (the runner's own KZG against
/// the versioned hashes of c-kzg's commitments) and the public values are the node's; a changed blob byte
/// exits 1 with BLOB_VERSIONED_HASH_MISMATCH naming the batch.
#[test]
fn prove_witness_range_binds_blobs() {
    use rollbook_guest_core::range::RangeInput;
    let manifest = std::fs::read_to_string(repo().join("test/vectors/guest/ranges.json")).unwrap();
    let j = rollbook_guest_runner::json::Json::parse(&manifest).unwrap();
    // the first range with a blob batch
    let (r, input) = j.get("ranges").unwrap().as_array().unwrap().iter().find_map(|r| {
        let input = RangeInput::decode(&std::fs::read(repo().join("test/vectors/guest").join(r.get("file").unwrap().as_str().unwrap())).unwrap()).unwrap();
        input.batches.iter().any(|b| !b.blobs.is_empty()).then_some((r, input))
    }).expect("a range with a blob batch");
    let wfile = format!("test/vectors/guest/{}", r.get("witnessFile").unwrap().as_str().unwrap());
    let (ok, out, err) = run(&["prove-witness-range", &wfile]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("publicValues {}", r.get("publicValues").unwrap().as_str().unwrap())), "{out}");
    // the same input with one blob byte changed
    let (k, b) = input.batches.iter().enumerate().find(|(_, b)| !b.blobs.is_empty()).unwrap();
    let mut bytes = std::fs::read(repo().join(&wfile)).unwrap();
    let at = bytes.windows(64).position(|w| w == &b.blobs[0].1[..64]).unwrap();
    bytes[at + 31] ^= 1;
    let bad = tmp("blob-changed.bin", "");
    std::fs::write(&bad, &bytes).unwrap();
    let (ok, _, err) = run(&["prove-witness-range", bad.to_str().unwrap()]);
    assert!(!ok && err.contains(&format!("batch {}: BLOB_VERSIONED_HASH_MISMATCH", input.batches[k].index)), "{err}");
    // the flag of the build that had no KZG is gone
    let (ok, _, err) = run(&["prove-witness-range", &wfile, "--kzg-table", "x"]);
    assert!(!ok && err.contains("unexpected argument --kzg-table"), "{err}");
}
