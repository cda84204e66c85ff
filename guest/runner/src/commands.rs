//! The runner's commands. Each returns its output text, or an error message (exit status 1).

use crate::json::Json;
use crate::vectors::{self, data_hash_from, public_values_from, withdrawal_from};
use crate::{field, hex32, u64_field};
use rollbook_guest_core::batch::{next_batch_chain, BatchHeader};
use rollbook_guest_core::blob::CoreKzg;
use rollbook_guest_core::hex;
use rollbook_guest_core::keccak::keccak256;
use rollbook_guest_core::l1msg::{next_queue_hash, L1Message};
use rollbook_guest_core::public_values::{zisk_publics, PublicValues};
use rollbook_guest_core::range::RangeError;
use rollbook_guest_core::trie::{verify_proof, Proven, Witness};
use rollbook_guest_core::withdrawals::WithdrawalTree;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
rollbook-guest <command> [args]   (docs/guest.md)

  verify-proof <proof.json> [--root <hex>]
        state proof {root, key, siblings[], leaf} as node/state/proofs.ts writes it; prints
        `present <leaf>` or `absent`; --root: the root you trust (default: the proof's own)
  witness-root <hex | @file>        parse a witness and print its root and leaf count
  decode-message <hex>              decode an L1 message (docs/l1-messages.md)
  queue-hash [--from <q>] <hex>...  queue chain over messages: q after each
  batch-chain <batches.json>        c(i) (v2) and b(i) for [{index, dataKind, dataHash | blobHashes |
                                    calldata, l1MsgStart, l1MsgEnd, queueHash, l1Timestamp,
                                    l1BlockNumber, proposer, queueHashStart}] (prevBatchChain:
                                    optional top-level, with `batches`)
  public-values <pv.json>           abi.encode of the tuple, sha256 and the ZisK publics buffer
  decode-public-values <hex>        the ten fields of 320 encoded bytes (strict)
  withdrawal-tree <records.json>    root and proofs of [{withdrawalId, recipient, asset, amount}]
  keccak <hex>                      keccak256 of bytes
  prove-range <input.bin> [--out <pv.bin>] [--roots] [--stats]
                                    execute a range of batches from a full pre-state (format:
                                    guest/core src/range.rs) and print the 320-byte public values
                                    (hex) and their fields; --out writes the raw 320 bytes;
                                    --roots prints every batch's outcome and post-state root
                                    and the range's receipts digest (docs/guest.md);
                                    --stats counts receipt codes, kinds, fills, sweeps, agents
  prove-witness-range <input.bin> [--out <pv.bin>] [--roots]
                                    execute a range statelessly from its witnesses (the node's
                                    prover input, node/prover/guest-input.ts; guest/core
                                    src/witness_range.rs): the same output as prove-range, plus one
                                    `withdrawal <id> <recipient> <asset> <amount>` line each;
                                    a rejected witness exits 1 with its code (WITNESS_MALFORMED,
                                    WITNESS_ROOT_MISMATCH, WITNESS_INSUFFICIENT), blobs that are not
                                    the committed ones with theirs (BLOB_VERSIONED_HASH_MISMATCH,
                                    BLOB_COMMITMENT_MISMATCH, BLOB_COUNT_MISMATCH, BLOB_NOT_COMMITTABLE)
  bench [--root <repo>] [--seconds <s>]
                                    native speed and operation counts of the guest pieces on the
                                    shared vectors; ends with one JSON line (npm run bench -- guest)
  check-vectors [--root <repo>] [file|dir]...
                                    check vector files (default: <repo>/test/vectors); one line per
                                    file, then `N passed, M failed`
";

fn read_json(path: &str) -> Result<Json, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Json::parse(&text).map_err(|e| format!("{path}: {e}"))
}

fn hex_arg(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s.trim()).map_err(|_| format!("not hex: {s}"))
}

