// The rollup view (docs/web.md "Rollup"): L1 head / safe / finalized, derivation lag, confirmation
// watermarks and proofs, recent batches with their DA, mempool depth and admission rate, reorgs seen.
// Sources: rb_syncStatus, rb_proofStatus, rb_getBatch, rb_rollupStatus, and the `batches` feed that
// triggers a reload whenever a batch is sealed or changes level (plus a 3 s poll for L1 figures).

import type { BatchInfo, ProofInfo, SyncInfo } from "../../client/client.ts";
import type { BatchDaInfo, RollupStatus } from "../../rpc/node-view.ts";
import { Panel, age, errText, fill, fmt, h, levelTag, short } from "./dom.ts";
import type { Live } from "./live.ts";

/** Proving as rb_rollupStatus reports it: finalized ranges and the node's proof jobs (null: not a prover). */
type Proofs = NonNullable<RollupStatus["proofs"]>;
type Rollup = { [K in keyof RollupStatus]-?: RollupStatus[K] | null } & { contracts: Record<string, string> | null };
const RECENT = 12;
const notReported = (what: string) => h("div.empty", {}, `${what}: not reported by this node`);
const kv = (pairs: [string, Node | string | number][]) => h("dl.kv", {}, ...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "number" ? fmt(v) : v)]));

export class RollupView {
  readonly el: HTMLElement;
  readonly l1 = new Panel("l1", "L1");
  readonly levels = new Panel("levels", "Confirmation & proofs");
  readonly batches = new Panel("batches", "Recent batches");
  readonly mempool = new Panel("mempool", "Mempool");
  readonly reorgs = new Panel("reorgs", "Reorgs");
  readonly proofs = new Panel("proofs", "Finalized ranges & proof jobs");
  private readonly live: Live;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private visible = false;

  constructor(live: Live) {
    this.live = live;
    this.el = h("div.view.rollup", { id: "view-rollup" }, h("div.grid.rollup-grid", {}, this.l1.el, this.levels.el, this.mempool.el, this.reorgs.el, h("div.wide", {}, this.batches.el), h("div.wide", {}, this.proofs.el)));
    live.subscribe("batches", {}, () => this.schedule());
    live.onState((s) => {
      if (s === "down") for (const p of this.panels()) p.stale();
      else if (s === "open") this.schedule();
    });
    setInterval(() => this.visible && this.schedule(), 3000);
  }

