//! Checks of the shared vector files (test/vectors/**.json) against the Rust core. Each check returns
//! the number of values it compared, or the first disagreement. Used by the tests and by
//! `rollbook-guest check-vectors`.

use crate::json::Json;
use crate::{field, hex32, hex_bytes, u64_field};
use rollbook_guest_core::batch::{blob_data_hash, calldata_data_hash, next_batch_chain, BatchHeader, BATCH_CHAIN_GENESIS};
use rollbook_guest_core::codec::decode_batch;
use rollbook_guest_core::eip712::{tx_hash, Domain, Hasher};
use rollbook_guest_core::blob::{unpack_blobs, BYTES_PER_BLOB, PAYLOAD_BYTES_PER_BLOB};
use rollbook_guest_core::hex;
use rollbook_guest_core::inflate::{inflate, InflateError};
use rollbook_guest_core::secp256k1::{recover_address, Native};
use rollbook_guest_core::tx::{Action, Body, Signature, Tx};
use rollbook_guest_core::keccak::keccak256;
use rollbook_guest_core::l1msg::{next_queue_hash, L1Message, QUEUE_GENESIS};
use rollbook_guest_core::ptrie::{PartialTrie, UpdateError};
use rollbook_guest_core::public_values::{zisk_publics, PublicValues};
use rollbook_guest_core::trie::{leaf_key, root_of_leaves, verify_proof, Lookup, ProofError, Proven, Witness};
use rollbook_guest_core::validity::{check_batch_validity, Committed, InputMismatch, PreGlobals};
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
        Some("ecrecover") => check_ecrecover(j),
        Some("eip712") => check_eip712(j),
        Some("inflate") => check_inflate(j),
        Some("blobs") => check_blobs(j),
        Some("witness-updates") => check_witness_updates(j, repo_root),
        Some("batches") => check_batches(j),
        Some("validity") => check_validity(j),
        Some("deflate") => check_deflate(j),
        Some("kzg") => crate::kzg::check_kzg(j, repo_root),
        Some("ranges") => crate::stf::check_ranges(j, repo_root),
        Some("witness-exec") => crate::stf::check_witness_exec(j, repo_root),
        _ if j.get("genesisRoot").is_some() => Ok(check_state_vector(j)? + crate::stf::check_state_roots(j, repo_root)?),
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
    Ok(n + crate::stf::check_stf_execution(j)?)
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
        proposer: hex::decode20(field(b, "proposer")?.as_str().unwrap_or("")).map_err(|_| "`proposer` is not an address")?,
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

// ------------------------------------------------------------------------------------------ signatures

fn addr_field(j: &Json, key: &str) -> Result<[u8; 20], String> {
    let s = field(j, key)?.as_str().ok_or_else(|| format!("`{key}` is not a string"))?;
    hex::decode20(s).map_err(|_| format!("`{key}` is not an address"))
}

fn opt_signer(j: &Json) -> Result<Option<[u8; 20]>, String> {
    let s = field(j, "signer")?;
    if s.is_null() {
        Ok(None)
    } else {
        addr_field(j, "signer").map(Some)
    }
}

fn u8_field(j: &Json, key: &str) -> Result<u8, String> {
    u8::try_from(u64_field(j, key)?).map_err(|_| format!("`{key}` above 255"))
}

fn u32_field(j: &Json, key: &str) -> Result<u32, String> {
    u32::try_from(u64_field(j, key)?).map_err(|_| format!("`{key}` above 2^32-1"))
}

/// `test/vectors/guest/ecrecover.json`: the signer (or failure) libsecp256k1 gives, with the STF's range
/// rules, for signed digests, high-s twins, range edges and random (r, s).
pub fn check_ecrecover(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let got = recover_address(&Native, &hex32(field(c, "digest")?)?, &hex32(field(c, "r")?)?, &hex32(field(c, "s")?)?, u8_field(c, "v")?);
        let why = field(c, "why")?.as_str().unwrap_or("");
        eq(&format!("case {i} ({why}) signer"), got, opt_signer(c)?)?;
        n += 1;
    }
    Ok(n)
}

