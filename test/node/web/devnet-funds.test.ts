// Deposit, withdraw and claim on L1 through the web page, in headless Chromium against the composed devnet
// node (devnet-setup.ts: startDevnet in process, the stand-in EIP-1193 wallet holding devnet trader 1's key
// and sending its L1 transactions to anvil). A deposit through the wallet is credited on L2 with its level;
// a withdrawal is followed by the page until its batch is proven (the attest prover finalizes it on
// Settlement once L1 finalized its blocks: anvil finalizes 64 blocks back, so this waits over a minute);
// the page's claim pays out on L1 with the node's withdrawal proof (about 45 s on an idle machine; also
// `npm run test:web:l1` on its own).

import { expect } from "chai";
import { QUANTUM, WETH, type WebDevnet, startWebDevnet } from "./devnet-setup.ts";

describe("web page: deposit, withdraw and claim on L1 against the devnet", function () {
  this.timeout(400_000);
  let t: WebDevnet;
  before(async () => {
    t = await startWebDevnet();
  });
  after(async () => {
    await t?.stop();
  });

  it("deposit on L1 through the wallet is credited on L2 with its level", async () => {
    await t.page.goto(t.rpcUrl + "/#trade");
    await t.page.click("[data-testid=connect-wallet]");
    await t.page.locator("[data-testid=identity]", { hasText: `wallet ${t.wallet.address} · trading key` }).waitFor();
    await t.page.locator("#panel-balances[data-state=ok]").waitFor();
    const units = async () => (await t.client.getBalances(t.wallet.address)).balances.find((b) => b.asset === WETH)?.available ?? 0;
    const before = await units();
    const l1Before = await t.l1Balance();
    expect(await t.page.inputValue("input[name=d-vault]")).to.equal(t.devnet.deployment.contracts.vault);
    await t.page.selectOption("select[name=d-asset]", String(WETH));
    await t.page.fill("input[name=d-amount]", String(1000n * QUANTUM));
    const sent = t.wallet.sent.length;
    await t.page.locator("#panel-funds button", { hasText: "deposit" }).click();
    await t.page.locator("#panel-funds .result", { hasText: /deposit \d+ credited in batch \d+/ }).waitFor({ timeout: 90_000 });
    expect(await t.page.locator("#panel-funds .result .level").getAttribute("data-level")).to.be.oneOf(["soft", "included", "safe", "proven"]);
    expect(t.wallet.sent.length - sent, "approve + deposit sent by the wallet").to.equal(2);
    expect(await t.l1Balance()).to.equal(l1Before - 1000n * QUANTUM);
    expect(await units()).to.equal(before + 1000);
    await t.page.locator("#panel-balances tr[data-asset=\"2\"] td", { hasText: (before + 1000).toLocaleString("en-US") }).waitFor();
  });

  it("withdraw on L2, followed until its batch is proven on L1, then claim pays out on L1", async () => {
    await t.page.selectOption("select[name=w-asset]", String(WETH));
    await t.page.fill("input[name=w-amount]", "500");
    await t.page.locator("#panel-funds button", { hasText: "withdraw" }).click();
    await t.page.locator("#panel-funds .result", { hasText: /withdrawal \d+/ }).waitFor();
    const id = Number(await t.page.inputValue("input[name=c-id]"));
    // the attest prover finalizes the batch on Settlement (after L1 finality: anvil finalizes 64 blocks
    // back); the page follows the withdrawal's level to proven
    const end = Date.now() + 300_000;
    while (!(await t.page.locator("[data-testid=withdrawal-level][data-level=proven]").isVisible())) {
      if (Date.now() > end) {
        throw new Error(`withdrawal ${id} not proven within 300 s: page shows "${await t.page.locator("[data-testid=withdrawal-level]").textContent()}", node ${JSON.stringify(await t.client.syncStatus())}`);
      }
      await t.page.waitForTimeout(1000);
    }
    // the node serves the withdrawal's proof once its batch is finalized (node/app/proofs.ts)
    await t.client.getWithdrawalProof(id);
    const l1Before = await t.l1Balance();
    const sent = t.wallet.sent.length;
    await t.page.locator("#panel-funds button", { hasText: "claim" }).click();
    await t.page.locator("#panel-funds .result", { hasText: `claimed withdrawal ${id}` }).waitFor({ timeout: 60_000 });
    expect(await t.l1Balance()).to.equal(l1Before + 500n * QUANTUM);
    expect(t.wallet.sent.length - sent).to.equal(1);
  });
});
