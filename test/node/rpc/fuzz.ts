// RPC fuzzer (docs/api.md "Hostile input"): malformed requests over HTTP and WebSocket against a real
// server on a SoftNode. Each request is one of: random bytes / broken JSON, random JSON values as the
// request, valid envelopes with wrong, huge, negative, fractional or deeply nested params, oversized
// bodies and messages, forged signatures (mutated fields or signature bytes) and replays of accepted
// transactions. Every one must be answered with an error from the table, the server must stay up, and
// the state digest must not change. Used by `npm run fuzz:rpc` (long) and the mocha test (short).

import { stateDigest } from "../../../node/clob/state.ts";
import { RPC_ERROR_CODES } from "../../../node/rpc/errors.ts";
import { METHODS } from "../../../node/rpc/methods.ts";
import { XorShift32 } from "../../../node/sim/rng.ts";
import { toWire, type WireTx } from "../../../node/rpc/wire.ts";
import { startHarness } from "./helpers.ts";

export interface FuzzReport {
  http: number;
  ws: number;
  answered: number;
  byCode: Record<string, number>;
  failures: string[];
  digestUnchanged: boolean;
}

const MAX_BODY = 64 << 10;
const MAX_BATCH = 50;
const BAD_VALUES: unknown[] = [
  1e308, -1, 0.5, -0.0000001, 2 ** 53, 2 ** 64, 1e21, "1", "", "0x", null, true, [], {}, [1, 2, 3], { a: 1 },
  "0x" + "g".repeat(40), "0x" + "a".repeat(39), "x".repeat(5000), -(2 ** 60),
];

/** Nested arrays and objects `depth` levels deep, as JSON text (JSON.stringify would overflow the stack). */
function deep(depth: number): string {
  let open = "";
  let close = "";
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? "[" : '{"a":';
    close = (i % 2 === 0 ? "]" : "}") + close;
  }
  return open + "0" + close;
}

function randomJson(r: XorShift32, depth = 0): unknown {
  const k = r.int(depth > 3 ? 5 : 8);
  switch (k) {
    case 0: return r.int(1000) - 500;
    case 1: return r.pick(BAD_VALUES);
    case 2: return String.fromCharCode(...Array.from({ length: r.int(12) }, () => 32 + r.int(90)));
    case 3: return r.chance(0.5);
    case 4: return null;
    case 5: return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < r.int(5); i++) o[r.pick(["jsonrpc", "id", "method", "params", "x", "__proto__", "constructor"])] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** A signed tx's mutation that keeps it schema-valid but breaks the signature. */
function forge(r: XorShift32, w: WireTx): WireTx {
  const f = { ...w };
  const sig = f.signature.slice(2);
  switch (r.int(4)) {
    case 0: {
      // flip one hex digit of r or s
      const i = r.int(128);
      const c = sig[i] === "0" ? "1" : "0";
      f.signature = `0x${sig.slice(0, i)}${c}${sig.slice(i + 1)}`;
      break;
    }
    case 1:
      f.signature = `0x${sig.slice(0, 128)}${sig.slice(128) === "1b" ? "1c" : "1b"}`;
      break;
    case 2: {
      const numeric = Object.keys(f).filter((k) => typeof f[k] === "number" && k !== "nonce");
      const k = r.pick(numeric);
      f[k] = (f[k] as number) === 0 ? 1 : (f[k] as number) - 1;
      break;
    }
    default:
      f.signature = `0x${"ff".repeat(32)}${sig.slice(64)}`; // r >= n
  }
  return f;
}

/** Builds one malformed request text (and whether it is a batch of `n` requests). */
function malformed(r: XorShift32, signed: WireTx[], accepted: WireTx[], id: number): { text: string; count: number } {
  const env = (method: string, params: unknown) => ({ jsonrpc: "2.0", id, method, params });
  switch (r.int(10)) {
    case 0: {
      // broken JSON
      const s = JSON.stringify(env("rb_getBook", [1]));
      const cut = s.slice(0, r.int(s.length));
      return { text: r.chance(0.5) ? cut : cut + String.fromCharCode(r.int(256)) + "}}", count: 1 };
    }
    case 1: {
      const v = randomJson(r);
      // a random value that happens to be a notification gets no answer: give it an id
      const text = JSON.stringify(typeof v === "object" && v !== null && !Array.isArray(v) ? { ...v, jsonrpc: "1.0", id } : v);
      const count = Array.isArray(v) && v.length > 0 && v.length <= MAX_BATCH ? v.length : 1;
      return { text: text === undefined || text === "[]" ? "[" : text, count };
    }
    case 2: {
      // wrong params for a method that takes some
      const m = r.pick(METHODS.filter((x) => x.params.some((p) => p.required)));
      const params: unknown[] = m.params.map(() => r.pick(BAD_VALUES));
      return { text: JSON.stringify(env(m.name, params)), count: 1 };
    }
    case 3: {
      const m = r.pick(METHODS);
      if (r.chance(0.3)) return { text: `{"jsonrpc":"2.0","id":${id},"method":"${m.name}","params":${deep(10 + r.int(20_000))}}`, count: 1 };
      const bad = r.pick([{ zz: 1 }, [...m.params.map(() => 1), 1, 2], "str", 42]);
      return { text: JSON.stringify(env(m.name, bad)), count: 1 };
    }
    case 4: {
      // deep nesting, raw
      const d = 1000 + r.int(200_000);
      return { text: r.chance(0.5) ? "[".repeat(d) : `{"jsonrpc":"2.0","id":${id},"method":"rb_getBook","params":${"[".repeat(d)}${"]".repeat(d)}}`, count: 1 };
    }
    case 5:
      return { text: JSON.stringify(env("rb_getBook", ["x".repeat(MAX_BODY + r.int(1000))])), count: 1 };
    case 6: {
      // a tx with a field missing, added or of the wrong type
      const w: Record<string, unknown> = { ...r.pick(signed) };
      const k = r.pick(Object.keys(w).filter((x) => x !== "kind"));
      if (r.chance(0.3)) delete w[k];
      else if (r.chance(0.5)) w[k] = r.pick(BAD_VALUES);
      else w.extra = 1;
      return { text: JSON.stringify(env(r.pick(["rb_sendTx", "rb_placeOrder", "rb_cancelOrder"]), [w])), count: 1 };
    }
    case 7:
      return { text: JSON.stringify(env("rb_sendTx", [forge(r, r.pick(signed))])), count: 1 };
    case 8:
      return { text: JSON.stringify(env("rb_sendTx", [r.pick(accepted)])), count: 1 };
    default: {
      // a batch of malformed requests
      const n = 1 + r.int(20);
      const items = Array.from({ length: n }, (_, i) => {
        const m = r.pick(METHODS.filter((x) => x.params.some((p) => p.required)));
        return r.chance(0.5) ? { jsonrpc: "2.0", id: id * 100 + i, method: m.name, params: [r.pick(BAD_VALUES)] } : { jsonrpc: "2.0", id: id * 100 + i, method: "rb_sendTx", params: [forge(r, r.pick(signed))] };
      });
      return { text: JSON.stringify(items), count: n };
    }
  }
}

/**
 * Checks one response text; returns the number of table errors in it, or a failure string. `expected`:
 * the number of answers it must hold (-1: any; WebSocket answers may come in another order).
 */
function check(text: string, expected: number, byCode: Record<string, number>): number | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `unparsable answer ${text.slice(0, 80)}`;
  }
  const list = Array.isArray(v) ? v : [v];
  for (const x of list as { error?: { code: number }; result?: unknown }[]) {
    if (x.error === undefined) return `not an error: ${text.slice(0, 200)}`;
    if (!RPC_ERROR_CODES.has(x.error.code)) return `code ${x.error.code} not in the table`;
    byCode[x.error.code] = (byCode[x.error.code] ?? 0) + 1;
  }
  if (expected >= 0 && list.length !== expected && !(list.length === 1 && expected > 1)) return `expected ${expected} answers, got ${list.length}`;
  return list.length;
}

