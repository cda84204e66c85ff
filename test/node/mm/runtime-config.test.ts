// startMarketMaker from the node's configuration: the devnet default (the shipped Binance and Hyperliquid
// recordings looped as the anchor candidates of markets 1 and 2) quoting over the real sequencer; the mm
// section validated with every problem named; the devnet's public keys refused off the devnet chain; an
// unapproved agent keeps the runtime waiting, and a bulk it signs is refused with the STF's code.

import { expect } from "chai";
import { ConfigError, type NodeConfig, loadConfig } from "../../../node/config.ts";
import { DEVNET_MAKER, prepareMakerAccount } from "../../../node/mm/devnet.ts";
import { MakerRuntimeError } from "../../../node/mm/errors.ts";
import { mmRole, startMarketMaker } from "../../../node/mm/runtime.ts";
import { moduleLogger } from "../../../node/log.ts";
import Fastify, { type FastifyPluginAsync } from "fastify";
import { Registry } from "prom-client";
import { SequencerExchange, SubmitError, type SequencerPort } from "../../../node/mm/sequencer-exchange.ts";
import { Sequencer } from "../../../node/sequencer/index.ts";
import type { MemoryL1 } from "../sequencer/helpers.ts";
import { MARKETS, START_S, key } from "./support/setup.ts";
import { MarketsChain } from "./support/chain.ts";