/// Runs a command line (without the program name).
pub fn run(args: &[String]) -> Result<String, String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["bench", rest @ ..] => {
            let mut root = PathBuf::from(".");
            let mut secs = 2.0;
            let mut it = rest.iter();
            while let Some(&x) = it.next() {
                match (x, it.next()) {
                    ("--root", Some(r)) => root = PathBuf::from(r),
                    ("--seconds", Some(s)) => secs = s.parse().map_err(|_| "--seconds: not a number")?,
                    _ => return Err(format!("bench: unexpected argument {x}")),
                }
            }
            crate::bench::bench(&root, secs)
        }
        ["verify-proof", file] => verify_proof_cmd(&read_json(file)?, None),
        ["verify-proof", file, "--root", r] | ["verify-proof", "--root", r, file] => {
            verify_proof_cmd(&read_json(file)?, Some(hex::decode32(r).map_err(|_| "--root: not 32 hex bytes")?))
        }
        ["witness-root", w] => {
            let bytes = match w.strip_prefix('@') {
                Some(f) => {
                    let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
                    hex_arg(&text)?
                }
                None => hex_arg(w)?,
            };
            let wit = Witness::parse(&bytes).map_err(|e| format!("invalid witness: {e:?}"))?;
            Ok(format!("root {}\nleaves {}\n", hex::encode_prefixed(&wit.root()), wit.leaves().len()))
        }
        ["decode-message", m] => Ok(format!("{:?}\n", L1Message::decode(&hex_arg(m)?))),
        ["queue-hash", rest @ ..] => {
            let (mut q, msgs) = match rest {
                ["--from", q, msgs @ ..] => (hex::decode32(q).map_err(|_| "--from: not 32 hex bytes")?, msgs),
                msgs => ([0u8; 32], msgs),
            };
            let mut out = String::new();
            for m in msgs {
                q = next_queue_hash(&q, &hex_arg(m)?);
                writeln!(out, "{}", hex::encode_prefixed(&q)).unwrap();
            }
            Ok(out)
        }
        ["batch-chain", file] => batch_chain_cmd(&read_json(file)?),
        ["public-values", file] => {
            let pv = public_values_from(&read_json(file)?)?.encode();
            Ok(format!(
                "publicValues {}\nkeccak256 {}\nsha256 {}\nziskPublics {}\n",
                hex::encode_prefixed(&pv),
                hex::encode_prefixed(&keccak256(&pv)),
                hex::encode_prefixed(&rollbook_guest_core::sha256::sha256(&pv)),
                hex::encode_prefixed(&zisk_publics(&pv, 256))
            ))
        }
        ["decode-public-values", h] => {
            let p = PublicValues::decode(&hex_arg(h)?).map_err(|e| format!("not public values: {e:?}"))?;
            let x = |b: &[u8]| hex::encode_prefixed(b);
            Ok(format!(
                "prevStateRoot {}\nnewStateRoot {}\nfirstBatch {}\nlastBatch {}\nprevBatchChain {}\nnewBatchChain {}\nl1MessagesConsumed {}\nl1QueueHash {}\nwithdrawalRoot {}\nprover {}\n",
                x(&p.prev_state_root), x(&p.new_state_root), p.first_batch, p.last_batch, x(&p.prev_batch_chain),
                x(&p.new_batch_chain), p.l1_messages_consumed, x(&p.l1_queue_hash), x(&p.withdrawal_root), x(&p.prover)
            ))
        }
        ["withdrawal-tree", file] => {
            let j = read_json(file)?;
            let recs = j.as_array().ok_or("expected an array of withdrawal records")?;
            let records = recs.iter().map(withdrawal_from).collect::<Result<Vec<_>, _>>()?;
            let tree = WithdrawalTree::new(&records).map_err(|e| format!("duplicate withdrawal id {}", e.0))?;
            let mut out = format!("root {}\n", hex::encode_prefixed(&tree.root()));
            for r in &records {
                let p: Vec<String> = tree.proof(r.withdrawal_id).unwrap().iter().map(|h| hex::encode_prefixed(h)).collect();
                writeln!(out, "proof {} [{}]", r.withdrawal_id, p.join(",")).unwrap();
            }
            Ok(out)
        }
        ["keccak", h] => Ok(format!("{}\n", hex::encode_prefixed(&keccak256(&hex_arg(h)?)))),
        ["check-vectors", rest @ ..] => check_vectors_cmd(rest),
        ["prove-range", file, rest @ ..] => {
            let mut out = None;
            let mut roots = false;
            let mut stats = false;
            let mut it = rest.iter();
            while let Some(&x) = it.next() {
                match x {
                    "--out" => out = Some(*it.next().ok_or("--out: missing path")?),
                    "--roots" => roots = true,
                    "--stats" => stats = true,
                    _ => return Err(format!("prove-range: unexpected argument {x}")),
                }
            }
            let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
            prove_range_cmd(&bytes, out, roots, stats)
        }
        ["prove-witness-range", file, rest @ ..] => {
            let mut out = None;
            let mut roots = false;
            let mut it = rest.iter();
            while let Some(&x) = it.next() {
                match x {
                    "--out" => out = Some(*it.next().ok_or("--out: missing path")?),
                    "--roots" => roots = true,
                    _ => return Err(format!("prove-witness-range: unexpected argument {x}")),
                }
            }
            let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
            prove_witness_range_cmd(&bytes, out, roots)
        }
        ["help"] | ["--help"] | ["-h"] | [] => Ok(USAGE.to_string()),
        _ => Err(format!("unknown command or arguments\n\n{USAGE}")),
    }
}

