// Snapshot sync end to end on anvil: a follower derives batches from L1, the Settlement finalizes them
// (the devnet attestation signer), `rollup-node snapshot export` writes the store to a file and
// `snapshot import` starts a new store from it, checked against the finalized root; a Deriver opened on
// the imported store derives onward and reaches the same root as the original follower. Refusals: a
// damaged file, a batch the Settlement did not finalize, a root differing from the finalized one, an L1
// position not yet final, a non-empty store; `--trust` (devnet) skips the L1 checks only.
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { encodeFunctionData, keccak256, toHex, zeroHash, type Address, type Hex } from "viem";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { inboxAbi, settlementAbi, timelockAbi } from "../../../node/l1/contracts.ts";
import { OpsError } from "../../../node/ops/errors.ts";
import { exportSnapshot, importSnapshot, readSnapshotFile } from "../../../node/ops/snapshot.ts";
import type { DerivedBatch } from "../../../node/derive/index.ts";
import { attest, encodePublicValues, envelope } from "../../contracts/helpers/settle.ts";
import { setMarketMessage } from "../../contracts/helpers.ts";
import { privateKeyToAccount } from "viem/accounts";
import { Chain, Side, deployer } from "./chain.ts";

const USDC = 1;
const MARKET = 1;
const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);

async function expectOpsError(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, `expected ${code}`).to.be.instanceOf(OpsError);
  expect((err as OpsError).code, (err as Error).message).to.equal(code);
}

/** Rewrites a snapshot file's header with `edit` and recomputes the checksum (a consistent forgery). */
function forge(file: string, out: string, edit: (meta: any) => void): void {
  const buf = readFileSync(file);
  const metaLen = buf.readUInt32BE(8);
  const meta = JSON.parse(buf.subarray(12, 12 + metaLen).toString());
  edit(meta);
  const m = Buffer.from(JSON.stringify(meta));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  const content = Buffer.concat([buf.subarray(0, 8), len, m, buf.subarray(12 + metaLen, buf.length - 32)]);
  writeFileSync(out, Buffer.concat([content, createHash("sha256").update(content).digest()]));
}

