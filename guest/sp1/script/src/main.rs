//! `rollbook-sp1-host`: the SP1 host the node's `sp1` backend runs (node/prover/external.ts, docs/proving.md
//! "The sp1 and zisk drivers"). Not built here (no SP1 toolchain, no crates.io on the development machine);
//! API names follow sp1-sdk 5.
//!
//!     rollbook-sp1-host prove --elf <elf> --input <input.bin> --proof <proof.bin> \
//!         --public-values <public_values.bin> --stats <stats.json>   # what the node runs per range
//!     rollbook-sp1-host vkey --elf <elf>                  # the programVKey to pin in SP1VerifierAdapter
//!     rollbook-sp1-host execute --elf <elf> --input <input.bin>      # public values + cycles, no proof
//!
//! `<input.bin>` is the node's prover input (node/prover/guest-input.ts, guest/core src/witness_range.rs), e.g.
//! test/vectors/guest/ranges/*.witness.bin, written whole with one `write_vec`; the native runner gives the
//! same public values: `rollbook-guest prove-witness-range <input.bin>`. The prover is chosen by the
//! environment (`ProverClient::from_env`: SP1_PROVER=cpu|cuda|network|mock, NETWORK_PRIVATE_KEY for the
//! network), which the node sets from `prover.sp1Mode`. `prove` makes a Groth16 proof (SP1VerifierAdapter
//! forwards `proof.bytes()` to the SP1 verifier gateway), verifies it, and exits 0 only with every file written.

use sp1_sdk::{HashableKey, ProverClient, SP1Stdin};
use std::process::ExitCode;

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn need<'a>(args: &'a [String], name: &str) -> Result<&'a str, String> {
    flag(args, name).ok_or_else(|| format!("missing {name}"))
}

fn stdin_of(input: &str) -> Result<SP1Stdin, String> {
    let mut stdin = SP1Stdin::new();
    stdin.write_vec(std::fs::read(input).map_err(|e| format!("{input}: {e}"))?);
    Ok(stdin)
}

fn run(args: &[String]) -> Result<(), String> {
    let cmd = args.first().map(String::as_str).unwrap_or("");
    let elf_path = need(args, "--elf")?;
    let elf = std::fs::read(elf_path).map_err(|e| format!("{elf_path}: {e}"))?;
    let client = ProverClient::from_env();
    match cmd {
        "vkey" => {
            let (_, vk) = client.setup(&elf);
            println!("{}", vk.bytes32());
        }
        "execute" => {
            let (pv, report) = client.execute(&elf, &stdin_of(need(args, "--input")?)?).run().map_err(|e| format!("execution failed: {e}"))?;
            println!("publicValues 0x{}\ncycles {}", hex(pv.as_slice()), report.total_instruction_count());
        }
        "prove" => {
            let stdin = stdin_of(need(args, "--input")?)?;
            let (proof_path, pv_path, stats_path) = (need(args, "--proof")?, need(args, "--public-values")?, need(args, "--stats")?);
            // cycles first (an execution is cheap next to the proof): stats.json for the node's log and job
            let (_, report) = client.execute(&elf, &stdin).run().map_err(|e| format!("execution failed: {e}"))?;
            let (pk, vk) = client.setup(&elf);
            let proof = client.prove(&pk, &stdin).groth16().run().map_err(|e| format!("proving failed: {e}"))?;
            client.verify(&proof, &vk).map_err(|e| format!("the proof does not verify: {e}"))?;
            std::fs::write(pv_path, proof.public_values.as_slice()).map_err(|e| format!("{pv_path}: {e}"))?;
            std::fs::write(stats_path, format!("{{\"cycles\":{}}}\n", report.total_instruction_count())).map_err(|e| format!("{stats_path}: {e}"))?;
            // the proof last: the node takes an existing proof file as success
            std::fs::write(proof_path, proof.bytes()).map_err(|e| format!("{proof_path}: {e}"))?;
            println!("programVKey {}\npublicValues 0x{}", vk.bytes32(), hex(proof.public_values.as_slice()));
        }
        _ => return Err("usage: prove --elf E --input I --proof P --public-values V --stats S | vkey --elf E | execute --elf E --input I".into()),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
