// A stand-in for the node's admin listener in the page test: the /mm/* routes as the mmnode branch
// documents them (GET /mm/status, POST /mm/kill {reason}, POST /mm/reset; bearer token; CORS for the
// page's origin), over a real MarketMaker quoting on the mm tests' LocalExchange (the real STF) for a few
// batches. The lead swaps it for node/mm's admin plugin once both branches are on main.

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

export async function startAdminStandIn(token: string, origin: string): Promise<AdminStandIn> {
  const { mm, ex } = await warmMaker(20);
  const app: FastifyInstance = fastify({ logger: false });
  app.addHook("onRequest", async (req, reply) => {
    reply.header("access-control-allow-origin", origin).header("vary", "origin");
    if (req.method === "OPTIONS") {
      return reply.code(204).header("access-control-allow-methods", "GET, POST").header("access-control-allow-headers", "authorization, content-type").send();
    }
    if (req.headers.authorization !== `Bearer ${token}`) return reply.code(401).send({ error: "unauthorized" });
  });
  app.get("/mm/status", async () => ({ ...mm.status(ex.now * 1000), limits: { ...mm.config.limits } }));
  app.post("/mm/kill", async (req) => {
    mm.kill(String((req.body as { reason?: string } | undefined)?.reason ?? "manual"), ex.now * 1000);
    return { killed: true };
  });
  app.post("/mm/reset", async () => {
    mm.reset("web page", ex.now * 1000);
    return { killed: false };
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, mm, close: () => app.close() };
}
