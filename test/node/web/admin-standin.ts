// A stand-in for the node's admin listener in the page test: the /mm/* routes as docs/market-maker.md
// "Admin routes" (mmnode branch) specifies them (GET /mm/status, POST /mm/kill {reason}, POST /mm/reset
// {by?}; bearer token; CORS for the configured origin; {error: {code, message}} bodies), over a real
// MarketMaker quoting on the mm tests' LocalExchange (the real STF) for 20 batches. The runtime-only fields
// (references, inFlight, cycles) are absent: the page must render without them. node/mm's own plugin needs
// a MakerRuntime over a sequencer, which this test does not run.

import fastify, { type FastifyInstance } from "fastify";
import { MarketMaker } from "../../../node/mm/maker.ts";
import type { LocalExchange } from "../mm/support/local-exchange.ts";
import { Taker, flush, key, makeExchange, makerConfig, syntheticSource } from "../mm/support/setup.ts";

export interface AdminStandIn {
  url: string;
  mm: MarketMaker;
  close(): Promise<void>;
}

/** Runs a maker for `batches` one-second batches with a taker trading against it. */
async function warmMaker(batches: number): Promise<{ mm: MarketMaker; ex: LocalExchange }> {
  const taker = new Taker(key("web-taker"), 5);
  const ex = makeExchange(key("web-maker"), [taker.key]);
  const cfg = makerConfig();
  const mm = new MarketMaker({ config: cfg, exchange: ex, clock: () => ex.now * 1000 });
  const src = syntheticSource(9);
  let ev = src.next();
  for (let i = 0; i < batches; i++) {
    const now = ex.now * 1000;
    while (ev.recvMs <= now) {
      mm.onReference(0, ev);
      ev = src.next();
    }
    mm.cycle(now);
    for (const tx of taker.orders(ex, 0.5)) ex.submitTx(tx);
    ex.produceBatch(1);
    await flush();
  }
  return { mm, ex };
}

/** The runtime status of docs/market-maker.md "Admin routes" for the fields a MarketMaker has. */
function status(mm: MarketMaker, ex: LocalExchange, account: string): unknown {
  const st = mm.status(ex.now * 1000);
  return {
    state: "running", waitingFor: [], account, limits: { ...mm.config.limits }, ...st,
    markets: st.markets.map((m) => {
      const bestBid = m.quotes.bids[0]?.price ?? null;
      const bestAsk = m.quotes.asks[0]?.price ?? null;
      return { ...m, quotesVsReference: { fair: m.fair, bestBid, bestAsk, bidDistance: bestBid === null ? null : m.fair - bestBid, askDistance: bestAsk === null ? null : bestAsk - m.fair } };
    }),
  };
}

export async function startAdminStandIn(token: string, origin: string): Promise<AdminStandIn> {
  const { mm, ex } = await warmMaker(20);
  const account = key("web-maker").address;
  const app: FastifyInstance = fastify({ logger: false });
  const fail = (code: string, message: string) => ({ error: { code, message } });
  app.addHook("onRequest", async (req, reply) => {
    if (req.headers.origin === origin) {
      reply.header("access-control-allow-origin", origin).header("vary", "Origin")
        .header("access-control-allow-methods", "GET, POST, OPTIONS").header("access-control-allow-headers", "authorization, content-type");
    }
    if (req.method === "OPTIONS") return reply.code(204).send();
    if (req.headers.authorization !== `Bearer ${token}`) return reply.code(401).send(fail("MM_UNAUTHORIZED", "missing or wrong bearer token"));
  });
  for (const url of ["/mm/status", "/mm/kill", "/mm/reset"]) app.options(url, async (_req, reply) => reply.code(204).send());
  app.get("/mm/status", async () => status(mm, ex, account));
  app.post("/mm/kill", async (req, reply) => {
    const reason = (req.body as { reason?: unknown } | null)?.reason;
    if (typeof reason !== "string" || reason.length === 0 || reason.length > 200) return reply.code(400).send(fail("MM_BAD_REQUEST", 'body {"reason": "<1..200 characters>"} required'));
    mm.kill(`admin: ${reason}`, ex.now * 1000);
    return status(mm, ex, account);
  });
  app.post("/mm/reset", async (req, reply) => {
    if (!mm.risk.killed) return reply.code(409).send(fail("MM_NOT_KILLED", "not killed"));
    mm.reset(`admin: ${String((req.body as { by?: unknown } | null)?.by ?? req.ip)}`, ex.now * 1000);
    return status(mm, ex, account);
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, mm, close: () => app.close() };
}