describe("ops: snapshot export/import checked against a root finalized on L1 (anvil)", function () {
  this.timeout(240_000);
  let c: Chain;
  let snapFile: string;

  before(async () => {
    c = await Chain.start(0n);
    const enqueue = encodeFunctionData({
      abi: inboxAbi, functionName: "enqueue",
      args: [setMarketMessage({ market: MARKET, baseAsset: 2, quoteAsset: USDC, lotSize: 1n, tickSize: 1n, minSize: 1n, makerFeePpm: 0, takerFeePpm: 0, status: 0 })],
    });
    const salt = keccak256(toHex("list market 1"));
    await c.send(deployer, c.d.contracts.timelock, encodeFunctionData({ abi: timelockAbi, functionName: "schedule", args: [c.d.contracts.inbox, 0n, enqueue, zeroHash, salt, 0n] }));
    await c.send(deployer, c.d.contracts.timelock, encodeFunctionData({ abi: timelockAbi, functionName: "execute", args: [c.d.contracts.inbox, 0n, enqueue, zeroHash, salt] }));
  });
  after(async () => {
    await c?.stop();
  });

  async function finalize(lastBatch: number, root: Hex): Promise<void> {
    const read = (address: Address, abi: any, functionName: string, args: unknown[] = []) => c.pub.readContract({ address, abi, functionName, args } as never) as Promise<any>;
    const consumed: bigint = await read(c.d.contracts.inbox, inboxAbi, "consumedCount");
    const first = Number(await read(c.d.contracts.settlement, settlementAbi, "lastBatch")) + 1;
    const pv = encodePublicValues({
      prevStateRoot: await read(c.d.contracts.settlement, settlementAbi, "lastStateRoot"),
      newStateRoot: root,
      firstBatch: BigInt(first),
      lastBatch: BigInt(lastBatch),
      prevBatchChain: await read(c.d.contracts.inbox, inboxAbi, "batchChainAt", [BigInt(first - 1)]),
      newBatchChain: await read(c.d.contracts.inbox, inboxAbi, "batchChainAt", [BigInt(lastBatch)]),
      l1MessagesConsumed: consumed,
      l1QueueHash: await read(c.d.contracts.inbox, inboxAbi, "queueHashAt", [consumed]),
      withdrawalRoot: zeroHash,
      prover: deployer.address,
    });
    const sig = await attest([deployer], c.d.contracts.attestationVerifier, c.d.chainId, pv);
    await c.send(deployer, c.d.contracts.settlement, encodeFunctionData({ abi: settlementAbi, functionName: "finalize", args: [pv, envelope([{ id: 0, proof: sig }])] }));
  }

  it("export -> import (verified against the Settlement) -> a follower derives onward to the same root", async () => {
    await c.deposit(alice, USDC, 1_000_000n);
    await c.deposit(bob, USDC, 500_000n);
    await c.post([c.place(ANVIL_DEV_KEYS[1], MARKET, Side.BUY, 100, 10), c.place(ANVIL_DEV_KEYS[2], MARKET, Side.BUY, 99, 20)]);
    await c.post([c.place(ANVIL_DEV_KEYS[1], MARKET, Side.BUY, 98, 5)]);
    await c.deposit(bob, USDC, 1_000n); // in flight: queued, not consumed: travels in the snapshot
    const storeA = await c.openStore("a");
    const a = await c.deriver(storeA);
    const sa = await a.syncToHead();
    expect(sa.batchIndex).to.equal(2);
    await finalize(2, sa.stateRoot);

    // export through the CLI (the store must be closed: LevelDB allows one process)
    await a.stop();
    await c.closeStore(storeA);
    snapFile = path.join(c.dir, "a.snap");
    const ex = await c.cli(["snapshot", "export", "--out", snapFile, "--store", path.join(c.dir, "a"), "--json"]);
    expect(ex.code, ex.stderr + ex.stdout).to.equal(0);
    expect(ex.json.meta.batchIndex).to.equal(2);
    expect(ex.json.meta.stateRoot).to.equal(sa.stateRoot);
    expect(ex.json.meta.messages).to.equal(1);
    const snap = await readSnapshotFile(snapFile);
    expect(snap.meta.l1.messageCount - snap.messages.length).to.equal(3); // SET_MARKET + 2 deposits consumed

    // L1 has not finalized the position yet (anvil: finalized = head - 64)
    const b = await c.openStore("b");
    const check = { client: c.pub, inbox: c.d.contracts.inbox, settlement: c.d.contracts.settlement, fromBlock: c.d.startBlock };
    await expectOpsError(importSnapshot(b, snapFile, check), "L1_NOT_FINAL");
    const notFinal = await c.cli(["snapshot", "import", "--in", snapFile, "--store", path.join(c.dir, "cli-b"), "--json"]);
    expect(notFinal.code).to.equal(1);
    expect(notFinal.json.error.code).to.equal("L1_NOT_FINAL");
    await c.rpc("anvil_mine", ["0x41"]); // past L1 finality (anvil: head - 64)

    // checked import through the CLI, then derive onward
    const im = await c.cli(["snapshot", "import", "--in", snapFile, "--store", path.join(c.dir, "cli-b"), "--json"]);
    expect(im.code, im.stderr + im.stdout).to.equal(0);
    expect(im.json.finalization.lastBatch).to.equal(2);
    expect(im.json.finalization.stateRoot).to.equal(sa.stateRoot);
    const r = await importSnapshot(b, snapFile, check);
    expect(r.trusted).to.equal(false);
    expect(b.head()).to.deep.equal({ batchIndex: 2, root: sa.stateRoot });
    await expectOpsError(importSnapshot(b, snapFile, check), "STORE_NOT_EMPTY");

    const db = await c.deriver(b);
    const seen: DerivedBatch[] = [];
    db.on("batch", (x) => seen.push(x));
    await c.post([c.place(ANVIL_DEV_KEYS[2], MARKET, Side.BUY, 97, 1)]); // consumes the in-flight deposit
    const sb = await db.syncToHead();
    const a2 = await c.deriver(await c.openStore("a"));
    const sa2 = await a2.syncToHead();
    expect(sb.batchIndex).to.equal(3);
    expect(sb.stateRoot).to.equal(sa2.stateRoot);
    expect(seen.map((x) => x.batchIndex), "only the batches after the snapshot are derived").to.deep.equal([3]);
    expect(seen[0]!.l1MessageCount, "the pending deposit from the snapshot applies").to.equal(1);
    const bobs = db.current().state.account(bob.address.toLowerCase() as Address)!;
    expect(bobs.nonce).to.equal(2);
  });

  it("refuses a damaged file, an unfinalized batch and a root the Settlement did not finalize; --trust skips the L1 checks only", async () => {
    const check = { client: c.pub, inbox: c.d.contracts.inbox, settlement: c.d.contracts.settlement, fromBlock: c.d.startBlock };
    // damaged: one byte flipped
    const damaged = path.join(c.dir, "damaged.snap");
    const bytes = readFileSync(snapFile);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(damaged, bytes);
    await expectOpsError(importSnapshot(await c.openStore("d1"), damaged, check), "CHECKSUM_MISMATCH");
    // a consistent forgery claiming another root for the finalized batch
    const forged = path.join(c.dir, "forged.snap");
    forge(snapFile, forged, (m) => (m.stateRoot = `0x${"11".repeat(32)}`));
    await expectOpsError(importSnapshot(await c.openStore("d2"), forged, check), "ROOT_MISMATCH");
    // with --trust the header root is still checked against the leaves
    await expectOpsError(importSnapshot(await c.openStore("d3"), forged, "trust"), "ROOT_MISMATCH");
    // a batch nobody finalized (the store "a" is at batch 3 now)
    const later = path.join(c.dir, "later.snap");
    const s3 = await c.openStore("s3");
    const d3 = await c.deriver(s3);
    await d3.syncToHead();
    await d3.stop();
    await exportSnapshot(s3, later);
    await expectOpsError(importSnapshot(await c.openStore("d4"), later, check), "NOT_FINALIZED");
    // trusted (devnet): imported without the Settlement
    const t = await c.openStore("d5");
    const r = await importSnapshot(t, later, "trust");
    expect(r.trusted).to.equal(true);
    expect(t.head()!.batchIndex).to.equal(3);
    const cliTrust = await c.cli(["snapshot", "import", "--in", later, "--store", path.join(c.dir, "d6"), "--trust", "--json"]);
    expect(cliTrust.code, cliTrust.stderr).to.equal(0);
    expect(cliTrust.json.trusted).to.equal(true);
    // usage errors: exit 1 with a code, nothing written
    const usage = await c.cli(["snapshot", "import", "--json"]);
    expect(usage.json.error.code).to.equal("USAGE");
  });
});
