// `rollup-node devnet` (= npm start) as a user runs it: spawned in a temporary directory, the banner read,
// RPC called on both nodes, an order placed and filled, Ctrl-C (SIGINT to the whole process group, as a
// terminal sends it: the nodes stop cleanly while anvil, in its own group, still answers); a second start
// resumes the same chain with the same balances; `--fresh` starts over.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { RollbookClient, walletSigner } from "../../../node/client/client.ts";
import { freeDevnetPorts } from "../../../node/app/devnet.ts";

const CLI = fileURLToPath(new URL("../../../node/cli.ts", import.meta.url));

interface Run {
  child: ChildProcess;
  /** Everything the devnet printed so far (JSON log lines and the banner). */
  output(): string;
  banner: string;
  rpc: string[];
  accounts: { address: string; key: Hex }[];
  chainId: number;
}

async function startCli(cwd: string, ports: { anvil: number; rpc: number; admin: number }, extra: string[] = []): Promise<Run> {
  const child = spawn(process.execPath, [CLI, "devnet", ...extra], {
    cwd,
    env: {
      ...process.env, ROLLBOOK_LOG_FORMAT: "json", ROLLBOOK_DEVNET_ANVIL_PORT: String(ports.anvil), ROLLBOOK_RPC_PORT: String(ports.rpc),
      ROLLBOOK_ADMIN_PORT: String(ports.admin), ROLLBOOK_DEVNET_BLOCK_TIME: "1", ROLLBOOK_SEQUENCER_ADMISSION_THREADS: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, like a terminal's foreground job
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const banner = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no banner in 150 s:\n${out.slice(-3000)}\n${err.slice(-3000)}`)), 150_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const i = out.indexOf("Rollbook devnet");
      const j = out.indexOf("  data ", i);
      if (i >= 0 && j >= 0 && out.indexOf("\n", j) >= 0) {
        clearTimeout(t);
        resolve(out.slice(i, out.indexOf("\n", j)));
      }
    });
    child.once("exit", (code) => reject(new Error(`devnet exited (${code}) before its banner:\n${out.slice(-3000)}\n${err.slice(-3000)}`)));
  });
  const rpc = [...banner.matchAll(/RPC\s+(http:\/\/\S+)/g)].map((m) => m[1]!);
  const accounts = [...banner.matchAll(/^\s+(0x[0-9a-fA-F]{40})\s+(0x[0-9a-f]{64})$/gm)].map((m) => ({ address: m[1]!, key: m[2] as Hex }));
  const chainId = Number(/L1 chain id (\d+)/.exec(banner)![1]);
  return { child, output: () => out, banner, rpc, accounts, chainId };
}

async function stopCli(r: Run): Promise<number | null> {
  if (r.child.exitCode !== null) return r.child.exitCode;
  return new Promise((resolve) => {
    r.child.once("exit", (code) => resolve(code));
    process.kill(-r.child.pid!, "SIGINT"); // Ctrl-C: the whole foreground process group
  });
}

/** The devnet's log after Ctrl-C: both nodes stopped, and nothing failed to reach L1 while they did. */
function expectCleanShutdown(r: Run): void {
  const out = r.output();
  const after = out.slice(out.lastIndexOf("\n", out.indexOf('"devnet stopping"')) + 1);
  expect(after).to.contain('"reason":"SIGINT"');
  for (const node of ["node-1", "node-2"]) expect(after).to.match(new RegExp(`"node":"${node}"[^\n]*"msg":"stopped"`));
  expect(after).not.to.contain('"code":"L1_RPC"');
}

async function call<T>(url: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}

type Bal = { nonce: number; balances: { asset: number; available: number; locked: number }[] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(f: () => Promise<T>, ok: (x: T) => boolean, timeoutMs = 150_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const x = await f();
    if (ok(x)) return x;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(x)}`);
    await sleep(200);
  }
}

describe("rollup-node devnet (npm start)", function () {
  this.timeout(540_000);
  let cwd: string;
  let run: Run | undefined;
  let ports: { anvil: number; rpc: number; admin: number };

  before(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), "rollbook-devnet-cli-"));
    ports = await freeDevnetPorts();
  });
  after(async () => {
    if (run !== undefined) await stopCli(run);
    rmSync(cwd, { recursive: true, force: true });
  });

  it("starts, serves both nodes, trades, stops on SIGINT, resumes, and --fresh starts over", async () => {
    run = await startCli(cwd, ports);
    expect(run.banner).to.contain("(new)");
    expect(run.rpc.length).to.equal(2);
    expect(run.accounts.length).to.equal(3);
    for (const url of run.rpc) {
      expect((await call<{ market: number }[]>(url, "rb_getMarkets", {})).length).to.equal(3);
      expect((await fetch(`${url}/ready`)).status).to.equal(200);
    }
    const [a, b] = run.accounts;
    const client = (k: Hex) => new RollbookClient({ url: run!.rpc[0]!, signer: walletSigner(createWalletClient({ account: privateKeyToAccount(k), transport: http("http://127.0.0.1:1") })) });
    const ask = await client(a!.key).placeOrder({ market: 1, side: "sell", price: 2500, size: 2 });
    expect(ask.status).to.equal("accepted");
    // The devnet's market maker quotes market 1 (~3,000 with its recordings): the ask may have sold to its bid;
    // a bid well above every ask buys 2 from whoever is best (the maker's asks, or this ask if it rests).
    const bid = await client(b!.key).placeOrder({ market: 1, side: "buy", price: 5000, size: 2 });
    expect(bid.fills.reduce((n, f) => n + f.size, 0)).to.equal(2);
    // node-2 (follower) sees the fill once node-1's batch is on L1
    const before = await poll(() => call<Bal>(run!.rpc[1]!, "rb_getBalances", { account: b!.address }), (x) => x.nonce === 1);
    expect(await stopCli(run)).to.equal(0);
    expectCleanShutdown(run);

    run = await startCli(cwd, ports);
    expect(run.banner).to.contain("(resumed)");
    for (const url of run.rpc) expect(await call<Bal>(url, "rb_getBalances", { account: b!.address })).to.deep.include({ nonce: 1, balances: before.balances });
    expect(await stopCli(run)).to.equal(0);

    run = await startCli(cwd, ports, ["--fresh"]);
    expect(run.banner).to.contain("(new)");
    const fresh = await call<Bal>(run.rpc[1]!, "rb_getBalances", { account: b!.address });
    expect(fresh.nonce).to.equal(0);
    expect(fresh.balances.map((x) => x.available)).to.deep.equal([100_000_000, 1_000_000_000, 100_000_000]);
    expect(await stopCli(run)).to.equal(0);
    run = undefined;
  });
});
