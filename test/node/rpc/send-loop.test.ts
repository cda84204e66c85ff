// The fan-out processes' native send loop (node/rpc/send-loop.ts, native/sockets): on real loopback TCP
// sockets, a turn's frames reach every reader in order through one native call; a reader that stops
// reading makes a send partial or refused (EAGAIN), the rest goes to the socket's libuv queue, later frames
// follow it there, and the reader still gets every byte in order once it reads again. The fan-out process
// with the loop (and without the addon) is in fanout.test.ts; its slow-consumer cut-off (4008), which counts
// the bytes the loop holds for a socket, in ws.test.ts and ws-move.test.ts.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import net from "node:net";
import { SendLoop, nativeSockets, sendBackend, socketFd } from "../../../node/rpc/send-loop.ts";
import { nowMs } from "../../../node/rpc/lag.ts";
import { until } from "./helpers.ts";

interface Pair {
  server: net.Socket;
  client: net.Socket;
  got: Buffer[];
  bytes: number;
}

/** `n` connected loopback pairs; each client keeps what it reads. */
async function pairs(n: number): Promise<{ list: Pair[]; close(): void }> {
  const accepted: net.Socket[] = [];
  const srv = net.createServer((s) => accepted.push(s));
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const port = (srv.address() as net.AddressInfo).port;
  const clients = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((ok) => {
    const c = net.connect(port, "127.0.0.1", () => ok(c));
  })));
  await until(() => accepted.length === n);
  // accept order is not connect order: match by port
  const byPort = new Map(accepted.map((s) => [s.remotePort!, s]));
  const list = clients.map((client): Pair => {
    const p: Pair = { server: byPort.get(client.localPort!)!, client, got: [], bytes: 0 };
    client.on("data", (d: Buffer) => {
      p.got.push(d);
      p.bytes += d.length;
    });
    return p;
  });
  return { list, close: () => {
    for (const p of list) {
      p.client.destroy();
      p.server.destroy();
    }
    srv.close();
  } };
}

/** A frame of `size` bytes: its seq in the first 4, then the seq's low byte. */
function frame(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size, seq & 255);
  b.writeUInt32BE(seq, 0);
  return b;
}

const turn = (): Promise<void> => new Promise((ok) => setImmediate(ok));

describe("rpc: native send loop (native/sockets)", function () {
  before(function () {
    // The install builds the addon wherever the build tools are (scripts/build-native.cjs).
    if (process.env.ROLLBOOK_SKIP_NATIVE === "1") this.skip();
    expect(sendBackend).to.equal("native");
  });

  it("writes each turn's frames to every socket in one native call, in order", async () => {
    const { list, close } = await pairs(100); // more than the 64 slots a loop starts with
    const loop = new SendLoop(nativeSockets!);
    const expected = list.map(() => [] as Buffer[]);
    for (let seq = 0; seq < 120; seq++) {
      const shared = frame(seq, 300);
      list.forEach((p, i) => {
        loop.write(p.server, shared, nowMs());
        expected[i].push(shared);
        if (seq % 7 === i % 7) {
          // another frame to this socket in the same turn (its own): both go in one sendmsg, in order
          const own = frame(100_000 + seq, 40 + i);
          loop.write(p.server, own);
          expected[i].push(own);
        }
      });
      // nothing went through libuv: the frames wait for the turn's native call, counted as the socket's
      // unsent bytes (what the slow-consumer bound reads, ws-conn.ts bufferedAmount)
      expect(list.every((p) => p.server.writableLength === 0)).to.equal(true);
      list.forEach((p, i) => expect(loop.held(p.server)).to.equal(300 + (seq % 7 === i % 7 ? 40 + i : 0)));
      await turn();
    }
    await until(() => list.every((p, i) => p.bytes === Buffer.concat(expected[i]).length));
    list.forEach((p, i) => expect(Buffer.concat(p.got).equals(Buffer.concat(expected[i]))).to.equal(true));
    expect(loop.short).to.equal(0);
    expect(loop.writes).to.equal(100 * 120);
    expect(loop.lag.count).to.equal(100 * 120);
    expect(loop.lag.quantile(1)).to.be.lessThan(5000);
    close();
  });

  it("a reader that stops reading: the rest of a partial or refused send and everything after it go through libuv, in order", async () => {
    const { list, close } = await pairs(2);
    const [stuck, live] = list;
    const loop = new SendLoop(nativeSockets!);
    stuck.client.pause();
    const sent: Buffer[] = [];
    let seq = 0;
    // 64 KB frames until the kernel's buffers are full and a send comes back short
    while (loop.short === 0 && seq < 4000) {
      const f = frame(seq++, 65536);
      loop.write(stuck.server, f);
      loop.write(live.server, f);
      sent.push(f);
      await turn();
    }
    expect(loop.short).to.equal(1);
    expect(stuck.server.writableLength).to.be.greaterThan(0);
    // from now on its frames queue behind the rest in libuv (synchronously: not held for the native call)
    for (let i = 0; i < 20; i++) {
      const f = frame(seq++, 65536);
      const before = stuck.server.writableLength;
      loop.write(stuck.server, f);
      expect(stuck.server.writableLength).to.equal(before + f.length);
      loop.write(live.server, f);
      sent.push(f);
      await turn();
    }
    const all = Buffer.concat(sent);
    await until(() => live.bytes === all.length);
    stuck.client.resume();
    await until(() => stuck.bytes === all.length);
    expect(Buffer.concat(stuck.got).equals(all)).to.equal(true);
    expect(Buffer.concat(live.got).equals(all)).to.equal(true);
    // drained: the socket is back on the native path
    await until(() => stuck.server.writableLength === 0);
    const more = frame(seq, 100);
    loop.write(stuck.server, more);
    expect(stuck.server.writableLength).to.equal(0);
    await until(() => stuck.bytes === all.length + more.length);
    expect(loop.short).to.equal(1);
    close();
  });

  it("a socket destroyed before the turn's call is skipped; one ended after a write gets that write before its FIN", async () => {
    const { list, close } = await pairs(3);
    const [gone, ending, other] = list;
    const loop = new SendLoop(nativeSockets!);
    const f = frame(1, 500);
    for (const p of list) loop.write(p.server, f);
    gone.server.destroy();
    expect(socketFd(gone.server)).to.equal(-1);
    loop.spill(ending.server); // what WsConn does before end()
    ending.server.end();
    const ended = new Promise<void>((ok) => ending.client.once("end", ok));
    await ended;
    expect(Buffer.concat(ending.got).equals(f)).to.equal(true);
    await until(() => other.bytes === f.length);
    expect(gone.bytes).to.equal(0);
    close();
  });

  it("without the addon (SEND_BACKEND=js) the fan-out processes write through libuv", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e",
      "const m = await import('./node/rpc/send-loop.ts'); console.log(m.sendBackend, m.fanoutWriter().constructor.name);"],
      { env: { ...process.env, SEND_BACKEND: "js" }, encoding: "utf8" });
    expect(out.trim()).to.equal("js TurnCorker");
  });
});
