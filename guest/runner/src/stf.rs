//! The STF vectors (test/vectors/stf/*.json, docs/stf.md "Test vectors") executed by the Rust STF
//! (rollbook_guest_core::stf): every receipt's status, code, orderId and fills (BULK: every action's), every
//! L1 receipt's code, amount and withdrawal id, the withdrawals, the proposer rewards and the stateDigest
//! after every batch must equal what the TypeScript STF recorded.

use crate::json::Json;
use crate::{field, hex20, hex32, hex_bytes, u64_field};
use rollbook_guest_core::keccak256;
use rollbook_guest_core::l1msg::L1Message;
use rollbook_guest_core::secp256k1::Native;
use rollbook_guest_core::stf::leaves::{all_leaves, state_root};
use rollbook_guest_core::stf::{apply, state::State, BatchInput, BatchResult, Fill, L1Receipt, TxReceipt};
use rollbook_guest_core::trie::{leaf_key, Witness};
use rollbook_guest_core::witness::execute_witness;
use rollbook_guest_core::witness_range::{prove_witness_range, WitnessRangeInput};
use std::collections::BTreeMap;
use std::path::Path;
use rollbook_guest_core::tx::{Action, Body, Signature, Tx};

type R = Result<usize, String>;

fn arr<'a>(j: &'a Json, key: &str) -> Result<&'a [Json], String> {
    field(j, key)?.as_array().ok_or_else(|| format!("`{key}` is not an array"))
}

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn num<T: TryFrom<u64>>(j: &Json, key: &str) -> Option<T> {
    j.get(key)?.as_u64().and_then(|v| T::try_from(v).ok())
}

/// An action field: absent means 0 (the vectors write only the op's fields; the STF ignores the rest).
fn act_num<T: TryFrom<u64> + Default>(j: &Json, key: &str) -> Option<T> {
    match j.get(key) {
        None => Some(T::default()),
        Some(v) => v.as_u64().and_then(|v| T::try_from(v).ok()),
    }
}

fn addr(j: &Json, key: &str) -> Option<[u8; 20]> {
    hex20(j.get(key)?).ok()
}

/// A vector transaction as the typed `Tx` the batch codec would produce, or `None` when its JSON value is
/// not representable (a fractional nonce, a missing field, a bad address): the STF rejects those MALFORMED.
pub fn vector_tx(t: &Json) -> Option<Tx> {
    let sig = t.get("sig")?;
    let sig = Signature { r: hex32(sig.get("r")?).ok()?, s: hex32(sig.get("s")?).ok()?, v: num(sig, "v")? };
    let body = match num::<u8>(t, "kind")? {
        1 => Body::Place {
            market: num(t, "market")?,
            side: num(t, "side")?,
            tif: num(t, "tif")?,
            price: num(t, "price")?,
            size: num(t, "size")?,
            expiry: num(t, "expiry")?,
            client_id: num(t, "clientId")?,
            stp: num(t, "stp")?,
        },
        2 => Body::Cancel { market: num(t, "market")?, order_id: num(t, "orderId")? },
        3 => Body::CancelByClientId { market: num(t, "market")?, client_id: num(t, "clientId")? },
        4 => Body::CancelAll { market: num(t, "market")? },
        5 => Body::Amend { market: num(t, "market")?, order_id: num(t, "orderId")?, price: num(t, "price")?, size: num(t, "size")? },
        6 => Body::Withdraw { asset: num(t, "asset")?, amount: num(t, "amount")?, recipient: addr(t, "recipient")? },
        7 => {
            let mut actions = Vec::new();
            for a in t.get("actions")?.as_array()? {
                actions.push(Action {
                    op: num(a, "op")?,
                    market: act_num(a, "market")?,
                    side: act_num(a, "side")?,
                    tif: act_num(a, "tif")?,
                    price: act_num(a, "price")?,
                    size: act_num(a, "size")?,
                    expiry: act_num(a, "expiry")?,
                    client_id: act_num(a, "clientId")?,
                    stp: act_num(a, "stp")?,
                    order_id: act_num(a, "orderId")?,
                });
            }
            Body::Bulk(actions)
        }
        8 => Body::ApproveAgent { agent: addr(t, "agent")?, expiry: num(t, "expiry")? },
        9 => Body::RevokeAgent { agent: addr(t, "agent")? },
        _ => return None,
    };
    Some(Tx { account: addr(t, "account")?, nonce: num(t, "nonce")?, body, sig })
}