describe("mm: startMarketMaker from the node configuration", function () {
  this.timeout(120_000);
  let chain: MarketsChain;
  let seq: Sequencer;
  let l1: MemoryL1;

  beforeEach(async () => {
    chain = await MarketsChain.open("mm-cfg", [DEVNET_MAKER.account.address]);
    ({ seq, l1 } = chain);
  });
  afterEach(() => chain.close());

  it("the devnet default: looped replays of both venues keep both markets two-sided; stop cancels everything", async () => {
    const config = loadConfig(undefined, { ROLLBOOK_MM_CYCLE_MS: "250" });
    expect(config.roles).to.not.include("mm"); // operators opt in; npm start adds it (node/app/devnet.ts)
    expect(config.mm.cycleMs).to.equal(250);
    let nowMs = START_S * 1000;
    const rt = startMarketMaker(config, { sequencer: seq, clock: () => nowMs, manual: true });
    rt.step(nowMs);
    expect(rt.state).to.equal("waiting");
    expect(rt.waitingFor.join()).to.match(/agent .* to be approved/);
    await prepareMakerAccount({ sequencer: seq, accountKey: DEVNET_MAKER.account.priv, agentKey: DEVNET_MAKER.agent.priv, assets: [1, 2, 3, 4] });
    await rt.ready();
    const idx = () => seq.softState().accountIndex.get(DEVNET_MAKER.account.address)!;
    const ordersOf = (m: number) => [...seq.softState().markets.get(m)!.book.ordersOf(idx())];
    const fairs: number[] = [];
    for (let b = 1; b <= 12; b++) {
      nowMs += 1000;
      l1.advance(1);
      rt.step(nowMs);
      await rt.maker!.settle();
      seq.seal();
      for (const m of MARKETS) {
        const o = ordersOf(m);
        expect(o.some((x) => x.side === 0) && o.some((x) => x.side === 1), `batch ${b} market ${m} two-sided`).to.equal(true);
      }
      fairs.push(rt.status(nowMs).markets[0]!.fair);
    }
    const st = rt.status(nowMs);
    expect(st.references.map((r) => r.name)).to.deep.equal(["binance", "hyperliquid"]);
    for (const r of st.references) expect(r.events, r.name).to.be.greaterThan(0);
    // the recorded Binance BTCUSDT sample (~61,800 USDT) at the configured ticks per unit; prices move
    const scale = config.mm.markets[0]!.priceScale as number;
    for (const f of fairs) expect(f / (61_800 * scale)).to.be.within(0.98, 1.02);
    expect(new Set(fairs).size).to.be.greaterThan(1);
    await rt.stop();
    for (const m of MARKETS) expect(ordersOf(m)).to.have.length(0);
  });

  it("on its own timer and the wall clock (as in the node): quotes two-sided once approved, no cycle after stop", async () => {
    const rt = startMarketMaker(loadConfig(undefined, { ROLLBOOK_MM_CYCLE_MS: "100" }), { sequencer: seq });
    await prepareMakerAccount({ sequencer: seq, accountKey: DEVNET_MAKER.account.priv, agentKey: DEVNET_MAKER.agent.priv, assets: [1, 2, 3, 4] });
    const idx = () => seq.softState().accountIndex.get(DEVNET_MAKER.account.address)!;
    const sides = (m: number) => new Set([...seq.softState().markets.get(m)!.book.ordersOf(idx())].map((o) => o.side));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !MARKETS.every((m) => sides(m).size === 2)) await new Promise((r) => setTimeout(r, 50));
    for (const m of MARKETS) expect(sides(m).size, `market ${m} two-sided on the timer`).to.equal(2);
    expect(rt.cycles).to.be.greaterThan(0);
    await rt.stop();
    for (const m of MARKETS) expect(sides(m).size).to.equal(0);
    const cycles = rt.cycles;
    await new Promise((r) => setTimeout(r, 300));
    expect(rt.cycles, "no cycle after stop").to.equal(cycles);
    expect(rt.cycleErrors).to.equal(0);
  });

  it("mmRole (node/app's role registry): routes on the admin listener with the admin token; needs the sequencer", async () => {
    const config = loadConfig(undefined, {});
    const withToken = { ...config, admin: { token: "role-test-token-0123" } } as NodeConfig;
    const admin = Fastify();
    const registry = new Registry();
    const logger = moduleLogger("mm-test");
    logger.level = "warn";
    const ctx = { config: withToken, logger, registry, sequencer: seq as SequencerPort | undefined, registerAdminRoutes: (p: FastifyPluginAsync) => void admin.register(p) };
    const role = await mmRole(ctx);
    try {
      await prepareMakerAccount({ sequencer: seq, accountKey: DEVNET_MAKER.account.priv, agentKey: DEVNET_MAKER.agent.priv, assets: [1, 2, 3, 4] });
      await role.runtime.ready();
      expect((await admin.inject({ method: "GET", url: "/mm/status" })).statusCode).to.equal(401);
      const ok = await admin.inject({ method: "GET", url: "/mm/status", headers: { authorization: "Bearer role-test-token-0123" } });
      expect(ok.statusCode).to.equal(200);
      expect(ok.json().state).to.equal("running");
      expect(await registry.metrics()).to.include("# TYPE rollbook_mm_kill_switch gauge");
    } finally {
      await role.stop();
      await admin.close();
    }
    try {
      await mmRole({ ...ctx, sequencer: undefined });
      expect.fail("started without a sequencer");
    } catch (err) {
      expect((err as MakerRuntimeError).code).to.equal("MM_NEEDS_SEQUENCER");
    }
  });

  it("a kill whose cancel-all the sequencer does not take is reported and resent by the next cycle", async () => {
    let failNext = false;
    const port: SequencerPort = {
      submit: (bytes) => {
        if (!failNext) return seq.submit(bytes);
        failNext = false;
        return Promise.resolve({ verdict: "error", code: "WAL_FAILED", message: "write-ahead log failed: disk full" });
      },
      subscribe: (fn) => seq.subscribe(fn),
      softState: () => seq.softState(),
      nextNonce: (a) => seq.nextNonce(a),
    };
    await prepareMakerAccount({ sequencer: seq, accountKey: DEVNET_MAKER.account.priv, agentKey: DEVNET_MAKER.agent.priv, assets: [1, 2, 3, 4] });
    let nowMs = START_S * 1000;
    const rt = startMarketMaker(loadConfig(undefined, {}), { sequencer: port, clock: () => nowMs, manual: true });
    await rt.ready();
    const idx = seq.softState().accountIndex.get(DEVNET_MAKER.account.address)!;
    const resting = () => MARKETS.reduce((n, m) => n + [...seq.softState().markets.get(m)!.book.ordersOf(idx)].length, 0);
    for (let b = 0; b < 3; b++) {
      nowMs += 1000;
      rt.step(nowMs);
      await rt.maker!.settle();
    }
    expect(resting()).to.be.greaterThan(0);
    failNext = true;
    const st = await rt.kill("disk test", nowMs);
    expect(st.killed).to.equal(true);
    expect(st.killCancel).to.equal("pending");
    expect(st.killError).to.match(/disk full/);
    expect(resting(), "the failed cancel-all left the quotes").to.be.greaterThan(0);
    nowMs += 1000;
    rt.step(nowMs);
    await rt.maker!.settle();
    const after = rt.status(nowMs);
    expect(after.killError).to.equal("");
    expect(after.killCancel).to.equal("soft");
    expect(resting(), "the resent cancel-all pulled everything").to.equal(0);
    await rt.stop();
  });

  it("the mm section is validated with every problem named; devnet keys are refused off the devnet chain", () => {
    let problems: string[] = [];
    try {
      loadConfig(undefined, { ROLLBOOK_ROLES: "follower,sequencer,proposer,mm", ROLLBOOK_MM_AGENT_KEY: "0x1234", ROLLBOOK_MM_CYCLE_MS: "0" });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems.some((p) => p.startsWith("mm.agentKey"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("mm.cycleMs"))).to.equal(true);
    // without the mm role the section is not checked
    expect(() => loadConfig(undefined, { ROLLBOOK_ROLES: "follower", ROLLBOOK_MM_AGENT_KEY: "0x1234" })).not.to.throw();

    const config: NodeConfig = loadConfig(undefined, {});
    const mainnet = { ...seq.softState(), config: { ...seq.softState().config, domain: { ...seq.softState().config.domain, chainId: 1 } } };
    const port = { submit: seq.submit.bind(seq), subscribe: seq.subscribe.bind(seq), nextNonce: seq.nextNonce.bind(seq), softState: () => mainnet } as unknown as SequencerPort;
    try {
      startMarketMaker(config, { sequencer: port, manual: true });
      expect.fail("devnet keys accepted on chain 1");
    } catch (err) {
      expect(err).to.be.instanceOf(MakerRuntimeError);
      expect((err as MakerRuntimeError).code).to.equal("MM_DEVNET_KEY");
    }
  });

  it("a bulk signed by an agent the account never approved is refused with WRONG_SIGNER, and the nonce is re-read", async () => {
    const ex = new SequencerExchange({ port: seq, account: DEVNET_MAKER.account.address, agentKey: key("stranger").priv });
    try {
      await ex.submit([{ kind: "cancelAll", market: 1 }]);
      expect.fail("accepted");
    } catch (err) {
      expect(err).to.be.instanceOf(SubmitError);
      expect((err as SubmitError).code).to.equal("WRONG_SIGNER");
    }
    await prepareMakerAccount({ sequencer: seq, accountKey: DEVNET_MAKER.account.priv, agentKey: key("stranger").priv });
    const ack = await ex.submit([{ kind: "cancelAll", market: 1 }]);
    expect(ack.results).to.deep.equal([{ ok: true, code: "OK", orderId: 0 }]);
    await expectRejects(ex.submit([]), "BULK_SIZE");
    ex.close();
  });
});

async function expectRejects(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect((err as SubmitError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}
