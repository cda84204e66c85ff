// Crash test of the composed sequencer node: `rollup-node run` (node/cli.ts, roles follower + sequencer +
// proposer) as a child process against a shared anvil, under load from traders submitting signed orders
// over its RPC; SIGKILLed at random moments and restarted, `kills` times. An independent follower
// (node-2, in this process, deriving from L1 only, never restarted) watches the chain.
//   after each restart: every acknowledged transaction (rb_placeOrder answered with a receipt) is answered
//     by the restarted node (pending soft, or dropped with a reason) or is in a batch node-2 derived;
//   at the end: load stops, the node drains its pool, and its soft and derived roots equal node-2's.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { privateKeyToAccount } from "viem/accounts";
import type { RunningNode } from "../../../node/app/node.ts";
import { RollbookClient } from "../../../node/client/client.ts";
import { RollbookRpcError } from "../../../node/client/transport.ts";
import { RpcErrors } from "../../../node/rpc/errors.ts";
import type { NodeConfig } from "../../../node/config.ts";
import { NODE_KEY, TRADER_KEYS, nodeConfig, sleep, startChain, startFollowerNode, until, type Chain } from "./harness.ts";

const CLI = fileURLToPath(new URL("../../../node/cli.ts", import.meta.url));

export interface NodeCrashRun {
  kills: number;
  acked: number;
  /** Acknowledged transactions checked after each restart (cumulative). */
  verified: number[];
  /** Acknowledged transactions the node answered as dropped at the end, by reason. */
  dropped: Record<string, number>;
  /** Submissions refused (not acknowledged; e.g. the node was going down). */
  refused: number;
  root: string;
  followerRoot: string;
  batches: number;
  /** Where the wall time went, in ms summed over the kills: restarting the node until /health answers,
   *  checking every acknowledged transaction after a restart, load until the kill, the final drain. */
  phaseMs: { restart: number; verify: number; load: number; drain: number };
}

/** Progress after each restart: kill `kill` of `kills`, acknowledged so far, elapsed seconds. */
export interface CrashProgress {
  kill: number;
  kills: number;
  acked: number;
  elapsedS: number;
}

interface Status {
  derivedBatch: number;
  softBatch: number;
  stateRoot: string;
  mempool: number;
}

type TxAnswer = { status: string; level: string; drop?: { reason: string } };

class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly logFile: string;
  constructor(configFile: string, logFile: string) {
    this.logFile = logFile;
    const out = openSync(logFile, "w");
    this.proc = spawn(process.execPath, [CLI, "run", "--config", configFile], {
      stdio: ["ignore", out, out],
      env: { ...process.env, ROLLBOOK_L1_PRIVATE_KEY: NODE_KEY, ROLLBOOK_LOG_FORMAT: "json", ROLLBOOK_LOG_LEVEL: "info" },
    });
    closeSync(out);
    this.exited = new Promise((res) => this.proc.on("exit", (code) => res(code)));
  }
  /** The end of the node's log (JSON lines). */
  tail(): string {
    return readFileSync(this.logFile, "utf8").slice(-3000);
  }
  async kill(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.exited;
  }
}

type RpcAnswer<T> = { id: number; result?: T; error?: { code: number; message: string } };

