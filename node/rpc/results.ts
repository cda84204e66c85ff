// Schemas of the RPC's results (the shapes of node-view.ts), for the OpenRPC document's
// components.schemas. Results are produced by the server, so these document rather than validate.

import type { Schema } from "./schema.ts";

const int = (description?: string): Schema => (description === undefined ? { type: "integer" } : { type: "integer", description });
const str = (description?: string): Schema => (description === undefined ? { type: "string" } : { type: "string", description });
const level: Schema = { type: "string", enum: ["soft", "included", "safe", "proven"], description: "confirmation level" };
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arr = (items: Schema): Schema => ({ type: "array", items });
const shape = (description: string, properties: Record<string, Schema>): Schema => ({
  type: "object", description, properties, required: Object.keys(properties), additionalProperties: false,
});

const fill = shape("a trade of one of the account's orders", {
  market: int(), price: int("ticks"), size: int("lots"), notional: int("quote units"), takerOrderId: int(), makerOrderId: int(),
  taker: str(), maker: str(), takerSide: int("0 buy, 1 sell"), takerFee: int(), makerFee: int("negative: rebate"),
  batchIndex: int(), txHash: str(), level,
});
const orderUpdate = shape("one change of one order (docs/stf.md receipts)", {
  orderId: int(), market: int(), account: str(), side: int(), price: int(), status: int("0 new, 1 partially filled, 2 filled, 3 cancelled, 4 expired, 5 amended, 6 decremented"),
  size: int(), remaining: int(), clientId: int(), reason: int("cancel reason"),
});
const bookLevel = shape("one price level", { price: int(), size: int("lots"), orders: int() });

const hashes = (description: string): Schema => ({ type: "array", items: str("0x 32 bytes"), description });
const stateProof = shape("a Merkle proof of one leaf key against a state root (docs/stf.md \"Proofs\"; node/state/proofs.ts verifyStateProof)", {
  batchIndex: int("the batch whose post-state root `root` is"), root: str("state root"), level,
  key: str("leaf key: tag byte and key fields"), siblings: hashes("three sibling hashes per level, from the root down, in child order"),
  leaf: { oneOf: [str("the leaf at the end of the key's path: the key's own leaf proves inclusion, another key's leaf absence"), { type: "null", description: "empty position: absence" }] },
});
const orderLeaf = shape("a resting order's ORDER leaf (docs/stf.md \"Leaves\")", {
  id: int(), market: int(), owner: int("account index"), side: int(), price: int(), size: int("lots resting"), expiry: int(), clientId: int(), priority: int(), prev: int("previous order in the level's queue, 0: head"),
});