/// A transaction from its JSON form (generator field names, integers as decimal strings).
pub fn tx_from(t: &Json, sig: Signature) -> Result<Tx, String> {
    let body = match u64_field(t, "kind")? {
        1 => Body::Place {
            market: u32_field(t, "market")?,
            side: u8_field(t, "side")?,
            tif: u8_field(t, "tif")?,
            price: u64_field(t, "price")?,
            size: u64_field(t, "size")?,
            expiry: u64_field(t, "expiry")?,
            client_id: u64_field(t, "clientId")?,
            stp: u8_field(t, "stp")?,
        },
        2 => Body::Cancel { market: u32_field(t, "market")?, order_id: u64_field(t, "orderId")? },
        3 => Body::CancelByClientId { market: u32_field(t, "market")?, client_id: u64_field(t, "clientId")? },
        4 => Body::CancelAll { market: u32_field(t, "market")? },
        5 => Body::Amend {
            market: u32_field(t, "market")?,
            order_id: u64_field(t, "orderId")?,
            price: u64_field(t, "price")?,
            size: u64_field(t, "size")?,
        },
        6 => Body::Withdraw { asset: u32_field(t, "asset")?, amount: u64_field(t, "amount")?, recipient: addr_field(t, "recipient")? },
        7 => {
            let mut actions = Vec::new();
            for a in arr(t, "actions")? {
                actions.push(Action {
                    op: u8_field(a, "op")?,
                    market: u32_field(a, "market")?,
                    side: u8_field(a, "side")?,
                    tif: u8_field(a, "tif")?,
                    price: u64_field(a, "price")?,
                    size: u64_field(a, "size")?,
                    expiry: u64_field(a, "expiry")?,
                    client_id: u64_field(a, "clientId")?,
                    stp: u8_field(a, "stp")?,
                    order_id: u64_field(a, "orderId")?,
                });
            }
            Body::Bulk(actions)
        }
        8 => Body::ApproveAgent { agent: addr_field(t, "agent")?, expiry: u64_field(t, "expiry")? },
        9 => Body::RevokeAgent { agent: addr_field(t, "agent")? },
        k => return Err(format!("unknown tx kind {k}")),
    };
    Ok(Tx { account: addr_field(t, "account")?, nonce: u64_field(t, "nonce")?, body, sig })
}

/// `test/vectors/guest/eip712.json`: digest, txHash and signer of signed transactions of every kind.
pub fn check_eip712(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let d = field(c, "domain")?;
        let domain = Domain { chain_id: u64_field(d, "chainId")?, verifying_contract: addr_field(d, "verifyingContract")? };
        let sig = Signature { r: hex32(field(c, "r")?)?, s: hex32(field(c, "s")?)?, v: u8_field(c, "v")? };
        let tx = tx_from(field(c, "tx")?, sig)?;
        let digest = Hasher::new(&domain).digest(&tx);
        eq(&format!("case {i} digest"), digest, hex32(field(c, "digest")?)?)?;
        eq(&format!("case {i} txHash"), tx_hash(&digest, &tx), hex32(field(c, "txHash")?)?)?;
        let signer = recover_address(&Native, &digest, &tx.sig.r, &tx.sig.s, tx.sig.v);
        eq(&format!("case {i} signer"), signer, opt_signer(c)?)?;
        eq(&format!("case {i} signer is the account"), signer, Some(tx.account))?;
        n += 4;
    }
    Ok(n)
}

/// Codec reason codes of a DEFLATE section (docs/batch-format.md "Invalid batches").
pub fn inflate_reason(e: InflateError) -> u64 {
    match e {
        InflateError::Trailing { .. } => 5,
        InflateError::Corrupt => 6,
        InflateError::TooLong => 8,
    }
}