  private panels(): Panel[] {
    return [this.l1, this.levels, this.batches, this.mempool, this.reorgs, this.proofs];
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) this.schedule();
  }

  private schedule(): void {
    if (!this.visible || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, 100);
  }

  private async load(): Promise<void> {
    const c = this.live.client;
    let sync: SyncInfo, proof: ProofInfo, r: Rollup;
    try {
      [sync, proof, r] = await Promise.all([c.syncStatus(), c.proofStatus(), c.request<Rollup>("rb_rollupStatus")]);
    } catch (e) {
      for (const p of this.panels()) p.error(`node unreachable: ${errText(e)}`);
      return;
    }
    const idx: number[] = [];
    for (let b = sync.soft; b >= 1 && idx.length < RECENT; b--) idx.push(b);
    const infos = await Promise.all(idx.map((b) => c.getBatch(b).catch(() => null)));
    this.drawL1(r, sync);
    this.drawLevels(sync, proof);
    this.drawBatches(infos.filter((b): b is BatchInfo => b !== null), r.batches);
    this.drawMempool(r);
    this.drawReorgs(r);
    this.drawProofs(r.proofs ?? null);
  }

  private drawProofs(p: Proofs | null): void {
    const t = (s: number) => new Date(s).toLocaleTimeString("en-GB");
    fill(this.proofs.body,
      p === null ? notReported("finalized ranges and proof jobs") : null,
      p === null ? null : p.finalized.length === 0 ? h("div.empty", {}, "nothing finalized on L1 yet") : h("table", { "data-testid": "finalized" },
        h("tr", {}, ...["finalized batches", "withdrawal root", "state root"].map((x) => h("th", {}, x))),
        ...p.finalized.slice(0, RECENT).map((f) => h("tr", {}, h("td", {}, `${f.firstBatch}–${f.lastBatch}`), h("td", {}, short(f.withdrawalRoot)), h("td", {}, f.stateRoot === null ? "—" : short(f.stateRoot))))),
      p === null ? null : p.jobs === null ? h("div.empty", {}, "proof jobs: this node does not run the prover role") : p.jobs.length === 0 ? h("div.empty", {}, "no proof jobs yet") :
        h("table", { "data-testid": "jobs" },
          h("tr", {}, ...["job", "batches", "systems", "state", "L1 tx", "updated"].map((x) => h("th", {}, x))),
          ...p.jobs.slice(0, RECENT).map((j) => h("tr", { "data-job": j.id }, h("td", {}, short(j.id, 4)), h("td", {}, `${j.firstBatch}–${j.lastBatch}`), h("td", {}, j.systems.join(", ") || "—"),
            h("td", {}, j.state, j.error !== null ? h("div.err", {}, j.error) : null), h("td", {}, j.l1Tx === null ? "—" : short(j.l1Tx, 4)), h("td", {}, t(j.updatedAt))))));
    this.proofs.ok();
  }

  private drawL1(r: Rollup, sync: SyncInfo): void {
    const rows: [string, Node | string | number][] = [];
    if (r.l1 !== null) rows.push(["head", r.l1.head], ["safe", r.l1.safe], ["finalized", r.l1.finalized], ["head age", age(r.l1.headTimestamp)]);
    if (r.derivation !== null) rows.push(["derived batch", r.derivation.derivedBatch], ["derived up to L1", r.derivation.l1Block], ["derivation lag", `${fmt(r.derivation.lagBlocks)} blocks`]);
    rows.push(["role", sync.sequencing ? "sequencer" : "follower"]);
    if (r.contracts !== null) for (const [k, v] of Object.entries(r.contracts)) rows.push([k, short(v)]);
    fill(this.l1.body, r.l1 === null ? notReported("L1 blocks") : null, r.derivation === null ? notReported("derivation") : null, kv(rows));
    this.l1.ok();
  }

  private drawLevels(s: SyncInfo, p: ProofInfo): void {
    fill(this.levels.body, kv([["soft", s.soft], ["included", s.included], ["safe", s.safe], ["proven", s.proven], ["awaiting inclusion", s.soft - s.included], ["included, not proven", p.includedBatch - p.provenBatch]]));
    this.levels.ok();
  }

  private drawBatches(infos: BatchInfo[], da: BatchDaInfo[] | null): void {
    const byIdx = new Map((da ?? []).map((d) => [d.batchIndex, d]));
    fill(this.batches.body,
      da === null ? notReported("batch DA (size, blobs, CID, proposer)") : null,
      infos.length === 0 ? h("div.empty", {}, "no batches yet") : h("table", {},
        h("tr", {}, ...["batch", "age", "txs", "L1 msgs", "orders", "bytes", "DA", "proposer", "level"].map((t) => h("th", {}, t))),
        ...infos.map((b) => {
          const d = byIdx.get(b.batchIndex);
          const daCell = d === undefined ? "—" : d.blobHashes.length > 0 ? `${d.blobHashes.length} blob${d.blobHashes.length > 1 ? "s" : ""} ${d.blobHashes.map((x) => short(x, 4)).join(" ")}` : d.calldata ? "calldata" : "—";
          return h("tr", { "data-batch": b.batchIndex },
            h("td", {}, b.batchIndex), h("td", {}, age(b.timestamp)), h("td", {}, b.txCount), h("td", {}, b.l1Messages), h("td", {}, d?.orders ?? "—"),
            h("td", {}, d === undefined ? "—" : fmt(d.bytes)), h("td", {}, daCell, d?.cid ? h("div.cid", {}, `ipfs ${short(d.cid, 6)}`) : null, d !== undefined ? h("div.cid", {}, `L1 block ${d.l1Block} · tx ${short(d.l1Tx, 4)}`) : null),
            h("td", {}, d === undefined ? "—" : short(d.proposer, 4)), h("td", {}, b.open ? h("span.level", { "data-level": "open" }, "open") : levelTag(b.level)));
        })));
    this.batches.ok();
  }

  private drawMempool(r: Rollup): void {
    fill(this.mempool.body, r.mempool === null ? notReported("mempool") : kv([["waiting", r.mempool.depth], ["admitted / s", r.mempool.admittedPerSec]]));
    this.mempool.ok();
  }

  private drawReorgs(r: Rollup): void {
    fill(this.reorgs.body, r.reorgs === null ? notReported("reorgs") : r.reorgs.length === 0 ? h("div.empty", {}, "none seen") :
      h("table", {}, h("tr", {}, h("th", {}, "when"), h("th", {}, "depth"), h("th", {}, "ancestor")),
        ...r.reorgs.map((x) => h("tr", {}, h("td", {}, new Date(x.atMs).toLocaleTimeString("en-GB")), h("td", {}, x.depth), h("td", {}, x.l1Block)))));
    this.reorgs.ok();
  }
}
