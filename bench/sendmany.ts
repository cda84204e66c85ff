// `npm run bench -- sendmany [--sockets 1000] [--rounds 300] [--bytes 300]` (docs/benchmarks.md "fanout"):
// the CPU cost of writing one prebuilt WebSocket frame to many loopback TCP sockets, as the fan-out
// processes do each tick, three ways, rounds interleaved (one every 20 ms) so the machine's load falls on
// all three alike: `socket.write` per socket; cork, write, then uncork all (the fan-out processes' TurnCorker);
// and a throwaway N-API addon (bench/_sendmany.c, compiled here with cc) that send(2)s the frame to every
// socket's fd with MSG_DONTWAIT in one native call. Each figure is this thread's CPU time (user + system,
// the kernel's loopback transmit included) per socket write. The readers are another process.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, "sockets", 1000);
  const rounds = arg(args, "rounds", 300);
  const size = arg(args, "bytes", 300);
  const build = mkdtempSync(path.join(tmpdir(), "rollbook-sendmany-"));
  const addon = path.join(build, "sendmany.node");
  const include = path.join(path.dirname(process.execPath), "..", "include", "node");
  execFileSync("cc", ["-shared", "-fPIC", "-O2", "-DNODE_GYP_MODULE_NAME=sendmany", "-DNAPI_VERSION=8", `-I${include}`, path.join(dir, "_sendmany.c"), "-o", addon]);
  const { sendMany } = createRequire(import.meta.url)(addon) as { sendMany(fds: Int32Array, frame: Buffer, out: Int32Array): number };

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
  const out = new Int32Array(n);
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
      partial += n - sendMany(fds, frame, out);
    },
  };
  const names = Object.keys(modes);
  const us: Record<string, number> = Object.fromEntries(names.map((m) => [m, 0]));
  const writes: Record<string, number> = Object.fromEntries(names.map((m) => [m, 0]));
  for (let r = 0; r < rounds; r++) {
    const m = names[r % names.length];
    const t0 = cpu();
    modes[m]();
    us[m] += cpu() - t0;
    writes[m] += n;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  reader.stdin!.end();
  for (const s of socks) s.destroy();
  srv.close();
  rmSync(build, { recursive: true, force: true });
  const per = (m: string) => Number((us[m] / writes[m]).toFixed(2));
  for (const m of names) console.log(`${m}: ${per(m)} us CPU per socket write (${writes[m]} writes)`);
  console.log(`native send(2) loop vs socket.write: ${(per("write") / per("native")).toFixed(2)}x; vs cork/write/uncork: ${(per("cork") / per("native")).toFixed(2)}x; partial or refused native sends: ${partial}`);
  console.log(JSON.stringify({ bench: "sendmany", sockets: n, bytes: size, write_us: per("write"), cork_us: per("cork"), native_us: per("native"), native_vs_write: Number((per("write") / per("native")).toFixed(2)), native_vs_cork: Number((per("cork") / per("native")).toFixed(2)), partial }));
}