/// The genesis state of a vector.
pub fn vector_genesis(j: &Json) -> Result<State, String> {
    let g = field(j, "genesis")?;
    Ok(State::genesis(u64_field(g, "chainId")?, hex20(field(g, "verifyingContract")?)?, hex20(field(g, "feeAccount")?)?))
}

/// One batch of a vector: (index, timestamp, proposer, messages, txs).
pub struct VectorBatch {
    pub index: u64,
    pub timestamp: u64,
    pub proposer: Option<[u8; 20]>,
    pub messages: Vec<L1Message>,
    pub txs: Vec<Option<Tx>>,
}

pub fn vector_batch(b: &Json) -> Result<VectorBatch, String> {
    let proposer = match b.get("proposer") {
        None => None,
        Some(p) if p.is_null() => None,
        Some(p) => Some(hex20(p)?),
    };
    let mut messages = Vec::new();
    for m in arr(b, "l1Messages")? {
        messages.push(L1Message::decode(&hex_bytes(m)?));
    }
    Ok(VectorBatch {
        index: u64_field(b, "index")?,
        timestamp: u64_field(b, "timestamp")?,
        proposer,
        messages,
        txs: arr(b, "txs")?.iter().map(vector_tx).collect(),
    })
}

/// Runs a batch on `st`.
pub fn run_batch(st: &mut State, vb: &VectorBatch) -> Result<BatchResult, String> {
    let input = BatchInput { index: vb.index, timestamp: vb.timestamp, proposer: vb.proposer, txs: &vb.txs };
    apply(st, &input, &vb.messages, &Native).map_err(|e| format!("batch {}: {e:?}", vb.index))
}

fn fills_of(fs: &[Fill]) -> Vec<[i128; 5]> {
    fs.iter().map(|f| [f.maker_order_id as i128, f.price as i128, f.size as i128, f.taker_fee as i128, f.maker_fee as i128]).collect()
}

fn want_fills(j: &Json) -> Result<Vec<[i128; 5]>, String> {
    let mut out = Vec::new();
    for f in arr(j, "fills")? {
        let a = f.as_array().ok_or("fill is not an array")?;
        if a.len() != 5 {
            return Err("fill is not 5 numbers".into());
        }
        let mut x = [0i128; 5];
        for (k, v) in a.iter().enumerate() {
            x[k] = v.as_i128().ok_or("fill number")?;
        }
        out.push(x);
    }
    Ok(out)
}

fn opt_id(v: Option<u64>) -> i128 {
    v.map_or(-1, |x| x as i128)
}

fn put_fills(out: &mut Vec<u8>, fills: &[Fill]) {
    out.extend_from_slice(&(fills.len() as u32).to_be_bytes());
    for f in fills {
        for x in [f.maker_order_id, f.price, f.size, f.taker_fee, f.maker_fee as u64] {
            out.extend_from_slice(&x.to_be_bytes());
        }
    }
}

