// One WebSocket message for many subscribers (docs/api.md "Subscriptions"): the JSON bytes, and the complete
// unmasked RFC 6455 text frame (FIN, opcode 1, no extension bits: the server never negotiates
// permessage-deflate) built once on first use, so fanning a tick's delta out to N sockets is N writes of
// the same Buffer with no per-socket framing; and the per-turn corking of the sockets written.

/** The frame of an unmasked final text message carrying `payload` (server to client, RFC 6455 5.2). */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x81;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, head);
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

/** The TCP socket under a WebSocket (ws keeps it as `_socket`). */
export interface RawSocket {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Coalesces each connection's writes of one event-loop turn (acknowledgements, a tick's book, trades and
 * candle messages) into one socket write: the first write of a turn corks the TCP socket, and one
 * setImmediate uncorks every socket corked in that turn.
 */
export class TurnCorker {
  private readonly corked = new Set<RawSocket>();
  private scheduled = false;

  hold(raw: RawSocket): void {
    if (this.corked.has(raw)) return;
    raw.cork();
    this.corked.add(raw);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
  }

  private readonly release = (): void => {
    this.scheduled = false;
    for (const raw of this.corked) raw.uncork();
    this.corked.clear();
  };
}
