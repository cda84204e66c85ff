// `rollup-node snapshot|asset|market ...`: the operator commands (docs/operator.md). Human-readable output
// by default, one JSON object on stdout with --json; errors as `error CODE: message` (or
// {"error":{"code","message"}}) with exit code 1. Progress goes to stderr.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";
import { ConfigError, loadConfig, type NodeConfig } from "../config.ts";
import { MarketStatus, type MarketParams } from "../clob/types.ts";
import { StateStore } from "../state/store.ts";
import { DEVNET_CHAIN_IDS } from "../../scripts/deploy.ts";
import { int, need, parseFlags, str, type FlagSpec, type Parsed } from "./args.ts";
import { OpsError } from "./errors.ts";
import { connectL1, loadDeployment, walletFromEnv } from "./l1.ts";
import { listAssets, listMarkets, prepareAddAsset, prepareSetMarket, submitOperation, type TimelockOperation } from "./listing.ts";
import { exportSnapshot, importSnapshot, type Progress } from "./snapshot.ts";

export const OPS_COMMANDS = ["snapshot", "asset", "market"] as const;

export const OPS_USAGE = `  snapshot export --out f     write the derived state (trie, L1 cursor, pending L1 messages) to one file
  snapshot import --in f      start a new store from a snapshot checked against a root finalized on L1
  asset list | asset add      registered Vault assets | prepare (and --send) the Timelock registration
  market list | market add    markets from L1 SET_MARKET messages | prepare (and --send) a SET_MARKET
  (each takes --help, --json)`;

const HELP: Record<string, string> = {
  snapshot: `usage: rollup-node snapshot export --out FILE [--store DIR] [--json]
       rollup-node snapshot import --in FILE [--store DIR] [--deployment FILE] [--trust] [--json]

export  writes the state at the store's head (stop the node first: the store is locked while it runs),
        with the L1 cursor and the L1 messages not yet consumed, header and sha256 checksum.
import  into an EMPTY store: checks the checksum, that the Settlement finalized exactly this batch with
        this state root in an L1-finalized block, that the L1 cursor block is canonical and finalized and
        that the batch chain and queue hashes match the Inbox; then writes it in one atomic write. The
        node then derives onward from the snapshot's L1 block.
        --trust skips the L1 checks (devnet chain ids 31337/1337 only); the leaves must still hash to the
        header's root.
--store defaults to <dataDir>/store (the node's store); --deployment to <dataDir>/deployments/<chainId>.json, then
deployments/<chainId>.json. L1 is l1.rpcUrl of the configuration (--config file, ROLLBOOK_L1_RPC_URL).`,
  asset: `usage: rollup-node asset list [--deployment FILE] [--json]
       rollup-node asset add --id N --token 0xADDR --quantum N [--salt 0x..] [--send --key-env VAR [--execute]] [--json]

add prepares the Timelock operation Vault.registerAsset(id, token, quantum) (quantum: token base units per
L2 unit; deposits must be multiples of it): schedule and execute calldata, delay, salt, operation id.
--send signs with the key in environment variable VAR (a Timelock proposer) and schedules; on a devnet it
then waits the delay and executes; elsewhere run the same command with --send --execute once ready.`,
  market: `usage: rollup-node market list [--history] [--deployment FILE] [--json]
       rollup-node market add --id N --base N --quote N --lot N --tick N --min N [--maker-fee-ppm N]
              [--taker-fee-ppm N] [--status active|cancel-only|halted] [--update] [--salt 0x..]
              [--send --key-env VAR [--execute]] [--json]

add prepares the Timelock operation Inbox.enqueue(SET_MARKET) (docs/l1-messages.md): the market appears on
L2 when a batch consumes the message. Base, quote, lot and tick are fixed at listing; --update changes fees,
min size or status of an existing market. --send as for asset add.`,
};

const COMMON: FlagSpec = { config: "string", json: "boolean", help: "boolean", deployment: "string" };

interface Out {
  json: boolean;
  print(human: string, data: unknown): void;
}

function output(json: boolean): Out {
  return {
    json,
    print(human, data) {
      console.log(json ? JSON.stringify(data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) : human);
    },
  };
}

function progress(): (p: Progress) => void {
  let last = -1;
  const tty = process.stderr.isTTY === true;
  return (p) => {
    const pct = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
    if (p.phase !== "leaves") {
      process.stderr.write(`${p.phase}...\n`);
      return;
    }
    if (tty) process.stderr.write(`\rleaves ${p.done}/${p.total} (${pct}%)${p.done === p.total ? "\n" : ""}`);
    else if (Math.floor(pct / 10) > last) {
      last = Math.floor(pct / 10);
      process.stderr.write(`leaves ${p.done}/${p.total} (${pct}%)\n`);
    }
  };
}

const storeDir = (config: NodeConfig, p: Parsed): string => path.resolve(str(p, "store") ?? path.join(config.dataDir, "store"));

