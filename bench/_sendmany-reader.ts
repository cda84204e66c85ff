// The sendmany bench's reader process: N loopback connections to the writer, each read into one static
// buffer (net `onread`) and discarded. Prints "OPEN" when all are connected; exits when stdin ends.
import net from "node:net";

const [port, n] = process.argv.slice(2).map(Number);
const buffer = Buffer.allocUnsafe(256 << 10);
let open = 0;
for (let i = 0; i < n; i++) {
  const s = net.connect({ port, host: "127.0.0.1", onread: { buffer, callback: () => true } });
  s.on("connect", () => {
    if (++open === n) console.log("OPEN");
  });
}
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
