// The RPC server's web-page routes and the two methods the page added: rb_devnetAccounts (devnet only) and
// rb_rollupStatus (null where the node view does not report a figure).

import { expect } from "chai";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { call, startHarness, type Harness } from "../rpc/helpers.ts";

describe("web page routes and page methods on the RPC server", () => {
  let dir: string;
  let h: Harness;
  const accounts = [{ label: "devnet 0", address: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" }];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-web-"));
    mkdirSync(path.join(dir, "assets"));
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>Rollbook</title>");
    writeFileSync(path.join(dir, "assets", "app.js"), "console.log(1)");
    writeFileSync(path.join(dir, "secret.txt"), "no");
    h = await startHarness(1, { webPage: dir, devnetAccounts: accounts, l1Contracts: { vault: "0x00000000000000000000000000000000000000aa" } });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at GET / and the bundle under /assets/, nothing outside assets/", async () => {
    const index = await fetch(h.url + "/");
    expect(index.status).to.equal(200);
    expect(index.headers.get("content-type")).to.match(/^text\/html/);
    expect(await index.text()).to.contain("Rollbook");
    const js = await fetch(h.url + "/assets/app.js");
    expect(js.headers.get("content-type")).to.match(/^text\/javascript/);
    expect(await js.text()).to.equal("console.log(1)");
    expect((await fetch(h.url + "/assets/..%2Fsecret.txt")).status).to.equal(404);
    expect((await fetch(h.url + "/assets/missing.js")).status).to.equal(404);
    // JSON-RPC on POST / is unchanged
    expect((await call(h.url, "eth_chainId")).result).to.equal("0x1092");
  });

  it("answers 503 with the build command when the page is not built", async () => {
    const h2 = await startHarness(1, { webPage: path.join(dir, "nope") });
    try {
      const r = await fetch(h2.url + "/");
      expect(r.status).to.equal(503);
      expect(await r.text()).to.contain("npm run build:web");
    } finally {
      await h2.close();
    }
  });

  it("rb_devnetAccounts lists the devnet accounts, and is METHOD_NOT_FOUND on a node that is not a devnet", async () => {
    expect((await call(h.url, "rb_devnetAccounts")).result).to.deep.equal(accounts);
    const h2 = await startHarness(1);
    try {
      const r = await call(h2.url, "rb_devnetAccounts");
      expect(r.error.code).to.equal(-32601);
      expect((await fetch(h2.url + "/")).status).to.equal(404);
    } finally {
      await h2.close();
    }
  });

  it("rb_rollupStatus reports null for what the view does not know and the configured contracts", async () => {
    const r = (await call(h.url, "rb_rollupStatus")).result;
    expect(r).to.deep.equal({ l1: null, derivation: null, mempool: null, batches: null, proofs: null, reorgs: null, contracts: { vault: "0x00000000000000000000000000000000000000aa" } });
  });
});
