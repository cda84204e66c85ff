//! Host for the SP1 program (docs/proving.md). Not built here.
//!
//!     cargo run --release -- vkey                          # the programVKey to pin in SP1VerifierAdapter
//!     cargo run --release -- execute <input.bin>           # run without proving: public values, cycles
//!     cargo run --release -- prove <input.bin> <out-dir>   # Groth16 proof: writes publicValues.bin, proof.bin
//!
//! `<input.bin>` is the node's prover input (node/prover/guest-input.ts, guest/core src/witness_range.rs), e.g.
//! test/vectors/guest/ranges/*.witness.bin, written whole with one `write_vec`; the native runner gives the
//! same public values: `rollbook-guest prove-witness-range <input.bin>`.

use sp1_sdk::{include_elf, HashableKey, ProverClient, SP1Stdin};

const ELF: &[u8] = include_elf!("rollbook-guest-sp1");

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let client = ProverClient::from_env();
    let (pk, vk) = client.setup(ELF);
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["vkey"] => println!("{}", vk.bytes32()),
        ["execute", input] => {
            let mut stdin = SP1Stdin::new();
            stdin.write_vec(std::fs::read(input).expect("input"));
            let (pv, report) = client.execute(ELF, &stdin).run().expect("execution failed");
            println!("publicValues 0x{}", hex(pv.as_slice()));
            println!("cycles {}", report.total_instruction_count());
        }
        ["prove", input, out] => {
            let mut stdin = SP1Stdin::new();
            stdin.write_vec(std::fs::read(input).expect("input"));
            let proof = client.prove(&pk, &stdin).groth16().run().expect("proving failed");
            client.verify(&proof, &vk).expect("verification failed");
            std::fs::create_dir_all(out).expect("out dir");
            std::fs::write(format!("{out}/publicValues.bin"), proof.public_values.as_slice()).expect("write");
            std::fs::write(format!("{out}/proof.bin"), proof.bytes()).expect("write");
            println!("programVKey {}\npublicValues 0x{}", vk.bytes32(), hex(proof.public_values.as_slice()));
        }
        _ => eprintln!("usage: vkey | execute <input.bin> | prove <input.bin> <out-dir>"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
