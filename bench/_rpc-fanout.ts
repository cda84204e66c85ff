// The rpc bench's subscriber process: N WebSocket clients subscribed to book:1. For every delta each client
// receives it records now - changedAt (ms; the server stamps a delta with the time of its first change).
// Prints "SUBSCRIBED" when all are in, and on stdin end prints one JSON line with the latencies' summary.

const [url, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 1000);
const lat: number[] = [];
let deltas = 0;
const sockets: WebSocket[] = [];
const marker = '"changedAt":';
let recording = false;
/** Close codes of subscribers the server cut (4008: slow consumer). */
const closes: Record<number, number> = {};

await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((ok, fail) => {
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.onerror = () => fail(new Error(`subscriber ${i} failed`));
  ws.onclose = (e) => {
    closes[e.code] = (closes[e.code] ?? 0) + 1;
  };
  ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rb_subscribe", params: ["book", { market: 1, depth: 10 }] }));
  ws.onmessage = (e) => {
    const s = String(e.data);
    if (s.includes('"id":1,')) return ok();
    const at = s.indexOf(marker);
    if (at < 0 || !recording) return;
    const changedAt = Number(s.slice(at + marker.length, s.indexOf(",", at)));
    lat.push(Date.now() - changedAt);
    deltas++;
  };
})));
recording = true;
console.log("SUBSCRIBED");
process.stdin.resume();
process.stdin.on("end", () => {
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length === 0 ? null : lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]);
  console.log(JSON.stringify({ subscribers: n, deltas, p50: q(0.5), p99: q(0.99), max: lat.at(-1) ?? null, closes }));
  for (const s of sockets) s.close();
  process.exit(0);
});
