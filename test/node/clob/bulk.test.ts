// STF v2 transactions (docs/stf.md "BULK", "APPROVE_AGENT", "REVOKE_AGENT", "Proposer reward"): a bulk
// signed by viem is accepted and hashes as viem's hashTypedData; each action has its own receipt and a
// failing one does not stop the rest; agents trade but never withdraw and stop at expiry and revocation;
// the proposer is credited its share of the batch's fees.

import { expect } from "chai";
import { hashTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { bytesToHex, hexToBytes, isWellFormed, recoverAddress, txSigningHash } from "../../../node/clob/eip712.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { ReceiptLog, ReceiptStatus } from "../../../node/clob/receipts.ts";
import { deserializeState, serializeState } from "../../../node/clob/state.ts";
import { ppmFloor } from "../../../node/clob/stf.ts";
import {
  EIP712_TYPES,
  MAX_BULK_ACTIONS,
  PROPOSER_FEE_SHARE_PPM,
  SelfTradePrevention as STP,
  Side,
  TimeInForce as TIF,
  TxKind,
  type Address,
  type BulkAction,
  type BulkTx,
  type Tx,
} from "../../../node/clob/types.ts";
import { decodeTx, encodeTx } from "../../../node/codec/index.ts";
import { BASE, Chain, DOMAIN, QUOTE, Trader, checkInvariants, deposit, makeKeys, setMarket } from "./stf-helpers.ts";

const viemDomain = { name: "Rollbook", version: "1", chainId: DOMAIN.chainId, verifyingContract: DOMAIN.verifyingContract };
const bulkTypes = { Bulk: EIP712_TYPES.Bulk, Action: EIP712_TYPES.Action };

/** The typed-data message of a bulk as a wallet gets it: every Action field present, unused ones 0. */
function bulkMessage(tx: BulkTx) {
  return {
    account: tx.account,
    nonce: BigInt(tx.nonce),
    actions: tx.actions.map((a) => {
      const x = a as Partial<Record<string, number>>;
      return {
        op: a.op, market: a.market, side: x.side ?? 0, tif: x.tif ?? 0, price: BigInt(x.price ?? 0), size: BigInt(x.size ?? 0),
        expiry: BigInt(x.expiry ?? 0), clientId: BigInt(x.clientId ?? 0), stp: x.stp ?? 0, orderId: BigInt(x.orderId ?? 0),
      };
    }),
  };
}

function setup() {
  const chain = new Chain();
  const [a, b, agentKey, agent2Key] = makeKeys(4, "bulk");
  const A = new Trader(a);
  const B = new Trader(b);
  chain.batch([], [setMarket(1), setMarket(2, { baseAsset: 3 }), ...[A, B].flatMap((t) => [deposit(t.address, BASE, 1_000_000), deposit(t.address, QUOTE, 100_000_000), deposit(t.address, 3, 1_000_000)])]);
  return { chain, A, B, agentKey, agent2Key };
}

const place = (price: number, size: number, o: Partial<Extract<BulkAction, { op: 1 }>> = {}): BulkAction => ({
  op: TxKind.PLACE, market: 1, side: Side.BUY, tif: TIF.GTC, price, size, expiry: 0, clientId: 0, stp: STP.EXPIRE_MAKER, ...o,
});

describe("clob/bulk and agents (STF v2)", () => {
  describe("BULK", () => {
    it("a bulk signed by viem signTypedData (eth_signTypedData_v4 arrays of structs) is accepted; hashes agree with viem", async () => {
      const { chain, A } = setup();
      const acct = privateKeyToAccount(bytesToHex(A.key.priv));
      const tx: BulkTx = {
        kind: TxKind.BULK, account: A.address, nonce: 0, sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 },
        actions: [
          place(990, 2, { clientId: 7, expiry: chain.now + 100 }),
          place(1010, 3, { side: Side.SELL, tif: TIF.POST_ONLY, stp: STP.DECREMENT }),
          { op: TxKind.CANCEL_BY_CLIENT_ID, market: 1, clientId: 7 },
          { op: TxKind.CANCEL, market: 1, orderId: 424242 },
          { op: TxKind.AMEND, market: 1, orderId: 2, price: 1011, size: 2 },
          { op: TxKind.CANCEL_ALL, market: 2 },
        ],
      };
      const viemDigest = hashTypedData({ domain: viemDomain, types: bulkTypes, primaryType: "Bulk", message: bulkMessage(tx) });
      expect(bytesToHex(txSigningHash(DOMAIN, tx))).to.equal(viemDigest);
      const sigHex = await acct.signTypedData({ domain: viemDomain, types: bulkTypes, primaryType: "Bulk", message: bulkMessage(tx) });
      const sig = hexToBytes(sigHex);
      tx.sig = { r: sig.slice(0, 32), s: sig.slice(32, 64), v: (sig[64] - 27) as 0 | 1 };
      expect(recoverAddress(txSigningHash(DOMAIN, tx), tx.sig)).to.equal(A.address);
      const r = chain.tx(tx, 1);
      expect([r.status, r.code, r.kind]).to.deep.equal([ReceiptStatus.ACCEPTED, ErrorCode.OK, TxKind.BULK]);
      expect(r.actions.map((x) => [x.op, x.status, x.code])).to.deep.equal([
        [TxKind.PLACE, ReceiptStatus.ACCEPTED, ErrorCode.OK],
        [TxKind.PLACE, ReceiptStatus.ACCEPTED, ErrorCode.OK],
        [TxKind.CANCEL_BY_CLIENT_ID, ReceiptStatus.ACCEPTED, ErrorCode.OK],
        [TxKind.CANCEL, ReceiptStatus.FAILED, ErrorCode.ORDER_NOT_FOUND],
        [TxKind.AMEND, ReceiptStatus.ACCEPTED, ErrorCode.OK],
        [TxKind.CANCEL_ALL, ReceiptStatus.ACCEPTED, ErrorCode.OK],
      ]);
      expect(r.actions.map((x) => x.orderId)).to.deep.equal([1, 2, 1, 0, 2, 0]);
      expect(chain.state.account(A.address)!.nonce).to.equal(1);
      checkInvariants(chain.state);
    });

    it("random bulks hash as viem's hashTypedData, and the single-tx codec round-trips them", () => {
      let s = 7;
      const rnd = (k: number) => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % k);
      const [k] = makeKeys(1, "bulk-hash");
      for (let i = 0; i < 40; i++) {
        const n = 1 + rnd(MAX_BULK_ACTIONS);
        const actions: BulkAction[] = Array.from({ length: n }, () => {
          const op = 1 + rnd(5);
          const big = () => (rnd(4) === 0 ? 2 ** 53 - 1 - rnd(1000) : rnd(100_000));
          switch (op) {
            case 1: return place(big(), big(), { side: rnd(2) as 0, tif: rnd(5) as 0, stp: rnd(4) as 0, expiry: big(), clientId: big(), market: rnd(3) });
            case 2: return { op: 2, market: rnd(3), orderId: big() };
            case 3: return { op: 3, market: rnd(3), clientId: big() };
            case 4: return { op: 4, market: 2 ** 32 - 1 };
            default: return { op: 5, market: rnd(3), orderId: big(), price: big(), size: big() };
          }
        });
        const tx = new Trader(k).bulk(actions) as BulkTx;
        const viemDigest = hashTypedData({ domain: viemDomain, types: bulkTypes, primaryType: "Bulk", message: bulkMessage(tx) });
        expect(bytesToHex(txSigningHash(DOMAIN, tx)), `bulk ${i}`).to.equal(viemDigest);
        const d = decodeTx(encodeTx(tx));
        expect(d.ok && d.tx).to.deep.equal(tx);
      }
    });

    it("an empty, oversized or unknown-op bulk is MALFORMED (REJECTED, nonce kept)", () => {
      const { chain, A } = setup();
      for (const actions of [[], Array.from({ length: MAX_BULK_ACTIONS + 1 }, () => place(900, 1)), [{ op: 6, market: 1 } as unknown as BulkAction]]) {
        const unsigned = { kind: TxKind.BULK, account: A.address, nonce: 0, actions, sig: { r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1), v: 0 } } as Tx;
        const r = chain.tx(unsigned);
        expect([r.status, r.code, r.actions.length]).to.deep.equal([ReceiptStatus.REJECTED, ErrorCode.MALFORMED, 0]);
      }
      expect(chain.state.account(A.address)!.nonce).to.equal(0);
      const full = chain.tx(A.bulk(Array.from({ length: MAX_BULK_ACTIONS }, (_, i) => place(900 - i, 1))));
      expect(full.actions.filter((x) => x.code === ErrorCode.OK)).to.have.length(MAX_BULK_ACTIONS);
    });

    it("mixed success: a failing action changes nothing and the rest still run, each with its own receipt", () => {
      const { chain, A, B } = setup();
      chain.tx(B.sell(1000, 5));
      const before = chain.state.account(A.address)!.available(QUOTE);
      const r = chain.tx(A.bulk([
        place(1000, 2), // fills 2 against B
        place(0, 1), // INVALID_PRICE
        place(999, 1, { market: 9 }), // UNKNOWN_MARKET
        place(1001, 1, { tif: TIF.POST_ONLY }), // crosses B's remaining ask: POST_ONLY_WOULD_CROSS
        place(1000, 2_000_000), // INSUFFICIENT_BALANCE
        place(998, 1, { clientId: 3 }),
        place(997, 1, { clientId: 3 }), // DUPLICATE_CLIENT_ID (action 6's order rests)
        { op: TxKind.CANCEL_BY_CLIENT_ID, market: 1, clientId: 3 },
        place(996, 1, { clientId: 3 }), // the id is free again
      ]));
      expect(r.status).to.equal(ReceiptStatus.ACCEPTED);
      expect(r.actions.map((x) => x.code)).to.deep.equal([
        ErrorCode.OK, ErrorCode.INVALID_PRICE, ErrorCode.UNKNOWN_MARKET, ErrorCode.POST_ONLY_WOULD_CROSS, ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.OK, ErrorCode.DUPLICATE_CLIENT_ID, ErrorCode.OK, ErrorCode.OK,
      ]);
      expect(r.actions[0].fills).to.have.length(1);
      expect(r.fills).to.deep.equal(r.actions.flatMap((x) => x.fills));
      expect(r.orders).to.deep.equal(r.actions.flatMap((x) => x.orders));
      expect(r.actions.filter((x) => x.status === ReceiptStatus.FAILED).map((x) => x.orderId)).to.deep.equal([0, 0, 0, 0, 0]);
      // Locks: only the resting bid at 996 (1 lot) stays locked; the fill of 2 lots at 1000 was paid.
      const a = chain.state.account(A.address)!;
      expect(a.locked(QUOTE)).to.equal(996 * 10 + Math.ceil((996 * 10 * 500) / 1e6));
      expect(before - a.available(QUOTE) - a.locked(QUOTE)).to.equal(2 * 1000 * 10 + Math.ceil((2 * 1000 * 10 * 500) / 1e6));
      expect(a.nonce).to.equal(1);
      checkInvariants(chain.state);
      // The receipt log keeps the actions through its binary encoding.
      const log = chain.results.at(-1)!.receipts;
      expect(JSON.stringify(ReceiptLog.decode(log.encode()).txs())).to.equal(JSON.stringify(log.txs()));
    });
  });

  describe("agents", () => {
    it("ApproveAgent / RevokeAgent hash as viem's hashTypedData", () => {
      const [k, g] = makeKeys(2, "agent-hash");
      const t = new Trader(k);
      const ap = t.approveAgent(g.address, 2 ** 53 - 1) as Extract<Tx, { kind: 8 }>;
      const rv = t.revokeAgent(g.address) as Extract<Tx, { kind: 9 }>;
      expect(bytesToHex(txSigningHash(DOMAIN, ap))).to.equal(hashTypedData({
        domain: viemDomain, types: { ApproveAgent: EIP712_TYPES.ApproveAgent }, primaryType: "ApproveAgent",
        message: { account: ap.account, nonce: BigInt(ap.nonce), agent: ap.agent, expiry: BigInt(ap.expiry) },
      }));
      expect(bytesToHex(txSigningHash(DOMAIN, rv))).to.equal(hashTypedData({
        domain: viemDomain, types: { RevokeAgent: EIP712_TYPES.RevokeAgent }, primaryType: "RevokeAgent",
        message: { account: rv.account, nonce: BigInt(rv.nonce), agent: rv.agent },
      }));
      for (const tx of [ap, rv]) {
        const d = decodeTx(encodeTx(tx));
        expect(d.ok && d.tx).to.deep.equal(tx);
      }
    });

    it("an approved agent places, cancels, amends and bulks for the account; it can never withdraw or manage agents", () => {
      const { chain, A, agentKey } = setup();
      const ag = new Trader(agentKey, DOMAIN, A.address);
      expect(chain.tx(A.approveAgent(agentKey.address, chain.now + 1000)).code).to.equal(ErrorCode.OK);
      ag.nonce = A.nonce;
      const p = chain.tx(ag.buy(900, 2, { clientId: 4 }));
      expect([p.code, p.signer, p.account]).to.deep.equal([ErrorCode.OK, agentKey.address, A.address]);
      expect(chain.tx(ag.amend(p.orderId, 901, 2)).code).to.equal(ErrorCode.OK);
      const b = chain.tx(ag.bulk([place(899, 1), { op: TxKind.CANCEL, market: 1, orderId: p.orderId }]));
      expect(b.actions.map((x) => x.code)).to.deep.equal([ErrorCode.OK, ErrorCode.OK]);
      expect(chain.tx(ag.cancelAll()).code).to.equal(ErrorCode.OK);
      for (const tx of [ag.withdraw(QUOTE, 1), ag.approveAgent(makeKeys(1, "x")[0].address, chain.now + 5), ag.revokeAgent(agentKey.address)]) {
        const r = chain.tx(tx);
        expect([r.status, r.code]).to.deep.equal([ReceiptStatus.REJECTED, ErrorCode.WRONG_SIGNER]);
        ag.nonce--;
      }
      // The account's own key still does everything, on the same nonce sequence.
      A.nonce = ag.nonce;
      expect(chain.tx(A.withdraw(QUOTE, 1)).code).to.equal(ErrorCode.OK);
      checkInvariants(chain.state);
    });

    it("an agent stops at its expiry and at revocation; several per account; limits and errors", () => {
      const { chain, A, B, agentKey, agent2Key } = setup();
      const ag = new Trader(agentKey, DOMAIN, A.address);
      const ag2 = new Trader(agent2Key, DOMAIN, A.address);
      chain.tx(A.approveAgent(agentKey.address, chain.now + 10));
      chain.tx(A.approveAgent(agent2Key.address, chain.now + 1000));
      expect(chain.state.account(A.address)!.agents.map((e) => e.agent)).to.deep.equal([agentKey.address, agent2Key.address].sort());
      ag.nonce = A.nonce;
      expect(chain.tx(ag.buy(900, 1)).code).to.equal(ErrorCode.OK);
      ag2.nonce = ag.nonce;
      expect(chain.tx(ag2.buy(900, 1)).code).to.equal(ErrorCode.OK);
      // the clock passes agent 1's expiry (expiry <= now: inactive)
      chain.batch([], [], {}, 10);
      ag.nonce = ag2.nonce;
      const late = chain.tx(ag.buy(900, 1));
      expect([late.status, late.code]).to.deep.equal([ReceiptStatus.REJECTED, ErrorCode.WRONG_SIGNER]);
      expect(chain.tx(ag2.buy(900, 1)).code).to.equal(ErrorCode.OK);
      // revocation: effective from the next transaction, same batch
      A.nonce = ag2.nonce;
      const rv = A.revokeAgent(agent2Key.address);
      ag2.nonce = A.nonce;
      const after = ag2.buy(900, 1);
      chain.batch([rv, after]);
      expect(chain.results.at(-1)!.receipts.txs().map((x) => x.code)).to.deep.equal([ErrorCode.OK, ErrorCode.WRONG_SIGNER]);
      // errors
      A.nonce = chain.state.account(A.address)!.nonce;
      expect(chain.tx(A.approveAgent(A.address, chain.now + 5)).code).to.equal(ErrorCode.INVALID_AGENT);
      expect(chain.tx(A.approveAgent("0x0000000000000000000000000000000000000000", chain.now + 5)).code).to.equal(ErrorCode.INVALID_AGENT);
      expect(chain.tx(A.approveAgent(B.address, chain.now)).code).to.equal(ErrorCode.EXPIRY_IN_PAST);
      expect(chain.tx(A.revokeAgent(B.address)).code).to.equal(ErrorCode.AGENT_NOT_FOUND);
      // at most 8 listed: the expired agent 1 is pruned by the next approval, then 8 fit and a 9th does not
      const keys = makeKeys(9, "many-agents");
      for (let i = 0; i < 8; i++) expect(chain.tx(A.approveAgent(keys[i].address, chain.now + 100)).code, `agent ${i}`).to.equal(ErrorCode.OK);
      expect(chain.state.account(A.address)!.agents).to.have.length(8);
      expect(chain.tx(A.approveAgent(keys[8].address, chain.now + 100)).code).to.equal(ErrorCode.TOO_MANY_AGENTS);
      // re-approving a listed agent only changes its expiry
      expect(chain.tx(A.approveAgent(keys[0].address, chain.now + 7)).code).to.equal(ErrorCode.OK);
      expect(chain.state.account(A.address)!.agents.find((e) => e.agent === keys[0].address)!.expiry).to.equal(chain.now + 7);
      // the canonical serialization keeps the agent list
      expect(serializeState(deserializeState(serializeState(chain.state)))).to.deep.equal(serializeState(chain.state));
      // APPROVE_AGENT / REVOKE_AGENT are well-formed only with a 20-byte agent
      const bad = { ...A.revokeAgent(B.address), agent: "0x12" } as Tx;
      expect(isWellFormed(bad)).to.equal(false);
    });
  });

  describe("proposer reward", () => {
    it("the proposer is credited PROPOSER_FEE_SHARE_PPM of the batch's fees, taken from the fee account; supply is conserved", () => {
      const { chain, A, B } = setup();
      const [p] = makeKeys(1, "proposer");
      chain.proposer = p.address;
      chain.batch([B.sell(1000, 50), A.buy(1000, 30), A.buy(1000, 20, { market: 2 })]);
      const r = chain.results.at(-1)!;
      const fees = r.receipts.txs().flatMap((x) => x.fills).reduce((s, f) => s + f.takerFee + f.makerFee, 0);
      expect(fees).to.be.greaterThan(0);
      expect(r.rewards).to.deep.equal([{ asset: QUOTE, amount: ppmFloor(fees, PROPOSER_FEE_SHARE_PPM) }]);
      expect(chain.state.account(p.address)!.available(QUOTE)).to.equal(ppmFloor(fees, PROPOSER_FEE_SHARE_PPM));
      expect(chain.state.feeAccount.available(QUOTE)).to.equal(fees - ppmFloor(fees, PROPOSER_FEE_SHARE_PPM));
      checkInvariants(chain.state);
      // no fills, no reward; no proposer, no reward
      chain.batch([A.buy(1, 1)]);
      expect(chain.results.at(-1)!.rewards).to.deep.equal([]);
      chain.proposer = undefined;
      chain.batch([B.sell(1000, 1), A.buy(1000, 1)]);
      expect(chain.results.at(-1)!.rewards).to.deep.equal([]);
      expect(chain.state.account(p.address as Address)!.available(QUOTE)).to.equal(ppmFloor(fees, PROPOSER_FEE_SHARE_PPM));
    });
  });
});