/// The receipts digest of a range (docs/guest.md "Range vectors"): keccak256 over every batch's receipts,
/// exactly the fields the STF vectors compare, guest/vectors-gen/ranges.ts `receiptBytes` on the TS side.
/// Per batch: be32(L1 count), per L1 receipt code (1) ‖ be64 amount ‖ be64 withdrawalId (none: 2^64 - 1);
/// be32(tx count), per tx status (1) ‖ code (1) ‖ be64 orderId ‖ fills ‖ be32(action count) ‖ per action
/// status ‖ code ‖ be64 orderId ‖ fills; fills: be32(count) ‖ per fill be64 makerOrderId, price, size,
/// takerFee, makerFee (two's complement).
pub fn receipts_digest(batches: &[(Vec<L1Receipt>, Vec<TxReceipt>)]) -> [u8; 32] {
    let mut out = Vec::new();
    for (l1, txs) in batches {
        out.extend_from_slice(&(l1.len() as u32).to_be_bytes());
        for r in l1 {
            out.push(r.code);
            out.extend_from_slice(&r.amount.to_be_bytes());
            out.extend_from_slice(&r.withdrawal_id.unwrap_or(u64::MAX).to_be_bytes());
        }
        out.extend_from_slice(&(txs.len() as u32).to_be_bytes());
        for t in txs {
            out.extend_from_slice(&[t.status, t.code]);
            out.extend_from_slice(&t.order_id.to_be_bytes());
            put_fills(&mut out, &t.fills);
            out.extend_from_slice(&(t.actions.len() as u32).to_be_bytes());
            for a in &t.actions {
                out.extend_from_slice(&[a.status, a.code]);
                out.extend_from_slice(&a.order_id.to_be_bytes());
                put_fills(&mut out, &a.fills);
            }
        }
    }
    keccak256(&out)
}

/// A `{"<code>": count}` object of ranges.json `codes`.
pub fn code_counts(j: &Json) -> Result<BTreeMap<u8, u64>, String> {
    let Json::Obj(m) = j else { return Err("codes: not an object".into()) };
    m.iter()
        .map(|(k, v)| Ok((k.parse::<u8>().map_err(|_| format!("code {k}"))?, v.as_u64().ok_or_else(|| format!("count of code {k}"))?)))
        .collect()
}

/// Compares one batch's result and the state after it with the vector's `expected`.
pub fn compare_batch(index: u64, res: &BatchResult, st: &State, e: &Json) -> R {
    let mut n = 0;
    let l1 = arr(e, "l1")?;
    eq(&format!("batch {index}: L1 receipts"), res.l1.len(), l1.len())?;
    for (k, (got, want)) in res.l1.iter().zip(l1).enumerate() {
        let w = |key| field(want, key).and_then(|v| v.as_i128().ok_or_else(|| format!("`{key}`")));
        eq(&format!("batch {index} L1 {k} code"), got.code as i128, w("code")?)?;
        eq(&format!("batch {index} L1 {k} amount"), got.amount as i128, w("amount")?)?;
        eq(&format!("batch {index} L1 {k} withdrawalId"), opt_id(got.withdrawal_id), w("withdrawalId")?)?;
        n += 3;
    }
    let txs = arr(e, "txs")?;
    eq(&format!("batch {index}: tx receipts"), res.txs.len(), txs.len())?;
    for (k, (got, want)) in res.txs.iter().zip(txs).enumerate() {
        let what = format!("batch {index} tx {k}");
        eq(&format!("{what} status"), got.status as u64, u64_field(want, "status")?)?;
        eq(&format!("{what} code"), got.code as u64, u64_field(want, "code")?)?;
        eq(&format!("{what} orderId"), got.order_id, u64_field(want, "orderId")?)?;
        eq(&format!("{what} fills"), fills_of(&got.fills), want_fills(want)?)?;
        n += 4;
        if let Some(acts) = want.get("actions").and_then(Json::as_array) {
            eq(&format!("{what} actions"), got.actions.len(), acts.len())?;
            for (i, (ga, wa)) in got.actions.iter().zip(acts).enumerate() {
                eq(&format!("{what} action {i} status"), ga.status as u64, u64_field(wa, "status")?)?;
                eq(&format!("{what} action {i} code"), ga.code as u64, u64_field(wa, "code")?)?;
                eq(&format!("{what} action {i} orderId"), ga.order_id, u64_field(wa, "orderId")?)?;
                eq(&format!("{what} action {i} fills"), fills_of(&ga.fills), want_fills(wa)?)?;
                n += 4;
            }
        } else {
            eq(&format!("{what} actions"), got.actions.len(), 0)?;
        }
    }
    let ws = arr(e, "withdrawals")?;
    eq(&format!("batch {index}: withdrawals"), res.withdrawals.len(), ws.len())?;
    for (got, want) in res.withdrawals.iter().zip(ws) {
        eq(&format!("batch {index} withdrawal id"), got.withdrawal_id, u64_field(want, "withdrawalId")?)?;
        eq(&format!("batch {index} withdrawal recipient"), got.recipient, hex20(field(want, "recipient")?)?)?;
        eq(&format!("batch {index} withdrawal asset"), got.asset as u64, u64_field(want, "asset")?)?;
        eq(&format!("batch {index} withdrawal amount"), got.amount, u64_field(want, "amount")?)?;
        n += 4;
    }
    let mut rewards = Vec::new();
    for r in arr(e, "rewards")? {
        rewards.push((u64_field(r, "asset")? as u32, u64_field(r, "amount")?));
    }
    eq(&format!("batch {index}: rewards"), res.rewards.clone(), rewards)?;
    eq(&format!("batch {index}: stateDigest"), keccak256(&st.serialize()), hex32(field(e, "stateDigest")?)?)?;
    Ok(n + 2)
}

