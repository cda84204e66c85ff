// L1 message bytes (node/clob/l1messages.ts) against docs/l1-messages.md, cross-checked with viem's
// encodePacked (what the Vault / Inbox / governance produce with abi.encodePacked).

import { expect } from "chai";
import { encodePacked, type Hex } from "viem";
import { bytesToHex, hexToBytes } from "../../../node/clob/eip712.ts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { INVALID_L1_MESSAGE, decodeL1Message, encodeL1Message, nextQueueHash } from "../../../node/clob/l1messages.ts";
import { L1MessageKind, type L1Message, MAX_AMOUNT, MarketStatus } from "../../../node/clob/types.ts";
import { Chain } from "./stf-helpers.ts";

const ACC = "0x00112233445566778899aabbccddeeff00112233" as const;

describe("clob/l1messages", () => {
  it("encodes like abi.encodePacked and round-trips", () => {
    const cases: [L1Message, Hex][] = [
      [{ kind: L1MessageKind.DEPOSIT, account: ACC, asset: 7, amount: MAX_AMOUNT },
        encodePacked(["uint8", "address", "uint32", "uint64"], [1, ACC, 7, BigInt(MAX_AMOUNT)])],
      [{ kind: L1MessageKind.FORCED_WITHDRAW, account: ACC, asset: 0xffffffff, amount: 5 },
        encodePacked(["uint8", "address", "uint32", "uint64"], [2, ACC, 0xffffffff, 5n])],
      [{ kind: L1MessageKind.FORCED_CANCEL, account: ACC, market: 3, orderId: 0 },
        encodePacked(["uint8", "address", "uint32", "uint64"], [3, ACC, 3, 0n])],
      [{ kind: L1MessageKind.SET_MARKET, market: 9, params: { baseAsset: 1, quoteAsset: 2, lotSize: 100, tickSize: 10, minSize: 3, makerFeePpm: -250, takerFeePpm: 700, status: MarketStatus.CANCEL_ONLY } },
        encodePacked(["uint8", "uint32", "uint32", "uint32", "uint64", "uint64", "uint64", "int32", "uint32", "uint8"], [4, 9, 1, 2, 100n, 10n, 3n, -250, 700, 1])],
    ];
    for (const [msg, packed] of cases) {
      const b = encodeL1Message(msg);
      expect(bytesToHex(b)).to.equal(packed.toLowerCase());
      expect(decodeL1Message(b)).to.deep.equal(msg);
    }
    expect(encodeL1Message(cases[3][0]).length).to.equal(46);
  });

  it("undecodable bytes become INVALID_L1_MESSAGE, consumed by the STF as MALFORMED", () => {
    for (const h of ["0x", "0x05" + "00".repeat(32), "0x01" + "00".repeat(31), "0x04" + "00".repeat(49)]) {
      expect(decodeL1Message(hexToBytes(h))).to.equal(INVALID_L1_MESSAGE);
    }
    const c = new Chain();
    const r = c.batch([], [decodeL1Message(hexToBytes("0x09"))]);
    expect(r.receipts.l1()[0].code).to.equal(ErrorCode.MALFORMED);
    expect(c.state.l1MessagesConsumed).to.equal(1);
  });

  it("u64 amounts above 2^53-1 are MALFORMED for DEPOSIT and FORCED_WITHDRAW (no 'withdraw everything' value)", () => {
    const dep = hexToBytes(encodePacked(["uint8", "address", "uint32", "uint64"], [1, ACC, 1, 2n ** 64n - 1n]));
    const fw = hexToBytes(encodePacked(["uint8", "address", "uint32", "uint64"], [2, ACC, 1, 2n ** 64n - 1n]));
    const c = new Chain();
    const r = c.batch([], [decodeL1Message(dep), { kind: L1MessageKind.DEPOSIT, account: ACC, asset: 1, amount: 10 }, decodeL1Message(fw)]);
    expect(r.receipts.l1().map((x) => [x.code, x.amount])).to.deep.equal([[ErrorCode.MALFORMED, 0], [ErrorCode.OK, 10], [ErrorCode.MALFORMED, 0]]);
  });

  it("queue hash chain step", () => {
    const m = encodeL1Message({ kind: L1MessageKind.DEPOSIT, account: ACC, asset: 1, amount: 1 });
    const q1 = nextQueueHash(new Uint8Array(32), m);
    expect(q1).to.have.length(32);
    expect(bytesToHex(nextQueueHash(q1, m))).to.not.equal(bytesToHex(q1));
  });
});
