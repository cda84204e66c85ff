// The rollbook command-line trader against a real server: readable and --json output, keys from the
// environment or a V3 keystore, never from argv.

import { expect } from "chai";
import { execFile } from "node:child_process";
import { createCipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak256 } from "viem";
import { bytesToHex } from "../../../node/clob/eip712.ts";
import { type Harness, startHarness } from "./helpers.ts";

const CLI = path.resolve("node/client/cli.ts");

function rollbook(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (e, out, err) => ok({ code: e === null ? 0 : (e.code as number), out, err }));
  });
}

/** A V3 keystore (pbkdf2, few rounds: a test fixture). */
function keystore(priv: Uint8Array, password: string): string {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const dk = pbkdf2Sync(password, salt, 1000, 32, "sha256");
  const c = createCipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  const ct = Buffer.concat([c.update(priv), c.final()]);
  const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ct])).slice(2);
  return JSON.stringify({ version: 3, crypto: { cipher: "aes-128-ctr", cipherparams: { iv: iv.toString("hex") }, ciphertext: ct.toString("hex"), kdf: "pbkdf2", kdfparams: { c: 1000, dklen: 32, prf: "hmac-sha256", salt: salt.toString("hex") }, mac } });
}

describe("rollbook CLI", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(2);
  });
  after(async () => h.close());

  it("trades with a key from the environment; --json for scripts; refuses keys in argv", async () => {
    const env = { ROLLBOOK_RPC_URL: h.url, ROLLBOOK_PRIVATE_KEY: bytesToHex(h.traders[0].key.priv) };
    const placed = await rollbook(["order", "--market", "1", "--side", "sell", "--price", "1200", "--size", "3"], env);
    expect(placed.code, placed.err).to.equal(0);
    expect(placed.out).to.match(/accepted\s+level soft/);
    const book = await rollbook(["book", "--market", "1", "--json"], env);
    expect(JSON.parse(book.out).asks).to.deep.equal([{ price: 1200, size: 3, orders: 1 }]);
    const bal = JSON.parse((await rollbook(["balances", "--json"], env)).out);
    expect(bal).to.include({ account: h.traders[0].address, nonce: 1, level: "soft" });
    const cancel = await rollbook(["cancel", "--market", "1", "--all"], env);
    expect(cancel.out).to.match(/accepted/);
    const refused = await rollbook(["order", "--key", "0x01"], env);
    expect(refused.code).to.equal(2);
    expect(refused.err).to.match(/never taken from the command line/);
    const bad = await rollbook(["order", "--market", "1", "--side", "up", "--price", "1", "--size", "1"], env);
    expect(bad.code).to.equal(2);
    expect((await rollbook(["--help"], env)).out).to.match(/^rollbook <command>/);
  });

  it("every trading and read subcommand, readable and --json: order, orders, amend, cancel (id, client id, all), bulk, withdraw, tx, book, trades, fills, history, markets, balances, deposit-status", async () => {
    const [a, b] = h.traders;
    const envA = { ROLLBOOK_RPC_URL: h.url, ROLLBOOK_PRIVATE_KEY: bytesToHex(a.key.priv) };
    const envB = { ROLLBOOK_RPC_URL: h.url, ROLLBOOK_PRIVATE_KEY: bytesToHex(b.key.priv) };
    const ok = async (args: string[], env: Record<string, string>) => {
      const r = await rollbook(args, env);
      expect(r.code, `${args.join(" ")}: ${r.err}`).to.equal(0);
      return r.out;
    };
    const json = async (args: string[], env: Record<string, string>) => JSON.parse(await ok([...args, "--json"], env));

    expect(await ok(["markets"], envA)).to.match(/^market 1: base 1 \/ quote 2 .* active$/m);
    // a resting ask: the readable receipt says what happened to the order
    const ask = await json(["order", "--market", "1", "--side", "sell", "--price", "1300", "--size", "4", "--client-id", "9"], envA);
    expect(ask).to.include({ status: "accepted", level: "soft" });
    expect(await ok(["tx", ask.txHash], envA)).to.match(new RegExp(`order ${ask.orderId}  market 1  sell @ 1300: new 4 lots, 4 resting`));
    expect(await ok(["orders"], envA)).to.match(new RegExp(`^order ${ask.orderId}  market 1  sell 4/4 @ 1300  open  \\(soft\\)$`, "m"));
    // amend, then b buys 1 of it: fills for both sides, trades, the maker's update named with its account
    expect(await ok(["amend", "--market", "1", "--order", String(ask.orderId), "--price", "1250", "--size", "3"], envA)).to.match(/sell @ 1250: amended 3 lots, 3 resting/);
    const bought = await ok(["order", "--market", "1", "--side", "buy", "--price", "1250", "--size", "1", "--tif", "ioc"], envB);
    expect(bought).to.match(/fill 1 @ 1250/);
    expect(bought).to.contain(`sell @ 1250: partially filled 1 lots, 2 resting  (${a.address})`);
    expect(await ok(["fills"], envA)).to.match(/^1 @ 1250  market 1  maker  batch \d+  \(soft\)$/m);
    expect(await ok(["fills"], envB)).to.match(/^1 @ 1250  market 1  taker/m);
    expect((await json(["trades", "--market", "1"], envA))[0]).to.include({ price: 1250, size: 1, level: "soft" });
    expect(await ok(["trades", "--market", "1"], envA)).to.match(/^1 @ 1250  taker buy  batch \d+  \(soft\)$/m);
    expect(await ok(["book", "--market", "1", "--depth", "2"], envA)).to.match(/1250\s+2\s+\(1\)\s+ask/);
    // cancel by client id, by id (already gone: the STF's refusal, exit 1, JSON error on stdout with --json), all
    expect(await ok(["cancel", "--market", "1", "--client-id", "9"], envA)).to.match(/cancelled 2 lots, 0 resting/);
    const gone = await rollbook(["cancel", "--market", "1", "--order", String(ask.orderId), "--json"], envA);
    expect(gone.code).to.equal(1);
    expect(JSON.parse(gone.out).error).to.deep.include({ code: -32003, data: { ...JSON.parse(gone.out).error.data, stfName: "ORDER_NOT_FOUND" } });
    expect(gone.err).to.match(/ORDER_NOT_FOUND/);
    // bulk from a file: per-action outcomes
    const dir = mkdtempSync(path.join(tmpdir(), "rollbook-bulk-"));
    writeFileSync(path.join(dir, "a.json"), JSON.stringify([
      { op: 1, market: 1, side: "sell", price: 1400, size: 1, clientId: 1 },
      { op: 1, market: 1, side: "sell", price: 1401, size: 1, clientId: 2 },
      { op: 3, market: 1, clientId: 1 },
    ]));
    const bulk = await ok(["bulk", "--file", path.join(dir, "a.json")], envA);
    expect(bulk.match(/action op \d: accepted/g)).to.have.length(3);
    writeFileSync(path.join(dir, "bad.json"), "{\"op\": 1}");
    const badBulk = await rollbook(["bulk", "--file", path.join(dir, "bad.json")], envA);
    expect(badBulk.code).to.equal(2);
    expect(badBulk.err).to.match(/expected a JSON array of Bulk actions/);
    expect(await ok(["cancel", "--market", "1", "--all"], envA)).to.match(/sell @ 1401: cancelled 1 lots, 0 resting/);
    expect(await ok(["history", "--limit", "3"], envA)).to.match(/market 1  sell 0\/1 @ 1401  cancelled  \(soft\)/);
    // withdraw: the receipt says when it can be claimed
    const w = await ok(["withdraw", "--asset", "2", "--amount", "5"], envA);
    expect(w).to.match(/withdrawal id \d+: claim on L1 once batch \d+ is proven/);
    // balances of another account (no key needed), deposit progress of the harness's first deposit
    const balB = await json(["balances", b.address], { ROLLBOOK_RPC_URL: h.url });
    expect(balB).to.include({ account: b.address, nonce: 1, level: "soft" });
    expect(await ok(["deposit-status", "1"], { ROLLBOOK_RPC_URL: h.url })).to.match(/^deposit 1  \d+ L2 units of asset 1 to 0x[0-9a-f]{40}: credited in batch 1  \(soft\)$/m);
    const missing = await rollbook(["deposit-status", "999", "--json"], { ROLLBOOK_RPC_URL: h.url });
    expect(missing.code).to.equal(1);
    expect(JSON.parse(missing.out).error.code).to.equal(-32001);
    expect((await rollbook(["deposit-status"], { ROLLBOOK_RPC_URL: h.url })).code).to.equal(2);
    // a command that needs a key says so
    const noKey = await rollbook(["orders", "--json"], { ROLLBOOK_RPC_URL: h.url });
    expect(noKey.code).to.equal(2);
    expect(JSON.parse(noKey.out).error).to.deep.equal({ code: "USAGE", message: "this command needs a key ($ROLLBOOK_PRIVATE_KEY or --keystore)" });
    // a node that is not there is named, not "fetch failed"
    const down = await rollbook(["markets", "--url", "http://127.0.0.1:1"], {});
    expect(down.code).to.equal(1);
    expect(down.err).to.match(/^rollbook: cannot reach the node at http:\/\/127\.0\.0\.1:1: /);
  });

  it("reads a V3 keystore with the password from the environment", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rollbook-ks-"));
    const file = path.join(dir, "key.json");
    writeFileSync(file, keystore(h.traders[1].key.priv, "pw"));
    const env = { ROLLBOOK_RPC_URL: h.url, ROLLBOOK_KEYSTORE_PASSWORD: "pw" };
    const r = await rollbook(["balances", "--keystore", file, "--json"], env);
    expect(r.code, r.err).to.equal(0);
    expect(JSON.parse(r.out).account).to.equal(h.traders[1].address);
    const wrong = await rollbook(["balances", "--keystore", file], { ...env, ROLLBOOK_KEYSTORE_PASSWORD: "nope" });
    expect(wrong.err).to.match(/wrong password/);
  });
});
