// The wsrequests bench's client process: C raw WebSocket connections (masked frames on net sockets), each
// keeping `window` `net_version` requests in flight, until N answers in all. Prints "READY" when every
// connection is upgraded (then starts), and one JSON line at the end.
import { randomBytes } from "node:crypto";
import net from "node:net";

const [url, nArg, cArg, wArg] = process.argv.slice(2);
const n = Number(nArg);
const conns = Number(cArg);
const window = Number(wArg);
const { hostname, port } = new URL(url);

/** A masked client text frame (payload under 126 bytes). */
function frame(payload: string): Buffer {
  const mask = randomBytes(4);
  const b = Buffer.from(payload);
  for (let i = 0; i < b.length; i++) b[i] ^= mask[i & 3];
  return Buffer.concat([Buffer.from([0x81, 0x80 | b.length]), mask, b]);
}

const request = frame('{"jsonrpc":"2.0","id":1,"method":"net_version"}');
let answered = 0;
let sent = 0;
let ready = 0;
const sockets: net.Socket[] = [];
const send = (s: net.Socket, k: number): void => {
  const m = Math.min(k, n - sent);
  if (m <= 0) return;
  sent += m;
  s.write(Buffer.concat(Array<Buffer>(m).fill(request)));
};
for (let i = 0; i < conns; i++) {
  const s = net.connect(Number(port), hostname);
  sockets.push(s);
  let upgraded = false;
  let carry: Buffer = Buffer.alloc(0);
  s.on("connect", () => s.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  s.on("data", (d: Buffer) => {
    let b: Buffer = carry.length === 0 ? d : Buffer.concat([carry, d]);
    if (!upgraded) {
      const end = b.indexOf("\r\n\r\n");
      if (end < 0) return void (carry = b);
      upgraded = true;
      b = b.subarray(end + 4);
      if (++ready === conns) {
        console.log("READY");
        for (const x of sockets) send(x, window);
      }
    }
    let o = 0;
    let got = 0;
    while (b.length - o >= 2 && b.length - o >= 2 + (b[o + 1] & 127)) {
      o += 2 + (b[o + 1] & 127); // the answers are short unmasked frames
      got++;
    }
    carry = Buffer.from(b.subarray(o));
    answered += got;
    if (answered >= n) {
      console.log(JSON.stringify({ answered }));
      process.exit(0);
    }
    send(s, got);
  });
}