/** `method` for every entry of `params`, in JSON-RPC batches of 100; a rate-limited batch is sent again. */
async function jsonRpcBatch<T>(url: string, method: string, params: unknown[][]): Promise<(T | null)[]> {
  const out: (T | null)[] = [];
  for (let i = 0; i < params.length; ) {
    const body = params.slice(i, i + 100).map((p, k) => ({ jsonrpc: "2.0", id: i + k, method, params: p }));
    const res = (await (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as RpcAnswer<T>[] | RpcAnswer<T>;
    const answers = Array.isArray(res) ? res : [res];
    // a check of 3,000 acknowledged transactions exceeds the per-connection rate (rpc.connRate): wait, resend
    if (answers.some((r) => r.error?.code === RpcErrors.RATE_LIMITED.code)) {
      await sleep(1000);
      continue;
    }
    if (!Array.isArray(res) || res.length !== body.length) throw new Error(`${method}: ${JSON.stringify(res).slice(0, 300)}`);
    res.sort((a, b) => a.id - b.id);
    for (const r of res) out.push(r.result ?? null);
    i += body.length;
  }
  return out;
}

/** `kills` SIGKILLs of the composed sequencer node under load, at random moments in [minMs, maxMs) of load. */
export async function nodeCrashRun(
  kills: number,
  minMs = 300,
  maxMs = 1500,
  log: (s: string) => void = () => undefined,
  progress: (p: CrashProgress) => void = () => undefined,
): Promise<NodeCrashRun> {
  const t0 = Date.now();
  const elapsedS = () => (Date.now() - t0) / 1000;
  const at = () => `${elapsedS().toFixed(1)} s`;
  const phaseMs = { restart: 0, verify: 0, load: 0, drain: 0 };
  const timed = async <T>(phase: keyof typeof phaseMs, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      phaseMs[phase] += Date.now() - t;
    }
  };
  const chain: Chain = await startChain("node-crash");
  log(`${at()}: chain ready`);
  let node2: RunningNode | undefined;
  let child: Child | undefined;
  try {
    const deploymentFile = path.join(chain.dir, "deployment.json");
    writeFileSync(deploymentFile, JSON.stringify(chain.deployment));
    const cfg: NodeConfig = { ...(await nodeConfig(chain, "node-1", ["follower", "sequencer", "proposer"])), deployment: deploymentFile };
    const configFile = path.join(chain.dir, "node-1.json");
    writeFileSync(configFile, JSON.stringify(cfg));
    const url = `http://127.0.0.1:${cfg.rpc.port}`;
    node2 = await startFollowerNode(chain, await nodeConfig(chain, "node-2", ["follower"]));
    const follower = node2;

    const acked: string[] = [];
    const verified: number[] = [];
    let refused = 0;
    const traders = TRADER_KEYS.map((k) => new RollbookClient({ url, signer: privateKeyToAccount(k) }));
    const status = async (): Promise<Status | undefined> => {
      const r = await fetch(`${url}/ready`).catch(() => undefined);
      return r === undefined ? undefined : ((await r.json()) as Status);
    };
    const start = async (k: number): Promise<Child> => {
      const c = new Child(configFile, path.join(chain.dir, `child-${k}.log`));
      const up = await until("the node's RPC", async () => {
        if (c.proc.exitCode !== null) throw new Error(`node exited (${c.proc.exitCode}): ${c.tail()}`);
        return (await fetch(`${url}/health`).catch(() => undefined))?.ok === true;
      }, 120_000).catch((e: unknown) => e as Error);
      if (up instanceof Error) {
        await c.kill();
        throw new Error(`${up.message} (start ${k}); its log ends: ${c.tail()}`);
      }
      return c;
    };
    /** Every acknowledged transaction is answered by the node or derived by the follower. */
    const verify = async (): Promise<number> => {
      const answers = await jsonRpcBatch<TxAnswer>(url, "rb_getTx", acked.map((h) => [h]));
      const unknown = async (hs: string[]): Promise<string[]> => {
        const known = await Promise.all(hs.map((h) => follower.view.tx(h)));
        return hs.filter((_, i) => known[i] === null);
      };
      let missing = await unknown(acked.filter((_, i) => answers[i] === null));
      if (missing.length > 0) {
        // included in a batch the node derived before this restart: the follower reaches that batch
        const s = await until("node status", status);
        await until("the follower at the node's derived batch", () => follower.status().derivedBatch >= s.derivedBatch, 60_000);
        missing = await unknown(missing);
      }
      if (missing.length > 0) throw new Error(`acknowledged transactions lost: ${missing.slice(0, 5).join(", ")} (${missing.length})`);
      return acked.length;
    };

    let loading = false;
    const load = async (t: RollbookClient, i: number): Promise<void> => {
      let n = 0;
      while (loading) {
        n++;
        try {
          const side = (n + i) % 2 === 0 ? "buy" : "sell";
          const r = await t.placeOrder({ market: 3, side, price: 95 + ((n * 7 + i) % 11), size: 1 + (n % 3), clientId: n });
          acked.push(r.txHash);
        } catch (e) {
          refused++;
          t.resetNonce();
          if (!(e instanceof RollbookRpcError)) await sleep(50); // connection refused: the node is down
        }
      }
    };

    for (let k = 0; k <= kills; k++) {
      child = await timed("restart", () => start(k));
      if (k > 0) {
        verified.push(await timed("verify", verify));
        log(`${at()}: kill ${k}/${kills}: restarted, ${acked.length} acknowledged so far, all answered`);
        progress({ kill: k, kills, acked: acked.length, elapsedS: elapsedS() });
      }
      if (k === kills) break;
      const running = child;
      await timed("load", async () => {
        loading = true;
        for (const t of traders) t.resetNonce();
        const loaders = traders.map((t, i) => load(t, i));
        const before = acked.length;
        await until("acknowledgements flowing", () => acked.length > before, 30_000);
        await sleep(minMs + Math.random() * (maxMs - minMs));
        await running.kill();
        loading = false;
        await Promise.all(loaders);
      });
    }
    // Drain: the node posts everything (one proposal at a time: the batches the restarts sealed can take
    // minutes on a loaded machine); it fails only when neither node derives a new batch for 120 s. Then its
    // roots equal the independent follower's.
    const done = await timed("drain", async () => {
      let s = await status();
      log(`${at()}: draining (node ${JSON.stringify(s)}, follower at batch ${follower.status().derivedBatch})`);
      let progress = `${s?.derivedBatch}/${follower.status().derivedBatch}`;
      let since = Date.now();
      for (;;) {
        s = await status();
        if (s !== undefined && s.mempool === 0 && s.softBatch === s.derivedBatch && follower.status().derivedBatch === s.derivedBatch) return s;
        const now = `${s?.derivedBatch}/${follower.status().derivedBatch}`;
        if (now !== progress) [progress, since] = [now, Date.now()];
        if (Date.now() - since > 120_000) {
          throw new Error(`drain stalled for 120 s: node ${JSON.stringify(s)}, follower ${JSON.stringify(follower.status())}; the node's log ends: ${child?.tail()}`);
        }
        await sleep(200);
      }
    });
    const dropped: Record<string, number> = {};
    for (const a of await jsonRpcBatch<TxAnswer>(url, "rb_getTx", acked.map((h) => [h]))) {
      if (a?.drop !== undefined) dropped[a.drop.reason] = (dropped[a.drop.reason] ?? 0) + 1;
    }
    verified.push(await timed("verify", verify));
    traders.forEach((t) => t.close());
    return { kills, acked: acked.length, verified, dropped, refused, root: done.stateRoot, followerRoot: follower.status().stateRoot, batches: done.derivedBatch, phaseMs };
  } finally {
    await child?.kill().catch(() => undefined);
    await node2?.stop().catch(() => undefined);
    await chain.stop();
  }
}
