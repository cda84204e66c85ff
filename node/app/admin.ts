// The admin listener (docs/operator.md "Admin listener"): /metrics (Prometheus text of the node's registry)
// and the routes roles hang on it (market maker /mm/*, prover). It is separate from the public RPC port
// because it shows what traders must not see (the market maker's inventory and P&L). Loopback by default;
// when a token is configured every request needs `Authorization: Bearer <token>` (config validation
// demands a token whenever the host is not loopback).
import { timingSafeEqual, createHash } from "node:crypto";
import fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import type { Registry } from "prom-client";

export interface AdminServerOptions {
  registry: Registry;
  /** "" = no token (loopback only; enforced by config validation). */
  token: string;
  /**
   * The web page's origin (config mm.webOrigin, "" = none): a refused request from it carries the CORS
   * headers, so the page can read the 401 and say "token refused" instead of "unreachable".
   */
  webOrigin?: string;
}

export interface AdminServer {
  app: FastifyInstance;
  /** Adds a plugin (before listen). */
  register(plugin: FastifyPluginAsync, opts?: { prefix?: string }): void;
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

export function createAdminServer(o: AdminServerOptions): AdminServer {
  const app = fastify({ logger: false });
  const want = o.token === "" ? null : digest(`Bearer ${o.token}`);
  app.addHook("onRequest", async (req, reply) => {
    // CORS preflights carry no credentials by design; the route plugins answer them for their own origin.
    if (want === null || req.method === "OPTIONS") return;
    const got = digest(req.headers.authorization ?? "");
    if (!timingSafeEqual(got, want)) {
      if (o.webOrigin !== undefined && o.webOrigin !== "" && req.headers.origin === o.webOrigin) reply.header("access-control-allow-origin", o.webOrigin).header("vary", "Origin");
      await reply.code(401).header("www-authenticate", "Bearer").send({ error: "UNAUTHORIZED", message: "admin listener: bearer token required" });
    }
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", o.registry.contentType);
    return o.registry.metrics();
  });
  return {
    app,
    register(plugin, opts) {
      void app.register(plugin, opts ?? {});
    },
    async listen(host, port) {
      const addr = await app.listen({ host, port });
      return addr.replace("[::1]", "127.0.0.1");
    },
    close: () => app.close(),
  };
}