fn verify_proof_cmd(p: &Json, trusted: Option<[u8; 32]>) -> Result<String, String> {
    let root = hex32(field(p, "root")?)?;
    if let Some(t) = trusted {
        if t != root {
            return Err(format!("proof is against {}, not the trusted root", hex::encode_prefixed(&root)));
        }
    }
    let key = crate::hex_bytes(field(p, "key")?)?;
    let siblings = field(p, "siblings")?.as_array().ok_or("`siblings` is not an array")?.iter().map(hex32).collect::<Result<Vec<_>, _>>()?;
    let leaf = match field(p, "leaf")? {
        Json::Null => None,
        l => Some(crate::hex_bytes(l)?),
    };
    match verify_proof(&root, &key, &siblings, leaf.as_deref()).map_err(|e| format!("invalid proof: {e:?}"))? {
        Proven::Present(l) => Ok(format!("present {}\n", hex::encode_prefixed(l))),
        Proven::Absent => Ok("absent\n".to_string()),
    }
}

fn batch_chain_cmd(j: &Json) -> Result<String, String> {
    let (mut b, batches) = match j {
        Json::Arr(v) => ([0u8; 32], v.as_slice()),
        o => (
            o.get("prevBatchChain").map(hex32).transpose()?.unwrap_or([0u8; 32]),
            field(o, "batches")?.as_array().ok_or("`batches` is not an array")?,
        ),
    };
    let mut out = String::new();
    for batch in batches {
        let data_hash = match data_hash_from(batch)? {
            Some(h) => {
                if let Some(given) = batch.get("dataHash") {
                    if hex32(given)? != h {
                        return Err(format!("batch {}: dataHash does not match its data", u64_field(batch, "index")?));
                    }
                }
                h
            }
            None => hex32(field(batch, "dataHash")?)?,
        };
        let h = BatchHeader {
            index: u64_field(batch, "index")?,
            data_kind: u8::try_from(u64_field(batch, "dataKind")?).map_err(|_| "dataKind above 255")?,
            data_hash,
            l1_msg_start: u64_field(batch, "l1MsgStart")?,
            l1_msg_end: u64_field(batch, "l1MsgEnd")?,
            queue_hash: hex32(field(batch, "queueHash")?)?,
            l1_timestamp: u64_field(batch, "l1Timestamp")?,
            l1_block_number: u64_field(batch, "l1BlockNumber")?,
            proposer: hex::decode20(field(batch, "proposer")?.as_str().unwrap_or("")).map_err(|_| "`proposer` is not an address")?,
            queue_hash_start: hex32(field(batch, "queueHashStart")?)?,
        };
        let c = h.commitment();
        b = next_batch_chain(&b, &c);
        writeln!(out, "batch {} commitment {} chain {}", h.index, hex::encode_prefixed(&c), hex::encode_prefixed(&b)).unwrap();
    }
    Ok(out)
}

/// Every `*.json` under `dir`, sorted, recursively.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

fn check_vectors_cmd(args: &[&str]) -> Result<String, String> {
    let (root, targets) = match args {
        ["--root", r, rest @ ..] => (PathBuf::from(r), rest),
        rest => (PathBuf::from("."), rest),
    };
    let mut files = Vec::new();
    if targets.is_empty() {
        json_files(&root.join("test/vectors"), &mut files)?;
    }
    for t in targets {
        let p = PathBuf::from(t);
        if p.is_dir() {
            json_files(&p, &mut files)?;
        } else {
            files.push(p);
        }
    }
    let (mut ok, mut bad) = (0, 0);
    let mut out = String::new();
    for f in &files {
        match vectors::check_file(f, &root) {
            Ok(n) => {
                ok += 1;
                writeln!(out, "ok   {} ({n} checks)", f.display()).unwrap();
            }
            Err(e) => {
                bad += 1;
                writeln!(out, "FAIL {e}").unwrap();
            }
        }
    }
    writeln!(out, "{ok} passed, {bad} failed").unwrap();
    if bad > 0 || files.is_empty() {
        Err(out)
    } else {
        Ok(out)
    }
}