/// `test/vectors/guest/inflate.json`: what zlib inflateRaw (through the codec's rules) makes of each
/// section: the output's keccak256, or the reason code.
pub fn check_inflate(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let input = hex_bytes(field(c, "input")?)?;
        let length = usize::try_from(u64_field(c, "length")?).map_err(|_| "length")?;
        let why = field(c, "why")?.as_str().unwrap_or("");
        // the codec's rule: inflate at most max(1, length) bytes, then the length must match
        let got = match inflate(&input, length.max(1)) {
            Ok(out) if out.len() == length => Ok(keccak256(&out)),
            Ok(_) => Err(8),
            Err(e) => Err(inflate_reason(e)),
        };
        let want = match c.get("ok") {
            Some(h) => Ok(hex32(h)?),
            None => Err(u64_field(c, "reason")?),
        };
        eq(&format!("case {i} ({why})"), got, want)?;
        n += 1;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ blobs

/// node/sim/rng.ts XorShift32 (the generator's data source).
struct XorShift32(u32);

impl XorShift32 {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// The dense packing of docs/da.md (the inverse of `unpack_blobs`), to rebuild the vectors' blobs.
fn pack_blobs(data: &[u8]) -> Vec<Vec<u8>> {
    let n = rollbook_guest_core::blob::blobs_needed(data.len()).expect("vector data fits");
    let mut payload = vec![0u8; n * PAYLOAD_BYTES_PER_BLOB];
    payload[0] = 1;
    payload[1..5].copy_from_slice(&(data.len() as u32).to_be_bytes());
    payload[5..5 + data.len()].copy_from_slice(data);
    (0..n)
        .map(|b| {
            let mut blob = vec![0u8; BYTES_PER_BLOB];
            for g in 0..1024 {
                let i = b * PAYLOAD_BYTES_PER_BLOB + g * 127;
                let o = g * 128;
                for j in 0..4 {
                    blob[o + 32 * j + 1..o + 32 * j + 32].copy_from_slice(&payload[i + 31 * j..i + 31 * j + 31]);
                }
                let x = (payload[i + 124] as u32) << 16 | (payload[i + 125] as u32) << 8 | payload[i + 126] as u32;
                for j in 0..4 {
                    blob[o + 32 * j] = ((x >> (18 - 6 * j)) & 63) as u8;
                }
            }
            blob
        })
        .collect()
}

/// `test/vectors/guest/blobs.json`: seeded data packed as the node packs it (checked by hash), edited,
/// and unpacked: the data's keccak256 or the docs/da.md error code.
pub fn check_blobs(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let why = field(c, "why")?.as_str().unwrap_or("");
        let mut rng = XorShift32(u32::try_from(u64_field(c, "seed")?).map_err(|_| "seed")?);
        let length = u64_field(c, "length")? as usize;
        let data: Vec<u8> = (0..length).map(|_| (rng.next() % 256) as u8).collect();
        let mut blobs = pack_blobs(&data);
        eq(&format!("case {i} ({why}) blob count"), blobs.len() as u64, u64_field(c, "blobs")?)?;
        eq(&format!("case {i} ({why}) packing"), keccak256(&blobs.concat()), hex32(field(c, "packedKeccak")?)?)?;
        for e in arr(c, "edits")? {
            let e = e.as_array().ok_or("edit is not an array")?;
            let num = |k: usize| e.get(k).and_then(Json::as_u64).map(|v| v as usize).ok_or("edit argument");
            match e.first().and_then(Json::as_str) {
                Some("set") => blobs[num(1)?][num(2)?] = num(3)? as u8,
                Some("or") => blobs[num(1)?][num(2)?] |= num(3)? as u8,
                Some("resize") => blobs[num(1)?].resize(num(2)?, 0),
                Some("appendZeroBlob") => blobs.push(vec![0u8; BYTES_PER_BLOB]),
                Some("dropBlobs") => blobs.clear(),
                _ => return Err(format!("case {i}: unknown edit")),
            }
        }
        let refs: Vec<&[u8]> = blobs.iter().map(|b| b.as_slice()).collect();
        let got = unpack_blobs(&refs).map(|d| keccak256(&d)).map_err(|e| e.code().to_string());
        let want = match c.get("ok") {
            Some(h) => Ok(hex32(h)?),
            None => Err(field(c, "error")?.as_str().ok_or("error")?.to_string()),
        };
        eq(&format!("case {i} ({why})"), got, want)?;
        n += 2;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ witness updates

/// `test/vectors/guest/witness-updates.json`: per batch of the STF vectors, the witness (and stripped
/// copies of it) updated with the batch's deleted keys and put leaves: the post-state root, or
/// insufficient (`postRoot: null`) exactly when node/state/witness.ts PartialTrie says so.
pub fn check_witness_updates(j: &Json, repo_root: &Path) -> R {
    // the replayed STF files must be the ones the vectors were made from
    if let Some(Json::Obj(files)) = j.get("stfFileKeccak") {
        for (f, h) in files {
            let text = std::fs::read(repo_root.join("test/vectors/stf").join(f)).map_err(|e| format!("{f}: {e}"))?;
            if keccak256(&text) != hex32(h)? {
                return Err(format!("stale: test/vectors/stf/{f} changed; rerun npx node guest/vectors-gen/witness-updates.ts"));
            }
        }
    }
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let what = format!("case {i} ({} batch {})", field(c, "source")?.as_str().unwrap_or(""), u64_field(c, "batch")?);
        let bytes = hex_bytes(field(c, "witness")?)?;
        let w = Witness::parse(&bytes).map_err(|e| format!("{what}: witness {e:?}"))?;
        eq(&format!("{what} witness root"), w.root(), hex32(field(c, "preRoot")?)?)?;
        let mut t = PartialTrie::from_witness(&w);
        let mut res = Ok(());
        for k in arr(c, "dels")? {
            res = res.and_then(|_| t.delete(&hex_bytes(k).unwrap_or_default()));
        }
        for e in arr(c, "puts")? {
            res = res.and_then(|_| t.put(&hex_bytes(e).unwrap_or_default()));
        }
        let got = res.map(|_| t.root());
        let want = match field(c, "postRoot")? {
            Json::Null => Err(UpdateError::InsufficientWitness),
            h => Ok(hex32(h)?),
        };
        eq(&format!("{what} post root"), got, want)?;
        n += 2;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ batches

/// `test/vectors/guest/batches.json`: batch bytes (format v2, random batches of every kind and mutated
/// copies) as node/codec decodeBatch decodes them: the reason code, or the header, compression and every
/// transaction with its signature and EIP-712 digest.
pub fn check_batches(j: &Json) -> R {
    let d = field(j, "domain")?;
    let hasher = Hasher::new(&Domain { chain_id: u64_field(d, "chainId")?, verifying_contract: addr_field(d, "verifyingContract")? });
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let what = format!("case {i} ({})", field(c, "why")?.as_str().unwrap_or(""));
        let got = decode_batch(&hex_bytes(field(c, "input")?)?);
        if let Some(reason) = c.get("reason") {
            eq(&format!("{what} reason"), got.map(|_| ()).map_err(|r| r as u64), Err(reason.as_u64().ok_or("reason")?))?;
            n += 1;
            continue;
        }
        let b = got.map_err(|r| format!("{what}: Rust rejects with {r:?}, the node decodes it"))?;
        let h = field(c, "header")?;
        eq(&format!("{what} parentBatchHash"), b.header.parent_batch_hash, hex32(field(h, "parentBatchHash")?)?)?;
        eq(&format!("{what} timestamp"), b.header.timestamp, u64_field(h, "timestamp")?)?;
        eq(&format!("{what} l1MsgStart"), b.header.l1_msg_start, u64_field(h, "l1MsgStart")?)?;
        eq(&format!("{what} l1MsgEnd"), b.header.l1_msg_end, u64_field(h, "l1MsgEnd")?)?;
        eq(&format!("{what} compression"), b.compression as u64, u64_field(c, "compression")?)?;
        let txs = arr(c, "txs")?;
        eq(&format!("{what} tx count"), b.txs.len(), txs.len())?;
        for (t, (tx, x)) in b.txs.iter().zip(txs).enumerate() {
            let sig = Signature { r: hex32(field(x, "r")?)?, s: hex32(field(x, "s")?)?, v: u8_field(x, "v")? };
            eq(&format!("{what} tx {t}"), tx, &tx_from(field(x, "tx")?, sig)?)?;
            eq(&format!("{what} tx {t} digest"), hasher.digest(tx), hex32(field(x, "digest")?)?)?;
            n += 2;
        }
        n += 1;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ validity

/// `test/vectors/guest/validity.json`: node/derive/validity.ts on batches around every rule's edge: the
/// input-consistency rule that fails, or the outcome, the codec reason, the clock and the tx count.
pub fn check_validity(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let what = format!("case {i} ({})", field(c, "why")?.as_str().unwrap_or(""));
        let p = field(c, "pre")?;
        let pre = PreGlobals {
            batch_index: u64_field(p, "batchIndex")?,
            timestamp: u64_field(p, "timestamp")?,
            l1_messages_consumed: u64_field(p, "l1MessagesConsumed")?,
        };
        let k = field(c, "commitment")?;
        let com = Committed {
            index: u64_field(k, "index")?,
            data_kind: u8_field(k, "dataKind")?,
            data_hash: hex32(field(k, "dataHash")?)?,
            l1_msg_start: u64_field(k, "l1MsgStart")?,
            queue_hash_start: hex32(field(k, "queueHashStart")?)?,
            l1_msg_end: u64_field(k, "l1MsgEnd")?,
            queue_hash: hex32(field(k, "queueHash")?)?,
            l1_timestamp: u64_field(k, "l1Timestamp")?,
        };
        let data = hex_bytes(field(c, "data")?)?;
        let vh: Vec<[u8; 32]> = arr(c, "versionedHashes")?.iter().map(hex32).collect::<Result<_, _>>()?;
        let msgs: Vec<Vec<u8>> = arr(c, "messages")?.iter().map(hex_bytes).collect::<Result<_, _>>()?;
        let refs: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
        let got = check_batch_validity(&com, &hex32(field(c, "parentChain")?)?, &data, &vh, &refs, &pre);
        match c.get("inputMismatch").and_then(Json::as_str) {
            Some(rule) => {
                let want = match rule {
                    "I1_INDEX" => InputMismatch::I1Index,
                    "I2_L1_START" => InputMismatch::I2L1Start,
                    "I3_MESSAGES" => InputMismatch::I3Messages,
                    _ => InputMismatch::I4Data,
                };
                eq(&what, got.map(|d| d.outcome as u64).err(), Some(want))?;
            }
            None => {
                let d = got.map_err(|e| format!("{what}: Rust input mismatch {e:?}, the node decides an outcome"))?;
                eq(&format!("{what} outcome"), d.outcome as u64, u64_field(c, "outcome")?)?;
                let reason = field(c, "reason")?;
                eq(&format!("{what} reason"), d.reason.map(|r| r as u64), if reason.is_null() { None } else { reason.as_u64() })?;
                eq(&format!("{what} clock"), d.timestamp, u64_field(c, "timestamp")?)?;
                eq(&format!("{what} txs"), d.txs.len() as u64, u64_field(c, "txCount")?)?;
            }
        }
        n += 1;
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------ deflate (codec)

/// `test/vectors/codec/deflate.json` (node/codec's DEFLATE byte vectors for a second inflater): the
/// section with its declared recordsLength inflates to the output (or its keccak), or fails with the
/// codec's reason name.
pub fn check_deflate(j: &Json) -> R {
    let mut n = 0;
    for (i, c) in arr(j, "cases")?.iter().enumerate() {
        let what = format!("case {i} ({})", field(c, "name")?.as_str().unwrap_or(""));
        let section = hex_bytes(field(c, "section")?)?;
        let length = u64_field(c, "recordsLength")? as usize;
        let got = match inflate(&section, length.max(1)) {
            Ok(out) if out.len() == length => Ok(out),
            Ok(_) => Err("RECORDS_LENGTH_MISMATCH"),
            Err(e) => Err(match inflate_reason(e) {
                5 => "BAD_COMPRESSED_FRAME",
                6 => "DECOMPRESS_FAILED",
                _ => "RECORDS_LENGTH_MISMATCH",
            }),
        };
        match field(c, "outcome")?.as_str() {
            Some("ok") => {
                let out = got.map_err(|e| format!("{what}: Rust {e}, the node inflates it"))?;
                match c.get("output") {
                    Some(o) => eq(&format!("{what} output"), out, hex_bytes(o)?)?,
                    None => {
                        eq(&format!("{what} output length"), out.len() as u64, u64_field(c, "outputLength")?)?;
                        eq(&format!("{what} output keccak"), keccak256(&out), hex32(field(c, "outputKeccak")?)?)?;
                    }
                }
            }
            Some(reason) => eq(&what, got.map(|o| o.len()).err(), Some(reason))?,
            None => return Err(format!("{what}: no outcome")),
        }
        n += 1;
    }
    Ok(n)
}
