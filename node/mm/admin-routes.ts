// The market maker's admin routes, a fastify plugin for the node's admin listener only (never the public
// port: counterparties must not see the maker's inventory). Every route needs the admin bearer token;
// CORS answers one configured web origin (the web page's panel reads these). docs/market-maker.md
// "Admin routes" gives the JSON shapes.
//
//   GET  /mm/status              the runtime status (RuntimeStatus)
//   POST /mm/kill   {reason}     manual kill: one CANCEL_ALL per market, answers once it is soft
//   POST /mm/reset  {by?}        explicit reset after a kill

import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MakerRuntimeError } from "./errors.ts";
import type { MakerRuntime } from "./runtime.ts";

export interface MmAdminOptions {
  runtime: MakerRuntime;
  /** The admin bearer token; empty: every route answers 403 MM_ADMIN_TOKEN_UNSET. */
  token: string;
  /** Origin allowed by CORS ("" = no CORS headers). */
  webOrigin?: string;
}

const MAX_TEXT = 200;

const STATUS_OF: Record<string, number> = { MM_NOT_RUNNING: 409, MM_NOT_KILLED: 409 };

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

function tokenOk(header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith("Bearer ")) return false;
  const a = Buffer.from(header.slice(7).trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function text(body: unknown, key: string): string | undefined | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "object" || Array.isArray(body)) return null;
  const v = (body as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_TEXT) return null;
  return v;
}

/** Register with `admin.register(mmAdminRoutes, { runtime, token, webOrigin })`. */
export async function mmAdminRoutes(app: FastifyInstance, o: MmAdminOptions): Promise<void> {
  const origin = o.webOrigin ?? "";
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    if (origin !== "" && req.headers.origin === origin) {
      reply.header("access-control-allow-origin", origin);
      reply.header("vary", "Origin");
      reply.header("access-control-allow-headers", "authorization, content-type");
      reply.header("access-control-allow-methods", "GET, POST, OPTIONS");
      reply.header("access-control-max-age", "600");
    }
    if (req.method === "OPTIONS") return reply.code(204).send();
    if (o.token === "") return fail(reply, 403, "MM_ADMIN_TOKEN_UNSET", "no admin token is configured: the market maker's admin routes are disabled");
    if (!tokenOk(req.headers.authorization, o.token)) return fail(reply, 401, "MM_UNAUTHORIZED", "missing or wrong bearer token");
  });

  const errors = (reply: FastifyReply, err: unknown): FastifyReply => {
    if (err instanceof MakerRuntimeError) return fail(reply, STATUS_OF[err.code] ?? 400, err.code, err.message);
    return fail(reply, 500, "MM_INTERNAL", (err as Error).message ?? String(err));
  };

  for (const url of ["/mm/status", "/mm/kill", "/mm/reset"]) app.options(url, async (_req, reply) => reply.code(204).send());

  app.get("/mm/status", async (_req, reply) => reply.send(o.runtime.status()));

  app.post("/mm/kill", async (req, reply) => {
    const reason = text(req.body, "reason");
    if (reason === undefined || reason === null) return fail(reply, 400, "MM_BAD_REQUEST", `body {"reason": "<1..${MAX_TEXT} characters>"} required`);
    try {
      return reply.send(await o.runtime.kill(`admin: ${reason}`));
    } catch (err) {
      return errors(reply, err);
    }
  });

  app.post("/mm/reset", async (req, reply) => {
    const by = text(req.body, "by");
    if (by === null) return fail(reply, 400, "MM_BAD_REQUEST", `body {"by": "<1..${MAX_TEXT} characters>"} optional`);
    try {
      return reply.send(o.runtime.reset(`admin: ${by ?? req.ip}`));
    } catch (err) {
      return errors(reply, err);
    }
  });
}
