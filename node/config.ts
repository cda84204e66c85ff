// Node configuration: defaults <- JSON file <- environment (ROLLBOOK_<SECTION>_<KEY>), validated at start.
// Every error names the offending key and what was expected, so an operator can fix it in one go.
import { readFileSync } from "node:fs";
import { DEFAULT_ANCHOR, DEFAULT_LIMITS, MakerConfigError, type MarketMakerConfig, validateMakerConfig } from "./mm/config.ts";
import { DEVNET_MAKER } from "./mm/devnet.ts";

export const ROLES = ["follower", "sequencer", "proposer", "prover", "challenger", "mm"] as const;
export type Role = (typeof ROLES)[number];

export interface NodeConfig {
  dataDir: string;
  roles: Role[];
  l1: { rpcUrl: string; beaconUrl: string; archiveUrls: string[]; confirmations: number };
  /** deployments/<chainId>.json of the suite ("" = <dataDir>/deployments/<chainId>.json). */
  deployment: string;
  /**
   * Encrypted JSON keystore (V3) of the node's L1 key (proposer), its password in ROLLBOOK_KEYSTORE_PASSWORD.
   * The key may come from ROLLBOOK_L1_PRIVATE_KEY instead; never from the command line.
   */
  keystore: string;
  ipfs: { mode: "helia" | "kubo" | "off"; kuboUrl: string };
  da: { blobWrapper: "auto" | "v0" | "v1"; beaconBlockId: "number" | "slot"; archive: boolean };
  rpc: {
    host: string;
    port: number;
    /** The L2's own chain id (eth_chainId / net_version); EIP-712 signing keeps the L1 chain id. */
    l2ChainId: number;
    maxBodyBytes: number;
    maxBatch: number;
    maxConnections: number;
    /** Requests per second per connection (HTTP: per client address); the burst is twice this. */
    connRate: number;
    /** Transactions per second per account; the burst is twice this. */
    accountRate: number;
    maxSubscriptions: number;
    /** A WebSocket with more unsent bytes than this is cut (close 4008). */
    maxBufferedBytes: number;
    /** Book/trade/candle coalescing: the shortest tick spacing, ms. */
    tickMs: number;
    /** The longest tick spacing, ms, that many subscribers stretch the tick to (docs/api.md "Subscriptions"). */
    maxTickMs: number;
    /** WebSocket fan-out child processes owning the sockets (docs/api.md "Fan-out processes"); 0: none. */
    fanoutProcs: number;
    /** Their nice value, -20..19 (below 0 needs CAP_SYS_NICE; docs/api.md "Fan-out processes"). */
    fanoutNice: number;
  };
  /** The sequencer role (docs/sequencer.md): batch sealing, mempool limits, admission, WAL. */
  sequencer: {
    maxBatchTxs: number;
    maxBatchAgeMs: number;
    /** Hold a due batch while the blob base fee is above this (gwei); 0 = no limit. */
    maxBlobBaseFeeGwei: number;
    maxFeeWaitMs: number;
    admissionThreads: number;
    poolMaxTxs: number;
    poolMaxPerAccount: number;
    maxParked: number;
    maxParkedPerAccount: number;
    maxNonceGap: number;
    parkTimeoutMs: number;
    /** fsync every WAL group before acknowledging (never turn off in production). */
    walSync: boolean;
    /** Least ms between the starts of two WAL group writes: bounds fdatasyncs per second (docs/sequencer.md "Group spacing"). */
    walGroupIntervalMs: number;
    /** Synthetic orders run through the order path at start so the first traders do not wait for the JIT (0 = none). */
    warmUpOrders: number;
  };
  /** The prover role (docs/proving.md "Configuration"): backends, range aggregation, zkVM host CLIs. */
  prover: {
    backends: ("attest" | "sp1" | "zisk")[];
    /** Attestation signer keys (0x hex); empty: the node's own L1 key signs. */
    attestKeys: string[];
    maxRangeBatches: number;
    maxRangeAgeMs: number;
    /** Hold a due range while the L1 gas price is above this (gwei); 0 = no limit. */
    maxGasPriceGwei: number;
    maxGasWaitMs: number;
    pollMs: number;
    sp1Command: string;
    sp1Elf: string;
    /** SP1_PROVER for the host: cpu | cuda | network | mock. */
    sp1Mode: string;
    ziskCommand: string;
    ziskElf: string;
    ziskProofFile: string;
    zkTimeoutMs: number;
    zkAttempts: number;
    /** How ranges finalize (docs/proving.md "Optimistic claims"): validity proofs, DisputeGame claims, or both. */
    settlement: "validity" | "optimistic" | "both";
    /** L1 balance (gwei) the prover key keeps beyond a bond; below it the balance is reported low. */
    minBalanceGwei: number;
    /**
     * Who re-executes a range before it is attested, claimed or handed to a zkVM (docs/proving.md
     * "The Rust guest as the executor"): `ts` the node's stateless executor, `native` the Rust guest's runner.
     */
    executor: "ts" | "native";
    /** The runner binary for `executor: native`; empty: guest/target/release/rollbook-guest of this checkout. */
    guestRunner: string;
  };
  storage: { pruneReceiptsAfterBatches: number };
  /** The admin listener (node/app): /metrics and role routes (market maker, prover). A bearer token is required unless it is loopback. */
  admin: { host: string; port: number; token: string };
  /** The challenger role (docs/disputes.md): poll period and which actions it takes on its own. */
  challenger: { pollIntervalMs: number; counterProve: boolean; resolveAccepted: boolean; autoWithdraw: boolean };
  log: { level: "trace" | "debug" | "info" | "warn" | "error" | "fatal" };
  devnet: { anvilPort: number; blockTime: number };
  /**
   * The `mm` role (docs/market-maker.md "In the node"): the maker's account and agent key, the web origin
   * allowed to read the admin /mm/* routes, and the maker's own configuration (node/mm/config.ts:
   * cycleMs, references, markets, limits, rate, anchor), validated by validateMakerConfig.
   */
  mm: {
    account: string;
    /** Hex private key of the agent the account approved (ROLLBOOK_MM_AGENT_KEY); devnet default: public. */
    agentKey: string;
    /** Origin allowed by CORS on /mm/* ("" = none). */
    webOrigin: string;
    cycleMs: number;
    references: Record<string, unknown>[];
    markets: Record<string, unknown>[];
    limits: Record<string, number>;
    rate: { actionsPerSec: number; burst: number };
    anchor: Record<string, unknown>;
  };
}

