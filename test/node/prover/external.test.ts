// The sp1 and zisk drivers (node/prover/external.ts) against a stand-in CLI (fake-prover-cli.ts) that takes
// the real CLIs' arguments and files: proof and stats read back, retries after a failed attempt, a timeout
// and an abort that kill the whole process group, a host that proves other public values refused.
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex } from "viem";
import { encodePublicValues } from "../../../node/derive/commitment.ts";
import { ExternalBackend, type ExternalOptions } from "../../../node/prover/external.ts";
import { executeRange } from "../../../node/prover/execute.ts";
import { ProverError } from "../../../node/prover/errors.ts";
import { silent } from "./harness.ts";
import { emptyRange } from "./range-fixture.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const FAKE = path.join(here, "fake-prover-cli.ts");

describe("prover: sp1 / zisk drivers against a stand-in CLI", function () {
  this.timeout(60_000);
  let dir: string;
  let elf: string;
  const range = emptyRange();
  const pv = bytesToHex(encodePublicValues(executeRange(range).values));

  const backend = (system: "sp1" | "zisk", behaviour: string, o: Partial<ExternalOptions> = {}) =>
    new ExternalBackend({
      system, command: process.execPath, commandArgs: [FAKE], elf, workDir: path.join(dir, "work"), timeoutMs: 20_000, attempts: 2, retryDelayMs: 10,
      env: { FAKE_BEHAVIOUR: behaviour, FAKE_PV: pv, FAKE_STATE_DIR: dir }, logger: silent, ...o,
    });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "rollbook-external-"));
    elf = path.join(dir, "rollbook-guest.elf");
    writeFileSync(elf, "\x7fELF");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const system of ["sp1", "zisk"] as const) {
    it(`${system}: runs the CLI, reads the proof file and the stats; public values are the node's`, async () => {
      const r = await backend(system, "ok").prove(range);
      expect(r.system).to.equal(system);
      expect(bytesToHex(r.publicValues)).to.equal(pv);
      expect(r.proof.slice(0, 6)).to.equal("0xfa4e");
      expect(r.proof.length).to.equal(2 + 2 * 34);
      expect(r.stats.attempts).to.equal(1);
      expect(r.stats.cycles).to.be.greaterThan(0);
      expect(r.stats.cost).to.equal("0.25");
    });
  }

  it("retries after a failed attempt (exit 1), then succeeds", async () => {
    const r = await backend("sp1", "fail-first").prove(range);
    expect(r.stats.attempts).to.equal(2);
  });

  it("a CLI that exits 0 without a proof, or crashes, is a BACKEND error after every attempt", async () => {
    for (const b of ["no-proof", "crash"]) {
      const err = await backend("zisk", b).prove(range).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ProverError);
      expect((err as ProverError).code).to.equal("BACKEND");
    }
  });

  it("a host that commits other public values is refused (STATE_MISMATCH, not retried)", async () => {
    const err = await backend("sp1", "wrong-pv").prove(range).then(() => undefined, (e: unknown) => e);
    expect((err as ProverError).code).to.equal("STATE_MISMATCH");
  });

  // gone, or a zombie waiting for a reaper (the container's init may never reap it)
  const dead = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") === true;
    } catch {
      return true;
    }
  };
  async function pidsOfHang(): Promise<number[]> {
    for (let i = 0; i < 200 && !existsSync(path.join(dir, "pids")); i++) await new Promise((r) => setTimeout(r, 25));
    return JSON.parse(readFileSync(path.join(dir, "pids"), "utf8")) as number[];
  }

  it("a hanging CLI times out: TIMEOUT, its process group (grandchild included) is killed", async () => {
    const p = backend("zisk", "hang", { timeoutMs: 1500, attempts: 1 }).prove(range).then(() => undefined, (e: unknown) => e);
    const pids = await pidsOfHang();
    const err = await p;
    expect((err as ProverError).code).to.equal("TIMEOUT");
    await new Promise((r) => setTimeout(r, 100));
    expect(pids.map(dead)).to.deep.equal([true, true]);
  });

  it("abort kills the running CLI's process group: ABORTED", async () => {
    const ac = new AbortController();
    const p = backend("sp1", "hang").prove(range, ac.signal).then(() => undefined, (e: unknown) => e);
    const pids = await pidsOfHang();
    ac.abort();
    const err = await p;
    expect((err as ProverError).code).to.equal("ABORTED");
    await new Promise((r) => setTimeout(r, 100));
    expect(pids.map(dead)).to.deep.equal([true, true]);
  });

  it("a missing program is a CONFIG error at construction", () => {
    expect(() => backend("sp1", "ok", { elf: path.join(dir, "nope.elf") })).to.throw(/not found/);
  });
});
