// `npm run bench -- sendmany [--sockets 1000] [--rounds 400] [--bytes 300]` (docs/benchmarks.md "fanout",
// "fan-out: native send loop"): the CPU cost of writing one prebuilt WebSocket frame to many loopback TCP
// sockets, as the fan-out processes do each tick, four ways, rounds interleaved (one every 20 ms) so the
// machine's load falls on all alike: `socket.write` per socket; cork, write, then uncork all (the
// TurnCorker, the fan-out processes' writer without the addon); one call into native/sockets that send(2)s
// the frame to every socket's fd with MSG_DONTWAIT; and the fan-out processes' writer with the addon
// (node/rpc/send-loop.ts SendLoop: that call plus the bookkeeping around it). Each figure is this thread's
// CPU time (user + system, the kernel's loopback transmit included) per socket write, from the first write
// to the end of the event-loop turn after it. The readers are another process.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SendLoop, nativeSockets } from "../node/rpc/send-loop.ts";

const dir = path.dirname(fileURLToPath(import.meta.url));

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, "sockets", 1000);
  const rounds = arg(args, "rounds", 400);
  const size = arg(args, "bytes", 300);
  if (nativeSockets === null) throw new Error("sendmany needs the native/sockets addon (npm install builds it; SEND_BACKEND=js turns it off)");
  const native = nativeSockets;

  const socks: net.Socket[] = [];
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    socks.push(s);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  const reader = spawn(process.execPath, [path.join(dir, "_sendmany-reader.ts"), String(port), String(n)], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise<void>((r) => reader.stdout!.on("data", (d) => String(d).includes("OPEN") && r()));
  while (socks.length < n) await new Promise((r) => setTimeout(r, 5));

  // A text frame of `size` bytes (16-bit length header).
  const frame = Buffer.alloc(size, 120);
  frame[0] = 0x81;
  frame[1] = 126;
  frame.writeUInt16BE(size - 4, 2);
  const fds = Int32Array.from(socks.map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd));
  const frames = [frame];
  const starts = Int32Array.from({ length: n + 1 }, (_, i) => i);
  const idx = new Int32Array(n); // every socket: frames[0]
  const out = new Int32Array(n);
  const doneAt = new Float64Array(n);
  const loop = new SendLoop(native);
  let partial = 0;
  const cpu = (): number => {
    const c = process.threadCpuUsage();
    return c.user + c.system;
  };
  const modes: Record<string, () => void> = {
    write: () => {
      for (const s of socks) s.write(frame);
    },
    cork: () => {
      for (const s of socks) {
        s.cork();
        s.write(frame);
      }
      for (const s of socks) s.uncork();
    },
    native: () => {
      partial += n - native.sendMany(fds, frames, starts, idx, out, doneAt);
    },
    loop: () => {
      for (const s of socks) loop.write(s, frame);
    },
  };
  const names = Object.keys(modes);
  const us: Record<string, number> = Object.fromEntries(names.map((m) => [m, 0]));
  const writes: Record<string, number> = Object.fromEntries(names.map((m) => [m, 0]));
  for (let r = 0; r < rounds; r++) {
    const m = names[r % names.length];
    const t0 = cpu();
    modes[m]();
    await new Promise((ok) => setImmediate(ok)); // the corker's uncorks, the send loop's call
    us[m] += cpu() - t0;
    writes[m] += n;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  reader.stdin!.end();
  for (const s of socks) s.destroy();
  srv.close();
  const per = (m: string) => Number((us[m] / writes[m]).toFixed(2));
  for (const m of names) console.log(`${m}: ${per(m)} us CPU per socket write (${writes[m]} writes)`);
  const x = (a: string, b: string): number => Number((per(a) / per(b)).toFixed(2));
  console.log(`native send(2) loop vs socket.write: ${x("write", "native")}x; vs cork/write/uncork: ${x("cork", "native")}x; SendLoop vs cork/write/uncork: ${x("cork", "loop")}x; partial or refused sends: ${partial + loop.short}`);
  console.log(JSON.stringify({ bench: "sendmany", sockets: n, bytes: size, write_us: per("write"), cork_us: per("cork"), native_us: per("native"), loop_us: per("loop"), native_vs_write: x("write", "native"), native_vs_cork: x("cork", "native"), loop_vs_cork: x("cork", "loop"), partial: partial + loop.short }));
}
