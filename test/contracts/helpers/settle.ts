// Helpers for contracts-settle's tests (Settlement, DisputeGame, verifiers): public values encoding, the policy
// proof envelope, fake proofs for the SP1/ZisK test doubles, EIP-712 attestations and custom-error assertions.
import { expect } from "chai";
import {
  type Abi,
  type Address,
  type Hex,
  concat,
  decodeErrorResult,
  encodeAbiParameters,
  keccak256,
  sha256,
  size,
  toHex,
  zeroHash,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { artifacts } from "hardhat";

export type PublicValues = {
  prevStateRoot: Hex;
  newStateRoot: Hex;
  firstBatch: bigint;
  lastBatch: bigint;
  prevBatchChain: Hex;
  newBatchChain: Hex;
  l1MessagesConsumed: bigint;
  l1QueueHash: Hex;
  withdrawalRoot: Hex;
  prover: Address;
};

export const PUBLIC_VALUES_ABI = [
  { type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "uint64" }, { type: "bytes32" },
  { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }, { type: "bytes32" }, { type: "address" },
] as const;

/** abi.encode of the public values tuple (docs/l1-messages.md). */
export function encodePublicValues(p: PublicValues): Hex {
  return encodeAbiParameters(PUBLIC_VALUES_ABI, [
    p.prevStateRoot, p.newStateRoot, p.firstBatch, p.lastBatch, p.prevBatchChain,
    p.newBatchChain, p.l1MessagesConsumed, p.l1QueueHash, p.withdrawalRoot, p.prover,
  ]);
}

/** Policy envelope: 0x01 ‖ (id(1) ‖ be(len,4) ‖ proof)*, ids ascending. */
export function envelope(parts: { id: number; proof: Hex }[]): Hex {
  return concat(["0x01", ...parts.flatMap((p) => [toHex(p.id, { size: 1 }), toHex(size(p.proof), { size: 4 }), p.proof])]);
}

export const SP1_DOUBLE_SELECTOR: Hex = "0x5d1e5d1e";

/** A proof the SP1GatewayDouble accepts for (vkey, publicValues). */
export function sp1DoubleProof(vkey: Hex, pv: Hex): Hex {
  return concat([SP1_DOUBLE_SELECTOR, keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [vkey, sha256(pv)]))]);
}

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** ZisK publics buffer the adapter passes: sha256(publicValues) then zeros up to `len` bytes. */
export function ziskPublics(pv: Hex, len = 256): Hex {
  return concat([sha256(pv), toHex(new Uint8Array(len - 32))]);
}

/** A proof the ZiskVerifierDouble accepts: uint256[24] whose first word is the public input. */
export function ziskDoubleProof(programVK: Hex, root: Hex, pv: Hex, publicsLen = 256): Hex {
  const digest = BigInt(sha256(concat([programVK, ziskPublics(pv, publicsLen), root]))) % R;
  const words = [digest, ...Array.from({ length: 23 }, (_, i) => BigInt(i + 1))];
  return encodeAbiParameters([{ type: "uint256[24]" }], [words as any]);
}

/** Deterministic signer accounts, sorted by address ascending. */
export function attesters(n: number): PrivateKeyAccount[] {
  const accs = Array.from({ length: n }, (_, i) => privateKeyToAccount(keccak256(toHex(`attester-${i}`))));
  return accs.sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/** EIP-712 attestation signatures of `signers` (in the given order) over `pv`, concatenated. */
export async function attest(signers: PrivateKeyAccount[], verifier: Address, chainId: number, pv: Hex): Promise<Hex> {
  const sigs = await Promise.all(
    signers.map((s) =>
      s.signTypedData({
        domain: { name: "Rollbook Attestation", version: "1", chainId, verifyingContract: verifier },
        types: { Attestation: [{ name: "publicValuesHash", type: "bytes32" }] },
        primaryType: "Attestation",
        message: { publicValuesHash: keccak256(pv) },
      }),
    ),
  );
  return sigs.length ? concat(sigs) : "0x";
}

let allAbi: Abi | undefined;
const ABI_SOURCES = [
  "Settlement", "DisputeGame", "VerifierPolicy", "SP1VerifierAdapter", "ZiskVerifierAdapter", "AttestationVerifier",
  "InboxDouble", "SP1GatewayDouble", "ZiskVerifierDouble", "ExactProofVerifierDouble",
];
async function errorsAbi(): Promise<Abi> {
  if (!allAbi) {
    const seen = new Set<string>();
    const errs: any[] = [];
    for (const name of ABI_SOURCES) {
      for (const item of (await artifacts.readArtifact(name)).abi as any[]) {
        if (item.type !== "error") continue;
        const key = `${item.name}(${item.inputs.map((i: any) => i.type).join(",")})`;
        if (!seen.has(key)) { seen.add(key); errs.push(item); }
      }
    }
    allAbi = errs as Abi;
  }
  return allAbi;
}

function revertData(e: any): Hex | undefined {
  for (let cur = e; cur; cur = cur.cause) {
    if (typeof cur.raw === "string" && cur.raw.startsWith("0x")) return cur.raw as Hex;
    if (typeof cur.data === "string" && cur.data.startsWith("0x")) return cur.data as Hex;
    if (cur.data && typeof cur.data.data === "string") return cur.data.data as Hex;
  }
  const m = /(0x[0-9a-fA-F]{8,})/.exec(String(e?.message ?? ""));
  return m?.[1] as Hex | undefined;
}

/** Decodes a custom error's revert data with the ABIs of every contract in these tests. */
export async function decodeRevert(data: Hex): Promise<{ errorName: string; args: readonly unknown[] }> {
  const r = decodeErrorResult({ abi: await errorsAbi(), data });
  return { errorName: r.errorName, args: (r.args ?? []) as readonly unknown[] };
}

const norm = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(norm) : typeof v === "string" ? v.toLowerCase() : v;

/** Asserts that `p` reverts with custom error `name` (and, if given, exactly `args`). Returns the decoded args. */
export async function expectCustomError(p: Promise<unknown>, name: string, args?: readonly unknown[]): Promise<readonly unknown[]> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected revert ${name}, but the call succeeded`).to.not.equal(undefined);
  const data = revertData(err);
  expect(data, `no revert data in: ${String((err as any)?.message).slice(0, 400)}`).to.be.a("string");
  const decoded = await decodeRevert(data!);
  expect(decoded.errorName).to.equal(name);
  if (args) expect(norm(decoded.args)).to.deep.equal(norm(args));
  return decoded.args;
}

export { zeroHash };
