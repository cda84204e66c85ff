//! `rollbook-guest bench`: native speed of the guest pieces that exist today, and the operation counts
//! that proxy zkVM cost (docs/guest.md "Benchmark"). Workloads are the shared vectors (signed
//! transactions of every kind, witnesses of the STF vectors), so nothing here is synthetic:
//! - authentication: EIP-712 digest + secp256k1 recovery + address per signed transaction (eip712.json);
//! - witness update: parse the witness, check its root, apply the batch's leaf deletes and puts, hash the
//!   post-state root (witness-updates.json, the cases that are sufficient);
//! - inflate: the largest zlib stream of inflate.json;
//! - ranges: `range::prove_range` over test/vectors/guest/ranges/*.bin (13.6k transactions of every kind in
//!   random trading scenarios): batch validity, decoding, authentication, the STF (matching, fees, expiry
//!   sweeps, receipts), c(i)/b(i), the withdrawal root, and the full-state pre/post roots of each range;
//!   the blob batches' carried commitments checked against the core's KZG. The same ranges in witness mode
//!   (the node's prover inputs: every blob bound to its versioned hash first), timed apart for the ranges
//!   with and without blob batches, and the blob binding alone on their blobs.
//! - KZG (docs/proving.md "Blob binding", option A): `kzg::blob_to_commitment` on the random full blobs of
//!   test/vectors/guest/kzg (every element a random canonical value: the worst case), with Fp
//!   multiplications and G1 additions / doublings counted per blob, the MSM timed at windows 7-12, and option
//!   B's barycentric evaluation (`kzg::eval::evaluate_blob`) timed and counted on the same blobs.
//! `tx_per_s` is the range execution per transaction plus each transaction's share of the witness update
//! (what the witness mode adds in place of the full-state roots); `keccak_per_tx` counts the same
//! (the full-state roots' keccak-f excluded).

use crate::json::Json;
use crate::vectors::tx_from;
use crate::{field, hex32, hex_bytes, u64_field};
use rollbook_guest_core::blob::{bind_blobs, CoreKzg};
use rollbook_guest_core::counters;
use rollbook_guest_core::eip712::{Domain, Hasher};
use rollbook_guest_core::inflate::inflate;
use rollbook_guest_core::kzg::{self, msm};
use rollbook_guest_core::ptrie::PartialTrie;
use rollbook_guest_core::range::{prove_range, RangeInput};
use rollbook_guest_core::stf::leaves::state_root;
use rollbook_guest_core::secp256k1::{recover_address, Native};
use rollbook_guest_core::trie::Witness;
use rollbook_guest_core::tx::{Signature, Tx};
use rollbook_guest_core::witness_range::{prove_witness_range, WitnessRangeInput};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

fn load(root: &Path, rel: &str) -> Result<Json, String> {
    let text = std::fs::read_to_string(root.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    Json::parse(&text).map_err(|e| format!("{rel}: {e}"))
}

fn cases<'a>(j: &'a Json) -> Result<&'a [Json], String> {
    field(j, "cases")?.as_array().ok_or_else(|| "cases".to_string())
}

struct Update {
    witness: Vec<u8>,
    dels: Vec<Vec<u8>>,
    puts: Vec<Vec<u8>>,
    post: [u8; 32],
    txs: u64,
}

/// Repeats `f` for at least `min_s` seconds; returns (iterations, seconds).
fn timed(min_s: f64, mut f: impl FnMut()) -> (u64, f64) {
    let t = Instant::now();
    let mut n = 0;
    while n == 0 || t.elapsed().as_secs_f64() < min_s {
        f();
        n += 1;
    }
    (n, t.elapsed().as_secs_f64())
}