export async function fuzzRpc(total: number, seed = 1, log: (s: string) => void = () => {}): Promise<FuzzReport> {
  const h = await startHarness(4, { limits: { maxBodyBytes: MAX_BODY, connRate: 1e9, connBurst: 1e9, accountRate: 1e9, accountBurst: 1e9, maxBatch: MAX_BATCH } });
  const r = new XorShift32(seed);
  try {
    // accepted transactions (to replay) and signed but unsent ones (to forge from)
    const accepted: WireTx[] = [];
    const signed: WireTx[] = [];
    for (const t of h.traders) {
      for (let i = 0; i < 5; i++) {
        const tx = t.sell(5000 + i, 1);
        accepted.push(toWire(tx));
        if (!h.node.submitSync(tx).ok) throw new Error("setup tx refused");
      }
      for (let i = 0; i < 5; i++) signed.push(toWire(i % 2 === 0 ? t.buy(100 + i, 1) : t.cancel(1 + i)));
    }
    h.node.seal();
    const digest = stateDigest(h.node.state);
    const byCode: Record<string, number> = {};
    const failures: string[] = [];
    let http = 0;
    let ws = 0;
    let answered = 0;
    let id = 1;
    const tally = (res: number | string) => {
      if (typeof res === "string") {
        if (failures.length < 20) failures.push(res);
      } else answered += res;
    };
    // HTTP: 8 requests in flight
    const half = Math.floor(total / 2);
    let sent = 0;
    const worker = async () => {
      while (sent < half) {
        const m = malformed(r, signed, accepted, id++);
        sent += m.count;
        http += m.count;
        const res = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: m.text });
        tally(check(await res.text(), m.count, byCode));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    log(`http: ${http} requests`);
    // WebSocket: pipelined, at most 64 messages awaiting answers
    const sock = new WebSocket(h.wsUrl);
    await new Promise((ok, err) => {
      sock.onopen = ok;
      sock.onerror = err;
    });
    let waiting = 0;
    let wake: (() => void) | null = null;
    sock.onmessage = (e) => {
      waiting--;
      tally(check(String(e.data), -1, byCode));
      wake?.();
    };
    let closedEarly = false;
    sock.onclose = () => {
      closedEarly = true;
      wake?.();
    };
    while (ws < total - half && !closedEarly) {
      while (waiting >= 64 && !closedEarly) await new Promise<void>((ok) => (wake = ok));
      const m = malformed(r, signed, accepted, id++);
      ws += m.count;
      waiting++;
      sock.send(m.text);
    }
    while (waiting > 0 && !closedEarly) await new Promise<void>((ok) => (wake = ok));
    if (closedEarly) failures.push("the server closed the WebSocket");
    sock.close();
    log(`ws: ${ws} requests`);
    // the server still serves
    const alive = await fetch(h.url, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "net_version" }) });
    if ((await alive.json() as { result?: string }).result !== "4242") failures.push("server not answering after the fuzz");
    return { http, ws, answered, byCode, failures, digestUnchanged: stateDigest(h.node.state) === digest };
  } finally {
    await h.close();
  }
}
