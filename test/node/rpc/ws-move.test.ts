// WebSockets that start on the RPC thread and move to a fan-out process at their first public subscription
// (node/rpc/ws-conn.ts, ws-links.ts, fanout.ts; docs/api.md "Fan-out processes"), over a raw RFC 6455 client
// that controls how its frames fall into TCP writes: a connection that trades, subscribes and trades again
// gets every answer and every delta in order; the bytes read and not yet delivered when it moves (an
// incomplete frame, the first fragment of a message) are finished in the child; a trading-only connection
// stays on the RPC thread and survives a fan-out process's death; a moved one that stops reading is cut in
// its child. And the frame reader's refusals.

import { expect } from "chai";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { FrameReader, WsClose } from "../../../node/rpc/ws-conn.ts";
import { type Harness, startHarness, wire, sleep, until } from "./helpers.ts";

/** A masked client frame (RFC 6455 5.3). */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | n]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, n >> 8, n & 255]);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

const request = (id: number, method: string, params: unknown): Buffer => Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method, params }));

/** A raw client: every message it receives in order (parsed JSON), and the close code it got. */
class RawClient {
  readonly messages: any[] = [];
  closeCode: number | null = null;
  ended = false;
  private carry = Buffer.alloc(0);
  private upgraded = false;
  readonly socket: net.Socket;
  private constructor(socket: net.Socket) {
    this.socket = socket;
  }

  static connect(url: string): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    return new Promise((ok, fail) => {
      const s = net.connect(Number(port), hostname);
      const c = new RawClient(s);
      s.on("connect", () => s.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
      s.on("data", (d: Buffer) => {
        c.read(d);
        if (c.upgraded) ok(c);
      });
      s.on("close", () => (c.ended = true));
      s.on("error", fail);
    });
  }

