// The web page in headless Chromium against the composed node as `npm start` runs it (devnet-setup.ts:
// startDevnet in process). The market maker view reads the node's real admin listener (node/app/admin.ts
// with the mm role's /mm/* routes over its MakerRuntime, bearer token, CORS for the page's origin):
// unreachable and refused-token states, then kill from the page pulls every quote of the maker from the
// book and reset brings them back. The rollup view shows the node's L1 figures and recent batches.
// Deposit, withdraw and claim on L1 through the page are devnet-funds.test.ts. Writes docs/screenshots/{rollup,mm}.png.

import { expect } from "chai";
import path from "node:path";
import { DEVNET_MAKER } from "../../../node/mm/devnet.ts";
import { SHOTS, type WebDevnet, startWebDevnet, until } from "./devnet-setup.ts";

describe("web page against the composed devnet node (real admin listener and market maker)", function () {
  this.timeout(240_000);
  let t: WebDevnet;
  before(async () => {
    t = await startWebDevnet();
  });
  after(async () => {
    await t?.stop();
  });

  const makerOrders = async (): Promise<number> => {
    let n = 0;
    for (const m of [1, 2]) n += (await t.client.getOpenOrders(DEVNET_MAKER.account.address, m)).length;
    return n;
  };
  const status = async (): Promise<{ killed: boolean; kills: { detail: string }[]; state: string }> =>
    (await fetch(`${t.adminUrl}/mm/status`, { headers: { authorization: `Bearer ${t.token}` } })).json() as Promise<{ killed: boolean; kills: { detail: string }[]; state: string }>;

  it("market maker view: unreachable and refused without the token; with it, kill pulls every quote and reset restores them", async () => {
    await until("the market maker quoting", 120_000, async () => (await status()).state === "running" && (await makerOrders()) > 0);
    await t.page.goto(t.rpcUrl + "/#mm");
    // nothing listening at the admin URL: an error state, no crash
    await t.page.fill("input[name=admin-url]", "http://127.0.0.1:9");
    await t.page.click("#view-mm .bar button");
    await t.page.locator("#panel-mm-kill[data-state=error] .note", { hasText: "unreachable" }).waitFor();
    await t.page.fill("input[name=admin-url]", t.adminUrl);
    await t.page.fill("input[name=admin-token]", "not-the-admin-token");
    await t.page.click("#view-mm .bar button");
    await t.page.locator("#panel-mm-kill[data-state=error] .note", { hasText: "token refused" }).waitFor();
    expect((await status()).killed).to.equal(false);
    await t.page.fill("input[name=admin-token]", t.token);
    await t.page.click("#view-mm .bar button");
    await t.page.locator("#panel-mm-kill[data-state=ok] .killstate", { hasText: "running" }).waitFor();
    await t.page.locator("#panel-mm-markets .card").first().waitFor();
    for (const id of ["mm-kill", "mm-pnl", "mm-risk", "mm-markets"]) expect(await t.page.locator(`#panel-${id}`).getAttribute("data-state")).to.equal("ok");
    // a refused kill (empty reason): the listener's error shows, nothing changes
    await t.page.fill("input[name=kill-reason]", "");
    await t.page.click("[data-testid=mm-kill]");
    await t.page.locator("[data-testid=mm-action]", { hasText: "MM_BAD_REQUEST" }).waitFor();
    expect((await status()).killed).to.equal(false);
    await t.page.fill("input[name=kill-reason]", "web test");
    await t.page.click("[data-testid=mm-kill]");
    await t.page.locator(".killstate", { hasText: "KILLED" }).waitFor();
    const killed = await status();
    expect(killed.killed).to.equal(true);
    expect(killed.kills.at(-1)!.detail).to.equal("admin: web test");
    // the kill answers once the cancel-all is soft: no maker order rests
    expect(await makerOrders()).to.equal(0);
    expect(await t.page.locator("#panel-mm-kill").textContent()).to.contain("admin: web test");
    await t.page.click("[data-testid=mm-reset]");
    await t.page.locator(".killstate", { hasText: "running" }).waitFor();
    expect((await status()).killed).to.equal(false);
    await until("the maker quoting again after the reset", 30_000, async () => (await makerOrders()) > 0);
    await t.page.waitForTimeout(2500); // one more poll: the sparkline has a few points
    await t.page.screenshot({ path: path.join(SHOTS, "mm.png") });
    expect(t.consoleErrors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|status of 401/.test(e))).to.deep.equal([]);
    t.consoleErrors.length = 0;
  });

  it("rollup view: L1 head, safe and finalized, derivation, recent batches with their DA when the node reports it", async () => {
    await t.page.goto(t.rpcUrl + "/#rollup");
    await t.page.locator("#panel-batches[data-state=ok] tr[data-batch]").first().waitFor();
    await t.page.locator("#panel-l1[data-state=ok] dt", { hasText: "finalized" }).waitFor();
    const l1 = await t.page.locator("#panel-l1").textContent();
    expect(l1).to.contain("derivation lag").and.not.contain("L1 blocks: not reported");
    expect(await t.page.locator("#panel-mempool").textContent()).to.contain("admitted / s");
    const r = await t.client.request<{ batches: unknown[] | null }>("rb_rollupStatus");
    const batches = await t.page.locator("#panel-batches").textContent();
    if (r.batches === null) expect(batches).to.contain("batch DA (size, blobs, CID, proposer): not reported by this node");
    else {
      expect(batches).to.not.contain("not reported");
      expect(batches).to.match(/blob|calldata/);
    }
    await t.page.screenshot({ path: path.join(SHOTS, "rollup.png") });
    expect(t.consoleErrors).to.deep.equal([]);
  });
});
