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
