import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "../../../node/config.ts";

function file(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "rollbook-config-"));
  const p = path.join(dir, "node.json");
  writeFileSync(p, content);
  return p;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("defaults validate", () => {
    expect(loadConfig(undefined, {})).to.deep.equal(DEFAULT_CONFIG);
  });

  it("file overrides defaults and env overrides the file", () => {
    const p = file(JSON.stringify({ rpc: { port: 9000 }, roles: ["follower"], l1: { archiveUrls: ["http://a.example/blobs"] } }));
    const cfg = loadConfig(p, { ROLLBOOK_RPC_PORT: "9100", ROLLBOOK_L1_RPC_URL: "http://10.0.0.1:8545" });
    expect(cfg.rpc.port).to.equal(9100);
    expect(cfg.roles).to.deep.equal(["follower"]);
    expect(cfg.l1.rpcUrl).to.equal("http://10.0.0.1:8545");
    expect(cfg.l1.archiveUrls).to.deep.equal(["http://a.example/blobs"]);
    expect(cfg.l1.beaconUrl).to.equal(DEFAULT_CONFIG.l1.beaconUrl);
  });

  it("list-valued env vars split on commas", () => {
    const cfg = loadConfig(undefined, { ROLLBOOK_ROLES: "follower, prover", ROLLBOOK_L1_ARCHIVE_URLS: "http://x/,http://y/" });
    expect(cfg.roles).to.deep.equal(["follower", "prover"]);
    expect(cfg.l1.archiveUrls).to.deep.equal(["http://x/", "http://y/"]);
  });

  it("parses booleans and enumerations of the da section from the environment", () => {
    const cfg = loadConfig(undefined, { ROLLBOOK_DA_ARCHIVE: "true", ROLLBOOK_DA_BLOB_WRAPPER: "v0", ROLLBOOK_DA_BEACON_BLOCK_ID: "slot" });
    expect(cfg.da).to.deep.equal({ archive: true, blobWrapper: "v0", beaconBlockId: "slot" });
    const problems = problemsOf(() => loadConfig(undefined, { ROLLBOOK_DA_ARCHIVE: "yes", ROLLBOOK_DA_BLOB_WRAPPER: "v2" }));
    expect(problems.some((m) => m.startsWith("da.archive:"))).to.equal(true);
    expect(problems.some((m) => m.startsWith("da.blobWrapper:"))).to.equal(true);
  });

  it("reads the fan-out processes' nice value, negative from the environment too, and bounds it", () => {
    expect(loadConfig(undefined, { ROLLBOOK_RPC_FANOUT_NICE: "-5" }).rpc.fanoutNice).to.equal(-5);
    const problems = problemsOf(() => loadConfig(undefined, { ROLLBOOK_RPC_FANOUT_NICE: "-21" }));
    expect(problems.some((m) => m.startsWith("rpc.fanoutNice:"))).to.equal(true);
  });

  it("reports every problem with its key", () => {
    const p = file(JSON.stringify({ rpc: { port: 70000 }, roles: ["wizard"], ipfs: { mode: "ftp" }, typo: 1 }));
    const problems = problemsOf(() => loadConfig(p, { ROLLBOOK_L1_CONFIRMATIONS: "many" }));
    expect(problems.some((m) => m.startsWith("rpc.port:"))).to.equal(true);
    expect(problems.some((m) => m.startsWith("roles: unknown role \"wizard\""))).to.equal(true);
    expect(problems.some((m) => m.startsWith("ipfs.mode:"))).to.equal(true);
    expect(problems.some((m) => m.startsWith("typo: unknown key"))).to.equal(true);
    expect(problems.some((m) => m.startsWith("l1.confirmations:"))).to.equal(true);
  });

  it("rejects unreadable and non-JSON files clearly", () => {
    expect(problemsOf(() => loadConfig("/nonexistent/node.json", {}))[0]).to.match(/cannot read/);
    expect(problemsOf(() => loadConfig(file("{not json"), {}))[0]).to.match(/not valid JSON/);
    expect(problemsOf(() => loadConfig(file("[1,2]"), {}))[0]).to.match(/JSON object/);
  });

  it("`rollup-node config` reports a bad ROLLBOOK_LOG_LEVEL as a configuration problem (exit 2), not a crash", async () => {
    const cli = new URL("../../../node/cli.ts", import.meta.url).pathname;
    const r = await new Promise<{ code: number; out: string; err: string }>((ok) => {
      execFile(process.execPath, [cli, "config"], { env: { ...process.env, ROLLBOOK_LOG_LEVEL: "loud" } }, (e, out, err) => ok({ code: e === null ? 0 : (e.code as number), out, err }));
    });
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('log.level: expected trace|debug|info|warn|error|fatal, got "loud"');
    expect(r.err).not.to.match(/at .*pino/);
  });
});

describe("config: shipped examples", () => {
  it("docker/node.example.json validates", () => {
    const cfg = loadConfig(new URL("../../../docker/node.example.json", import.meta.url).pathname, {});
    expect(cfg.ipfs.mode).to.equal("kubo");
  });
});
