// The web page in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against
// an in-process RPC server over a SoftNode (the real STF; node/rpc's reference NodeView), where the test
// controls every batch and confirmation level. The test drives other traders with node/client, seals
// batches and moves confirmation levels itself. A stand-in EIP-1193 provider injected into the page plays
// the wallet (wallet-standin.ts: it signs with a test key in Node and counts prompts). The market maker
// view and L1 deposit / claim run against the composed devnet node in devnet-page.test.ts. Writes
// docs/screenshots/{trade,trade-narrow}.png.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { RollbookClient } from "../../../node/client/client.ts";
import { bytesToHex } from "../../../node/clob/eip712.ts";
import { createRpcServer, type RpcServer, type RpcServerConfig } from "../../../node/rpc/server.ts";
import type { BatchDaInfo, RollupStatus } from "../../../node/rpc/node-view.ts";
import { SoftNode } from "../../../node/rpc/soft-node.ts";
import { TimeInForce } from "../../../node/clob/types.ts";
import { BASE, DOMAIN, QUOTE, Trader, deposit, makeKeys, setMarket } from "../clob/stf-helpers.ts";
import { type StandInWallet, installStandInWallet } from "./wallet-standin.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const DIST = path.join(ROOT, "node/web/dist");
const SHOTS = path.join(ROOT, "docs/screenshots");
const CHROMIUM = "/usr/bin/chromium";

/** What the tests read of the page's window (page.evaluate callbacks run in the browser; the cast is erased). */
interface PW {
  rollbook: { live: { connects: number; state: string }; trade: { book: { updates: number }; chart: { updates: number }; identity: { agent: string | null } | null } };
  localStorage: { length: number };
  innerWidth: number;
  scrollTo(x: number, y: number): void;
  document: { documentElement: { scrollWidth: number } };
}

const hex = (k: Uint8Array): Hex => bytesToHex(k) as Hex;

/**
 * SoftNode has no L1, so it reports no batch DA (rb_rollupStatus `batches` null). With `daRecords` set it
 * reports the records the test gives, in the shape the composed node's follower fills (docs/api.md
 * "Rollup status"), so the page's rendering of a reported batch list is checked here; the composed node's
 * own list is checked in devnet-page.test.ts.
 */
class DaReportingNode extends SoftNode {
  daRecords: BatchDaInfo[] | null = null;
  /** Finalized ranges and proof jobs (rb_rollupStatus `proofs`), reported with the DA records. */
  proofRecords: RollupStatus["proofs"] = null;
  rollup(): Partial<RollupStatus> {
    return this.daRecords === null ? {} : { batches: this.daRecords, proofs: this.proofRecords };
  }
}

/**
 * 45 one-minute batches of trading between two test traders (a random walk around 100,000 ticks) so the
 * chart has history, then a resting ladder away from the prices the tests use. Signed natively and
 * submitted in process: this is the chain the page finds when it loads.
 */
function history(node: SoftNode, makerKey: { priv: Uint8Array; address: `0x${string}` }, takerKey: typeof makerKey, tick: () => void): void {
  const maker = new Trader(makerKey);
  const taker = new Trader(takerKey);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let mid = 100_000;
  const submit = (tx: ReturnType<Trader["place"]> | ReturnType<Trader["cancelAll"]>) => {
    const r = node.submitSync(tx);
    if (!r.ok) throw new Error(`history tx refused: ${r.code}`);
  };
  for (let i = 0; i < 45; i++) {
    mid += Math.round((rnd() - 0.5) * 700);
    for (let k = 1; k <= 3; k++) {
      submit(maker.sell(mid + 60 * k, 3 + Math.floor(rnd() * 8)));
      submit(maker.buy(mid - 60 * k, 3 + Math.floor(rnd() * 8)));
    }
    for (let t = 0, n = 1 + Math.floor(rnd() * 4); t < n; t++) {
      const buy = rnd() < 0.5;
      submit(buy ? taker.buy(mid + 200, 1 + Math.floor(rnd() * 6), { tif: TimeInForce.IOC }) : taker.sell(mid - 200, 1 + Math.floor(rnd() * 6), { tif: TimeInForce.IOC }));
    }
    submit(maker.cancelAll());
    node.seal();
    tick();
  }
  for (let k = 0; k < 10; k++) {
    submit(maker.buy(96_010 + 200 * k, 4 + ((k * 7) % 11)));
    submit(maker.sell(103_010 + 200 * k, 4 + ((k * 5) % 13)));
  }
  node.seal();
}

