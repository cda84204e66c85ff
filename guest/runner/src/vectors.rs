//! Checks of the shared vector files (test/vectors/**.json) against the Rust core. Each check returns
//! the number of values it compared, or the first disagreement. Used by the tests and by
//! `rollbook-guest check-vectors`.

use crate::json::Json;
use crate::{field, hex20, hex32, hex_bytes, u64_field};
use rollbook_guest_core::batch::{blob_data_hash, calldata_data_hash, next_batch_chain, BatchHeader, BATCH_CHAIN_GENESIS};
use rollbook_guest_core::hex;
use rollbook_guest_core::keccak::keccak256;
use rollbook_guest_core::l1msg::{next_queue_hash, L1Message, QUEUE_GENESIS};
use rollbook_guest_core::public_values::{zisk_publics, PublicValues};
use rollbook_guest_core::trie::{leaf_key, root_of_leaves, verify_proof, Lookup, ProofError, Proven, Witness};
use rollbook_guest_core::withdrawals::{verify_withdrawal_proof, WithdrawalRecord, WithdrawalTree};
use std::path::Path;

/// Receipt code MALFORMED (docs/stf.md "Error codes").
const MALFORMED: u64 = 1;
/// Largest L2 amount / id (2^53 - 1).
const MAX_AMOUNT: u64 = (1 << 53) - 1;

type R = Result<usize, String>;

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: Rust {got:?}, vector {want:?}"))
    }
}

fn arr<'a>(j: &'a Json, key: &str) -> Result<&'a [Json], String> {
    field(j, key)?.as_array().ok_or_else(|| format!("`{key}` is not an array"))
}

/// Which checker a vector file needs (by its `name` or shape).
pub fn check_json(j: &Json, repo_root: &Path) -> R {
    match j.get("name").and_then(Json::as_str) {
        Some("trie-basics") => check_trie_basics(j),
        Some("trie") => check_trie_sets(j),
        Some("l1-messages") => check_l1_messages(j, repo_root),
        Some("batch-chain") => check_batch_chain(j),
        Some("public-values") => check_public_values(j),
        Some("withdrawals") => check_withdrawals(j, repo_root),
        _ if j.get("genesisRoot").is_some() => check_state_vector(j),
        _ if j.get("genesis").is_some() => check_stf_vector(j),
        _ => Err("unknown vector file (no known `name`, `genesisRoot` or `genesis`)".into()),
    }
}

/// Reads and checks one file.
pub fn check_file(path: &Path, repo_root: &Path) -> R {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let j = Json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    check_json(&j, repo_root).map_err(|e| format!("{}: {e}", path.display()))
}

// ------------------------------------------------------------------------------------------ state trie

/// `test/vectors/state/<stf vector>.json`: roots chain up; every witness parses, hashes to the batch's
/// pre-state root, and answers every one of its own leaves as present.
pub fn check_state_vector(j: &Json) -> R {
    let mut n = 0;
    let mut prev = hex32(field(j, "genesisRoot")?)?;
    for b in arr(j, "batches")? {
        let index = u64_field(b, "index")?;
        let pre = hex32(field(b, "preRoot")?)?;
        eq(&format!("batch {index} preRoot = previous postRoot"), pre, prev)?;
        if let Some(w) = b.get("witness") {
            let bytes = hex_bytes(w)?;
            let wit = Witness::parse(&bytes).map_err(|e| format!("batch {index}: witness: {e:?}"))?;
            eq(&format!("batch {index} witness root"), hex::encode(&wit.root()), hex::encode(&pre))?;
            for leaf in wit.leaves() {
                match wit.lookup(leaf_key(leaf).unwrap()) {
                    Lookup::Present(l) if l == leaf => {}
                    other => return Err(format!("batch {index}: witness lookup of its own leaf gave {other:?}")),
                }
                n += 1;
            }
            n += 1;
        }
        prev = hex32(field(b, "postRoot")?)?;
        n += 1;
    }
    Ok(n)
}

