// Child process of the crash test: applies a deterministic stream of batches to a LevelDB store and prints
// `committed <batch> <root>` after each acknowledged commit (the parent may SIGKILL it at any moment).
//   node crash-worker.ts <dir> <targetBatch> <seed> [accounts] [batchSize]
import { createGenesisState } from "../../../node/clob/state.ts";
import { applyBatch } from "../../../node/clob/stf.ts";
import { StateCommitment, hex } from "../../../node/state/commitment.ts";
import { StateStore } from "../../../node/state/store.ts";
import { Workload } from "../../../bench/workload.ts";

const [dir, targetS, seedS, accountsS, batchSizeS] = process.argv.slice(2);
const target = Number(targetS);
const wl = new Workload({ seed: Number(seedS), accounts: Number(accountsS ?? 200), depth: 1500, batchSize: Number(batchSizeS ?? 150), extras: true });
const store = await StateStore.open(dir, { keepReceipts: 5 });
const loaded = await store.load();
let state;
let sc: StateCommitment;
if (loaded === null) {
  state = createGenesisState({ domain: { chainId: 31337, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" } });
  sc = StateCommitment.fromState(state);
  await store.writeFullState(sc, 0);
} else {
  state = loaded.state;
  sc = loaded.commitment;
}
process.stdout.write(`loaded ${state.batchIndex} ${hex(sc.root())}\n`);
while (state.batchIndex < target) {
  const { batch, l1 } = wl.next(state);
  const result = applyBatch(state, batch, l1, { signerCache: wl.signers });
  const { root, derived } = sc.commitBatch(state);
  await store.commitBatch({
    batchIndex: batch.index,
    root,
    derived,
    receipts: result.receipts,
    withdrawals: result.withdrawals,
    batchData: new TextEncoder().encode(JSON.stringify({ index: batch.index, timestamp: batch.timestamp, n: batch.txs.length })),
    l1Cursor: { batch: batch.index },
    mempool: { put: [[`b${batch.index}`, new Uint8Array([1])]], del: [`b${batch.index - 1}`] },
  });
  process.stdout.write(`committed ${batch.index} ${hex(root)}\n`);
}
await store.close();
process.stdout.write(`done ${state.batchIndex} ${hex(sc.root())}\n`);