pub fn bench(root: &Path, min_s: f64) -> Result<String, String> {
    let mut out = String::new();
    // signed transactions of every kind
    let mut txs: Vec<(Hasher, Tx)> = Vec::new();
    for c in cases(&load(root, "test/vectors/guest/eip712.json")?)? {
        let d = field(c, "domain")?;
        let domain = Domain {
            chain_id: u64_field(d, "chainId")?,
            verifying_contract: rollbook_guest_core::hex::decode20(field(d, "verifyingContract")?.as_str().unwrap_or("")).map_err(|_| "address")?,
        };
        let sig = Signature { r: hex32(field(c, "r")?)?, s: hex32(field(c, "s")?)?, v: u64_field(c, "v")? as u8 };
        txs.push((Hasher::new(&domain), tx_from(field(c, "tx")?, sig)?));
    }
    let (k0, e0) = counters::read();
    let (rounds, secs) = timed(min_s, || {
        for (h, tx) in &txs {
            let d = h.digest(tx);
            let s = recover_address(&Native, &d, &tx.sig.r, &tx.sig.s, tx.sig.v);
            assert_eq!(s, Some(tx.account));
        }
    });
    let (k1, e1) = counters::read();
    let auth_n = rounds * txs.len() as u64;
    let auth_us = secs * 1e6 / auth_n as f64;
    let auth_keccak = (k1 - k0) as f64 / auth_n as f64;
    let auth_ecrecover = (e1 - e0) as f64 / auth_n as f64;
    writeln!(out, "authentication: {} signed txs (every kind, bulks of 1-64 actions) x {rounds}: {auth_us:.1} us/tx, {auth_keccak:.2} keccak-f/tx, {auth_ecrecover:.2} ecrecover/tx", txs.len()).unwrap();

    // witness updates of the STF vectors' batches
    let mut tx_count: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for f in std::fs::read_dir(root.join("test/vectors/stf")).map_err(|e| e.to_string())? {
        let p = f.map_err(|e| e.to_string())?.path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let j = Json::parse(&std::fs::read_to_string(&p).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        for b in field(&j, "batches")?.as_array().unwrap_or(&[]) {
            tx_count.insert((name.clone(), u64_field(b, "index")?), field(b, "txs")?.as_array().map_or(0, |a| a.len() as u64));
        }
    }
    let mut ups = Vec::new();
    for c in cases(&load(root, "test/vectors/guest/witness-updates.json")?)? {
        if c.get("stripped").is_some() {
            continue;
        }
        let key = (field(c, "source")?.as_str().unwrap_or("").to_string(), u64_field(c, "batch")?);
        let list = |k: &str| -> Result<Vec<Vec<u8>>, String> { field(c, k)?.as_array().unwrap_or(&[]).iter().map(hex_bytes).collect() };
        ups.push(Update {
            witness: hex_bytes(field(c, "witness")?)?,
            dels: list("dels")?,
            puts: list("puts")?,
            post: hex32(field(c, "postRoot")?)?,
            txs: *tx_count.get(&key).unwrap_or(&0),
        });
    }
    let up_txs: u64 = ups.iter().map(|u| u.txs).sum::<u64>().max(1);
    let witness_bytes: u64 = ups.iter().map(|u| u.witness.len() as u64).sum();
    let (k0, _) = counters::read();
    let (rounds, secs) = timed(min_s, || {
        for u in &ups {
            let w = Witness::parse(&u.witness).expect("witness");
            let _pre = w.root();
            let mut t = PartialTrie::from_witness(&w);
            for d in &u.dels {
                t.delete(d).expect("delete");
            }
            for p in &u.puts {
                t.put(p).expect("put");
            }
            assert_eq!(t.root(), u.post);
        }
    });
    let (k1, _) = counters::read();
    let up_us_per_tx = secs * 1e6 / (rounds * up_txs) as f64;
    let up_keccak = (k1 - k0) as f64 / (rounds * up_txs) as f64;
    let wb = witness_bytes as f64 / up_txs as f64;
    writeln!(out, "witness update: {} batches, {up_txs} txs x {rounds}: {up_us_per_tx:.1} us/tx, {up_keccak:.2} keccak-f/tx, {wb:.0} witness bytes/tx (TS-built witnesses of the small STF vectors)", ups.len()).unwrap();

    // inflate
    let mut biggest: Option<(Vec<u8>, usize)> = None;
    for c in cases(&load(root, "test/vectors/guest/inflate.json")?)? {
        if c.get("ok").is_some() {
            let input = hex_bytes(field(c, "input")?)?;
            let len = u64_field(c, "length")? as usize;
            if biggest.as_ref().is_none_or(|(_, l)| len > *l) {
                biggest = Some((input, len));
            }
        }
    }
    let (input, len) = biggest.ok_or("no inflate case")?;
    let (rounds, secs) = timed(min_s / 2.0, || {
        assert_eq!(inflate(&input, len).map(|o| o.len()), Ok(len));
    });
    let mbps = (rounds as f64 * len as f64) / secs / 1e6;
    writeln!(out, "inflate: {} -> {len} bytes x {rounds}: {mbps:.0} MB/s of output", input.len()).unwrap();

    // ranges: the whole program (full-state mode) on the range vectors
    let manifest = load(root, "test/vectors/guest/ranges.json")?;
    let mut inputs = Vec::new();
    let mut txs_each = Vec::new();
    for r in field(&manifest, "ranges")?.as_array().unwrap_or(&[]) {
        let file = field(r, "file")?.as_str().unwrap_or("");
        let bytes = std::fs::read(root.join("test/vectors/guest").join(file)).map_err(|e| format!("{file}: {e}"))?;
        inputs.push(RangeInput::decode(&bytes).map_err(|e| format!("{file}: {e:?}"))?);
        txs_each.push(u64_field(r, "txs")?);
    }
    let range_txs: u64 = txs_each.iter().sum();
    // the ranges holding blob batches: each blob's commitment is recomputed (blob binding, CoreKzg)
    let blobs_each: Vec<usize> = inputs.iter().map(|i| i.batches.iter().map(|b| b.blobs.len()).sum()).collect();
    let blobs: usize = blobs_each.iter().sum();
    let blob_ranges = blobs_each.iter().filter(|&&n| n > 0).count();
    // keccak-f of the full-state roots (pre and post of every range), to leave them out of keccak_per_tx
    let mut posts = Vec::new();
    for i in &inputs {
        state_root(&i.pre_state).map_err(|e| format!("{e:?}"))?;
        posts.push(prove_range(i.clone(), &Native, &CoreKzg, false).map_err(|e| format!("{e:?}"))?.post_state);
    }
    let (k1, _) = counters::read();
    for p in &posts {
        state_root(p).map_err(|e| format!("{e:?}"))?;
    }
    let (k2, _) = counters::read();
    let (roots_t, roots_s) = timed(0.2, || {
        for p in &posts {
            state_root(p).unwrap();
        }
    });
    let root_ms = roots_s * 1e3 / (roots_t as f64 * posts.len() as f64);
    let root_keccak = (k2 - k1) * 2; // the post roots, and about as many for the pre roots
    let (k0b, e0) = counters::read();
    let mut each = vec![0.0; inputs.len()];
    let (rounds, secs) = timed(min_s, || {
        for (k, i) in inputs.iter().enumerate() {
            let t = Instant::now();
            prove_range(i.clone(), &Native, &CoreKzg, false).expect("range");
            each[k] += t.elapsed().as_secs_f64();
        }
    });
    let (range_plain_us, range_blob_us) = split_us(&each, &txs_each, &blobs_each, rounds);
    let (k1b, e1) = counters::read();
    let range_n = (rounds * range_txs) as f64;
    let range_us = secs * 1e6 / range_n;
    let range_keccak = ((k1b - k0b) as f64 - (rounds * root_keccak) as f64) / range_n;
    let range_ecrecover = (e1 - e0) as f64 / range_n;
    writeln!(out, "ranges: {} inputs, {range_txs} txs x {rounds}: {range_us:.1} us/tx (validity, decoding, authentication, STF, c(i)/b(i), withdrawal root, full-state roots), {range_keccak:.2} keccak-f/tx without the full-state roots, {range_ecrecover:.2} ecrecover/tx; one full-state root {root_ms:.2} ms", inputs.len()).unwrap();
    writeln!(out, "ranges by kind: {} without blob batches {range_plain_us:.1} us/tx; {blob_ranges} with {blobs} blobs (commitments checked) {range_blob_us:.1} us/tx", inputs.len() - blob_ranges).unwrap();

    // witness mode: the zkVM programs' body on the same ranges as the node's prover inputs
    let mut winputs = Vec::new();
    let mut wbytes = 0u64;
    for r in field(&manifest, "ranges")?.as_array().unwrap_or(&[]) {
        let Some(file) = r.get("witnessFile").and_then(|f| f.as_str()) else { continue };
        let bytes = std::fs::read(root.join("test/vectors/guest").join(file)).map_err(|e| format!("{file}: {e}"))?;
        let input = WitnessRangeInput::decode(&bytes).map_err(|e| format!("{file}: {e:?}"))?;
        wbytes += input.batches.iter().map(|b| b.witness.len() as u64).sum::<u64>();
        winputs.push(input);
    }
    let (k0w, e0w) = counters::read();
    let mut each = vec![0.0; winputs.len()];
    let cpu0 = cpu_seconds();
    let (wrounds, wsecs) = timed(min_s, || {
        for (k, i) in winputs.iter().enumerate() {
            let t = Instant::now();
            prove_witness_range(i, &Native, &CoreKzg).expect("witness range");
            each[k] += t.elapsed().as_secs_f64();
        }
    });
    let w_cpu = cpu_seconds() - cpu0;
    let (w_plain_us, w_blob_us) = split_us(&each, &txs_each, &blobs_each, wrounds);
    let (k1w, e1w) = counters::read();
    let wn = (wrounds * range_txs) as f64;
    let w_us = wsecs * 1e6 / wn;
    let w_keccak = (k1w - k0w) as f64 / wn;
    let w_ecrecover = (e1w - e0w) as f64 / wn;
    let w_bytes = wbytes as f64 / range_txs.max(1) as f64;
    let w_tx_per_s = (1e6 / w_us).round() as u64;
    writeln!(out, "witness mode: {} prover inputs, {range_txs} txs x {wrounds}: {w_us:.1} us/tx = {w_tx_per_s} tx/s (witness check, validity, decoding, authentication, STF over the partial state, derivation, pruned-trie update, c(i)/b(i), withdrawal root), {w_keccak:.2} keccak-f/tx, {w_ecrecover:.2} ecrecover/tx, {w_bytes:.0} witness bytes/tx", winputs.len()).unwrap();
    // the blob binding alone: every blob of the ranges bound to its versioned hash (packed batch data, so
    // partly zero padding: cheaper than the random full blobs of the KZG section)
    let bound: Vec<(Vec<&[u8]>, &[[u8; 32]])> = winputs
        .iter()
        .flat_map(|i| &i.batches)
        .filter(|b| !b.blobs.is_empty())
        .map(|b| (b.blobs.iter().map(|x| x.as_slice()).collect(), b.versioned_hashes.as_slice()))
        .collect();
    let cpu0 = cpu_seconds();
    let (brounds, bsecs) = timed(min_s / 4.0, || {
        for (bl, vh) in &bound {
            bind_blobs(&CoreKzg, bl, vh).expect("the vectors' blobs bind");
        }
    });
    let bind_cpu_ms = (cpu_seconds() - cpu0) * 1e3 / (brounds as f64 * blobs.max(1) as f64);
    let bind_ms = bsecs * 1e3 / (brounds as f64 * blobs.max(1) as f64);
    let w_cpu_us = w_cpu * 1e6 / wn;
    let w_unbound_us = w_us - bind_ms * 1e3 * blobs as f64 / range_txs.max(1) as f64;
    let per_s = |us: f64| (1e6 / us).round() as u64;
    writeln!(out, "witness mode by kind: {} ranges without blob batches {w_plain_us:.1} us/tx = {} tx/s; {blob_ranges} with {blobs} blobs {w_blob_us:.1} us/tx = {} tx/s; all {w_cpu_us:.1} us/tx on the CPU", winputs.len() - blob_ranges, per_s(w_plain_us), per_s(w_blob_us)).unwrap();
    writeln!(out, "blob binding (bind_blobs, CoreKzg) on the ranges' {blobs} blobs: {bind_ms:.1} ms/blob wall, {bind_cpu_ms:.1} ms/blob on the CPU; witness mode without it {w_unbound_us:.1} us/tx = {} tx/s", per_s(w_unbound_us)).unwrap();

    let k = bench_kzg(root, min_s, &mut out)?;

    let us_per_tx = range_us + up_us_per_tx;
    let tx_per_s = (1e6 / us_per_tx).round() as u64;
    writeln!(out, "per tx (range execution + share of the witness update): {us_per_tx:.1} us = {tx_per_s} tx/s on one core").unwrap();
    writeln!(
        out,
        "{{\"bench\":\"guest\",\"tx_per_s\":{tx_per_s},\"keccak_per_tx\":{:.2},\"ecrecover_per_tx\":{range_ecrecover:.2},\"witness_bytes_per_tx\":{wb:.0},\"scope\":\"stf+witness-update\",\"range_us_per_tx\":{range_us:.1},\"auth_us\":{auth_us:.1},\"auth_keccak_per_tx\":{auth_keccak:.2},\"inflate_mb_per_s\":{mbps:.0},\"witness_mode_tx_per_s\":{w_tx_per_s},\"witness_mode_keccak_per_tx\":{w_keccak:.2},\"witness_mode_bytes_per_tx\":{w_bytes:.0},\"witness_mode_tx_per_s_no_blob_ranges\":{},\"witness_mode_tx_per_s_blob_ranges\":{},\"witness_mode_tx_per_s_without_binding\":{},\"witness_mode_cpu_us_per_tx\":{w_cpu_us:.1},\"range_blobs\":{blobs},\"bind_ms_per_blob\":{bind_ms:.1},\"bind_cpu_ms_per_blob\":{bind_cpu_ms:.1},{k}}}",
        range_keccak + up_keccak,
        per_s(w_plain_us),
        per_s(w_blob_us),
        per_s(w_unbound_us),
    )
    .unwrap();
    Ok(out)
}

/// Microseconds per transaction over the ranges without blob batches and over those with them, from each
/// input's time summed over `rounds`.
fn split_us(each: &[f64], txs: &[u64], blobs: &[usize], rounds: u64) -> (f64, f64) {
    let (mut secs, mut n) = ([0.0; 2], [0u64; 2]);
    for ((s, t), b) in each.iter().zip(txs).zip(blobs) {
        let g = usize::from(*b > 0);
        secs[g] += s;
        n[g] += t;
    }
    let us = |g: usize| secs[g] * 1e6 / (n[g].max(1) * rounds) as f64;
    (us(0), us(1))
}

/// KZG commitment cost per blob (option A) and option B's evaluation; returns the JSON fields.
fn bench_kzg(root: &Path, min_s: f64, out: &mut String) -> Result<String, String> {
    let j = load(root, "test/vectors/guest/kzg/commitments.json")?;
    let all = std::fs::read(root.join("test/vectors/guest").join(field(&j, "blobsFile")?.as_str().unwrap_or(""))).map_err(|e| e.to_string())?;
    let mut blobs: Vec<(&[u8], [u8; 48])> = Vec::new();
    for c in cases(&j)? {
        if !field(c, "name")?.as_str().unwrap_or("").starts_with("random canonical") {
            continue;
        }
        let i = u64_field(c, "blob")? as usize;
        let want: [u8; 48] = hex_bytes(field(c, "commitment")?)?.try_into().map_err(|_| "commitment")?;
        blobs.push((&all[i * kzg::BYTES_PER_BLOB..(i + 1) * kzg::BYTES_PER_BLOB], want));
    }
    if blobs.is_empty() {
        return Err("kzg: no random blobs".into());
    }
    let n = blobs.len() as u64;
    let c0 = kzg::counters::read();
    for (b, want) in &blobs {
        assert_eq!(kzg::blob_to_commitment(b).as_ref(), Ok(want), "kzg commitment");
    }
    let c1 = kzg::counters::read();
    let per = |a: u64, b: u64| (b - a) as f64 / n as f64;
    let fp_mul = per(c0.fp_mul, c1.fp_mul);
    let adds = per(c0.g1_add, c1.g1_add);
    let madds = per(c0.g1_add_affine, c1.g1_add_affine);
    let dbls = per(c0.g1_double, c1.g1_double);
    let cpu0 = cpu_seconds();
    let (rounds, secs) = timed(min_s / 2.0, || {
        for (b, _) in &blobs {
            kzg::blob_to_commitment(b).unwrap();
        }
    });
    let ms = secs * 1e3 / (rounds * n) as f64;
    let cpu_ms = (cpu_seconds() - cpu0) * 1e3 / (rounds * n) as f64;
    writeln!(out, "kzg commitment (option A): {n} random full blobs x {rounds}: {ms:.1} ms/blob wall, {cpu_ms:.1} ms/blob on the CPU; per blob {fp_mul:.0} Fp mul, {madds:.0} mixed + {adds:.0} Jacobian G1 additions, {dbls:.0} doublings (window {})", msm::DEFAULT_WINDOW).unwrap();
    // the MSM alone at other windows (setup conversion and scalar parsing outside the timing)
    let points = kzg::setup::lagrange_points();
    let scalars: Vec<Vec<[u64; 4]>> = blobs.iter().map(|(b, _)| kzg::blob_scalars(b).unwrap()).collect();
    let mut windows = String::new();
    for w in 7..=12 {
        let a = kzg::counters::read();
        msm::msm(&points, &scalars[0], w);
        let b = kzg::counters::read();
        let (r, s) = timed(min_s / 8.0, || {
            for sc in &scalars {
                msm::msm(&points, sc, w);
            }
        });
        write!(windows, " c={w}: {:.1} ms, {} adds, {} Fp mul;", s * 1e3 / (r * n) as f64, (b.g1_add + b.g1_add_affine) - (a.g1_add + a.g1_add_affine), b.fp_mul - a.fp_mul).unwrap();
    }
    writeln!(out, "kzg msm by window (per blob):{windows}").unwrap();
    // option B: y = p(z) at a fixed point off the domain
    let z = [0x11u8; 32];
    let e0 = kzg::counters::read();
    kzg::eval::evaluate_blob(blobs[0].0, &z).map_err(|e| format!("{e:?}"))?;
    let e1 = kzg::counters::read();
    let fr_mul = e1.fr_mul - e0.fr_mul;
    let (rounds, secs) = timed(min_s / 4.0, || {
        for (b, _) in &blobs {
            kzg::eval::evaluate_blob(b, &z).unwrap();
        }
    });
    let eval_ms = secs * 1e3 / (rounds * n) as f64;
    writeln!(out, "blob evaluation (option B, barycentric): {eval_ms:.2} ms/blob, {fr_mul} Fr mul (incl. 4095 for the roots of unity, one inversion of ~380)").unwrap();
    Ok(format!(
        "\"kzg_ms_per_blob\":{ms:.1},\"kzg_cpu_ms_per_blob\":{cpu_ms:.1},\"kzg_fp_mul_per_blob\":{fp_mul:.0},\"kzg_g1_add_per_blob\":{:.0},\"kzg_g1_double_per_blob\":{dbls:.0},\"kzg_eval_ms_per_blob\":{eval_ms:.2},\"kzg_eval_fr_mul_per_blob\":{fr_mul}",
        adds + madds
    ))
}

/// CPU time of this process (user + system, /proc/self/stat, 10 ms ticks; 0 where /proc is missing): on a
/// loaded host the wall time of a single-threaded loop overstates its cost.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based)
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
