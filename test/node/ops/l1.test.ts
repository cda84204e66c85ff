// node/ops/l1.ts against a real anvil: log queries split into ranges up to the current head (public RPC
// providers refuse wide eth_getLogs ranges), deployment lookup and key handling errors.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ANVIL_DEV_KEYS, startAnvil, type Anvil } from "../../../node/l1/anvil.ts";
import { OpsError } from "../../../node/ops/errors.ts";
import { connectL1, loadDeployment, logsInRanges, walletFromEnv, type L1 } from "../../../node/ops/l1.ts";

describe("ops: L1 helpers (anvil)", function () {
  this.timeout(60_000);
  let anvil: Anvil;
  let l1: L1;
  let dir: string;
  before(async () => {
    anvil = await startAnvil();
    l1 = await connectL1(anvil.rpcUrl);
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-ops-l1-"));
  });
  after(async () => {
    await anvil?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("splits [from, head] into ranges of `step` blocks, up to the current head (not a cached one)", async () => {
    await l1.client.getBlockNumber(); // primes viem's block number cache
    await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_mine", params: ["0x19"] }) });
    const ranges: [bigint, bigint][] = [];
    const out = await logsInRanges(l1.client, 3, async (a, b) => (ranges.push([a, b]), [Number(a)]), 10);
    expect(ranges).to.deep.equal([[3n, 12n], [13n, 22n], [23n, 25n]]);
    expect(out).to.deep.equal([3, 13, 23]);
  });

  it("with `toBlock`, stops there even when the head moved on (a caller's read position stays exact)", async () => {
    const head = Number(await l1.client.getBlockNumber({ cacheTime: 0 }));
    await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_mine", params: ["0x5"] }) });
    const ranges: [bigint, bigint][] = [];
    await logsInRanges(l1.client, head - 2, async (a, b) => (ranges.push([a, b]), []), 10, head);
    expect(ranges).to.deep.equal([[BigInt(head - 2), BigInt(head)]]);
  });

  it("finds the deployment record, refuses another chain's, and reads keys only from the environment", () => {
    expect(() => loadDeployment({ dataDir: dir }, l1.chain.id)).to.throw(OpsError).with.property("code", "NO_DEPLOYMENT");
    mkdirSync(path.join(dir, "deployments"));
    writeFileSync(path.join(dir, "deployments", `${l1.chain.id}.json`), JSON.stringify({ chainId: 1, contracts: {} }));
    expect(() => loadDeployment({ dataDir: dir }, l1.chain.id)).to.throw(OpsError).with.property("code", "WRONG_CHAIN");
    writeFileSync(path.join(dir, "deployments", `${l1.chain.id}.json`), JSON.stringify({ chainId: l1.chain.id, contracts: {} }));
    expect(loadDeployment({ dataDir: dir }, l1.chain.id).chainId).to.equal(l1.chain.id);
    expect(() => walletFromEnv(l1, "K", {})).to.throw(OpsError).with.property("code", "NO_KEY");
    expect(() => walletFromEnv(l1, "K", { K: "0x1234" })).to.throw(OpsError).with.property("code", "NO_KEY");
    expect(walletFromEnv(l1, "K", { K: ANVIL_DEV_KEYS[1] }).account!.address).to.equal("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  });

  it("an unreachable L1 is a coded error", async () => {
    const err = await connectL1("http://127.0.0.1:9").then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpsError).with.property("code", "L1_UNREACHABLE");
  });
});
