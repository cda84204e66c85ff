// What the devnet browser tests share: the devnet as `npm start` runs it, started in process (startDevnet:
// anvil from npm, the contract suite, devnet markets and funded accounts, node-1 with every role including
// the market maker and the attest prover, node-2 following) in a temporary directory on free ports, and a
// headless Chromium page at 1280x800 with the stand-in EIP-1193 wallet (wallet-standin.ts) holding devnet
// trader 1's key, its L1 transactions sent to anvil, and 1 WETH minted to it on L1.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { type Browser, type Page, chromium } from "playwright-core";
import { type Address, type Hex, createPublicClient, createWalletClient, defineChain, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Devnet, freeDevnetPorts, startDevnet } from "../../../node/app/devnet.ts";
import { RollbookClient } from "../../../node/client/client.ts";
import { ERC20_ABI } from "../../../node/client/l1.ts";
import { loadConfig } from "../../../node/config.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { devTokenAbi } from "../../../node/l1/contracts.ts";
import { type StandInWallet, installStandInWallet } from "./wallet-standin.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const SHOTS = path.join(ROOT, "docs/screenshots");
const CHROMIUM = "/usr/bin/chromium";
/** WETH: asset 2, 18 decimals, 1 L2 unit = 10^12 base units (node/app/devnet.ts EXTRA_ASSETS). */
export const WETH = 2;
export const QUANTUM = 10n ** 12n;

export interface WebDevnet {
  devnet: Devnet;
  browser: Browser;
  page: Page;
  wallet: StandInWallet;
  rpcUrl: string;
  adminUrl: string;
  token: string;
  /** A read client on node-1. */
  client: RollbookClient;
  /** The wallet's WETH on L1 (base units). */
  l1Balance(): Promise<bigint>;
  /** Console errors and page errors seen so far. */
  consoleErrors: string[];
  stop(): Promise<void>;
}

export async function startWebDevnet(): Promise<WebDevnet> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium (.ci/run does)`);
  execFileSync(process.execPath, [path.join(ROOT, "scripts/build-web.mjs")], { stdio: "ignore" });
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-web-devnet-"));
  const { anvil: anvilPort, rpc: rpcPort, admin: adminPort } = await freeDevnetPorts();
  const config = loadConfig(undefined, {
    ROLLBOOK_DATA_DIR: path.join(dir, "data"), ROLLBOOK_DEVNET_ANVIL_PORT: String(anvilPort), ROLLBOOK_RPC_PORT: String(rpcPort),
    ROLLBOOK_ADMIN_PORT: String(adminPort), ROLLBOOK_DEVNET_BLOCK_TIME: "1", ROLLBOOK_SEQUENCER_ADMISSION_THREADS: "1",
  });
  const devnet = await startDevnet({ config, logger: pino({ level: "silent" }), print: () => undefined });
  const stops: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true }), () => devnet.stop()];
  const stop = async () => {
    for (const f of stops.reverse()) await f().catch(() => undefined);
  };
  try {
    const node = devnet.nodes[0]!;
    const client = new RollbookClient({ url: node.rpcUrl });
    stops.push(async () => client.close());
    const traderKey = ANVIL_DEV_KEYS[1] as Hex;
    const chain = defineChain({ id: devnet.deployment.chainId, name: "devnet", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [devnet.anvil.rpcUrl] } } });
    const pub = createPublicClient({ chain, transport: http(devnet.anvil.rpcUrl) });
    const owner = privateKeyToAccount(traderKey);
    const weth = devnet.record.assets.find((a) => a.assetId === WETH)!.token as Address;
    const w = createWalletClient({ account: owner, chain, transport: http(devnet.anvil.rpcUrl) });
    await pub.waitForTransactionReceipt({ hash: await w.writeContract({ address: weth, abi: devTokenAbi, functionName: "mint", args: [owner.address, 10n ** 18n] }) });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    stops.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const consoleErrors: string[] = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    const wallet = await installStandInWallet(page, traderKey, { chainId: devnet.deployment.chainId, l1Url: devnet.anvil.rpcUrl });
    return {
      devnet, browser, page, wallet, rpcUrl: node.rpcUrl, adminUrl: node.adminUrl, token: node.config.admin.token, client, consoleErrors, stop,
      l1Balance: () => pub.readContract({ address: weth, abi: ERC20_ABI, functionName: "balanceOf", args: [owner.address] }),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls `f` until it gives a value (errors count as not yet). */
export async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => null);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
