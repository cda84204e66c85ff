// startNode: the running rollup node (docs/operator.md "Running a node"). It composes, over ONE LevelDB
// (node/state StateStore; the sequencer's WAL shares it so a canonical batch's commit deletes its WAL
// entries atomically):
//   follower   Deriver over L1 (node/derive) -> canonical state; always on
//   sequencer  admission, WAL, soft execution, sealing (node/sequencer), rebuilt on the canonical order
//   proposer   posts sealed batches (blobs, IPFS backup) with the node's L1 key
//   others     prover, challenger, mm: started through the role registry (roles.ts) when registered
// and serves the RPC (node/rpc over NodeStateView) with GET /health and /ready on the public port, and
// /metrics plus the roles' routes on the admin listener.
//
// Shutdown (stop(), SIGINT/SIGTERM in the CLI): the RPC stops accepting, the registered roles stop, the
// sequencer stops admitting and flushes its WAL, an in-flight proposal is awaited up to
// `proposalGraceMs` and otherwise abandoned (the sealed batch stays in the WAL; derivation picks up the
// L1 transaction if it lands), derivation writes what is pending, then the DA backup and the store close.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { CID } from "multiformats/cid";
import { bytesToHex, createPublicClient, defineChain, hexToBytes, http, type Address, type Hex, type PublicClient } from "viem";
import type { LocalAccount } from "viem/accounts";
import { txHash } from "../clob/eip712.ts";
import { decodeL1Message } from "../clob/l1messages.ts";
import type { Eip712Domain, L1Message } from "../clob/types.ts";
import { ConfigError, type NodeConfig } from "../config.ts";
import { createDa, type Da } from "../da/index.ts";
import { Deriver } from "../derive/index.ts";
import { inboxAbi, settlementAbi } from "../l1/contracts.ts";
import { rootLogger, type Logger } from "../log.ts";
import { createRpcServer, type RpcServer, type RpcServerConfig } from "../rpc/server.ts";
import { rpcOptionsFromConfig, type RpcOptions } from "../rpc/options.ts";
import type { BatchDaInfo, RollupStatus } from "../rpc/node-view.ts";
import type { ProverHandle } from "../prover/role.ts";
import { Proposer, Sequencer, sequencerOptionsFromConfig, undoneRecords, undoneTxs, type SequencerL1, type UndoneTx } from "../sequencer/index.ts";
import { StateStore } from "../state/store.ts";
import { StateCommitment, hex } from "../state/commitment.ts";
import { createGenesisState } from "../clob/state.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import { createAdminServer, type AdminServer } from "./admin.ts";
import { depositIndexLookup } from "./deposit-lookup.ts";
import { loadL1Account, loadRoleAccounts, type SendingRole } from "./keys.ts";
import { nodeMetrics, type NodeMetrics } from "./metrics.ts";
import { checkRoles, roleStarter, type RoleContext, type RoleHandle } from "./roles.ts";
import { HistoryIndex } from "./history.ts";
import { DEFAULT_CANDLE_INTERVALS } from "./history-records.ts";
import { NodeProofs } from "./proofs.ts";
import { DerivedBatchIndexer, indexSoftExecution, type DerivedBatch } from "./soft-index.ts";
import { NodeStateView } from "./view.ts";
import type { FastifyPluginAsync } from "fastify";

/** The web page bundle (npm run build:web), served on the RPC port at GET /. */
const WEB_PAGE_DIR = fileURLToPath(new URL("../web/dist", import.meta.url));

export interface StartNodeOptions {
  /** RPC options beyond the config's (the devnet adds its funded accounts). */
  rpcOptions?: Partial<RpcOptions>;
  config: NodeConfig;
  /** Name in logs (e.g. "node-1"). */
  name?: string;
  /** The node's L1 key; default: ROLLBOOK_L1_PRIVATE_KEY or config `keystore` (keys.ts). */
  account?: LocalAccount;
  /** The prover's and challenger's own L1 keys; default: ROLLBOOK_PROVER_PRIVATE_KEY / ROLLBOOK_CHALLENGER_PRIVATE_KEY (keys.ts). */
  roleAccounts?: Partial<Record<SendingRole, LocalAccount>>;
  /** The suite's deployment; default: config `deployment` or <dataDir>/deployments/<chainId>.json. */
  deployment?: Deployment;
  /**
   * Further RPC server settings (node/rpc RpcServerConfig), e.g. the web page served at GET / or the devnet's
   * account list: spread into createRpcServer.
   */
  rpcServer?: Omit<Partial<RpcServerConfig>, "view" | "options" | "logger" | "registry">;
  /** Plugins for the admin listener (besides what registered roles add). */
  adminPlugins?: { plugin: FastifyPluginAsync; prefix?: string }[];
  /** Sealing/proposing and status tick, ms (default 250). */
  tickMs?: number;
  /** Derivation poll interval when caught up, ms (default 500). */
  pollIntervalMs?: number;
  /** Proposal data mode (default "auto": the cheaper of blobs and calldata). */
  proposeMode?: "auto" | "blob" | "calldata";
  /** How long shutdown waits for an in-flight proposal, ms (default 10 000). */
  proposalGraceMs?: number;
  logger?: Logger;
}