fn check_proof(root: &[u8; 32], p: &Json, what: &str) -> R {
    let key = hex_bytes(field(p, "key")?)?;
    let siblings = arr(p, "siblings")?.iter().map(hex32).collect::<Result<Vec<_>, _>>()?;
    let leaf = match field(p, "leaf")? {
        Json::Null => None,
        l => Some(hex_bytes(l)?),
    };
    let present = field(p, "present")?.as_bool().ok_or("`present` is not a bool")?;
    let got = verify_proof(root, &key, &siblings, leaf.as_deref()).map_err(|e| format!("{what}: proof rejected: {e:?}"))?;
    match got {
        Proven::Present(l) => {
            eq(&format!("{what}: present"), true, present)?;
            eq(&format!("{what}: leaf"), Some(l), leaf.as_deref())?;
        }
        Proven::Absent => eq(&format!("{what}: present"), false, present)?,
    }
    // the same proof against another root must fail
    let mut other = *root;
    other[31] ^= 1;
    eq(&format!("{what}: against a wrong root"), verify_proof(&other, &key, &siblings, leaf.as_deref()), Err(ProofError::RootMismatch))?;
    Ok(1)
}

/// `test/vectors/state/trie-basics.json`: the root of the leaf set and every proof.
pub fn check_trie_basics(j: &Json) -> R {
    let leaves = arr(j, "leaves")?.iter().map(hex_bytes).collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    let root = hex32(field(j, "root")?)?;
    eq("root of the leaves", root_of_leaves(&refs).map(|r| hex::encode(&r)), Ok(hex::encode(&root)))?;
    let mut n = 1;
    for (i, p) in arr(j, "proofs")?.iter().enumerate() {
        n += check_proof(&root, p, &format!("proof {i}"))?;
    }
    Ok(n)
}