/// Executes a whole STF vector from its genesis and compares every batch.
pub fn check_stf_execution(j: &Json) -> R {
    let mut st = vector_genesis(j)?;
    let mut n = 0;
    for b in arr(j, "batches")? {
        let vb = vector_batch(b)?;
        let res = run_batch(&mut st, &vb)?;
        n += compare_batch(vb.index, &res, &st, field(b, "expected")?)?;
    }
    if let Some(fs) = j.get("finalState") {
        eq("final state serialization", st.serialize(), hex_bytes(fs)?)?;
        eq("final state round trip", State::deserialize(&hex_bytes(fs)?).map(|s| s.serialize()).ok(), Some(st.serialize()))?;
        n += 2;
    }
    Ok(n)
}

/// A state vector (test/vectors/state/<name>.json) against its STF vector run by the Rust STF: the state
/// root (every leaf of the full state, crate `stf::leaves`) after genesis and after every batch equals the
/// TS roots, and every LEAF of each batch's witness is the pre-state's leaf of that key.
pub fn check_state_roots(j: &Json, repo_root: &Path) -> R {
    let name = field(j, "name")?.as_str().ok_or("`name`")?;
    let path = repo_root.join("test/vectors/stf").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stf = Json::parse(&text).map_err(|e| format!("{}: {e:?}", path.display()))?;
    let mut st = vector_genesis(&stf)?;
    let root = |st: &State| state_root(st).map_err(|e| format!("leaf set: {e:?}"));
    eq("genesis root", root(&st)?, hex32(field(j, "genesisRoot")?)?)?;
    let mut n = 1;
    let batches = arr(&stf, "batches")?;
    let roots = arr(j, "batches")?;
    eq("batches in the state and STF vectors", roots.len(), batches.len())?;
    let mut pre_root = root(&st)?;
    for (b, r) in batches.iter().zip(roots) {
        let vb = vector_batch(b)?;
        let mut stateless = None;
        if let Some(w) = r.get("witness") {
            let bytes = hex_bytes(w)?;
            let wit = Witness::parse(&bytes).map_err(|e| format!("batch {}: witness: {e:?}", vb.index))?;
            let pre: BTreeMap<Vec<u8>, Vec<u8>> = all_leaves(&st).into_iter().map(|l| (leaf_key(&l).unwrap().to_vec(), l)).collect();
            for leaf in wit.leaves() {
                eq(&format!("batch {} witness leaf", vb.index), pre.get(leaf_key(leaf).unwrap()).map(|l| l.as_slice()), Some(leaf))?;
                n += 1;
            }
            stateless = Some(run_witness(&bytes, &pre_root, &vb).map_err(|e| format!("batch {}: witness execution: {e}", vb.index))?);
        }
        let res = run_batch(&mut st, &vb)?;
        let post = hex32(field(r, "postRoot")?)?;
        eq(&format!("batch {} postRoot", vb.index), root(&st)?, post)?;
        n += 1;
        if let Some((wroot, wres)) = stateless {
            // the stateless run reaches the same root and the same results as the full state
            eq(&format!("batch {} postRoot from the witness", vb.index), wroot, post)?;
            same_result(vb.index, &wres, &res)?;
            n += 2;
        }
        pre_root = post;
    }
    Ok(n)
}