/// `prove-range`: the public values of a range (docs/proving.md), and optionally each batch's root.
pub fn prove_range_cmd(input: &[u8], out: Option<&str>, roots: bool, stats: bool) -> Result<String, String> {
    use rollbook_guest_core::range::{prove_range, RangeInput};
    let input = RangeInput::decode(input).map_err(|e| format!("prove-range: {e:?}"))?;
    let r = prove_range(input, &rollbook_guest_core::secp256k1::Native, &CoreKzg, roots).map_err(|e| format!("prove-range: {}", range_error(&e)))?;
    let pv = r.public_values;
    let enc = pv.encode();
    if let Some(path) = out {
        std::fs::write(path, enc).map_err(|e| format!("{path}: {e}"))?;
    }
    let mut s = String::new();
    if roots {
        for (i, (outcome, root)) in r.batches.iter().enumerate() {
            writeln!(s, "batch {} outcome {} root {}", pv.first_batch + i as u64, *outcome as u8, hex::encode_prefixed(root)).unwrap();
        }
        writeln!(s, "receiptsDigest {}", hex::encode_prefixed(&crate::stf::receipts_digest(&r.receipts))).unwrap();
    }
    if stats {
        let st = &r.stats;
        writeln!(s, "tx kinds {:?}\ntx codes {:?}\naction codes {:?}\nL1 codes {:?}", st.kinds, st.tx_codes, st.action_codes, st.l1_codes).unwrap();
        writeln!(s, "fills {} swept {} agent-signed {}", st.fills, st.swept, st.agent_signed).unwrap();
    }
    pv_lines(&mut s, &pv);
    writeln!(s, "withdrawals {}", r.withdrawals.len()).unwrap();
    writeln!(s, "publicValues {}", hex::encode_prefixed(&enc)).unwrap();
    Ok(s)
}

/// A refused range as the runner reports it: the batch and the stable code first (node/prover/native.ts).
fn range_error(e: &RangeError) -> String {
    match e {
        RangeError::Witness(i, w) => format!("batch {i}: {}: {w:?}", w.code()),
        RangeError::BlobBinding(i, b) => format!("batch {i}: {}: {b:?}", b.code()),
        e => format!("{e:?}"),
    }
}

/// The public values' fields, one per line.
fn pv_lines(s: &mut String, pv: &PublicValues) {
    writeln!(s, "prevStateRoot {}", hex::encode_prefixed(&pv.prev_state_root)).unwrap();
    writeln!(s, "newStateRoot {}", hex::encode_prefixed(&pv.new_state_root)).unwrap();
    writeln!(s, "firstBatch {}\nlastBatch {}", pv.first_batch, pv.last_batch).unwrap();
    writeln!(s, "prevBatchChain {}", hex::encode_prefixed(&pv.prev_batch_chain)).unwrap();
    writeln!(s, "newBatchChain {}", hex::encode_prefixed(&pv.new_batch_chain)).unwrap();
    writeln!(s, "l1MessagesConsumed {}", pv.l1_messages_consumed).unwrap();
    writeln!(s, "l1QueueHash {}", hex::encode_prefixed(&pv.l1_queue_hash)).unwrap();
    writeln!(s, "withdrawalRoot {}", hex::encode_prefixed(&pv.withdrawal_root)).unwrap();
    writeln!(s, "prover {}", hex::encode_prefixed(&pv.prover)).unwrap();
}

/// `prove-witness-range`: the public values of a range executed statelessly from its witnesses.
pub fn prove_witness_range_cmd(input: &[u8], out: Option<&str>, roots: bool) -> Result<String, String> {
    use rollbook_guest_core::witness_range::{prove_witness_range, WitnessRangeInput};
    let input = WitnessRangeInput::decode(input).map_err(|e| format!("prove-witness-range: {e:?}"))?;
    let r = crate::catch_insufficient(|| prove_witness_range(&input, &rollbook_guest_core::secp256k1::Native, &CoreKzg))
        .map_err(|e| format!("prove-witness-range: {e}"))?
        .map_err(|e| format!("prove-witness-range: {}", range_error(&e)))?;
    let pv = r.public_values;
    let enc = pv.encode();
    if let Some(path) = out {
        std::fs::write(path, enc).map_err(|e| format!("{path}: {e}"))?;
    }
    let mut s = String::new();
    if roots {
        for (i, (outcome, root)) in r.batches.iter().enumerate() {
            writeln!(s, "batch {} outcome {} root {}", pv.first_batch + i as u64, *outcome as u8, hex::encode_prefixed(root)).unwrap();
        }
    }
    for w in &r.withdrawals {
        writeln!(s, "withdrawal {} {} {} {}", w.withdrawal_id, hex::encode_prefixed(&w.recipient), w.asset, w.amount).unwrap();
    }
    writeln!(s, "txs {}", r.txs).unwrap();
    pv_lines(&mut s, &pv);
    writeln!(s, "withdrawals {}", r.withdrawals.len()).unwrap();
    writeln!(s, "publicValues {}", hex::encode_prefixed(&enc)).unwrap();
    Ok(s)
}