async function snapshot(sub: string | undefined, p: Parsed, config: NodeConfig, out: Out): Promise<void> {
  if (sub === "export") {
    const file = path.resolve(need(p, "out"));
    if (!existsSync(storeDir(config, p))) throw new OpsError("NO_STATE", `no store at ${storeDir(config, p)} (--store DIR)`);
    const store = await StateStore.open(storeDir(config, p));
    try {
      const r = await exportSnapshot(store, file, progress());
      const m = r.meta;
      out.print(
        `snapshot ${file}: ${r.bytes} bytes, sha256 ${r.sha256}\n  chain ${m.chainId}, Inbox ${m.inbox}\n  batch ${m.batchIndex}, state root ${m.stateRoot}\n` +
          `  L1 block ${m.l1.number} ${m.l1.hash}\n  ${m.leaves} leaves, ${m.messages} pending L1 messages (${m.l1.messageCount} seen)`,
        { snapshot: "exported", ...r },
      );
    } finally {
      await store.close();
    }
    return;
  }
  if (sub === "import") {
    const file = path.resolve(need(p, "in"));
    const trust = p.flags.has("trust");
    let check: Parameters<typeof importSnapshot>[2] = "trust";
    const l1 = await connectL1(config.l1.rpcUrl);
    const chainId = l1.chain.id;
    if (trust) {
      if (!DEVNET_CHAIN_IDS.has(chainId)) throw new OpsError("USAGE", `--trust is for devnets only (chain ids ${[...DEVNET_CHAIN_IDS].join(", ")}); L1 is chain ${chainId}`);
    } else {
      const d = loadDeployment(config, chainId, str(p, "deployment"));
      check = { client: l1.client, inbox: d.contracts.inbox, settlement: d.contracts.settlement, fromBlock: d.startBlock };
    }
    const store = await StateStore.open(storeDir(config, p));
    try {
      const r = await importSnapshot(store, file, check, progress());
      const m = r.meta;
      const f = r.finalization;
      out.print(
        `imported batch ${m.batchIndex}, state root ${m.stateRoot} into ${storeDir(config, p)}\n` +
          (f === undefined ? "  NOT checked against L1 (--trust)\n" : `  finalized on L1: Settlement range ${f.firstBatch}..${f.lastBatch} in block ${f.l1Block} (tx ${f.txHash})\n`) +
          `  derivation resumes after L1 block ${m.l1.number}`,
        { snapshot: "imported", store: storeDir(config, p), ...r },
      );
    } finally {
      await store.close();
    }
    return;
  }
  throw new OpsError("USAGE", `snapshot ${sub ?? ""}: expected export or import\n${HELP.snapshot}`);
}

function opText(op: TimelockOperation): string {
  return [
    `Timelock operation: ${op.description}`,
    `  timelock     ${op.timelock}`,
    `  target       ${op.target}`,
    `  calldata     ${op.data}`,
    `  predecessor  ${op.predecessor}`,
    `  salt         ${op.salt}`,
    `  delay        ${op.delay} s`,
    `  operation id ${op.id}`,
    `1. schedule: to ${op.schedule.to}\n     data ${op.schedule.data}`,
    `2. execute (after the delay): to ${op.execute.to}\n     data ${op.execute.data}`,
  ].join("\n");
}

