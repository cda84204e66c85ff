// Starts a local anvil (from the npm platform package) as the devnet L1 and for tests.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/** Path of the anvil binary shipped in @foundry-rs/anvil-linux-amd64. */
export function anvilBinary(): string {
  const pkg = require.resolve("@foundry-rs/anvil-linux-amd64/package.json");
  return path.join(path.dirname(pkg), "bin", "anvil");
}

/** The first of anvil's deterministic dev accounts (mnemonic "test test ... junk"). */
export const ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
export const ANVIL_DEV_KEYS = [
  ANVIL_DEV_KEY,
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
] as const;

export interface AnvilOptions {
  /** Loopback port; 0 or absent picks a free one. */
  port?: number;
  /** Seconds between blocks; absent means automine (a block per transaction). */
  blockTime?: number;
  /** Extra command-line arguments. */
  args?: string[];
  /** Milliseconds to wait for the RPC to answer. */
  startTimeoutMs?: number;
  /**
   * Run anvil in its own process group, so a Ctrl-C on the terminal (SIGINT to the whole foreground group)
   * reaches only the owner, which stops its nodes first and anvil last (the devnet). anvil is still stopped
   * when the owner exits without calling stop().
   */
  ownProcessGroup?: boolean;
}

export interface Anvil {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * Finds `count` distinct free TCP ports on 127.0.0.1. Every listener stays open until all are bound:
 * asking one at a time can hand out the same port twice once the first listener has closed.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      return typeof address === "object" && address ? address.port : 0;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

async function rpcAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Spawns anvil on loopback and resolves once its RPC answers. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const args = ["--host", "127.0.0.1", "--port", String(port), "--silent"];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  args.push(...(options.args ?? []));
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"], detached: options.ownProcessGroup === true });
  if (options.ownProcessGroup === true) {
    const orphaned = () => child.kill("SIGTERM");
    process.once("exit", orphaned);
    child.once("exit", () => process.off("exit", orphaned));
  }
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!(await rpcAnswers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${rpcUrl}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  };
  return { rpcUrl, port, process: child, stop };
}