  private read(d: Buffer): void {
    let buf = Buffer.concat([this.carry, d]);
    if (!this.upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return void (this.carry = buf);
      expect(buf.subarray(0, 12).toString()).to.equal("HTTP/1.1 101");
      this.upgraded = true;
      buf = buf.subarray(end + 4);
    }
    let o = 0;
    for (;;) {
      if (buf.length - o < 2) break;
      let len = buf[o + 1] & 127;
      let h = 2;
      if (len === 126) {
        if (buf.length - o < 4) break;
        len = buf.readUInt16BE(o + 2);
        h = 4;
      } else if (len === 127) {
        if (buf.length - o < 10) break;
        len = buf.readUInt32BE(o + 6);
        h = 10;
      }
      if (buf.length - o < h + len) break;
      const p = buf.subarray(o + h, o + h + len);
      const op = buf[o] & 15;
      if (op === 1) this.messages.push(JSON.parse(p.toString()));
      else if (op === 8) this.closeCode = p.length >= 2 ? p.readUInt16BE(0) : 1005;
      else if (op === 10) this.messages.push({ pong: p.toString() });
      o += h + len;
    }
    this.carry = Buffer.from(buf.subarray(o));
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  answers(): any[] {
    return this.messages.filter((m) => m.id !== undefined);
  }
}

describe("rpc: WebSockets move to a fan-out process at their first public subscription", () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("trades, subscribes, trades again: every answer and delta in order; bytes not yet delivered finish in the child", async () => {
    h = await startHarness(3, { fanoutProcs: 2 });
    const [a, b] = h.traders;
    const c = await RawClient.connect(h.wsUrl);
    c.write(frame(1, request(1, "rb_placeOrder", [wire(a.sell(1000, 1))])));
    await until(() => c.answers().length === 1);
    expect(h.server.connections()).to.have.length(1); // still on the RPC thread
    // One TCP write: an order, the subscription, an order, then half of a fourth frame and the first fragment
    // of a fifth message (after the rest of the fourth): the move happens with bytes read and not delivered.
    const f2 = frame(1, request(2, "rb_placeOrder", [wire(a.sell(1003, 1))]));
    const f4 = frame(1, request(4, "rb_placeOrder", [wire(a.sell(1004, 1))]));
    const f5 = frame(1, request(5, "rb_placeOrder", [wire(a.sell(1001, 1))]));
    const m6 = request(6, "rb_placeOrder", [wire(a.sell(1002, 1))]);
    c.write(Buffer.concat([f2, frame(1, request(3, "rb_subscribe", ["book", { market: 1 }])), f4, f5.subarray(0, 20)]));
    h.node.submitSync(b.buy(900, 1)); // book changes while it moves
    await until(() => h.server.connections().length === 0); // moved
    c.write(Buffer.concat([f5.subarray(20), frame(1, m6.subarray(0, 30), false)]));
    h.node.submitSync(b.buy(901, 1));
    await sleep(20);
    c.write(frame(0, m6.subarray(30)));
    for (let i = 0; i < 20; i++) {
      h.node.submitSync(b.buy(910 + i, 1));
      if (i % 5 === 0) await sleep(15);
    }
    c.write(frame(1, request(7, "rb_placeOrder", [wire(a.sell(1010, 1))])));
    await until(() => c.answers().length === 7);
    await sleep(30);
    const last = h.server.feeds.bookSeq(1);
    // the last delta, not the last message: the answer to 7 (after its WAL sync) may follow the delta of its change
    await until(() => c.messages.findLast((m) => m.params?.result?.type === "delta")?.params.result.seq === last);
    // answers in request order, each an accepted order or the subscription id
    expect(c.answers().map((m) => m.id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    for (const m of c.answers()) expect(m.error, JSON.stringify(m.error)).to.equal(undefined);
    // the snapshot after the subscribe answer, then deltas seq + 1 each, the last one the feed's
    const at = (f: (m: any) => boolean) => c.messages.findIndex(f);
    const snapAt = at((m) => m.params?.result?.type === "snapshot");
    expect(snapAt).to.be.greaterThan(at((m) => m.id === 3));
    const seqs = c.messages.filter((m) => m.params?.result?.type === "delta").map((m) => m.params.result.seq);
    expect(seqs[0]).to.equal(c.messages[snapAt].params.result.seq + 1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).to.equal(seqs[i - 1] + 1);
    expect(seqs.at(-1)).to.equal(last);
    expect(c.messages.slice(0, snapAt).every((m) => m.params?.result?.type !== "delta")).to.equal(true);
    // a ping is answered by the child now
    c.write(frame(9, Buffer.from("hi")));
    await until(() => c.messages.some((m) => m.pong === "hi"));
    c.socket.destroy();
  });

  it("a trading-only connection stays on the RPC thread and outlives a fan-out process that dies", async () => {
    h = await startHarness(2, { fanoutProcs: 1 });
    const [a, b] = h.traders;
    const trader = await RawClient.connect(h.wsUrl);
    const sub = await RawClient.connect(h.wsUrl);
    sub.write(frame(1, request(1, "rb_subscribe", ["trades", { market: 1 }])));
    await until(() => sub.answers().length === 1);
    expect(h.server.connections()).to.have.length(1);
    const [child] = h.server.fanout!.pids();
    process.kill(child, "SIGKILL");
    await until(() => sub.ended);
    for (let i = 0; i < 5; i++) trader.write(frame(1, request(i, "rb_placeOrder", [wire((i % 2 === 0 ? a : b).sell(1000 + i, 1))])));
    await until(() => trader.answers().length === 5);
    expect(trader.answers().map((m) => m.id)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(trader.ended).to.equal(false);
    // and a new subscriber moves to the replacement
    await until(() => h.server.fanout!.pids()[0] !== child);
    const late = await RawClient.connect(h.wsUrl);
    late.write(frame(1, request(1, "rb_subscribe", ["book", { market: 1 }])));
    await until(() => late.messages.some((m) => m.params?.result?.type === "snapshot"));
    h.node.submitSync(a.sell(2000, 1));
    await until(() => late.messages.some((m) => m.params?.result?.type === "delta"));
    expect(h.server.connections()).to.have.length(1);
    trader.socket.destroy();
    late.socket.destroy();
  });

  it("a moved connection that stops reading is cut by its fan-out process (4008), a trading one on the RPC thread is not", async () => {
    h = await startHarness(2, { fanoutProcs: 1, limits: { maxBufferedBytes: 256 << 10, slowConsumerGraceMs: 60_000 } });
    const [a, b] = h.traders;
    for (let i = 0; i < 1500; i++) {
      h.node.submitSync(a.sell(10_000 + i, 1));
      h.node.submitSync(b.buy(9_000 - i, 1));
    }
    const trader = await RawClient.connect(h.wsUrl);
    const c = await RawClient.connect(h.wsUrl);
    c.write(frame(1, request(1, "rb_subscribe", ["trades", { market: 1 }])));
    await until(() => c.answers().length === 1 && h.server.connections().length === 1);
    c.socket.pause(); // stop reading; each answer below is a ~100 KB book
    for (let i = 0; i < 300; i++) {
      c.write(frame(1, request(2 + i, "rb_getBook", [1, 5000])));
      if (i % 10 === 0) await sleep(2);
    }
    await sleep(200);
    c.socket.resume();
    await until(() => c.closeCode !== null);
    expect(c.closeCode).to.equal(4008);
    trader.write(frame(1, request(1, "rb_getMarkets", [])));
    await until(() => trader.answers().length === 1);
    expect(trader.closeCode).to.equal(null);
    trader.socket.destroy();
    c.socket.destroy();
  });

  it("the connection limit counts moved connections and answers with close 1013 on the RPC thread", async () => {
    h = await startHarness(1, { fanoutProcs: 1, limits: { maxConnections: 1 } });
    const first = await RawClient.connect(h.wsUrl);
    // (the HTTP server's own connection count, rpc.maxConnections too, no longer holds a moved socket)
    first.write(frame(1, request(1, "rb_subscribe", ["trades", { market: 1 }])));
    await until(() => first.answers().length === 1 && h.server.connections().length === 0);
    const second = await RawClient.connect(h.wsUrl);
    await until(() => second.closeCode !== null);
    expect(second.closeCode).to.equal(1013);
    expect(first.closeCode).to.equal(null);
    first.socket.destroy();
    second.socket.destroy();
  });
});

describe("rpc: the WebSocket frame reader", () => {
  const read = (bytes: Buffer[], maxPayload = 1000) => {
    const got: { messages: string[]; fails: number[]; closes: number[]; pings: string[] } = { messages: [], fails: [], closes: [], pings: [] };
    const r = new FrameReader(maxPayload, {
      message: (d) => got.messages.push(d.toString()),
      ping: (d) => got.pings.push(d.toString()),
      close: (code) => got.closes.push(code),
      fail: (code) => got.fails.push(code),
    });
    for (const b of bytes) r.feed(Buffer.from(b));
    return { got, state: r.state() };
  };

  it("reassembles frames split anywhere and fragmented messages, with pings between fragments", () => {
    const all = Buffer.concat([frame(1, Buffer.from("one")), frame(1, Buffer.from("tw"), false), frame(9, Buffer.from("p")), frame(0, Buffer.from("o")), frame(2, Buffer.alloc(300, 97))]);
    for (let cut = 0; cut < all.length; cut += 7) {
      const { got } = read([all.subarray(0, cut), all.subarray(cut)]);
      expect(got.messages).to.deep.equal(["one", "two", "a".repeat(300)]);
      expect(got.pings).to.deep.equal(["p"]);
    }
  });

  it("unmasks payloads of every length and alignment to the bytes sent", () => {
    for (let n = 0; n < 140; n++) {
      const payloads = [randomBytes(n), randomBytes(n + 1)];
      // two frames in one read: the second starts at every offset modulo 4 over the loop
      const got: Buffer[] = [];
      const r = new FrameReader(1000, { message: (d) => got.push(Buffer.from(d)), ping: () => {}, close: () => {}, fail: () => {} });
      r.feed(Buffer.concat(payloads.map((p) => frame(2, p))));
      expect(got).to.deep.equal(payloads);
    }
  });

  it("hands over what it has not delivered, and a reader built from that finishes it", () => {
    const f = frame(1, Buffer.from("later"));
    const { got, state } = read([Buffer.concat([frame(1, Buffer.from("fi"), false), f.subarray(0, 1)])]);
    expect(got.messages).to.deep.equal([]);
    // the rest of the message's frames arrive in the other reader (a continuation, then the next message)
    const done: string[] = [];
    const next = new FrameReader(1000, { message: (d) => done.push(d.toString()), ping: () => {}, close: () => {}, fail: () => {} }, { carry: Buffer.alloc(0), fragOpcode: state.fragOpcode, fragments: state.fragments });
    next.feed(frame(0, Buffer.from("rst")));
    expect(done).to.deep.equal(["first"]);
    expect(state.carry).to.have.length(1);
  });

  it("refuses unmasked frames (1002), non-UTF-8 text (1007), oversized messages (1009); reports a close", () => {
    expect(read([Buffer.from([0x81, 0x01, 0x41])]).got.fails).to.deep.equal([WsClose.PROTOCOL]);
    expect(read([frame(1, Buffer.from([0xff, 0xfe]))]).got.fails).to.deep.equal([WsClose.NOT_UTF8]);
    expect(read([frame(1, Buffer.alloc(1001))]).got.fails).to.deep.equal([WsClose.TOO_BIG]);
    expect(read([frame(1, Buffer.alloc(600), false), frame(0, Buffer.alloc(600))]).got.fails).to.deep.equal([WsClose.TOO_BIG]);
    expect(read([frame(0, Buffer.from("x"))]).got.fails).to.deep.equal([WsClose.PROTOCOL]); // a continuation of nothing
    expect(read([frame(3, Buffer.from("x"))]).got.fails).to.deep.equal([WsClose.PROTOCOL]);
    const closing = Buffer.alloc(2);
    closing.writeUInt16BE(1000);
    const after = read([Buffer.concat([frame(8, closing), frame(1, Buffer.from("ignored"))])]).got;
    expect(after.closes).to.deep.equal([1000]);
    expect(after.messages).to.deep.equal([]);
  });
});