async function governance(op: TimelockOperation, p: Parsed, l1: Awaited<ReturnType<typeof connectL1>>, out: Out): Promise<void> {
  if (!p.flags.has("send")) {
    out.print(opText(op), { operation: op });
    return;
  }
  const wallet = walletFromEnv(l1, need(p, "key-env"));
  const devnet = DEVNET_CHAIN_IDS.has(l1.chain.id);
  const execute = devnet || p.flags.has("execute");
  const r = await submitOperation(l1.client, wallet, op, { execute, wait: devnet, log: out.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
  const next = r.state === "done" ? "executed" : `scheduled; ready at ${new Date((r.readyAt ?? 0) * 1000).toISOString()}: run again with --send --execute`;
  out.print(`${opText(op)}\n${next}`, { operation: op, result: r });
}

async function asset(sub: string | undefined, p: Parsed, config: NodeConfig, out: Out): Promise<void> {
  const l1 = await connectL1(config.l1.rpcUrl);
  const d = loadDeployment(config, l1.chain.id, str(p, "deployment"));
  if (sub === "list") {
    const assets = await listAssets(l1.client, d);
    const rows = assets.map((a) => `${String(a.assetId).padStart(6)}  ${(a.symbol ?? "?").padEnd(8)} ${String(a.decimals ?? "?").padStart(3)}  ${a.token}  ${a.quantum.padStart(20)}  ${a.l1Block}`);
    out.print(["    id  symbol   dec  token                                       quantum (units/L2)  L1 block", ...rows].join("\n"), { assets });
    return;
  }
  if (sub === "add") {
    const op = await prepareAddAsset(l1.client, d, {
      assetId: Number(int(p, "id")), token: need(p, "token") as Address, quantum: int(p, "quantum"), salt: str(p, "salt") as Hex | undefined,
    });
    await governance(op, p, l1, out);
    return;
  }
  throw new OpsError("USAGE", `asset ${sub ?? ""}: expected list or add\n${HELP.asset}`);
}

const STATUS_BY_NAME: Record<string, MarketParams["status"]> = { active: MarketStatus.ACTIVE, "cancel-only": MarketStatus.CANCEL_ONLY, halted: MarketStatus.HALTED };

async function market(sub: string | undefined, p: Parsed, config: NodeConfig, out: Out): Promise<void> {
  const l1 = await connectL1(config.l1.rpcUrl);
  const d = loadDeployment(config, l1.chain.id, str(p, "deployment"));
  if (sub === "list") {
    const { markets, history } = await listMarkets(l1.client, d);
    const rows = markets.map((m) => {
      const x = m.params;
      return `${String(m.market).padStart(6)}  ${String(x.baseAsset).padStart(4)}/${String(x.quoteAsset).padEnd(4)} ${String(x.lotSize).padStart(10)} ${String(x.tickSize).padStart(10)} ${String(x.minSize).padStart(8)} ${String(x.makerFeePpm).padStart(7)} ${String(x.takerFeePpm).padStart(7)}  ${m.status.padEnd(11)} ${m.consumed ? "live" : "pending (next batch)"}`;
    });
    const lines = ["market  base/quote        lot       tick      min   maker   taker  status      on L2", ...rows];
    if (p.flags.has("history")) for (const h of history) lines.push(`  message ${h.messageIndex} (L1 block ${h.l1Block}): market ${h.market} ${h.accepted ? "accepted" : "REFUSED by the STF"}`);
    out.print(lines.join("\n"), p.flags.has("history") ? { markets, history } : { markets });
    return;
  }
  if (sub === "add") {
    const status = STATUS_BY_NAME[str(p, "status") ?? "active"];
    if (status === undefined) throw new OpsError("USAGE", `--status: expected active, cancel-only or halted`);
    const n = (name: string, fallback?: bigint) => {
      const v = int(p, name, fallback);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new OpsError("BAD_PARAMS", `--${name} ${v} is out of range`);
      return Number(v);
    };
    const params: MarketParams = {
      baseAsset: n("base"), quoteAsset: n("quote"), lotSize: n("lot"), tickSize: n("tick"), minSize: n("min"),
      makerFeePpm: n("maker-fee-ppm", 0n), takerFeePpm: n("taker-fee-ppm", 0n), status,
    };
    const op = await prepareSetMarket(l1.client, d, { market: n("id"), params, update: p.flags.has("update"), salt: str(p, "salt") as Hex | undefined });
    await governance(op, p, l1, out);
    return;
  }
  throw new OpsError("USAGE", `market ${sub ?? ""}: expected list or add\n${HELP.market}`);
}

const SPECS: Record<string, FlagSpec> = {
  snapshot: { ...COMMON, out: "string", in: "string", store: "string", trust: "boolean" },
  asset: { ...COMMON, id: "string", token: "string", quantum: "string", salt: "string", send: "boolean", "key-env": "string", execute: "boolean" },
  market: {
    ...COMMON, id: "string", base: "string", quote: "string", lot: "string", tick: "string", min: "string", "maker-fee-ppm": "string",
    "taker-fee-ppm": "string", status: "string", update: "boolean", history: "boolean", salt: "string", send: "boolean", "key-env": "string", execute: "boolean",
  },
};

/** Runs `argv` = [command, subcommand, ...flags]; returns the exit code. ConfigError propagates (exit 2). */
export async function runOps(argv: readonly string[]): Promise<number> {
  const command = argv[0]!;
  const json = argv.includes("--json");
  const out = output(json);
  try {
    const p = parseFlags(argv.slice(1), SPECS[command]!);
    if (p.flags.has("help") || p.positional.length === 0) {
      console.log(HELP[command]);
      return p.flags.has("help") ? 0 : 2;
    }
    if (p.positional.length > 1) throw new OpsError("USAGE", `unexpected argument ${JSON.stringify(p.positional[1])}`);
    const config = loadConfig(str(p, "config"));
    const sub = p.positional[0];
    if (command === "snapshot") await snapshot(sub, p, config, out);
    else if (command === "asset") await asset(sub, p, config, out);
    else await market(sub, p, config, out);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = err instanceof OpsError ? err.code : "FAILED";
    const message = (err as Error).message ?? String(err);
    if (json) console.log(JSON.stringify({ error: { code, message } }));
    else console.error(`error ${code}: ${message}`);
    return 1;
  }
}