export interface NodeStatus {
  name: string;
  roles: string[];
  l1Head: number | undefined;
  l1Derived: number;
  lag: number | undefined;
  derivedBatch: number;
  stateRoot: Hex;
  softBatch: number;
  safeBatch: number;
  mempool: number;
  synced: boolean;
  lastError?: { level: string; code: string; message: string };
}

export interface RunningNode {
  readonly config: NodeConfig;
  readonly name: string;
  readonly deployment: Deployment;
  readonly view: NodeStateView;
  readonly deriver: Deriver;
  readonly sequencer: Sequencer | undefined;
  readonly proposer: Proposer | undefined;
  readonly store: StateStore;
  readonly registry: Registry;
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly adminUrl: string;
  status(): NodeStatus;
  /** The sequencer's soft state root (sequencing node) or the derived root. */
  softRoot(): Hex;
  /** Graceful shutdown; idempotent. */
  stop(): Promise<void>;
}

/** Reads the deployment record the node follows. */
export function readDeployment(config: NodeConfig, chainId: number): Deployment {
  const file = config.deployment !== "" ? config.deployment : path.join(config.dataDir, "deployments", `${chainId}.json`);
  if (!existsSync(file)) throw new ConfigError([`deployment: ${file} not found (deploy the suite first: rollup-node deploy, or set deployment)`]);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Deployment;
  } catch (err) {
    throw new ConfigError([`deployment ${file}: not valid JSON (${(err as Error).message})`]);
  }
}

/** Batches, finalized ranges and proof jobs rb_rollupStatus lists. */
const RECENT = 50;

/** A binary CID as recorded on L1, in its string form (or its hex when it does not parse). */
function cidString(b: Uint8Array): string {
  try {
    return CID.decode(b).toString();
  } catch {
    return bytesToHex(b);
  }
}

/** The blocks derivation may be this far behind the head and still count as synced (/ready). */
const READY_LAG_BLOCKS = 4;