describe("web page in headless Chromium", function () {
  this.timeout(90_000);
  let node: DaReportingNode;
  let server: RpcServer;
  let options: RpcServerConfig["options"];
  let url: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const [devKey, makerKey, walletKey, takerKey] = makeKeys(4, "rollbook-web-test");
  const maker = new RollbookClient({ url: "", signer: privateKeyToAccount(hex(makerKey!.priv)) });
  let makerClient: RollbookClient;
  let takerClient: RollbookClient;
  let wallet: StandInWallet;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium (.ci/run does)`);
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build-web.mjs")], { stdio: "ignore" });
    let clock: number | null = Math.floor(Date.now() / 1000) - 45 * 60;
    node = new DaReportingNode({ domain: DOMAIN, now: () => clock ?? Math.floor(Date.now() / 1000) });
    node.enqueueL1(setMarket(1));
    for (const k of [devKey!, makerKey!, walletKey!, takerKey!]) {
      node.enqueueL1(deposit(k.address, BASE, 1_000_000_000));
      node.enqueueL1(deposit(k.address, QUOTE, 1_000_000_000_000));
    }
    node.seal();
    clock! += 60;
    history(node, makerKey!, takerKey!, () => (clock! += 60));
    clock = null;
    node.markLevel(node.sync().soft, "included");
    options = {
      l2ChainId: 4242, webPage: DIST,
      devnetAccounts: [{ label: "devnet 0", address: devKey!.address, privateKey: hex(devKey!.priv) }],
      l1Contracts: { vault: "0x00000000000000000000000000000000000000aa", inbox: DOMAIN.verifyingContract },
    };
    server = await createRpcServer({ view: node, options });
    url = await server.listen("127.0.0.1", 0);
    makerClient = new RollbookClient({ url, signer: maker.signer });
    takerClient = new RollbookClient({ url, signer: privateKeyToAccount(hex(takerKey!.priv)) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    wallet = await installStandInWallet(page, hex(walletKey!.priv), { chainId: DOMAIN.chainId });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    makerClient?.close();
    await server?.close();
  });

  const updates = (what: "book" | "chart") => page.evaluate((w) => (w === "book" ? (globalThis as unknown as PW).rollbook.trade.book.updates : (globalThis as unknown as PW).rollbook.trade.chart.updates), what);
  const row = (selector: string, text: string) => page.locator(selector, { hasText: text });

  it("loads with every trade panel live and no console errors; book, depth, tape and chart follow the feeds", async () => {
    await page.goto(url + "/");
    await page.locator("#panel-book[data-state=ok]").waitFor();
    await page.locator("[data-testid=conn][data-state=open]").waitFor();
    const before = await updates("book");
    await makerClient.placeOrder({ market: 1, side: "buy", price: 99_000, size: 5 });
    await makerClient.placeOrder({ market: 1, side: "sell", price: 101_000, size: 5 });
    await makerClient.placeOrder({ market: 1, side: "sell", price: 101_500, size: 8 });
    await page.locator('#panel-book .row[data-price="99000"]').waitFor();
    await page.locator('#panel-book .row[data-price="101500"]').waitFor();
    expect(await updates("book")).to.be.greaterThan(before);
    // a trade: tape and candles move
    const chartBefore = await updates("chart");
    await takerClient.placeOrder({ market: 1, side: "buy", price: 101_000, size: 1, tif: 1 });
    await row("#panel-tape .row", "101,000").first().waitFor();
    await page.waitForFunction((n) => (globalThis as unknown as PW).rollbook.trade.chart.updates > n, chartBefore);
    for (const id of ["chart", "book", "depth", "tape", "ticket"]) expect(await page.locator(`#panel-${id}`).getAttribute("data-state")).to.equal("ok");
    expect(consoleErrors).to.deep.equal([]);
  });

  it("an order through the ticket with a devnet account fills and its fill moves from soft to included", async () => {
    await page.selectOption("select[name=devnet-account]", devKey!.address);
    await page.locator("[data-testid=identity]", { hasText: devKey!.address }).waitFor();
    await page.locator("#panel-balances[data-state=ok]").waitFor();
    // tick / lot validation refuses before signing
    await page.click("button.side[data-side=buy]");
    await page.fill("input[name=price]", "101000.5");
    await page.fill("input[name=size]", "2");
    await page.click("button.submit");
    expect(await page.locator("[data-testid=ticket-error]").textContent()).to.contain("whole number of ticks");
    const nonce = await makerClient.getNonce(devKey!.address);
    expect(nonce).to.equal(0);
    await page.fill("input[name=price]", "101000");
    await page.fill("input[name=clientId]", "77");
    await page.click("button.submit");
    await page.locator("[data-testid=ticket-result]", { hasText: "accepted" }).waitFor();
    const fillRow = page.locator("#panel-fills tr[data-tx]").first();
    await fillRow.locator(".level[data-level=soft]").waitFor();
    expect(await fillRow.textContent()).to.contain("buy (taker)");
    // the batch lands on L1: included
    const b = node.seal();
    node.markLevel(b, "included");
    await fillRow.locator(".level[data-level=included]").waitFor();
    await page.locator("#panel-balances .level[data-level=included]").waitFor();
    const bal = await page.locator('#panel-balances tr[data-asset="1"] td').nth(1).textContent();
    expect(bal).to.equal("1,000,000,200"); // 2 lots of 100 base units bought on top of the deposit
  });

  it("cancels and amends an open order from the page", async () => {
    await page.selectOption("select[name=type]", "limit");
    await page.fill("input[name=price]", "98000");
    await page.fill("input[name=size]", "3");
    await page.fill("input[name=clientId]", "");
    await page.click("button.submit");
    const order = page.locator("#panel-orders tr[data-order]", { hasText: "98,000" });
    await order.waitFor();
    await order.locator("button.amend").click();
    await page.fill("input[name=amend-price]", "97500");
    await page.fill("input[name=amend-size]", "2");
    await page.locator("#panel-orders button.ok").click();
    const amended = page.locator("#panel-orders tr[data-order]", { hasText: "97,500" });
    await amended.waitFor();
    expect(await amended.textContent()).to.contain("2 / ");
    await page.locator('#panel-book .row[data-price="97500"]').waitFor();
    await amended.locator("button.cancel").click();
    await page.locator("#panel-orders .empty", { hasText: "no open orders" }).waitFor();
    await page.locator('#panel-book .row[data-price="97500"]').waitFor({ state: "detached" });
    await page.evaluate(() => (globalThis as unknown as PW).scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, "trade.png") });
  });

  it("a wallet (stand-in EIP-1193 provider) approves an agent key once, then orders are signed without prompts; withdraw asks the wallet", async () => {
    await page.click("[data-testid=connect-wallet]");
    await page.locator("[data-testid=identity]", { hasText: `wallet ${wallet.address} · trading key` }).waitFor();
    expect(wallet.prompts).to.equal(1); // the ApproveAgent signature
    await page.fill("input[name=price]", "98500");
    await page.fill("input[name=size]", "1");
    for (let i = 0; i < 2; i++) {
      await page.click("button.submit");
      await page.locator("[data-testid=ticket-result]", { hasText: "accepted" }).waitFor();
      await page.locator("[data-testid=ticket-result]").evaluate((e) => e.replaceChildren());
    }
    expect(wallet.prompts).to.equal(1);
    const open = await makerClient.getOpenOrders(wallet.address, 1);
    expect(open.filter((o) => o.price === 98_500)).to.have.length(2);
    await page.locator("#panel-orders tr[data-order]", { hasText: "98,500" }).nth(1).waitFor();
    // Withdraw is not a trading kind: the wallet signs it (the second prompt)
    await page.fill("input[name=w-amount]", "100");
    await page.locator("#panel-funds button", { hasText: "withdraw" }).click();
    await page.locator("#panel-funds .result", { hasText: "withdrawal" }).waitFor();
    expect(wallet.prompts).to.equal(2);
    expect((await makerClient.getBalances(wallet.address)).balances.find((b) => b.asset === BASE)!.available).to.equal(1_000_000_000 - 100);
    // the claim form is prefilled with the withdrawal; this batch is not proven, so the claim stops with
    // the node's answer before any L1 transaction
    expect(Number(await page.inputValue("input[name=c-id]"))).to.be.at.least(0);
    await page.locator("#panel-funds button", { hasText: "claim" }).click();
    await page.locator("#panel-funds .err").filter({ hasText: /withdrawal|proof|NOT_FOUND|not found/i }).waitFor();
    expect(wallet.prompts).to.equal(2);
    // the account revokes the agent elsewhere: the page says so and forgets the key
    const agent = await page.evaluate(() => (globalThis as unknown as PW).rollbook.trade.identity!.agent!);
    const owner = new RollbookClient({ url, signer: privateKeyToAccount(hex(walletKey!.priv)) });
    await owner.revokeAgent(agent as `0x${string}`);
    await page.click("button.submit");
    await page.locator("[data-testid=ticket-error]", { hasText: "trading key was refused" }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as PW).localStorage.length)).to.equal(0);
  });

  it("recovers after the WebSocket is cut: reconnects, resubscribes and the book updates again", async () => {
    const connects = await page.evaluate(() => (globalThis as unknown as PW).rollbook.live.connects);
    for (const c of server.connections()) c.terminate();
    await page.waitForFunction((n) => (globalThis as unknown as PW).rollbook.live.connects > n && (globalThis as unknown as PW).rollbook.live.state === "open", connects);
    await makerClient.placeOrder({ market: 1, side: "sell", price: 102_000, size: 4 });
    await page.locator('#panel-book .row[data-price="102000"]').waitFor();
    expect(await page.locator("#panel-book").getAttribute("data-state")).to.equal("ok");
    expect(consoleErrors).to.deep.equal([]);
  });

  it("shows the node down (reconnecting, stale panels) and resumes when it is back on the same port", async () => {
    const port = Number(new URL(url).port);
    await server.close();
    await page.locator("[data-testid=conn][data-state=down]").waitFor();
    await page.locator("#panel-book[data-state=stale]").waitFor();
    await page.locator("#panel-chart[data-state=stale]").waitFor();
    // every trade panel says so: the feeds' panels and the forms are stale; the account panels stale, or in
    // their error state once a periodic reload found the node unreachable
    for (const id of ["depth", "tape", "ticket", "funds"]) await page.locator(`#panel-${id}[data-state=stale]`).waitFor();
    for (const id of ["orders", "fills", "balances"]) await page.locator(`#panel-${id}:is([data-state=stale], [data-state=error])`).waitFor();
    server = await createRpcServer({ view: node, options });
    await server.listen("127.0.0.1", port);
    await page.locator("[data-testid=conn][data-state=open]").waitFor();
    await makerClient.placeOrder({ market: 1, side: "sell", price: 102_200, size: 2 });
    await page.locator('#panel-book .row[data-price="102200"]').waitFor();
    await page.locator("#panel-chart[data-state=ok]").waitFor();
    await page.locator("#panel-balances[data-state=ok]").waitFor();
    for (const id of ["depth", "tape", "ticket", "funds", "orders", "fills"]) await page.locator(`#panel-${id}[data-state=ok]`).waitFor();
    // while it was down the browser logged the refused connections, and nothing else
    const outage = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to load resource/;
    expect(consoleErrors.filter((e) => !outage.test(e))).to.deep.equal([]);
    consoleErrors.length = 0;
  });

  it("the rollup view shows confirmation levels and recent batches from the public API", async () => {
    await page.goto(url + "/#rollup");
    await page.locator("#panel-batches[data-state=ok] tr[data-batch]").first().waitFor();
    const levels = await page.locator("#panel-levels").textContent();
    expect(levels).to.contain("included");
    expect(await page.locator("#panel-l1").textContent()).to.contain("not reported by this node");
    expect(await page.locator("#panel-l1").textContent()).to.contain("vault");
    expect(await page.locator("#panel-batches").textContent()).to.contain("batch DA (size, blobs, CID, proposer): not reported by this node");
    // the node starts reporting batch DA: the next reload (3 s poll) shows size, orders, blobs / calldata,
    // IPFS CID, proposer and level per batch
    const soft = node.sync().soft;
    const blob = "0x01" + "ab".repeat(31);
    node.daRecords = [
      { batchIndex: soft, l1Block: 120, l1Tx: "0x" + "cd".repeat(32), bytes: 2345, txCount: node.batch(soft)!.txCount, orders: 7, blobHashes: [blob], calldata: false, cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", proposer: "0x00000000000000000000000000000000000000b0", level: "included" },
      { batchIndex: soft - 1, l1Block: 118, l1Tx: "0x" + "ef".repeat(32), bytes: 812, txCount: node.batch(soft - 1)!.txCount, orders: 3, blobHashes: [], calldata: true, cid: null, proposer: "0x00000000000000000000000000000000000000b1", level: "included" },
    ];
    node.proofRecords = {
      finalized: [{ firstBatch: 1, lastBatch: soft - 2, stateRoot: "0x" + "11".repeat(32), withdrawalRoot: "0x" + "22".repeat(32) }],
      jobs: [{ id: "0x" + "33".repeat(32), firstBatch: soft - 1, lastBatch: soft, systems: ["attest"], state: "proving", updatedAt: Date.now(), l1Tx: null, error: null }],
    };
    expect(await page.locator("#panel-proofs").textContent()).to.contain("finalized ranges and proof jobs: not reported by this node");
    const top = page.locator(`#panel-batches tr[data-batch="${soft}"]`);
    await top.locator("td", { hasText: "1 blob" }).waitFor();
    const cells = await top.locator("td").allTextContents();
    expect(cells[4]).to.equal("7");
    expect(cells[5]).to.equal("2,345");
    expect(cells[6]).to.contain("1 blob 0x01ab…abab").and.contain("ipfs bafkre");
    expect(cells[7]).to.equal("0x0000…00b0");
    expect(await page.locator(`#panel-batches tr[data-batch="${soft - 1}"] td`).nth(6).textContent()).to.contain("calldata");
    expect(await page.locator("#panel-batches").textContent()).to.not.contain("not reported");
    expect(cells[6]).to.contain("L1 block 120 · tx 0xcdcd…cdcd");
    await page.locator("#panel-proofs [data-testid=finalized] td", { hasText: `1–${soft - 2}` }).waitFor();
    const job = await page.locator("#panel-proofs [data-testid=jobs] tr[data-job]").first().locator("td").allTextContents();
    expect(job.slice(1, 5)).to.deep.equal([`${soft - 1}–${soft}`, "attest", "proving", "—"]);
    // a batch the node has no DA record for says so in its row
    expect(await page.locator(`#panel-batches tr[data-batch="${soft - 2}"] td`).nth(6).textContent()).to.equal("—");
    expect(consoleErrors).to.deep.equal([]);
  });

  it("is usable on a narrow window (no horizontal scrolling)", async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    await page.goto(url + "/#trade");
    await page.locator("#panel-book[data-state=ok]").waitFor();
    const overflow = await page.evaluate(() => (globalThis as unknown as PW).document.documentElement.scrollWidth - (globalThis as unknown as PW).innerWidth);
    expect(overflow).to.be.at.most(1);
    await page.screenshot({ path: path.join(SHOTS, "trade-narrow.png") });
    // the other two views too (the market maker view in its error state: no admin listener here)
    for (const [view, ready] of [["rollup", "#panel-batches[data-state=ok]"], ["mm", "#panel-mm-kill[data-state=error]"]] as const) {
      await page.goto(url + "/#" + view);
      await page.locator(ready).waitFor();
      const o = await page.evaluate(() => (globalThis as unknown as PW).document.documentElement.scrollWidth - (globalThis as unknown as PW).innerWidth);
      expect(o, `${view} view at 420 px`).to.be.at.most(1);
    }
  });
});