export const DEFAULT_CONFIG: NodeConfig = {
  dataDir: ".devnet/data",
  // Roles whose start function is registered (node/app/roles.ts) may be added: prover, challenger, mm.
  roles: ["follower", "sequencer", "proposer"],
  l1: { rpcUrl: "http://127.0.0.1:8545", beaconUrl: "http://127.0.0.1:8545", archiveUrls: [], confirmations: 0 },
  deployment: "",
  keystore: "",
  ipfs: { mode: "helia", kuboUrl: "http://127.0.0.1:5001" },
  // anvil addresses beacon blobs by block number; a real beacon node by slot.
  da: { blobWrapper: "auto", beaconBlockId: "number", archive: false },
  rpc: {
    host: "127.0.0.1", port: 8645, l2ChainId: 0x726f6c6c, maxBodyBytes: 1 << 20, maxBatch: 100, maxConnections: 2000, connRate: 2000,
    accountRate: 1000, maxSubscriptions: 64, maxBufferedBytes: 8 << 20, tickMs: 10, maxTickMs: 25, fanoutProcs: 1, fanoutNice: -10,
  },
  sequencer: {
    maxBatchTxs: 4096, maxBatchAgeMs: 2000, maxBlobBaseFeeGwei: 0, maxFeeWaitMs: 60_000, admissionThreads: 2,
    poolMaxTxs: 100_000, poolMaxPerAccount: 10_000, maxParked: 10_000, maxParkedPerAccount: 64, maxNonceGap: 64,
    parkTimeoutMs: 120_000, walSync: true, walGroupIntervalMs: 0, warmUpOrders: 2000,
  },
  prover: {
    backends: ["attest"], attestKeys: [], maxRangeBatches: 32, maxRangeAgeMs: 4000, maxGasPriceGwei: 0, maxGasWaitMs: 600_000, pollMs: 1000,
    sp1Command: "rollbook-sp1-host", sp1Elf: "", sp1Mode: "network", ziskCommand: "cargo-zisk", ziskElf: "", ziskProofFile: "final_snark_proof.bin",
    zkTimeoutMs: 3_600_000, zkAttempts: 3, settlement: "validity", minBalanceGwei: 50_000_000,
    executor: "ts", guestRunner: "",
  },
  storage: { pruneReceiptsAfterBatches: 0 },
  admin: { host: "127.0.0.1", port: 8646, token: "" },
  challenger: { pollIntervalMs: 4000, counterProve: true, resolveAccepted: true, autoWithdraw: true },
  log: { level: "info" },
  devnet: { anvilPort: 8545, blockTime: 2 },
  // Devnet default: the shipped Binance and Hyperliquid recordings (BTC, the only ones shipped) replayed in a
  // loop as the two anchor candidates of the devnet's ETH-USDC (1) and ETH-USDT (2) markets, scaled by 0.05
  // (1 tick = 1 USD/ETH there: quotes near 3,090, moving as BTC moved); keys are the devnet's public ones.
  mm: {
    account: DEVNET_MAKER.account.address,
    agentKey: DEVNET_MAKER.agent.hex,
    webOrigin: "",
    cycleMs: 500,
    references: [
      { name: "binance", source: "replay", venue: "binance", symbol: "BTCUSDT" },
      { name: "hyperliquid", source: "replay", venue: "hyperliquid", symbol: "BTC" },
    ],
    markets: [
      { market: 1, references: ["binance", "hyperliquid"], priceScale: 0.05, model: "glft" },
      { market: 2, references: ["binance", "hyperliquid"], priceScale: 0.05, model: "as", gamma: 0.01 },
    ],
    limits: { ...DEFAULT_LIMITS },
    rate: { actionsPerSec: 50, burst: 100 },
    anchor: { ...DEFAULT_ANCHOR },
  },
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep-merges `override` into `base` (arrays and scalars replace). */
function merge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = isObject(value) && isObject(out[key]) ? merge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

/** Maps ROLLBOOK_L1_RPC_URL style variables onto config keys by matching the flattened key names. */
function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const leaves: string[][] = [];
  const walk = (node: Record<string, unknown>, prefix: string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      if (isObject(value)) walk(value, [...prefix, key]);
      else leaves.push([...prefix, key]);
    }
  };
  walk(DEFAULT_CONFIG as unknown as Record<string, unknown>, []);
  for (const keyPath of leaves) {
    const name = "ROLLBOOK_" + keyPath.map((k) => k.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase()).join("_");
    const raw = env[name];
    if (raw === undefined) continue;
    const defaultValue = keyPath.reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], DEFAULT_CONFIG);
    let value: unknown = raw;
    // A non-numeric string stays a string so validation reports it as given.
    if (typeof defaultValue === "number" && /^\s*-?\d+\s*$/.test(raw)) value = Number(raw);
    else if (typeof defaultValue === "boolean" && /^(true|false)$/i.test(raw.trim())) value = raw.trim().toLowerCase() === "true";
    else if (Array.isArray(defaultValue)) value = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    let node = out;
    for (const k of keyPath.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keyPath[keyPath.length - 1]!] = value;
  }
  return out;
}

