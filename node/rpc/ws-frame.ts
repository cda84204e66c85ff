// One WebSocket message for many subscribers (docs/api.md "Subscriptions"): the JSON bytes, and the complete
// unmasked RFC 6455 text frame (FIN, opcode 1, no extension bits: the server never negotiates
// permessage-deflate) built once on first use, so fanning a tick's delta out to N sockets is N writes of
// the same Buffer with no per-socket framing.

/** Bytes of the header of an unmasked frame with `n` payload bytes. */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes the header of an unmasked final text frame with `n` payload bytes at `at`; returns its length. */
function writeTextHeader(out: Buffer, at: number, n: number): number {
  out[at] = 0x81;
  if (n < 126) {
    out[at + 1] = n;
    return 2;
  }
  if (n < 65536) {
    out[at + 1] = 126;
    out.writeUInt16BE(n, at + 2);
    return 4;
  }
  out[at + 1] = 127;
  out.writeUInt32BE(Math.floor(n / 2 ** 32), at + 2);
  out.writeUInt32BE(n >>> 0, at + 6);
  return 10;
}

/** The frame of an unmasked final text message carrying `payload` (server to client, RFC 6455 5.2). */
export function textFrame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  payload.copy(out, writeTextHeader(out, 0, payload.length));
  return out;
}

/** The frames of several text messages back to back in one Buffer (one socket write for a turn's answers). */
export function textFrames(texts: readonly string[]): Buffer {
  let total = 0;
  for (const t of texts) {
    const n = Buffer.byteLength(t);
    total += headerLength(n) + n;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const t of texts) {
    const n = Buffer.byteLength(t);
    at += writeTextHeader(out, at, n);
    at += out.write(t, at);
  }
  return out;
}

/** A message sent to many subscribers: serialized once, framed once. */
export class SharedMessage {
  readonly payload: Buffer;
  private framed: Buffer | null = null;
  constructor(payload: Buffer) {
    this.payload = payload;
  }
  /** The complete WebSocket frame (built on first use). */
  get frame(): Buffer {
    return (this.framed ??= textFrame(this.payload));
  }
}
