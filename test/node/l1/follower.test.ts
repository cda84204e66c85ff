// node/l1 follower: the outcomes of asking for the next block, as a table (extension, reorg, not found,
// RPC error, confirmation depth, cursor no longer canonical), the common-ancestor walk, and the same
// against a real anvil with anvil_reorg.
import { expect } from "chai";
import { BlockNotFoundError, createPublicClient, http, type Hex, type PublicClient } from "viem";
import { L1Follower, L1RpcError, type L1BlockRef, type L1Client } from "../../../node/l1/follower.ts";
import { startAnvil, type Anvil } from "../../../node/l1/anvil.ts";

const h = (tag: string, n: number): Hex => `0x${tag.repeat(2)}${n.toString(16).padStart(62, "0")}`;

/** A chain of blocks 0..len-1 whose hashes carry `tag` from block `fork` on (tag "a" before). */
function chain(len: number, tag = "a", fork = 0): L1BlockRef[] {
  const out: L1BlockRef[] = [];
  for (let n = 0; n < len; n++) {
    const t = n >= fork ? tag : "a";
    out.push({ number: n, hash: h(t, n), parentHash: n === 0 ? h("0", 0) : out[n - 1]!.hash, timestamp: 12 * n });
  }
  return out;
}

/** A fake L1 client over a block table; `fail` makes every request throw like a dead RPC. */
function fakeClient(blocks: () => L1BlockRef[], fail: () => boolean = () => false): L1Client {
  return {
    getBlock: (async (args: { blockNumber?: bigint; blockTag?: string }) => {
      if (fail()) throw new Error("fetch failed: ECONNREFUSED");
      const bs = blocks();
      let b: L1BlockRef | undefined;
      if (args.blockNumber !== undefined) b = bs[Number(args.blockNumber)];
      else if (args.blockTag === "latest") b = bs[bs.length - 1];
      else if (args.blockTag === "safe") b = bs[Math.max(0, bs.length - 3)];
      else b = bs[Math.max(0, bs.length - 5)];
      if (b === undefined) throw new BlockNotFoundError({ blockNumber: args.blockNumber });
      return { number: BigInt(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: BigInt(b.timestamp) };
    }) as L1Client["getBlock"],
  };
}

describe("L1 follower", () => {
  const base = chain(10);
  const cases: { name: string; blocks: L1BlockRef[]; cursor: L1BlockRef; confirmations?: number; fail?: boolean; expect: string }[] = [
    { name: "extension: the next block's parent is the cursor", blocks: base, cursor: base[5]!, expect: "block 6" },
    { name: "not found: the cursor is the head", blocks: base, cursor: base[9]!, expect: "wait" },
    { name: "confirmation depth: block 8 is 1 block from head 9, depth 2", blocks: base, cursor: base[7]!, confirmations: 2, expect: "wait" },
    { name: "confirmation depth: block 7 is 2 blocks from head 9, depth 2", blocks: base, cursor: base[6]!, confirmations: 2, expect: "block 7" },
    { name: "reorg: the next block has another parent", blocks: chain(10, "b", 4), cursor: base[5]!, expect: "reset" },
    { name: "reorg to a shorter chain: the cursor's block is gone", blocks: chain(5, "b", 3), cursor: base[7]!, expect: "reset" },
    { name: "reorg of the head: same height, other hash", blocks: chain(10, "b", 9), cursor: base[9]!, expect: "reset" },
    { name: "RPC error: temporary, thrown", blocks: base, cursor: base[5]!, fail: true, expect: "L1RpcError" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const f = new L1Follower(fakeClient(() => c.blocks, () => c.fail === true), { confirmations: c.confirmations });
      let got: string;
      try {
        const r = await f.next(c.cursor);
        got = r.kind === "block" ? `block ${r.block.number}` : r.kind;
      } catch (err) {
        got = err instanceof L1RpcError ? "L1RpcError" : String(err);
      }
      expect(got).to.equal(c.expect);
    });
  }

  it("tracks head, safe and finalized", async () => {
    const f = new L1Follower(fakeClient(() => base));
    const t = await f.poll();
    expect([t.head.number, t.safe?.number, t.finalized?.number]).to.deep.equal([9, 7, 5]);
  });

  it("finds the common ancestor by walking back over stored blocks", async () => {
    const canonical = chain(12, "b", 6);
    const f = new L1Follower(fakeClient(() => canonical));
    const mine = new Map(base.map((b) => [b.number, b]));
    const anc = await f.findCommonAncestor(9, async (n) => mine.get(n));
    expect(anc?.number).to.equal(5);
    // nothing stored is canonical: undefined (the caller stops: critical)
    const other = new Map(chain(10, "c", 0).map((b) => [b.number, b]));
    expect(await f.findCommonAncestor(9, async (n) => other.get(n))).to.equal(undefined);
  });

  describe("against anvil (anvil_reorg)", function () {
    this.timeout(60_000);
    let anvil: Anvil;
    let client: PublicClient;
    const rpc = async (method: string, params: unknown[] = []) => {
      const res = await fetch(anvil.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
      const body = (await res.json()) as { result?: unknown; error?: { message: string } };
      if (body.error) throw new Error(body.error.message);
      return body.result;
    };
    before(async () => {
      anvil = await startAnvil();
      client = createPublicClient({ transport: http(anvil.rpcUrl) }) as PublicClient;
    });
    after(async () => anvil?.stop());

    it("follows extensions, detects a reorg of depth 3 and finds the fork point", async () => {
      await rpc("anvil_mine", ["0xa"]);
      const f = new L1Follower(client);
      const seen = new Map<number, L1BlockRef>();
      let cursor = (await f.blockByNumber(0))!;
      seen.set(0, cursor);
      for (;;) {
        const r = await f.next(cursor);
        if (r.kind !== "block") {
          expect(r.kind).to.equal("wait");
          break;
        }
        cursor = r.block;
        seen.set(cursor.number, cursor);
      }
      expect(cursor.number).to.equal(10);
      await rpc("anvil_reorg", [3, []]);
      await rpc("anvil_mine", ["0x1"]);
      const r = await f.next(cursor);
      expect(r.kind).to.equal("reset");
      const anc = await f.findCommonAncestor(cursor.number, async (n) => seen.get(n));
      expect(anc?.number).to.equal(7);
    });
  });
});