export async function startNode(o: StartNodeOptions): Promise<RunningNode> {
  const config = o.config;
  const name = o.name ?? "node";
  const log = (o.logger ?? rootLogger).child({ node: name });
  const problems = checkRoles(config.roles);
  if (problems.length > 0) throw new ConfigError(problems);
  const roles = new Set(config.roles);

  const probe = createPublicClient({ transport: http(config.l1.rpcUrl) });
  const chainId = await probe.getChainId();
  const chain = defineChain({ id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [config.l1.rpcUrl] } } });
  const l1 = createPublicClient({ chain, transport: http(config.l1.rpcUrl) }) as PublicClient;
  const deployment = o.deployment ?? readDeployment(config, chainId);
  if (deployment.chainId !== chainId) throw new ConfigError([`deployment: recorded for chain ${deployment.chainId}, L1 is chain ${chainId}`]);
  const account = o.account ?? loadL1Account(config.keystore);
  if (roles.has("proposer") && account === undefined) throw new ConfigError([`roles: proposer needs an L1 key (ROLLBOOK_L1_PRIVATE_KEY or keystore)`]);
  const roleAccounts = o.roleAccounts ?? loadRoleAccounts();
  for (const r of ["prover", "challenger"] as const) {
    if (roles.has(r) && roles.has("proposer") && roleAccounts[r] === undefined) {
      log.warn({ role: r }, `the ${r} sends with the proposer's L1 key: both race for its nonces; give it its own (ROLLBOOK_${r.toUpperCase()}_PRIVATE_KEY)`);
    }
  }
  const inbox = deployment.contracts.inbox;
  const feeAccount = deployment.parameters.feeAccount === undefined ? undefined : (String(deployment.parameters.feeAccount) as Address);
  const domain: Eip712Domain = { chainId, verifyingContract: inbox.toLowerCase() as Address };
  const genesis = createGenesisState({ domain, feeAccount });
  const genesisRoot = hex(StateCommitment.fromState(genesis).root());
  if (deployment.parameters.genesisStateRoot !== undefined && deployment.parameters.genesisStateRoot !== genesisRoot) {
    throw new ConfigError([`deployment: Settlement's genesis root ${String(deployment.parameters.genesisStateRoot)} is not this node's genesis ${genesisRoot}`]);
  }

  const registry = new Registry();
  let sequencer: Sequencer | undefined;
  /** The transactions the last rollback undid (kept in its write), for the sequencer's rebuild. */
  let undone: UndoneTx[] = [];
  const metrics: NodeMetrics = nodeMetrics(registry, () => sequencer);
  mkdirSync(config.dataDir, { recursive: true });
  // Receipts, orders, fills, trades and candles on disk, written in each batch's commit (history.ts).
  const history = new HistoryIndex({ domain, keepReceipts: config.storage.pruneReceiptsAfterBatches, candleIntervals: DEFAULT_CANDLE_INTERVALS });
  const store = await StateStore.open(path.join(config.dataDir, "store"), { keepReceipts: config.storage.pruneReceiptsAfterBatches, keepChanges: true, indexer: history });
  let da: Da | undefined;
  let deriver: Deriver | undefined;
  let proofs: NodeProofs | undefined;
  try {
    da = await createDa(config, { logger: log.child({ module: "da" }), registry });
    // Batches as derivation executes them, until their "batch" event (which carries the receipts).
    const executing = new Map<number, DerivedBatch>();
    // Admissions per second over the last 10 s (rb_rollupStatus), and the L1 reorgs seen (newest first).
    // Per-second admission counts of the last 10 seconds (a ring, so no per-transaction memory).
    const admitted = { sec: 0, counts: new Uint32Array(10) };
    const advance = (sec: number): void => {
      for (let t = admitted.sec + 1; t <= Math.min(sec, admitted.sec + 10); t++) admitted.counts[t % 10] = 0;
      admitted.sec = Math.max(admitted.sec, sec);
    };
    const reorgs: { atMs: number; depth: number; l1Block: number }[] = [];
    // The recent derived batches with their DA (newest first) and the prover's recent jobs (rb_rollupStatus).
    const recentBatches: Omit<BatchDaInfo, "level">[] = [];
    let proofJobs: NonNullable<RollupStatus["proofs"]>["jobs"] = null;
    const view: NodeStateView = new NodeStateView({
      retainBatches: config.storage.pruneReceiptsAfterBatches, history,
      domain, state: () => sequencer?.softState() ?? deriver!.current().state, sequencer: () => sequencer, proofs: () => proofs,
      onVerdict: (v) => {
        metrics.admitted.inc({ verdict: v });
        if (v !== "valid") return;
        const sec = Math.floor(Date.now() / 1000);
        advance(sec);
        admitted.counts[sec % 10]!++;
      },
      rollup: () => {
        const st = deriver!.status();
        const tips = deriver!.follower.tips();
        advance(Math.floor(Date.now() / 1000));
        return {
          l1: tips === undefined ? undefined : { head: tips.head.number, safe: tips.safe?.number ?? 0, finalized: tips.finalized?.number ?? 0, headTimestamp: tips.head.timestamp },
          derivation: { derivedBatch: st.batchIndex, l1Block: st.l1Derived, lagBlocks: st.lag ?? 0 },
          mempool: sequencer === undefined ? undefined : { depth: sequencer.pool.count, admittedPerSec: Math.round(admitted.counts.reduce((a, b) => a + b, 0) / 10) },
          reorgs: [...reorgs],
          batches: recentBatches.map((b) => ({ ...b, level: view.levelOf(b.batchIndex) })),
          proofs: proofs === undefined ? null : { finalized: proofs.recentRanges(RECENT), jobs: proofJobs },
        };
      },
    });
    const derivedIndexer = new DerivedBatchIndexer(view);
    deriver = await Deriver.open({
      client: l1, inbox, startBlock: deployment.startBlock, genesis: { domain, feeAccount },
      store, fetcher: da.fetcher, ipfs: da.ipfs, confirmations: config.l1.confirmations, pollIntervalMs: o.pollIntervalMs ?? 500,
      logger: log.child({ module: "derive" }), registry, proverInputs: roles.has("prover") || roles.has("challenger"), keepBatchData: true,
      // A node that does not sequence has both cores free for derivation: recover signers of prefetched
      // batches on two worker threads (docs/derivation.md "Prefetch and the signer recovery pipeline").
      recoveryThreads: roles.has("sequencer") ? 0 : 2,
      onBatch: (b) => {
        const hashes = b.txs.map((tx) => txHash(domain, tx));
        executing.set(b.index, { ...b, hashes });
        history.prepare({ index: b.index, timestamp: b.timestamp, txs: b.txs, hashes });
        return sequencer?.commitKeys(b.index, hashes) ?? [];
      },
      // A sequencing node keeps the transactions of the batches a rollback undoes in the rollback's own write:
      // the sequencer requeues them (docs/sequencer.md "Reorgs after a restart"), now or, if it is not open yet, when it opens.
      onRollback: roles.has("sequencer")
        ? (batches) => {
          undone = undoneTxs(deriver!.current().state, batches);
          return undoneRecords(undone);
        }
        : undefined,
    });
    const d = deriver;
    proofs = await NodeProofs.open({
      store, genesis, head: () => d.current().commitment, client: l1, settlement: deployment.contracts.settlement,
      startBlock: deployment.startBlock, logger: log.child({ module: "proofs" }),
    });
    const keeper = proofs;
    // After a restart the history is read from the store's indexes: only recent trades and candles are loaded.
    const t0 = performance.now();
    await view.load();
    log.info({ batch: history.committed(), restingOrders: history.openCount(), ms: Math.round(performance.now() - t0) }, "history index opened");
    view.setLevels(d.status().batchIndex, 0);
    view.markProven(keeper.provenBatch);
    d.on("batch", (b) => {
      keeper.onBatch(b);
      const cid = hexToBytes(b.ipfsCid);
      recentBatches.unshift({
        batchIndex: b.batchIndex, l1Block: b.l1Block, l1Tx: b.l1Tx, bytes: b.bytes, txCount: b.txCount, orders: b.orders, blobHashes: [...b.blobHashes],
        calldata: b.calldata, cid: cid.length === 0 ? null : cidString(cid), proposer: b.proposer.toLowerCase(),
      });
      if (recentBatches.length > RECENT) recentBatches.pop();
    });
    d.on("batch", (b) => {
      const x = executing.get(b.batchIndex);
      executing.delete(b.batchIndex);
      if (x === undefined) return;
      // A follower indexes every derived receipt; a sequencer those it did not execute itself, and if this
      // batch is not ours, between forgetting what was soft and what executes again (soft-index.ts).
      derivedIndexer.onDerived(x, b.receipts, d.current().state, sequencer);
      view.setLevels(b.batchIndex, safeBatch);
    });
    d.on("reorg", (r) => {
      reorgs.unshift({ atMs: Date.now(), depth: Math.max(0, r.fromL1 - r.toL1), l1Block: r.toL1 });
      if (reorgs.length > 50) reorgs.pop();
      log.warn(r, "L1 reorg: soft state rebuilt on the rolled-back canonical state");
      view.rollBack(r.toBatch);
      keeper.onReorg(r.toBatch, d.current().commitment);
      while (recentBatches.length > 0 && recentBatches[0]!.batchIndex > r.toBatch) recentBatches.shift();
      sequencer?.onCanonical({ state: d.current().state, batches: [], reorg: true, undone });
      undone = [];
    });
    d.on("error", (e) => log.error({ code: e.code, err: e.message }, "derivation stopped (critical): /ready reports not ready"));

    let safeBatch = 0;
    log.info({ startBlock: deployment.startBlock, inbox }, "catching up with L1");
    await d.syncToHead();
    view.setLevels(d.status().batchIndex, 0);
    log.info({ batch: d.status().batchIndex, l1: d.status().l1Derived }, "derived up to the L1 head");

    // Decoded L1 messages by queue index (the sequencer's view of the queue; the deriver keeps raw bytes).
    const decoded = new Map<number, L1Message>();
    const seqL1: SequencerL1 = {
      head: () => {
        const c = d.cursorBlock();
        return { number: c.number, hash: c.hash, timestamp: c.timestamp };
      },
      messages: (from) => {
        const raw = d.queuedMessages(from);
        const out: L1Message[] = [];
        for (let i = 0; i < raw.length; i++) {
          let m = decoded.get(from + i);
          if (m === undefined) decoded.set(from + i, (m = decodeL1Message(raw[i]!)));
          out.push(m);
        }
        for (const k of decoded.keys()) if (k < d.current().state.l1MessagesConsumed) decoded.delete(k);
        return out;
      },
    };

    let proposer: Proposer | undefined;
    if (roles.has("sequencer")) {
      const so = sequencerOptionsFromConfig(config.sequencer);
      sequencer = await Sequencer.open({
        db: store.db, canonical: d.current().state, l1: seqL1, ...so, includedBatch: (h) => history.txBatch(h),
        // Soft execution credits the proposer reward exactly as derivation will when this node proposes.
        proposer: roles.has("proposer") ? (account!.address.toLowerCase() as Address) : undefined,
      });
      const seq = sequencer;
      indexSoftExecution(view, seq, (b) => metrics.batchTxs.observe(b.txs.length), derivedIndexer.beforeReexecution);
      if (roles.has("proposer")) {
        const poster = da.poster(l1, account!, inbox, { pollIntervalMs: 500 });
        proposer = new Proposer({
          sequencer: seq, poster, logger: log.child({ module: "proposer" }), mode: o.proposeMode ?? "auto",
          inbox: {
            batchCount: () => l1.readContract({ address: inbox, abi: inboxAbi, functionName: "batchCount" }).then(BigInt),
            batchChainAt: (i) => l1.readContract({ address: inbox, abi: inboxAbi, functionName: "batchChainAt", args: [i] }),
          },
        });
      }
    }

    // ------------------------------------------------------------------ RPC (public port)
    const rpcOptions: RpcOptions = {
      ...rpcOptionsFromConfig(config.rpc), webPage: WEB_PAGE_DIR, l1Contracts: { ...deployment.contracts },
      depositIndexesOfL1Tx: depositIndexLookup(l1, deployment.contracts.vault), ...o.rpcOptions,
    };
    const rpc: RpcServer = await createRpcServer({ ...o.rpcServer, view, options: rpcOptions, logger: log.child({ module: "rpc" }), registry });
    let stopping = false;
    const status = (): NodeStatus => {
      const s = d.status();
      return {
        name, roles: [...roles], l1Head: s.l1Head, l1Derived: s.l1Derived, lag: s.lag, derivedBatch: s.batchIndex, stateRoot: s.stateRoot,
        softBatch: sequencer?.softState().batchIndex ?? s.batchIndex, safeBatch, mempool: sequencer?.pool.count ?? 0,
        synced: s.running && s.lastError?.level !== "critical" && s.lag !== undefined && s.lag <= READY_LAG_BLOCKS,
        ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
      };
    };
    rpc.app.get("/health", async () => ({ ok: !stopping, name, roles: [...roles] }));
    rpc.app.get("/ready", async (_req, reply) => {
      const s = status();
      const ready = s.synced && !stopping;
      return reply.code(ready ? 200 : 503).send({ ready, ...s });
    });
    const rpcUrl = await rpc.listen(config.rpc.host, config.rpc.port);

    // ------------------------------------------------------------------ admin listener and extra roles
    const admin: AdminServer = createAdminServer({ registry, token: config.admin.token, webOrigin: config.mm.webOrigin });
    for (const p of o.adminPlugins ?? []) admin.register(p.plugin, { prefix: p.prefix });
    const handles: { role: string; handle: RoleHandle }[] = [];
    const ctx: RoleContext = {
      config, logger: log, registry, deployment, l1, account, roleAccounts, store, deriver: d, sequencer, view, rpcUrl,
      address: account?.address.toLowerCase() as Address | undefined,
      registerAdminRoutes: (plugin, opts) => admin.register(plugin, opts),
    };
    for (const role of config.roles) {
      const start = roleStarter(role);
      if (start === undefined) continue;
      handles.push({ role, handle: await start({ ...ctx, logger: log.child({ role }) }) });
      log.info({ role }, "role started");
    }
    const adminUrl = await admin.listen(config.admin.host, config.admin.port);

    // ------------------------------------------------------------------ loops
    d.start();
    let tickRunning: Promise<void> | null = null;
    let provenBatch = 0;
    let provenReadAt = 0;
    const tick = async (): Promise<void> => {
      // L1 finality: batches derived from blocks at or below the finalized block are safe.
      const fin = d.follower.tips()?.finalized;
      if (fin !== undefined && fin.number <= d.cursorBlock().number) {
        const rec = await store.l1Block(fin.number).catch(() => undefined);
        if (rec !== undefined && rec.hash === fin.hash && rec.batchIndex > safeBatch) {
          safeBatch = rec.batchIndex;
          view.setLevels(d.status().batchIndex, safeBatch);
          sequencer?.setFinality(safeBatch, provenBatch);
        }
      }
      // Proven: Settlement's finalized head (whoever proved it), read every few seconds.
      if (Date.now() - provenReadAt >= 2_000) {
        provenReadAt = Date.now();
        const last = Number(await l1.readContract({ address: deployment.contracts.settlement, abi: settlementAbi, functionName: "lastBatch" }).catch(() => 0n));
        const prover = handles.find((h) => h.role === "prover")?.handle as ProverHandle | undefined;
        if (prover !== undefined) {
          const jobs = await prover.jobs.list().catch(() => []);
          proofJobs = jobs.sort((x, y) => y.lastBatch - x.lastBatch || y.createdAt - x.createdAt).slice(0, RECENT).map((j) => ({
            id: j.id, firstBatch: j.firstBatch, lastBatch: j.lastBatch, systems: j.proofs.map((p) => p.system), state: j.state, updatedAt: j.updatedAt,
            l1Tx: j.txHash ?? null, error: j.error === undefined ? null : `${j.error.code}: ${j.error.message}`,
          }));
        }
        await keeper.poll().catch((err: unknown) => log.warn({ err: (err as Error).message }, "reading Settlement's finalized ranges failed; retrying"));
        if (last > provenBatch && last <= d.status().batchIndex) {
          provenBatch = last;
          view.markProven(last);
          sequencer?.setFinality(safeBatch, provenBatch);
        }
      }
      if (proposer !== undefined) {
        try {
          const p = await proposer.step();
          if (p !== null) {
            metrics.proposals.inc({ result: "posted" });
            metrics.batchBytes.observe(p.bytes.length);
            metrics.proposedBytes.inc(p.bytes.length);
            metrics.proposerBalance.set(Number(await l1.getBalance({ address: account!.address })));
          }
        } catch (err) {
          metrics.proposals.inc({ result: "failed" });
          log.warn({ err: (err as Error).message, code: (err as { code?: string }).code }, "proposal failed; retrying on the next tick");
        }
      } else sequencer?.sealIfDue();
    };
    const timer = setInterval(() => {
      if (tickRunning !== null || stopping) return;
      tickRunning = tick().catch((err: unknown) => log.error({ err: (err as Error).message }, "node tick failed; retrying on the next tick")).finally(() => {
        tickRunning = null;
      });
    }, o.tickMs ?? 250);

    log.info({ rpcUrl, adminUrl, roles: [...roles], batch: d.status().batchIndex }, "node running");
    let stopped: Promise<void> | null = null;
    const stop = (): Promise<void> => (stopped ??= (async () => {
      stopping = true;
      log.info("shutting down: RPC closed to new work");
      clearInterval(timer);
      await rpc.close().catch((err: unknown) => log.warn({ err }, "rpc close"));
      for (const { role, handle } of handles.reverse()) await handle.stop().catch((err: unknown) => log.warn({ err, role }, "role stop failed"));
      // Stop admitting first: nothing new reaches the WAL while the last proposal settles.
      if (sequencer !== undefined) await sequencer.close();
      if (tickRunning !== null) {
        const grace = o.proposalGraceMs ?? 10_000;
        const settled = await Promise.race([tickRunning.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), grace).unref())]);
        if (!settled) log.warn({ graceMs: grace }, "abandoning an in-flight proposal (its batch stays in the WAL; derivation sees it if it lands)");
      }
      await d.stop();
      await admin.close().catch(() => undefined);
      await da!.stop().catch(() => undefined);
      await store.close();
      log.info("stopped");
    })());

    return {
      config, name, deployment, view, deriver: d, sequencer, proposer, store, registry, rpcUrl, wsUrl: rpcUrl.replace(/^http/, "ws") + "/ws", adminUrl,
      status, stop,
      softRoot: () => (sequencer !== undefined ? hex(StateCommitment.fromState(sequencer.softState()).root()) : d.status().stateRoot),
    };
  } catch (err) {
    await sequencer?.close().catch(() => undefined);
    await deriver?.stop().catch(() => undefined);
    await da?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
