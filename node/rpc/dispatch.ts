// JSON-RPC 2.0 request handling shared by HTTP and WebSocket (docs/api.md "Protocol"): parse, envelope
// checks, batch limit, method lookup, rate limit, params validation against the method's schemas, the
// handler, and every failure mapped to a row of the error table. Never throws.

import { RpcError, type RpcErrorName } from "./errors.ts";
import { syntheticOrders } from "../sequencer/synthetic.ts";
import { FastTxReader, type FastTxRequest } from "./fast-tx.ts";
import { type CallContext, METHOD_BY_NAME, METHODS, type MethodSpec, submitSigned } from "./methods.ts";
import { COMPONENT_SCHEMAS } from "./openrpc.ts";
import { validate } from "./schema.ts";
import { toWire } from "./wire.ts";

type Id = string | number | null;
export interface Response {
  jsonrpc: "2.0";
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface DispatchHooks {
  /** Charges `n` requests to the connection; false = rate limited. */
  chargeConnection(n: number): boolean;
  /** Called for an unexpected handler exception (a bug): logged by the server. */
  onInternalError(method: string, err: unknown): void;
  /** Counts one answered request (metrics). */
  onAnswer(method: string, code: number): void;
}

export function errorResponse(id: Id, name: RpcErrorName, reason?: string): Response {
  return { jsonrpc: "2.0", id, error: new RpcError(name, reason === undefined ? undefined : { reason }).toJSON() };
}

function isId(v: unknown): v is Id {
  return v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/** Params (by position or by name) as a name -> value record; a problem string if they do not fit. */
function bindParams(m: MethodSpec, params: unknown): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  if (params === undefined) {
    // no params
  } else if (Array.isArray(params)) {
    if (params.length > m.params.length) return `params: at most ${m.params.length} positional params`;
    for (let i = 0; i < params.length; i++) if (params[i] !== undefined) out[m.params[i].name] = params[i];
  } else if (typeof params === "object" && params !== null) {
    for (const k of Object.keys(params)) {
      if (!m.params.some((p) => p.name === k)) return `params.${k.slice(0, 40)}: unknown param`;
      out[k] = (params as Record<string, unknown>)[k];
    }
  } else return "params: expected an array or an object";
  for (const p of m.params) {
    const v = out[p.name];
    if (v === undefined || (v === null && !p.required)) {
      if (p.required) return `params.${p.name}: required`;
      delete out[p.name];
      continue;
    }
    const problem = validate(p.schema, v, COMPONENT_SCHEMAS, `params.${p.name}`);
    if (problem !== null) return problem;
  }
  return out;
}

async function one(req: unknown, ctx: CallContext, hooks: DispatchHooks, charged: boolean): Promise<Response | null> {
  if (typeof req !== "object" || req === null || Array.isArray(req)) return errorResponse(null, "INVALID_REQUEST", "request: expected an object");
  const r = req as Record<string, unknown>;
  const hasId = Object.hasOwn(r, "id");
  const id: Id = hasId && isId(r.id) ? r.id : null;
  if (r.jsonrpc !== "2.0") return errorResponse(id, "INVALID_REQUEST", 'jsonrpc: expected "2.0"');
  if (hasId && !isId(r.id)) return errorResponse(null, "INVALID_REQUEST", "id: expected a string, number or null");
  if (typeof r.method !== "string") return errorResponse(id, "INVALID_REQUEST", "method: expected a string");
  const m = METHOD_BY_NAME.get(r.method);
  const name = m === undefined ? "(unknown)" : m.name;
  let res: Response;
  if (m === undefined) res = errorResponse(id, "METHOD_NOT_FOUND", `method ${r.method.slice(0, 64)}`);
  else if (!charged && !hooks.chargeConnection(1)) res = errorResponse(id, "RATE_LIMITED", "connection request rate");
  else if (m.tag === "ws" && ctx.conn.transport !== "ws") res = errorResponse(id, "METHOD_NOT_FOUND", `${m.name} is served on the WebSocket only`);
  else {
    const bound = bindParams(m, r.params);
    if (typeof bound === "string") res = errorResponse(id, "INVALID_PARAMS", bound);
    else {
      try {
        res = { jsonrpc: "2.0", id, result: await m.handler(ctx, bound) };
      } catch (err) {
        res = failure(m, id, hooks, err);
      }
    }
  }
  hooks.onAnswer(name, res.error?.code ?? 0);
  return hasId ? res : null;
}

/** The answer for a handler's exception: its RpcError, or INTERNAL for anything else (a bug: logged). */
function failure(m: MethodSpec, id: Id, hooks: DispatchHooks, err: unknown): Response {
  if (err instanceof RpcError) return { jsonrpc: "2.0", id, error: err.toJSON() };
  hooks.onInternalError(m.name, err);
  return errorResponse(id, "INTERNAL");
}

const FAST = new FastTxReader(METHODS);

/**
 * Reads `n` synthetic order requests with the fast reader, submitting nothing (the start-up warm-up,
 * docs/sequencer.md "Warm-up at start"): the first traders' requests then run optimized code. Returns the
 * milliseconds it took.
 */
export function warmFastReader(n: number): number {
  const t0 = performance.now();
  syntheticOrders(n).forEach((tx, i) => {
    const text = `{"jsonrpc":"2.0","id":${i},"method":"rb_placeOrder","params":[${JSON.stringify(toWire(tx))}]}`;
    if (FAST.read(Buffer.from(text)) === null) throw new Error("warm-up: the fast reader refused a synthetic order");
  });
  return performance.now() - t0;
}

/** A transaction request the fast path read: the same checks and answer as `one` gives the same request. */
async function oneTx(r: FastTxRequest, ctx: CallContext, hooks: DispatchHooks): Promise<string> {
  let res: Response;
  if (!hooks.chargeConnection(1)) res = errorResponse(r.id, "RATE_LIMITED", "connection request rate");
  else {
    try {
      res = { jsonrpc: "2.0", id: r.id, result: await submitSigned(ctx, r.tx, r.bytes) };
    } catch (err) {
      res = failure(r.method, r.id, hooks, err);
    }
  }
  hooks.onAnswer(r.method.name, res.error?.code ?? 0);
  return JSON.stringify(res);
}

/**
 * Answers one WebSocket message (or HTTP body) as bytes: a single signed fixed-width transaction request
 * takes the fast path (fast-tx.ts), anything else `handleText`.
 */
export function handleBytes(data: Buffer, ctx: CallContext, hooks: DispatchHooks, maxBytes: number, maxBatch: number): Promise<string | null> {
  const fast = data.length <= maxBytes ? FAST.read(data) : null;
  if (fast !== null) return oneTx(fast, ctx, hooks);
  return handleText(data.toString("utf8"), ctx, hooks, maxBytes, maxBatch);
}

/**
 * Answers one HTTP body or WebSocket message: the response JSON text, or null when nothing is to be sent
 * (only notifications).
 */
export async function handleText(text: string, ctx: CallContext, hooks: DispatchHooks, maxBytes: number, maxBatch: number): Promise<string | null> {
  if (text.length > maxBytes) return JSON.stringify(errorResponse(null, "TOO_LARGE", `message longer than ${maxBytes} bytes`));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return JSON.stringify(errorResponse(null, "INVALID_JSON"));
  }
  if (!Array.isArray(parsed)) {
    const r = await one(parsed, ctx, hooks, false);
    return r === null ? null : JSON.stringify(r);
  }
  if (parsed.length === 0) return JSON.stringify(errorResponse(null, "INVALID_REQUEST", "empty batch"));
  if (parsed.length > maxBatch) return JSON.stringify(errorResponse(null, "TOO_LARGE", `batch of more than ${maxBatch} requests`));
  if (!hooks.chargeConnection(parsed.length)) return JSON.stringify(errorResponse(null, "RATE_LIMITED", "connection request rate"));
  const out = await Promise.all(parsed.map((r) => one(r, ctx, hooks, true)));
  const answers = out.filter((r): r is Response => r !== null);
  return answers.length === 0 ? null : JSON.stringify(answers);
}