/// `test/vectors/guest/trie.json`: random leaf sets, their roots and proofs, before and after deletions.
pub fn check_trie_sets(j: &Json) -> R {
    let mut n = 0;
    for (s, set) in arr(j, "sets")?.iter().enumerate() {
        let leaves = arr(set, "leaves")?.iter().map(hex_bytes).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        let root = hex32(field(set, "root")?)?;
        eq(&format!("set {s} root"), root_of_leaves(&refs).map(|r| hex::encode(&r)), Ok(hex::encode(&root)))?;
        for (i, p) in arr(set, "proofs")?.iter().enumerate() {
            n += check_proof(&root, p, &format!("set {s} proof {i}"))?;
        }
        let deleted = arr(set, "deleted")?.iter().map(hex_bytes).collect::<Result<Vec<_>, _>>()?;
        let rest: Vec<&[u8]> = refs.iter().copied().filter(|l| !deleted.iter().any(|k| leaf_key(l) == Some(k.as_slice()))).collect();
        eq(&format!("set {s} deletions"), rest.len() + deleted.len(), refs.len())?;
        let after = hex32(field(set, "rootAfterDeletes")?)?;
        eq(&format!("set {s} root after deletes"), root_of_leaves(&rest).map(|r| hex::encode(&r)), Ok(hex::encode(&after)))?;
        for (i, p) in arr(set, "afterProofs")?.iter().enumerate() {
            n += check_proof(&after, p, &format!("set {s} after-delete proof {i}"))?;
        }
        n += 2;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ L1 messages

fn fields_of(m: &L1Message) -> Vec<(&'static str, String)> {
    let a = |x: &[u8; 20]| hex::encode_prefixed(x);
    match m {
        L1Message::Deposit { account, asset, amount } | L1Message::ForcedWithdraw { account, asset, amount } => {
            vec![("account", a(account)), ("asset", asset.to_string()), ("amount", amount.to_string())]
        }
        L1Message::ForcedCancel { account, market, order_id } => {
            vec![("account", a(account)), ("market", market.to_string()), ("orderId", order_id.to_string())]
        }
        L1Message::SetMarket { market, params: p } => vec![
            ("market", market.to_string()),
            ("baseAsset", p.base_asset.to_string()),
            ("quoteAsset", p.quote_asset.to_string()),
            ("lotSize", p.lot_size.to_string()),
            ("tickSize", p.tick_size.to_string()),
            ("minSize", p.min_size.to_string()),
            ("makerFeePpm", p.maker_fee_ppm.to_string()),
            ("takerFeePpm", p.taker_fee_ppm.to_string()),
            ("status", p.status.to_string()),
        ],
        L1Message::Invalid => vec![],
    }
}

/// `test/vectors/guest/l1-messages.json`: decoding, re-encoding and the queue chain; and the queue hash
/// at every batch end of the STF vectors it names.
pub fn check_l1_messages(j: &Json, repo_root: &Path) -> R {
    let mut n = 0;
    let mut q = QUEUE_GENESIS;
    for (i, m) in arr(j, "messages")?.iter().enumerate() {
        let bytes = hex_bytes(field(m, "bytes")?)?;
        let d = L1Message::decode(&bytes);
        eq(&format!("message {i} kind"), d.kind() as u64, u64_field(m, "kind")?)?;
        let want = field(m, "fields")?;
        let got = fields_of(&d);
        eq(&format!("message {i} field count"), got.len(), match want {
            Json::Obj(v) => v.len(),
            _ => return Err(format!("message {i}: `fields` is not an object")),
        })?;
        for (k, v) in got {
            match field(want, k)? {
                // TS could not hold the value exactly: it is above 2^53-1
                Json::Null => {
                    let x: u64 = v.parse().map_err(|_| format!("message {i} {k}: null for a non-integer"))?;
                    if x <= MAX_AMOUNT {
                        return Err(format!("message {i} {k}: TS gave null for {x}"));
                    }
                }
                w => eq(&format!("message {i} {k}"), Some(v.as_str()), w.as_str())?,
            }
        }
        if d != L1Message::Invalid {
            eq(&format!("message {i} re-encoding"), d.encode(), Some(bytes.clone()))?;
        }
        q = next_queue_hash(&q, &bytes);
        eq(&format!("message {i} queue hash"), hex::encode_prefixed(&q), field(m, "queueHashAfter")?.as_str().unwrap_or("").to_string())?;
        n += 1;
    }
    for s in arr(j, "stf")? {
        let file = field(s, "file")?.as_str().ok_or("`file` is not a string")?;
        let text = read_fresh(repo_root, s)?;
        let stf = Json::parse(&text).map_err(|e| format!("{file}: {e}"))?;
        let mut q = QUEUE_GENESIS;
        let mut count = 0u64;
        let want = arr(s, "batches")?;
        let batches = arr(&stf, "batches")?;
        eq(&format!("{file}: batch count"), batches.len(), want.len())?;
        for (b, w) in batches.iter().zip(want) {
            for m in arr(b, "l1Messages")? {
                q = next_queue_hash(&q, &hex_bytes(m)?);
                count += 1;
            }
            eq(&format!("{file} batch {}: l1MsgEnd", u64_field(b, "index")?), count, u64_field(w, "l1MsgEnd")?)?;
            eq(&format!("{file} batch {}: q(l1MsgEnd)", u64_field(b, "index")?), q, hex32(field(w, "queueHash")?)?)?;
            n += 1;
        }
    }
    Ok(n)
}

/// `test/vectors/stf/*.json`, the parts that need no STF: every L1 message decodes (re-encodes to its
/// bytes when valid; an undecodable one has code MALFORMED; a MALFORMED one is undecodable or carries a
/// u64 above 2^53-1), and keccak256(finalState) is the last stateDigest.
pub fn check_stf_vector(j: &Json) -> R {
    let mut n = 0;
    let batches = arr(j, "batches")?;
    for b in batches {
        let index = u64_field(b, "index")?;
        let msgs = arr(b, "l1Messages")?;
        let expected = arr(field(b, "expected")?, "l1")?;
        eq(&format!("batch {index}: L1 receipts"), expected.len(), msgs.len())?;
        for (k, (m, e)) in msgs.iter().zip(expected).enumerate() {
            let bytes = hex_bytes(m)?;
            let d = L1Message::decode(&bytes);
            let code = u64_field(e, "code")?;
            let big = match d {
                L1Message::Deposit { amount, .. } => amount > MAX_AMOUNT,
                L1Message::ForcedCancel { order_id, .. } => order_id > MAX_AMOUNT,
                _ => false,
            };
            match d {
                L1Message::Invalid => eq(&format!("batch {index} message {k}: code of undecodable bytes"), code, MALFORMED)?,
                _ => {
                    eq(&format!("batch {index} message {k}: re-encoding"), d.encode(), Some(bytes.clone()))?;
                    if code == MALFORMED && !big {
                        return Err(format!("batch {index} message {k}: MALFORMED but decodes with in-range fields: {d:?}"));
                    }
                }
            }
            n += 1;
        }
    }
    if let (Some(fs), Some(last)) = (j.get("finalState"), batches.last()) {
        let digest = hex32(field(field(last, "expected")?, "stateDigest")?)?;
        eq("keccak256(finalState) = last stateDigest", keccak256(&hex_bytes(fs)?), digest)?;
        n += 1;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ batches

fn header_of(b: &Json) -> Result<BatchHeader, String> {
    let data_kind = u64_field(b, "dataKind")?;
    let data_hash = hex32(field(b, "dataHash")?)?;
    Ok(BatchHeader {
        index: u64_field(b, "index")?,
        data_kind: u8::try_from(data_kind).map_err(|_| "dataKind above 255")?,
        data_hash,
        l1_msg_start: u64_field(b, "l1MsgStart")?,
        l1_msg_end: u64_field(b, "l1MsgEnd")?,
        queue_hash: hex32(field(b, "queueHash")?)?,
        l1_timestamp: u64_field(b, "l1Timestamp")?,
        l1_block_number: u64_field(b, "l1BlockNumber")?,
        proposer: hex20(field(b, "proposer")?)?,
        queue_hash_start: hex32(field(b, "queueHashStart")?)?,
    })
}

/// `dataHash` recomputed from `blobHashes` or `calldata` when the object has them.
pub fn data_hash_from(b: &Json) -> Result<Option<[u8; 32]>, String> {
    if let Some(h) = b.get("blobHashes") {
        let hs = h.as_array().ok_or("`blobHashes` is not an array")?.iter().map(hex32).collect::<Result<Vec<_>, _>>()?;
        return Ok(Some(blob_data_hash(&hs)));
    }
    if let Some(c) = b.get("calldata") {
        return Ok(Some(calldata_data_hash(&hex_bytes(c)?)));
    }
    Ok(None)
}

/// `test/vectors/guest/batch-chain.json`: dataHash, c(i) and b(i) of every batch.
pub fn check_batch_chain(j: &Json) -> R {
    let mut n = 0;
    for (c, chain) in arr(j, "chains")?.iter().enumerate() {
        let mut b = BATCH_CHAIN_GENESIS;
        for batch in chain.as_array().ok_or("chain is not an array")? {
            let h = header_of(batch)?;
            let what = format!("chain {c} batch {}", h.index);
            eq(&format!("{what} dataHash"), data_hash_from(batch)?, Some(h.data_hash))?;
            eq(&format!("{what} commitment"), h.commitment(), hex32(field(batch, "commitment")?)?)?;
            b = next_batch_chain(&b, &h.commitment());
            eq(&format!("{what} batchChain"), b, hex32(field(batch, "batchChain")?)?)?;
            n += 1;
        }
    }
    let x = field(j, "extreme")?;
    eq("extreme commitment", header_of(x)?.commitment(), hex32(field(x, "commitment")?)?)?;
    Ok(n + 1)
}

// ------------------------------------------------------------------------------------------ public values

/// Public values from a JSON object with the tuple's field names (docs/l1-messages.md).
pub fn public_values_from(c: &Json) -> Result<PublicValues, String> {
    Ok(PublicValues {
        prev_state_root: hex32(field(c, "prevStateRoot")?)?,
        new_state_root: hex32(field(c, "newStateRoot")?)?,
        first_batch: u64_field(c, "firstBatch")?,
        last_batch: u64_field(c, "lastBatch")?,
        prev_batch_chain: hex32(field(c, "prevBatchChain")?)?,
        new_batch_chain: hex32(field(c, "newBatchChain")?)?,
        l1_messages_consumed: u64_field(c, "l1MessagesConsumed")?,
        l1_queue_hash: hex32(field(c, "l1QueueHash")?)?,
        withdrawal_root: hex32(field(c, "withdrawalRoot")?)?,
        prover: hex::decode20(field(c, "prover")?.as_str().ok_or("`prover` is not a string")?).map_err(|_| "`prover` is not an address")?,
    })
}

/// `test/vectors/guest/public-values.json`: abi.encode, strict decode, sha256 and the ZisK buffer.
pub fn check_public_values(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let pv = public_values_from(c)?;
        let enc = hex_bytes(field(c, "encoded")?)?;
        eq(&format!("case {i} encoding"), hex::encode(&pv.encode()), hex::encode(&enc))?;
        eq(&format!("case {i} decoding"), PublicValues::decode(&enc), Ok(pv))?;
        eq(&format!("case {i} sha256"), rollbook_guest_core::sha256::sha256(&enc), hex32(field(c, "sha256")?)?)?;
        eq(&format!("case {i} zisk publics"), zisk_publics(&enc, 256), hex_bytes(field(c, "ziskPublics256")?)?)?;
        n += 1;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ withdrawals

/// A withdrawal record from `{withdrawalId, recipient, asset, amount}`.
pub fn withdrawal_from(r: &Json) -> Result<WithdrawalRecord, String> {
    Ok(WithdrawalRecord {
        withdrawal_id: u64_field(r, "withdrawalId")?,
        recipient: hex::decode20(field(r, "recipient")?.as_str().ok_or("`recipient` is not a string")?).map_err(|_| "`recipient` is not an address")?,
        asset: u32::try_from(u64_field(r, "asset")?).map_err(|_| "`asset` above 2^32-1")?,
        amount: u64_field(r, "amount")?,
    })
}

/// A record object without its `proof` member.
fn strip_proof(r: &Json) -> Json {
    match r {
        Json::Obj(m) => Json::Obj(m.iter().filter(|(k, _)| k != "proof").cloned().collect()),
        o => o.clone(),
    }
}

/// The text of the STF vector file a generated part names, refused if it changed since generation.
fn read_fresh(repo_root: &Path, part: &Json) -> Result<String, String> {
    let file = field(part, "file")?.as_str().ok_or("`file` is not a string")?;
    let text = std::fs::read_to_string(repo_root.join(file)).map_err(|e| format!("{file}: {e}"))?;
    if keccak256(text.as_bytes()) != hex32(field(part, "fileKeccak")?)? {
        return Err(format!("{file} changed since test/vectors/guest was generated: run `npx node guest/vectors-gen/commitments.ts`"));
    }
    Ok(text)
}

fn check_tree(t: &Json, what: &str) -> R {
    let recs = arr(t, "records")?;
    let records = recs.iter().map(withdrawal_from).collect::<Result<Vec<_>, _>>()?;
    let tree = WithdrawalTree::new(&records).map_err(|e| format!("{what}: {e:?}"))?;
    let root = hex32(field(t, "root")?)?;
    eq(&format!("{what} root"), tree.root(), root)?;
    for (r, j) in records.iter().zip(recs) {
        let want = arr(j, "proof")?.iter().map(hex32).collect::<Result<Vec<_>, _>>()?;
        eq(&format!("{what} proof of {}", r.withdrawal_id), tree.proof(r.withdrawal_id), Some(want.clone()))?;
        eq(&format!("{what} verify {}", r.withdrawal_id), verify_withdrawal_proof(&root, r, &want), true)?;
        let mut wrong = *r;
        wrong.amount ^= 1;
        eq(&format!("{what} verify altered {}", r.withdrawal_id), verify_withdrawal_proof(&root, &wrong, &want), false)?;
    }
    Ok(1 + records.len())
}

/// `test/vectors/guest/withdrawals.json`: roots and OpenZeppelin proofs.
pub fn check_withdrawals(j: &Json, repo_root: &Path) -> R {
    let mut n = 0;
    for (i, t) in arr(j, "trees")?.iter().enumerate() {
        n += check_tree(t, &format!("tree {i}"))?;
    }
    for t in arr(j, "stf")? {
        // the records are in the vector itself; the file is read to make sure they are still its records
        let stf = Json::parse(&read_fresh(repo_root, t)?).map_err(|e| format!("{e}"))?;
        let mut records = Vec::new();
        for b in arr(&stf, "batches")? {
            records.extend(arr(field(b, "expected")?, "withdrawals")?.iter().cloned());
        }
        eq("STF withdrawal records", Some(records.as_slice()), t.get("records").and_then(Json::as_array).map(|r| r.iter().map(strip_proof).collect::<Vec<_>>()).as_deref())?;
        n += check_tree(t, field(t, "file")?.as_str().unwrap_or("stf"))?;
    }
    Ok(n)
}