/// Executes a vector batch from its witness alone (crate `witness`); a panic of the guarded STF (an
/// unproven read) is reported as WITNESS_INSUFFICIENT.
pub fn run_witness(witness: &[u8], pre_root: &[u8; 32], vb: &VectorBatch) -> Result<([u8; 32], BatchResult), String> {
    let input = BatchInput { index: vb.index, timestamp: vb.timestamp, proposer: vb.proposer, txs: &vb.txs };
    crate::catch_insufficient(|| execute_witness(witness, pre_root, &input, &vb.messages, &Native))
        .and_then(|r| r.map_err(|e| format!("{}: {e:?}", e.code())))
}

/// Every receipt, withdrawal and reward of two runs of one batch are equal.
pub fn same_result(index: u64, a: &BatchResult, b: &BatchResult) -> Result<(), String> {
    eq(&format!("batch {index}: expiry updates"), &a.expired, &b.expired)?;
    eq(&format!("batch {index}: L1 receipts"), &a.l1, &b.l1)?;
    eq(&format!("batch {index}: tx receipts"), &a.txs, &b.txs)?;
    eq(&format!("batch {index}: withdrawals"), &a.withdrawals, &b.withdrawals)?;
    eq(&format!("batch {index}: rewards"), &a.rewards, &b.rewards)
}

/// `test/vectors/guest/witness-exec.json` (guest/vectors-gen/witness-exec.ts): tampered copies of the node's
/// witnesses (a NODE or LEAF replaced by its HASH, a LEAF value changed) executed statelessly; the Rust
/// executor reaches the TS executor's post-state root or rejects with its code, on every copy.
pub fn check_witness_exec(j: &Json, repo_root: &Path) -> R {
    let mut stf: BTreeMap<String, BTreeMap<u64, VectorBatch>> = BTreeMap::new();
    let mut n = 0;
    for c in arr(j, "cases")? {
        let source = field(c, "source")?.as_str().ok_or("`source`")?;
        if !stf.contains_key(source) {
            let path = repo_root.join("test/vectors/stf").join(source);
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let v = Json::parse(&text).map_err(|e| format!("{}: {e:?}", path.display()))?;
            let mut batches = BTreeMap::new();
            for b in arr(&v, "batches")? {
                let vb = vector_batch(b)?;
                batches.insert(vb.index, vb);
            }
            stf.insert(source.to_string(), batches);
        }
        let index = u64_field(c, "batch")?;
        let vb = stf[source].get(&index).ok_or_else(|| format!("{source}: no batch {index}"))?;
        let what = format!("{source} batch {index} {} at {}", field(c, "kind")?.as_str().unwrap_or("?"), field(c, "at")?.as_str().unwrap_or("?"));
        let got = run_witness(&hex_bytes(field(c, "witness")?)?, &hex32(field(c, "preRoot")?)?, vb);
        match (got, c.get("postRoot"), c.get("error").and_then(Json::as_str)) {
            (Ok((root, _)), Some(want), _) => eq(&format!("{what}: postRoot"), root, hex32(want)?)?,
            (Err(e), None, Some(code)) if e.starts_with(code) => {}
            (got, _, _) => return Err(format!("{what}: got {:?}, want {}", got.map(|r| r.0), c.get("error").and_then(Json::as_str).unwrap_or("a root"))),
        }
        n += 1;
    }
    Ok(n)
}

