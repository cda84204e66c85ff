// The devnet (`npm start` = `rollup-node devnet`): anvil as L1 with its state kept in the devnet directory,
// the contract suite (scripts/deploy.ts), devnet assets (USDC from the deploy script, plus WETH and USDT
// DevTokens) registered in the Vault and three markets listed through the Timelock (schedule, wait out the
// delay on anvil's clock, execute), three funded accounts with deposits on L2, node-1 with every role this
// build has (RPC 8645, admin 8646) and node-2 following L1 only (8647/8648). A second start resumes the same
// chain (anvil --state plus the nodes' LevelDB stores); `--fresh` deletes the directory first.
//
// Layout of the devnet directory (config dataDir, default .devnet/data):
//   anvil-state.json      anvil's state (written on exit and every few seconds)
//   deployments/<id>.json the suite (scripts/deploy.ts)
//   devnet.json           assets, markets and funded accounts, once set up
//   node-1/, node-2/      each node's store (LevelDB) and IPFS blockstore
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import {
  createPublicClient, createWalletClient, defineChain, encodeFunctionData, getAddress, http, keccak256, toHex, zeroHash,
  type Address, type Hex, type PublicClient, type WalletClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { bytesToHex } from "../clob/eip712.ts";
import { encodeL1Message } from "../clob/l1messages.ts";
import { L1MessageKind, MarketStatus, type MarketParams } from "../clob/types.ts";
import { depositToVault } from "../client/l1.ts";
import type { NodeConfig, Role } from "../config.ts";
import { ANVIL_DEV_KEYS, freePorts, startAnvil, type Anvil } from "../l1/anvil.ts";
import { devTokenAbi, inboxAbi, timelockAbi, vaultAbi } from "../l1/contracts.ts";
import type { Logger } from "../log.ts";
import { deploySuite, loadArtifact, type AssetRecord, type Deployment } from "../../scripts/deploy.ts";
import { DEVNET_MAKER, prepareMakerAccount } from "../mm/devnet.ts";
import { CORE_ROLES, roleStarter } from "./roles.ts";
import { startNode, type RunningNode } from "./node.ts";
import { ROLES } from "../config.ts";

/** Devnet assets besides USDC (asset 1, deployed by scripts/deploy.ts). */
export const EXTRA_ASSETS: readonly { assetId: number; symbol: string; name: string; decimals: number; quantum: bigint }[] = [
  // 1 L2 unit = 10^-6 ETH
  { assetId: 2, symbol: "WETH", name: "Dev Wrapped Ether", decimals: 18, quantum: 10n ** 12n },
  // 1 L2 unit = 0.01 USDT (as USDC)
  { assetId: 3, symbol: "USDT", name: "Dev Tether USD", decimals: 6, quantum: 10n ** 4n },
];

/** Markets listed on the devnet (notional in quote units = price * size * tickSize). */
export const DEVNET_MARKETS: readonly { market: number; symbol: string; params: MarketParams }[] = [
  // lot 0.01 ETH, price in USD per ETH (1 tick = 1 USD/ETH = 0.01 USD per lot)
  { market: 1, symbol: "ETH-USDC", params: { baseAsset: 2, quoteAsset: 1, lotSize: 10_000, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 500, status: MarketStatus.ACTIVE } },
  { market: 2, symbol: "ETH-USDT", params: { baseAsset: 2, quoteAsset: 3, lotSize: 10_000, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 500, status: MarketStatus.ACTIVE } },
  // lot 1 USDT, price in cents of USDC per USDT
  { market: 3, symbol: "USDT-USDC", params: { baseAsset: 3, quoteAsset: 1, lotSize: 100, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 100, status: MarketStatus.ACTIVE } },
];

/**
 * The devnet's third market, USDT-USDC (price in cents), has no recording: unless the configuration names
 * market 3 itself, the maker quotes it from a seeded jump-diffusion around 1.00 (node/mm/feeds/synthetic.ts).
 */
function usdtUsdcQuotes(cfg: NodeConfig): Pick<NodeConfig["mm"], "references" | "markets"> {
  if (cfg.mm.markets.some((m) => m.market === 3)) return { references: cfg.mm.references, markets: cfg.mm.markets };
  return {
    references: [...cfg.mm.references, { name: "usdt-synthetic", source: "synthetic", symbol: "USDTUSD", start: 1, seed: 7 }],
    markets: [...cfg.mm.markets, { market: 3, references: ["usdt-synthetic"], priceScale: 100, model: "glft" }],
  };
}

/** The admin listeners' bearer token on the devnet (loopback only; printed in the banner for the web page). */
/**
 * Free ports for a devnet on this machine: anvil, node-1's RPC and admin ports. node-n listens on
 * `rpc + 2(n-1)` and `admin + 2(n-1)`, so the draw is repeated until the two nodes' ports are disjoint and
 * the shifted ones are free too.
 */
export async function freeDevnetPorts(): Promise<{ anvil: number; rpc: number; admin: number }> {
  for (;;) {
    const [anvil, rpc, admin] = (await freePorts(3)) as [number, number, number];
    const used = [anvil, rpc, admin, rpc + 2, admin + 2];
    if (new Set(used).size === used.length && (await portsFree([rpc + 2, admin + 2]))) return { anvil, rpc, admin };
  }
}

async function portsFree(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

export const DEVNET_ADMIN_TOKEN = "rollbook-devnet-admin-token";

/** Token amounts each funded account deposits (whole tokens). */
const FUNDING: Record<number, bigint> = { 1: 1_000_000n, 2: 1_000n, 3: 1_000_000n };

export interface FundedAccount {
  address: Address;
  privateKey: Hex;
}

/** devnet.json */
export interface DevnetRecord {
  chainId: number;
  assets: AssetRecord[];
  markets: { market: number; symbol: string; params: MarketParams }[];
  accounts: FundedAccount[];
}

interface Chain {
  pub: PublicClient;
  wallet(account: PrivateKeyAccount): WalletClient;
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function connect(rpcUrl: string): Promise<Chain> {
  const probe = createPublicClient({ transport: http(rpcUrl) });
  const id = await probe.getChainId();
  const chain = defineChain({ id, name: "devnet", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  return {
    pub: createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient,
    wallet: (account) => createWalletClient({ account, chain, transport: http(rpcUrl) }),
  };
}

async function sent(c: Chain, hash: Hex, what: string): Promise<void> {
  const rc = await c.pub.waitForTransactionReceipt({ hash });
  if (rc.status !== "success") throw new Error(`${what} reverted (${hash})`);
}

/**
 * Sets a deployed suite up as a devnet: WETH and USDT DevTokens, their assets registered in the Vault and the
 * three markets listed (SET_MARKET enqueued on the Inbox), all in one Timelock operation (scheduled, the
 * delay passed on anvil's clock, executed); then each account mints, approves and deposits every asset.
 * The chain must be on automine (each call waits for its receipt).
 */
export async function setUpDevnetChain(o: { rpcUrl: string; deployment: Deployment; governor: Hex; accounts: readonly Hex[]; log?: (line: string) => void }): Promise<DevnetRecord> {
  const log = o.log ?? (() => undefined);
  const c = await connect(o.rpcUrl);
  const gov = privateKeyToAccount(o.governor);
  const w = c.wallet(gov);
  const d = o.deployment;
  const assets: AssetRecord[] = [...d.assets];
  const ops: { target: Address; data: Hex }[] = [];
  const devToken = loadArtifact("DevToken");
  for (const a of EXTRA_ASSETS) {
    const hash = await w.deployContract({ abi: devToken.abi, bytecode: devToken.bytecode, args: [a.name, a.symbol, a.decimals], account: gov, chain: w.chain });
    const rc = await c.pub.waitForTransactionReceipt({ hash });
    const token = rc.contractAddress! as Address;
    assets.push({ assetId: a.assetId, symbol: a.symbol, decimals: a.decimals, token, quantum: a.quantum.toString() });
    ops.push({ target: d.contracts.vault, data: encodeFunctionData({ abi: vaultAbi, functionName: "registerAsset", args: [a.assetId, token, a.quantum] }) });
    log(`asset ${a.assetId} ${a.symbol} ${token}`);
  }
  for (const m of DEVNET_MARKETS) {
    const msg = bytesToHex(encodeL1Message({ kind: L1MessageKind.SET_MARKET, market: m.market, params: m.params })) as Hex;
    ops.push({ target: d.contracts.inbox, data: encodeFunctionData({ abi: inboxAbi, functionName: "enqueue", args: [msg] }) });
  }
  // The Timelock path: schedule, let its delay pass (anvil time), execute.
  const targets = ops.map((x) => x.target);
  const values = ops.map(() => 0n);
  const datas = ops.map((x) => x.data);
  const salt = keccak256(toHex(`rollbook-devnet-${Date.now()}`));
  const delay = await c.pub.readContract({ address: d.contracts.timelock, abi: timelockAbi, functionName: "getMinDelay" });
  await sent(c, await w.writeContract({ address: d.contracts.timelock, abi: timelockAbi, functionName: "scheduleBatch", args: [targets, values, datas, zeroHash, salt, delay], account: gov, chain: w.chain }), "Timelock.scheduleBatch");
  await rpc(o.rpcUrl, "evm_increaseTime", [Number(delay) + 1]);
  await rpc(o.rpcUrl, "evm_mine", []);
  await sent(c, await w.writeContract({ address: d.contracts.timelock, abi: timelockAbi, functionName: "executeBatch", args: [targets, values, datas, zeroHash, salt], account: gov, chain: w.chain }), "Timelock.executeBatch");
  log(`markets ${DEVNET_MARKETS.map((m) => m.symbol).join(", ")} listed through the Timelock (delay ${delay} s)`);

  const fund = async (key: Hex, scale: bigint): Promise<void> => {
    const acct = privateKeyToAccount(key);
    const aw = c.wallet(acct);
    for (const a of assets) {
      const amount = scale * (FUNDING[a.assetId] ?? 1000n) * 10n ** BigInt(a.decimals);
      await sent(c, await aw.writeContract({ address: a.token, abi: devTokenAbi, functionName: "mint", args: [acct.address, amount], account: acct, chain: aw.chain }), `${a.symbol}.mint`);
      await depositToVault(aw, c.pub, { vault: d.contracts.vault, assetId: a.assetId, amount });
    }
    log(`funded ${acct.address}`);
  };
  const accounts: FundedAccount[] = [];
  for (const key of o.accounts) {
    await fund(key, 1n);
    accounts.push({ address: privateKeyToAccount(key).address, privateKey: key });
  }
  // The market maker's account (node/mm/devnet.ts: public devnet keys) gets L1 gas and ten times the deposits.
  await rpc(o.rpcUrl, "anvil_setBalance", [DEVNET_MAKER.account.address, toHex(10n ** 19n)]);
  await fund(DEVNET_MAKER.account.hex as Hex, 10n);
  return { chainId: d.chainId, assets, markets: DEVNET_MARKETS.map((m) => ({ ...m })), accounts };
}

export interface DevnetOptions {
  config: NodeConfig;
  /** Delete the devnet directory first. */
  fresh?: boolean;
  logger: Logger;
  /** Where the banner goes (default stdout). */
  print?: (text: string) => void;
}

export interface Devnet {
  anvil: Anvil;
  record: DevnetRecord;
  deployment: Deployment;
  nodes: RunningNode[];
  banner: string;
  stop(): Promise<void>;
}

/** Every role this build can run: the core roles and those with a registered start function. */
export function availableRoles(): Role[] {
  return ROLES.filter((r) => CORE_ROLES.includes(r) || roleStarter(r) !== undefined);
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const cfg = o.config;
  const log = o.logger;
  const dir = path.resolve(cfg.dataDir);
  if (o.fresh === true && existsSync(dir)) {
    rmSync(dir, { recursive: true, force: true });
    log.info({ dir }, "--fresh: devnet directory deleted");
  }
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, "anvil-state.json");
  const resumed = existsSync(stateFile);
  // Its own process group: Ctrl-C stops the nodes first (they may be waiting on L1), then anvil (stop()).
  const anvil = await startAnvil({ port: cfg.devnet.anvilPort, args: ["--state", stateFile, "--state-interval", "5"], ownProcessGroup: true });
  const nodes: RunningNode[] = [];
  try {
    log.info({ rpcUrl: anvil.rpcUrl, resumed }, resumed ? "L1 (anvil) resumed from its saved state" : "L1 (anvil) started");
    await rpc(anvil.rpcUrl, "evm_setAutomine", [true]);
    const deployerKey = (process.env.DEPLOYER_KEY as Hex | undefined) ?? ANVIL_DEV_KEYS[0];
    const { deployment, reused } = await deploySuite({ rpcUrl: anvil.rpcUrl, privateKey: deployerKey, outDir: path.join(dir, "deployments"), log: (line) => log.debug(line) });
    log.info({ reused, inbox: deployment.contracts.inbox }, reused ? "contract suite found (resumed)" : "contract suite deployed");
    const recordFile = path.join(dir, "devnet.json");
    let record: DevnetRecord;
    if (reused && existsSync(recordFile)) record = JSON.parse(readFileSync(recordFile, "utf8")) as DevnetRecord;
    else {
      record = await setUpDevnetChain({ rpcUrl: anvil.rpcUrl, deployment, governor: deployerKey, accounts: ANVIL_DEV_KEYS.slice(1, 4), log: (line) => log.info(line) });
      writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
    }
    if (cfg.devnet.blockTime > 0) await rpc(anvil.rpcUrl, "evm_setIntervalMining", [cfg.devnet.blockTime]);

    const deploymentFile = path.join(dir, "deployments", `${deployment.chainId}.json`);
    const nodeConfig = (n: number, roles: Role[]): NodeConfig => ({
      ...cfg,
      dataDir: path.join(dir, `node-${n}`),
      deployment: deploymentFile,
      roles,
      l1: { ...cfg.l1, rpcUrl: anvil.rpcUrl, beaconUrl: anvil.rpcUrl },
      rpc: { ...cfg.rpc, port: cfg.rpc.port + 2 * (n - 1) },
      admin: { ...cfg.admin, port: cfg.admin.port + 2 * (n - 1), token: cfg.admin.token !== "" ? cfg.admin.token : DEVNET_ADMIN_TOKEN },
      // The web page on node-1's RPC port reads the market maker's admin routes cross-origin.
      mm: { ...cfg.mm, webOrigin: cfg.mm.webOrigin !== "" ? cfg.mm.webOrigin : `http://127.0.0.1:${cfg.rpc.port}`, ...usdtUsdcQuotes(cfg) },
    });
    // node-1 proposes with the deployer key (the devnet's fee account and attestation signer); its prover
    // and challenger send with anvil accounts 5 and 6, so no two roles race for one key's nonces.
    // RPC server settings of both nodes (the web page and the devnet accounts join here).
    const rpcOptions = { devnetAccounts: record.accounts.map((a, i) => ({ label: `trader ${i + 1}`, address: a.address, privateKey: a.privateKey })) };
    nodes.push(await startNode({ config: nodeConfig(1, availableRoles()), name: "node-1", account: privateKeyToAccount(deployerKey), roleAccounts: { prover: privateKeyToAccount(ANVIL_DEV_KEYS[5]), challenger: privateKeyToAccount(ANVIL_DEV_KEYS[6]) }, deployment, logger: log, rpcOptions }));
    nodes.push(await startNode({ config: nodeConfig(2, ["follower"]), name: "node-2", deployment, logger: log, rpcOptions }));
    // The markets and deposits are L1 messages: ready for a person once a batch carrying them is on L1 and
    // the follower derived it (node-1 seals and posts it on its first ticks).
    await waitFor(() => nodes.every((n) => n.view.markets().length >= DEVNET_MARKETS.length), 180_000, "the first batch (markets and deposits) on both nodes", log);
    const maker = nodes[0]!;
    if (maker.config.roles.includes("mm") && maker.sequencer !== undefined) {
      const p = await prepareMakerAccount({ sequencer: maker.sequencer, accountKey: DEVNET_MAKER.account.priv, agentKey: DEVNET_MAKER.agent.priv, assets: record.assets.map((a) => a.assetId) });
      log.info({ account: p.account, agent: p.agent, approved: p.approved }, "market maker account ready (agent key approved)");
    }
    const banner = renderBanner(record, deployment, nodes, dir, anvil.rpcUrl, resumed);
    (o.print ?? ((t: string) => process.stdout.write(t)))(banner);
    return {
      anvil, record, deployment, nodes, banner,
      stop: async () => {
        for (const n of [...nodes].reverse()) await n.stop();
        await anvil.stop(); // anvil writes its state on exit
      },
    };
  } catch (err) {
    for (const n of nodes.reverse()) await n.stop().catch(() => undefined);
    await anvil.stop();
    throw err;
  }
}

async function waitFor(ok: () => boolean, timeoutMs: number, what: string, log: Logger): Promise<void> {
  if (ok()) return;
  log.info(`waiting for ${what}`);
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`devnet: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The banner a person reads after `npm start`. */
export function renderBanner(record: DevnetRecord, d: Deployment, nodes: readonly RunningNode[], dir: string, l1Url: string, resumed: boolean): string {
  const lines: string[] = [];
  lines.push("", `Rollbook devnet ${resumed ? "(resumed)" : "(new)"}   L1 chain id ${d.chainId} at ${l1Url}   Ctrl-C stops, npm start resumes, npm start -- --fresh starts over`, "");
  for (const n of nodes) {
    lines.push(`  ${n.name} [${n.config.roles.join(", ")}]`);
    lines.push(`    RPC     ${n.rpcUrl}        WS ${n.wsUrl}`);
    lines.push(`    web     ${n.rpcUrl}/        health ${n.rpcUrl}/health  ready ${n.rpcUrl}/ready`);
    lines.push(`    metrics ${n.adminUrl}/metrics     admin token ${n.config.admin.token}`);
  }
  lines.push("", "  contracts");
  for (const [k, v] of Object.entries(d.contracts)) if (v !== undefined) lines.push(`    ${k.padEnd(20)} ${v}`);
  lines.push("", "  assets");
  for (const a of record.assets) lines.push(`    ${String(a.assetId).padEnd(3)} ${a.symbol.padEnd(5)} ${getAddress(a.token)}  (${a.decimals} decimals, 1 L2 unit = ${a.quantum} base units)`);
  lines.push("", "  markets");
  for (const m of record.markets) lines.push(`    ${String(m.market).padEnd(3)} ${m.symbol.padEnd(10)} base ${m.params.baseAsset} quote ${m.params.quoteAsset} lot ${m.params.lotSize} tick ${m.params.tickSize}`);
  lines.push("", "  funded accounts (deposited on L2; anvil dev keys, never use them elsewhere)");
  for (const a of record.accounts) lines.push(`    ${a.address}  ${a.privateKey}`);
  lines.push("", `  data ${dir}`, "");
  return lines.join("\n") + "\n";
}
