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
/** VK_ROOT of SP1VerifierDouble. */
export const SP1_DOUBLE_VK_ROOT = 0x561d07n;
const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/**
 * A proof SP1VerifierDouble accepts for (vkey, publicValues), in the SP1 v6 layout
 * `selector ‖ abi.encode(exitCode, vkRoot, nonce, uint256[8])`; `o` builds the invalid variants.
 */
export function sp1DoubleProof(vkey: Hex, pv: Hex, o: { exitCode?: bigint; vkRoot?: bigint; nonce?: bigint; selector?: Hex } = {}): Hex {
  const exitCode = o.exitCode ?? 0n, vkRoot = o.vkRoot ?? SP1_DOUBLE_VK_ROOT, nonce = o.nonce ?? 7n;
  const pvDigest = BigInt(sha256(pv)) & ((1n << 253n) - 1n);
  const inputs = [BigInt(vkey), pvDigest, exitCode, vkRoot, nonce];
  const w0 = BigInt(keccak256(encodeAbiParameters([{ type: "uint256[5]" }], [inputs as any]))) % BN254_R;
  const words = [w0, ...Array.from({ length: 7 }, (_, i) => BigInt(i + 1))];
  return concat([
    o.selector ?? SP1_DOUBLE_SELECTOR,
    encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256[8]" }], [exitCode, vkRoot, nonce, words as any]),
  ]);
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
  "InboxDouble", "SP1GatewayDouble", "SP1VerifierDouble", "ZiskVerifierDouble", "ZiskVerifierV13Double", "ExactProofVerifierDouble", "Inbox", "Vault",
];
async function errorsAbi(): Promise<Abi> {
  if (!allAbi) {
    const seen = new Set<string>();
    const errs: any[] = [];
    for (const name of ABI_SOURCES) {
      const artifact = await artifacts.readArtifact(name).catch(() => undefined);
      for (const item of (artifact?.abi ?? []) as any[]) {
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

// ---------------------------------------------------------------- suite fixture for Settlement / DisputeGame

export const GENESIS_ROOT = keccak256(toHex("genesis-state-root"));
export const EXACT_TAG = keccak256(toHex("EXACT"));
export const SUITE = {
  delay: 3600n,
  challengeWindow: 7200n,
  proofWindow: 3600n,
  proposerBond: 10n ** 18n,
  challengerBond: 5n * 10n ** 17n,
};

/** Proof accepted by ExactProofVerifierDouble(EXACT_TAG), wrapped in a policy envelope (id 0). */
export function exactProof(pv: Hex): Hex {
  return envelope([{ id: 0, proof: concat([keccak256(pv), EXACT_TAG]) }]);
}

/**
 * Deploys InboxDouble (or `inbox`), a VerifierPolicy over ExactProofVerifierDouble (ANY, id 0), Settlement and
 * DisputeGame (bound with initDisputeGame). Governance is wallet 0 (also the deployer).
 */
export async function deploySuite(viem: any, inboxAddress?: Address) {
  const wallets = await viem.getWalletClients();
  const gov = wallets[0];
  const inbox = inboxAddress
    ? await viem.getContractAt("IInbox", inboxAddress)
    : await viem.deployContract("InboxDouble");
  const exact = await viem.deployContract("ExactProofVerifierDouble", [EXACT_TAG]);
  const policy = await viem.deployContract("VerifierPolicy", [[exact.address], 0n, 1n, gov.account.address, SUITE.delay]);
  const settlement = await viem.deployContract("Settlement", [inbox.address, policy.address, GENESIS_ROOT, gov.account.address, SUITE.delay]);
  const game = await viem.deployContract("DisputeGame", [
    settlement.address, SUITE.challengeWindow, SUITE.proofWindow, SUITE.proposerBond, SUITE.challengerBond,
    gov.account.address, SUITE.delay,
  ]);
  await settlement.write.initDisputeGame([game.address]);
  const publicClient = await viem.getPublicClient();
  const as = (name: string, address: Address, wallet: any) => viem.getContractAt(name, address, { client: { wallet } });

  /** Proposes `n` calldata batches on the InboxDouble, the last consuming all queued messages. */
  async function addBatches(n: number, messages = 0) {
    for (let i = 0; i < messages; i++) await inbox.write.enqueue([concat(["0x01", keccak256(toHex(`m${i}-${Date.now()}`))])]);
    const end = await inbox.read.messageCount();
    for (let i = 0; i < n; i++) await inbox.write.proposeCalldata([end, toHex(`batch-${i}`), "0x"]);
  }

  /** Public values for (lastBatch, lastBatch'] on the current finalized base, consistent with the Inbox. */
  async function nextPublicValues(o: { lastBatch?: bigint; newStateRoot?: Hex; withdrawalRoot?: Hex; prover?: Address; consumed?: bigint } = {}) {
    const last = await settlement.read.lastBatch();
    const lastBatch = o.lastBatch ?? (await inbox.read.batchCount());
    const consumed = o.consumed ?? (await inbox.read.consumedCount());
    const p: PublicValues = {
      prevStateRoot: await settlement.read.lastStateRoot(),
      newStateRoot: o.newStateRoot ?? keccak256(toHex(`state-${lastBatch}`)),
      firstBatch: last + 1n,
      lastBatch,
      prevBatchChain: await settlement.read.lastBatchChain(),
      newBatchChain: await inbox.read.batchChainAt([lastBatch]),
      l1MessagesConsumed: consumed,
      l1QueueHash: await inbox.read.queueHashAt([consumed]),
      withdrawalRoot: o.withdrawalRoot ?? keccak256(toHex(`withdrawals-${lastBatch}`)),
      prover: o.prover ?? gov.account.address,
    };
    return { p, pv: encodePublicValues(p) };
  }

  /** ETH held by the game minus (credits of `accounts` + bonds of open claims + burned); 0 when bonds are conserved. */
  async function bondImbalance(accounts: Address[]) {
    let sum = await game.read.burned();
    for (const a of accounts) sum += await game.read.credit([a]);
    const n = await game.read.claimCount();
    for (let i = 0n; i < n; i++) {
      const c = await game.read.getClaim([i]);
      if (c.status === 1) sum += c.proposerBond;
      if (c.status === 2) sum += c.proposerBond + c.challengerBond;
    }
    return (await publicClient.getBalance({ address: game.address })) - sum;
  }

  return { wallets, gov, inbox, exact, policy, settlement, game, publicClient, as, addBatches, nextPublicValues, bondImbalance };
}