/// `test/vectors/guest/ranges.json` (guest/vectors-gen/ranges.ts): every RBRANGE1 input proven by
/// `range::prove_range` gives the TS node's 320 public-value bytes, and every batch its validity outcome and
/// post-state root.
pub fn check_ranges(j: &Json, repo_root: &Path) -> R {
    use rollbook_guest_core::blob::CoreKzg;
    use rollbook_guest_core::range::{prove_range, RangeInput};
    let mut n = 0;
    for r in arr(j, "ranges")? {
        let file = field(r, "file")?.as_str().ok_or("`file`")?;
        let path = repo_root.join("test/vectors/guest").join(file);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        eq(&format!("{file}: input keccak (stale file: rerun guest/vectors-gen/ranges.ts)"), keccak256(&bytes), hex32(field(r, "inputKeccak")?)?)?;
        let input = RangeInput::decode(&bytes).map_err(|e| format!("{file}: {e:?}"))?;
        // the carried blob commitments (c-kzg's) must equal the core's KZG
        let out = prove_range(input, &Native, &CoreKzg, true).map_err(|e| format!("{file}: {e:?}"))?;
        let want = arr(r, "batches")?;
        eq(&format!("{file}: batches"), out.batches.len(), want.len())?;
        for ((outcome, root), w) in out.batches.iter().zip(want) {
            let index = u64_field(w, "index")?;
            eq(&format!("{file} batch {index} outcome"), *outcome as u64, u64_field(w, "outcome")?)?;
            eq(&format!("{file} batch {index} postRoot"), *root, hex32(field(w, "postRoot")?)?)?;
            n += 2;
        }
        eq(&format!("{file}: public values"), out.public_values.encode().to_vec(), hex_bytes(field(r, "publicValues")?)?)?;
        eq(&format!("{file}: receipts digest"), receipts_digest(&out.receipts), hex32(field(r, "receiptsDigest")?)?)?;
        let codes = field(r, "codes")?;
        let st = &out.stats;
        for (class, got) in [("tx", &st.tx_codes), ("action", &st.action_codes), ("l1", &st.l1_codes)] {
            eq(&format!("{file}: {class} receipt codes"), got, &code_counts(field(codes, class)?)?)?;
        }
        n += 5;
        // the same range as the node's prover input, executed statelessly from its witnesses
        if let Some(wf) = r.get("witnessFile") {
            let wf = wf.as_str().ok_or("`witnessFile`")?;
            let path = repo_root.join("test/vectors/guest").join(wf);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            eq(&format!("{wf}: input keccak (stale file: rerun guest/vectors-gen/ranges.ts)"), keccak256(&bytes), hex32(field(r, "witnessInputKeccak")?)?)?;
            let input = WitnessRangeInput::decode(&bytes).map_err(|e| format!("{wf}: {e:?}"))?;
            let out = crate::catch_insufficient(|| prove_witness_range(&input, &Native, &CoreKzg)).and_then(|x| x.map_err(|e| format!("{e:?}"))).map_err(|e| format!("{wf}: {e}"))?;
            for ((outcome, root), w) in out.batches.iter().zip(want) {
                let index = u64_field(w, "index")?;
                eq(&format!("{wf} batch {index} outcome"), *outcome as u64, u64_field(w, "outcome")?)?;
                eq(&format!("{wf} batch {index} postRoot"), *root, hex32(field(w, "postRoot")?)?)?;
                n += 2;
            }
            eq(&format!("{wf}: batches"), out.batches.len(), want.len())?;
            eq(&format!("{wf}: public values"), out.public_values.encode().to_vec(), hex_bytes(field(r, "publicValues")?)?)?;
            n += 1;
        }
    }
    Ok(n)
}