export const RESULT_SCHEMAS: Readonly<Record<string, Schema>> = {
  Fill: fill,
  OrderUpdate: orderUpdate,
  BookLevel: bookLevel,
  TxInfo: shape("a transaction's receipt and confirmation level", {
    txHash: str(), account: str(), signer: str("the account or its agent"), nonce: int(), kind: int(), status: { type: "string", enum: ["accepted", "failed", "rejected"] },
    code: int("STF error code, 0 = OK"), codeName: str(), orderId: int(), withdrawalId: int("-1: none"), batchIndex: int(), index: int("position in the batch"),
    level, fills: arr(ref("Fill")), orders: arr(ref("OrderUpdate")),
    actions: arr(shape("a Bulk action's outcome", { op: int(), status: { type: "string", enum: ["accepted", "failed"] }, code: int(), codeName: str(), orderId: int() })),
  }),
  OrderInfo: shape("an order", {
    orderId: int(), market: int(), account: str(), side: int(), price: int(), size: int(), filled: int(), remaining: int(), clientId: int(),
    state: { type: "string", enum: ["open", "partially-filled", "filled", "cancelled", "expired"] }, batchIndex: int(), txHash: str(), level, updatedBatch: int(),
  }),
  Balances: shape("an account's balances", {
    account: str(), nonce: int(), balances: arr(shape("one asset", { asset: int(), available: int(), locked: int() })), batchIndex: int(), level,
  }),
  MarketInfo: shape("a market", {
    market: int(), baseAsset: int(), quoteAsset: int(), lotSize: int(), tickSize: int(), minSize: int(), makerFeePpm: int(), takerFeePpm: int(),
    status: { type: "string", enum: ["active", "cancel-only", "halted"] },
  }),
  BookSnapshot: shape("the book, best first, with the feed sequence number it matches", {
    market: int(), batchIndex: int(), seq: int("book feed sequence number: deltas with a higher seq apply on top"), bids: arr(ref("BookLevel")), asks: arr(ref("BookLevel")),
  }),
  Trade: shape("a public trade", {
    market: int(), price: int(), size: int(), takerSide: int(), takerOrderId: int(), makerOrderId: int(), batchIndex: int(), timestamp: int(), level,
  }),
  Candle: shape("OHLCV bucket", { start: int(), open: int(), high: int(), low: int(), close: int(), volume: int(), quoteVolume: int(), trades: int() }),
  BatchInfo: shape("a batch", { batchIndex: int(), timestamp: int(), txCount: int(), l1Messages: int(), level, open: { type: "boolean" } }),
  SyncInfo: shape("highest batch at each level", { soft: int(), included: int(), safe: int(), proven: int(), sequencing: { type: "boolean" } }),
  ProofInfo: shape("proof progress", { provenBatch: int(), safeBatch: int(), includedBatch: int() }),
  DepositInfo: shape("an L1 deposit's progress", {
    queueIndex: int(), l1TxHash: { oneOf: [str("the L1 transaction that made it"), { type: "null" }] }, account: str(), asset: int(), amount: int(), state: { type: "string", enum: ["queued", "credited", "refunded"] }, batchIndex: int(),
    level: { oneOf: [level, { type: "null" }] },
  }),
  StateProof: stateProof,
  FinalizedRange: shape("a range of batches finalized on L1 (batch 0: the genesis root)", {
    firstBatch: int(), lastBatch: int(), stateRoot: { oneOf: [str("Settlement.lastStateRoot after it"), { type: "null", description: "the node keeps no state commitment" }] }, withdrawalRoot: str("StandardMerkleTree root of the range's withdrawals (0x00..00: none)"),
  }),
  BalanceProof: shape("an account's balance of one asset and the proof of its ACCOUNT leaf (absent account: a proof of absence, zeros)", {
    account: str(), asset: int(), exists: { type: "boolean", description: "the account has a leaf in this state" }, nonce: int(), available: int(), locked: int(), proof: ref("StateProof"),
  }),
  OrderProof: shape("a resting order (null: not resting in this state) and the proof of its ORDER leaf or of its absence", {
    orderId: int(), order: { oneOf: [orderLeaf, { type: "null" }] }, proof: ref("StateProof"),
  }),
  WithdrawalProof: shape("a withdrawal leaf and its proof against the finalized withdrawal root: the arguments of Vault.claim", {
    withdrawalId: int(), recipient: str(), asset: int(), amount: int("L2 units (Vault pays amount * quantum tokens)"), batchIndex: int("the batch that made it"),
    withdrawalRoot: str("finalized withdrawal root of the range firstBatch..lastBatch"), proof: hashes("StandardMerkleTree proof, bottom-up"),
    firstBatch: int(), lastBatch: int(), stateRoot: { oneOf: [str("the range's finalized state root"), { type: "null", description: "the node keeps no state commitment" }] },
  }),
  ExitProof: shape("desert mode: the arguments of Vault.exit(account, asset, leaf, siblings) against the last finalized state root", {
    account: str(), asset: int(), amount: int("available + locked: what exit pays, in L2 units"), available: int(), locked: int(),
    batchIndex: int("the last finalized batch"), stateRoot: str("Settlement.lastStateRoot"), leaf: str("the ACCOUNT leaf"), siblings: hashes("three sibling hashes per level, from the root down"),
  }),
  BatchDa: shape("a proposed batch as the L1 follower saw it", {
    batchIndex: int(), l1Block: int("L1 block of the proposal"), l1Tx: str("the proposing L1 transaction"), bytes: int("posted bytes"), txCount: int(), orders: int("orders placed"),
    blobHashes: arr(str("EIP-4844 versioned hash")), calldata: { type: "boolean" }, cid: { oneOf: [str("IPFS CID"), { type: "null" }] }, proposer: str(), level,
  }),
  RollupStatus: shape("L1 and pipeline status; null where the node does not report it", {
    l1: { oneOf: [shape("L1 blocks seen", { head: int(), safe: int(), finalized: int(), headTimestamp: int("seconds") }), { type: "null" }] },
    derivation: { oneOf: [shape("derivation progress", { derivedBatch: int(), l1Block: int(), lagBlocks: int("L1 head minus the block derivation reached") }), { type: "null" }] },
    mempool: { oneOf: [shape("sequencer mempool", { depth: int("transactions waiting"), admittedPerSec: { type: "integer", description: "admissions per second, recent average" } }), { type: "null" }] },
    batches: { oneOf: [arr(ref("BatchDa")), { type: "null" }] },
    reorgs: { oneOf: [arr(shape("an L1 reorg", { atMs: int("wall clock, ms"), depth: int("blocks"), l1Block: int("common ancestor") })), { type: "null" }] },
    proofs: { oneOf: [shape("proving: finalized ranges and the node's proof jobs", {
      finalized: arr(ref("FinalizedRange")),
      jobs: { oneOf: [arr(shape("a proof job of this node's prover", {
        id: str(), firstBatch: int(), lastBatch: int(), systems: arr(str("attest, sp1 or zisk: the proofs produced so far")), state: str("proving, proven, submitted, finalized or failed"),
        updatedAt: int("ms"), l1Tx: { oneOf: [str("Settlement.finalize transaction"), { type: "null" }] }, error: { oneOf: [str(), { type: "null" }] },
      })), { type: "null", description: "this node does not run the prover role" }] },
    }), { type: "null" }] },
    contracts: { oneOf: [{ type: "object", properties: {}, additionalProperties: str("address") }, { type: "null" }] },
  }),
  DevnetAccount: shape("a funded devnet account", { label: str(), address: str(), privateKey: str("well-known devnet key") }),
  Domain: shape("the EIP-712 domain to sign transactions with, and the L2 chain id", {
    name: str(), version: str(), chainId: int("L1 chain id"), verifyingContract: str("Inbox address"), l2ChainId: int(),
  }),
};