function checkUrl(problems: string[], key: string, value: unknown): void {
  if (typeof value !== "string" || !/^https?:\/\/[^\s]+$/.test(value)) problems.push(`${key}: expected an http(s) URL, got ${JSON.stringify(value)}`);
}

function checkInt(problems: string[], key: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key}: expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}

/** True for a loopback host (the admin listener needs no token there). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Validates a merged configuration object; throws ConfigError listing every problem. */
export function validateConfig(raw: Record<string, unknown>): NodeConfig {
  const problems: string[] = [];
  const known = (obj: unknown, shape: Record<string, unknown>, prefix: string): void => {
    if (!isObject(obj)) return;
    for (const key of Object.keys(obj)) {
      if (!(key in shape)) problems.push(`${prefix}${key}: unknown key`);
      else if (isObject(shape[key])) known(obj[key], shape[key] as Record<string, unknown>, `${prefix}${key}.`);
    }
  };
  known(raw, DEFAULT_CONFIG as unknown as Record<string, unknown>, "");
  const c = raw as unknown as NodeConfig;
  if (typeof c.dataDir !== "string" || c.dataDir === "") problems.push(`dataDir: expected a non-empty path`);
  if (!Array.isArray(c.roles) || c.roles.length === 0) problems.push(`roles: expected a non-empty list of ${ROLES.join("|")}`);
  else for (const role of c.roles) if (!ROLES.includes(role)) problems.push(`roles: unknown role ${JSON.stringify(role)} (expected ${ROLES.join("|")})`);
  checkUrl(problems, "l1.rpcUrl", c.l1?.rpcUrl);
  checkUrl(problems, "l1.beaconUrl", c.l1?.beaconUrl);
  if (!Array.isArray(c.l1?.archiveUrls)) problems.push(`l1.archiveUrls: expected a list of URLs`);
  else c.l1.archiveUrls.forEach((u, i) => checkUrl(problems, `l1.archiveUrls[${i}]`, u));
  checkInt(problems, "l1.confirmations", c.l1?.confirmations, 0, 1024);
  if (typeof c.deployment !== "string") problems.push(`deployment: expected a file path or ""`);
  if (typeof c.keystore !== "string") problems.push(`keystore: expected a file path or ""`);
  if (!["helia", "kubo", "off"].includes(c.ipfs?.mode)) problems.push(`ipfs.mode: expected helia|kubo|off, got ${JSON.stringify(c.ipfs?.mode)}`);
  checkUrl(problems, "ipfs.kuboUrl", c.ipfs?.kuboUrl);
  if (!["auto", "v0", "v1"].includes(c.da?.blobWrapper)) problems.push(`da.blobWrapper: expected auto|v0|v1, got ${JSON.stringify(c.da?.blobWrapper)}`);
  if (!["number", "slot"].includes(c.da?.beaconBlockId)) problems.push(`da.beaconBlockId: expected number|slot, got ${JSON.stringify(c.da?.beaconBlockId)}`);
  if (typeof c.da?.archive !== "boolean") problems.push(`da.archive: expected true|false, got ${JSON.stringify(c.da?.archive)}`);
  if (typeof c.rpc?.host !== "string" || c.rpc.host === "") problems.push(`rpc.host: expected a host name or address`);
  checkInt(problems, "rpc.port", c.rpc?.port, 1, 65535);
  checkInt(problems, "rpc.l2ChainId", c.rpc?.l2ChainId, 1, Number.MAX_SAFE_INTEGER);
  checkInt(problems, "rpc.maxBodyBytes", c.rpc?.maxBodyBytes, 1024, 1 << 30);
  checkInt(problems, "rpc.maxBatch", c.rpc?.maxBatch, 1, 100_000);
  checkInt(problems, "rpc.maxConnections", c.rpc?.maxConnections, 1, 1_000_000);
  checkInt(problems, "rpc.connRate", c.rpc?.connRate, 1, 1e9);
  checkInt(problems, "rpc.accountRate", c.rpc?.accountRate, 1, 1e9);
  checkInt(problems, "rpc.maxSubscriptions", c.rpc?.maxSubscriptions, 1, 10_000);
  checkInt(problems, "rpc.maxBufferedBytes", c.rpc?.maxBufferedBytes, 1024, 1 << 30);
  checkInt(problems, "rpc.tickMs", c.rpc?.tickMs, 1, 1000);
  checkInt(problems, "rpc.maxTickMs", c.rpc?.maxTickMs, 1, 1000);
  checkInt(problems, "rpc.fanoutProcs", c.rpc?.fanoutProcs, 0, 64);
  checkInt(problems, "rpc.fanoutNice", c.rpc?.fanoutNice, -20, 19);
  const sq = c.sequencer;
  checkInt(problems, "sequencer.maxBatchTxs", sq?.maxBatchTxs, 1, 16384);
  checkInt(problems, "sequencer.maxBatchAgeMs", sq?.maxBatchAgeMs, 10, 300_000);
  checkInt(problems, "sequencer.maxBlobBaseFeeGwei", sq?.maxBlobBaseFeeGwei, 0, 1_000_000_000);
  checkInt(problems, "sequencer.maxFeeWaitMs", sq?.maxFeeWaitMs, 0, 300_000);
  if (typeof sq?.maxBatchAgeMs === "number" && typeof sq?.maxFeeWaitMs === "number" && sq.maxBatchAgeMs + sq.maxFeeWaitMs >= 600_000) {
    problems.push(`sequencer.maxBatchAgeMs + sequencer.maxFeeWaitMs: must stay below MAX_DRIFT (600 s), got ${sq.maxBatchAgeMs + sq.maxFeeWaitMs} ms`);
  }
  checkInt(problems, "sequencer.admissionThreads", sq?.admissionThreads, 1, 64);
  checkInt(problems, "sequencer.poolMaxTxs", sq?.poolMaxTxs, 1, 10_000_000);
  checkInt(problems, "sequencer.poolMaxPerAccount", sq?.poolMaxPerAccount, 1, 10_000_000);
  checkInt(problems, "sequencer.maxParked", sq?.maxParked, 0, 10_000_000);
  checkInt(problems, "sequencer.maxParkedPerAccount", sq?.maxParkedPerAccount, 0, 100_000);
  checkInt(problems, "sequencer.maxNonceGap", sq?.maxNonceGap, 0, 100_000);
  checkInt(problems, "sequencer.parkTimeoutMs", sq?.parkTimeoutMs, 1000, 86_400_000);
  checkInt(problems, "sequencer.warmUpOrders", sq?.warmUpOrders, 0, 100_000);
  checkInt(problems, "sequencer.walGroupIntervalMs", sq?.walGroupIntervalMs, 0, 100);
  if (typeof sq?.walSync !== "boolean") problems.push(`sequencer.walSync: expected true|false, got ${JSON.stringify(sq?.walSync)}`);
  const pr = c.prover;
  if (!Array.isArray(pr?.backends) || pr.backends.length === 0 || pr.backends.some((b) => !["attest", "sp1", "zisk"].includes(b)) || new Set(pr.backends).size !== pr.backends.length) {
    problems.push(`prover.backends: expected distinct attest|sp1|zisk, got ${JSON.stringify(pr?.backends)}`);
  } else {
    if (pr.backends.includes("sp1") && (typeof pr.sp1Elf !== "string" || pr.sp1Elf === "")) problems.push(`prover.sp1Elf: the SP1 program (ELF) is required with backend sp1`);
    if (pr.backends.includes("zisk") && (typeof pr.ziskElf !== "string" || pr.ziskElf === "")) problems.push(`prover.ziskElf: the ZisK program (ELF) is required with backend zisk`);
  }
  if (!Array.isArray(pr?.attestKeys) || pr.attestKeys.some((k) => typeof k !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(k))) problems.push(`prover.attestKeys: expected a list of 0x-prefixed 32-byte private keys`);
  checkInt(problems, "prover.maxRangeBatches", pr?.maxRangeBatches, 1, 100_000);
  checkInt(problems, "prover.maxRangeAgeMs", pr?.maxRangeAgeMs, 0, 604_800_000);
  checkInt(problems, "prover.maxGasPriceGwei", pr?.maxGasPriceGwei, 0, 1_000_000);
  checkInt(problems, "prover.maxGasWaitMs", pr?.maxGasWaitMs, 0, 604_800_000);
  checkInt(problems, "prover.pollMs", pr?.pollMs, 10, 600_000);
  if (!["cpu", "cuda", "network", "mock"].includes(pr?.sp1Mode)) problems.push(`prover.sp1Mode: expected cpu|cuda|network|mock, got ${JSON.stringify(pr?.sp1Mode)}`);
  checkInt(problems, "prover.zkTimeoutMs", pr?.zkTimeoutMs, 1000, 86_400_000);
  checkInt(problems, "prover.zkAttempts", pr?.zkAttempts, 1, 100);
  if (!["validity", "optimistic", "both"].includes(pr?.settlement)) problems.push(`prover.settlement: expected validity|optimistic|both, got ${JSON.stringify(pr?.settlement)}`);
  checkInt(problems, "prover.minBalanceGwei", pr?.minBalanceGwei, 0, 1_000_000_000_000);
  if (!["ts", "native"].includes(pr?.executor)) problems.push(`prover.executor: expected ts|native, got ${JSON.stringify(pr?.executor)}`);
  if (typeof pr?.guestRunner !== "string") problems.push(`prover.guestRunner: expected a path (empty: the checkout's guest/target/release/rollbook-guest)`);
  checkInt(problems, "storage.pruneReceiptsAfterBatches", c.storage?.pruneReceiptsAfterBatches, 0, Number.MAX_SAFE_INTEGER);
  if (typeof c.admin?.host !== "string" || c.admin.host === "") problems.push(`admin.host: expected a host name or address`);
  checkInt(problems, "admin.port", c.admin?.port, 1, 65535);
  if (typeof c.admin?.token !== "string") problems.push(`admin.token: expected a string`);
  else if (typeof c.admin?.host === "string" && !isLoopback(c.admin.host) && c.admin.token.length < 16) {
    problems.push(`admin.token: the admin listener on ${c.admin.host} is not loopback: set a bearer token of at least 16 characters (ROLLBOOK_ADMIN_TOKEN)`);
  }
  if (typeof c.rpc?.port === "number" && c.rpc.port === c.admin?.port) problems.push(`admin.port: must differ from rpc.port (${c.rpc.port})`);
  checkInt(problems, "challenger.pollIntervalMs", c.challenger?.pollIntervalMs, 100, 3_600_000);
  for (const k of ["counterProve", "resolveAccepted", "autoWithdraw"] as const) {
    if (typeof c.challenger?.[k] !== "boolean") problems.push(`challenger.${k}: expected true|false, got ${JSON.stringify(c.challenger?.[k])}`);
  }
  if (!["trace", "debug", "info", "warn", "error", "fatal"].includes(c.log?.level)) problems.push(`log.level: expected trace|debug|info|warn|error|fatal, got ${JSON.stringify(c.log?.level)}`);
  checkInt(problems, "devnet.anvilPort", c.devnet?.anvilPort, 1, 65535);
  checkInt(problems, "devnet.blockTime", c.devnet?.blockTime, 0, 3600);
  if (Array.isArray(c.roles) && c.roles.includes("mm")) {
    if (typeof c.mm?.account !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(c.mm.account)) problems.push(`mm.account: expected the maker's account address`);
    if (typeof c.mm?.agentKey !== "string" || !/^(0x)?[0-9a-fA-F]{64}$/.test(c.mm.agentKey)) problems.push(`mm.agentKey: expected a 32-byte hex private key`);
    if (typeof c.mm?.webOrigin !== "string" || !(c.mm.webOrigin === "" || /^https?:\/\/[^\s/]+$/.test(c.mm.webOrigin))) problems.push(`mm.webOrigin: expected "" or an origin like http://127.0.0.1:8645`);
    try {
      makerConfigOf(c);
    } catch (err) {
      if (!(err instanceof MakerConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return c;
}

/** The market maker's own configuration (node/mm/config.ts) out of the node's `mm` section, validated. */
export function makerConfigOf(c: NodeConfig): MarketMakerConfig {
  const { account: _a, agentKey: _k, webOrigin: _w, ...maker } = c.mm;
  return validateMakerConfig(maker);
}

/** Loads defaults, then the JSON file (if given), then environment overrides, and validates the result. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  let fromFile: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError([`config file ${file}: cannot read (${(err as Error).message})`]);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch (err) {
      throw new ConfigError([`config file ${file}: not valid JSON (${(err as Error).message})`]);
    }
    if (!isObject(parsed)) throw new ConfigError([`config file ${file}: expected a JSON object at the top level`]);
    fromFile = parsed;
  }
  const merged = merge(merge(DEFAULT_CONFIG as unknown as Record<string, unknown>, fromFile), envOverrides(env));
  return validateConfig(merged);
}
