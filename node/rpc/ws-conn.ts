// The server side of RFC 6455 on a raw TCP socket (docs/api.md "Fan-out processes"), shared by the RPC
// thread and the fan-out processes: the upgrade answer (section 4.2.2), a reader of the client's masked
// frames (5.2-5.5: fragments, ping, pong, close; a message over `maxPayload` closes with 1009, a text
// message that is not UTF-8 with 1007, a protocol violation with 1002), unmasked text frames out, and the
// close handshake. No extension is negotiated (no permessage-deflate), so a shared message's prebuilt frame
// (ws-frame.ts) can be written to any connection as it is.
//
// A connection can move between processes while it is open: `detach()` stops reading the socket (the bytes
// still in the kernel stay there) and returns what the reader holds and has not delivered (an incomplete
// frame, the fragments of an unfinished message); the socket's handle goes to the other process
// (`child.send(msg, socket)`), which builds a WsConn over it from that state and reads on.

import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { type TurnCorker, serverFrame } from "./ws-frame.ts";

const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The 101 answer to a WebSocket upgrade request, or why it is refused (HTTP 400). */
export function upgradeAnswer(req: IncomingMessage): Buffer | { refused: string } {
  const key = req.headers["sec-websocket-key"];
  if (req.method !== "GET") return { refused: "the upgrade must be a GET" };
  if (req.headers.upgrade?.toLowerCase() !== "websocket") return { refused: "Upgrade: websocket expected" };
  if (req.headers["sec-websocket-version"] !== "13") return { refused: "Sec-WebSocket-Version: 13 expected" };
  if (typeof key !== "string" || !KEY.test(key)) return { refused: "bad Sec-WebSocket-Key" };
  const accept = createHash("sha1").update(key + ACCEPT_GUID).digest("base64");
  return Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}

/** Refuses an upgrade with HTTP 400 and closes the socket. */
export function refuseUpgrade(socket: Socket, why: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
  socket.destroy();
}

/** What a reader holds and has not delivered: bytes of an incomplete frame, fragments of a message. */
export interface ReaderState {
  carry: Uint8Array;
  /** Opcode of the unfinished fragmented message (0: none) and its payload so far. */
  fragOpcode: number;
  fragments: Uint8Array;
}


/** Close codes of the reader's refusals (RFC 6455 7.4.1). */
export const WsClose = { NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL: 1002, NOT_UTF8: 1007, TOO_BIG: 1009 } as const;

export interface FrameEvents {
  /** A complete data message (text or binary), unmasked. */
  message(data: Buffer): void;
  ping(data: Buffer): void;
  /** The client's close frame. */
  close(code: number, reason: string): void;
  /** The client broke the protocol or a limit: close with `code`. */
  fail(code: number, reason: string): void;
}

/**
 * Parses the client's frames from the bytes read. Stops at the first failure (everything after it is
 * ignored). Unmasks in place: the chunks must be the reader's to modify.
 */
export class FrameReader {
  private carry: Buffer | null;
  /** Chunks read after `carry` while the frame it starts is still incomplete, their bytes, and the frame's. */
  private more: Buffer[] = [];
  private moreBytes = 0;
  private need = 0;
  private fragOpcode: number;
  private fragments: Buffer[];
  private fragBytes: number;
  private failed = false;
  private readonly maxPayload: number;
  private readonly on: FrameEvents;

  constructor(maxPayload: number, on: FrameEvents, state?: ReaderState) {
    this.maxPayload = maxPayload;
    this.on = on;
    this.carry = state === undefined || state.carry.length === 0 ? null : Buffer.from(state.carry);
    this.fragOpcode = state?.fragOpcode ?? 0;
    this.fragments = state === undefined || state.fragOpcode === 0 ? [] : [Buffer.from(state.fragments)];
    this.fragBytes = this.fragments[0]?.length ?? 0;
  }

  /** What has been read and not delivered (for a move to another process). */
  state(): ReaderState {
    this.join();
    return { carry: this.carry ?? Buffer.alloc(0), fragOpcode: this.fragOpcode, fragments: this.fragOpcode === 0 ? Buffer.alloc(0) : Buffer.concat(this.fragments) };
  }

  private fail(code: number, reason: string): void {
    this.failed = true;
    this.carry = null;
    this.on.fail(code, reason);
  }

  /** Puts the chunks held back into `carry`. */
  private join(): void {
    if (this.more.length === 0) return;
    this.carry = Buffer.concat([this.carry!, ...this.more]);
    this.more = [];
    this.moreBytes = 0;
  }

  feed(chunk: Buffer): void {
    if (this.failed) return;
    if (this.carry !== null && this.carry.length + this.moreBytes + chunk.length < this.need) {
      // A large frame arriving in many reads: copied once when complete, not once per read.
      this.more.push(chunk);
      this.moreBytes += chunk.length;
      return;
    }
    this.join();
    let buf = this.carry === null ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = null;
    this.need = 0;
    let o = 0;
    while (!this.failed) {
      const left = buf.length - o;
      if (left < 2) break;
      const b0 = buf[o];
      const b1 = buf[o + 1];
      let len = b1 & 127;
      let h = 2;
      if (len === 126) {
        if (left < 4) break;
        len = buf.readUInt16BE(o + 2);
        h = 4;
      } else if (len === 127) {
        if (left < 10) break;
        const hi = buf.readUInt32BE(o + 2);
        if (hi > 0x1fffff) return this.fail(WsClose.TOO_BIG, "frame too large");
        len = hi * 2 ** 32 + buf.readUInt32BE(o + 6);
        h = 10;
      }
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 15;
      if ((b0 & 0x70) !== 0) return this.fail(WsClose.PROTOCOL, "reserved bits set");
      if ((b1 & 0x80) === 0) return this.fail(WsClose.PROTOCOL, "client frames must be masked");
      const control = opcode >= 8;
      if (control && (len > 125 || !fin)) return this.fail(WsClose.PROTOCOL, "bad control frame");
      if (!control && (opcode > 2 || (opcode === 0) === (this.fragOpcode === 0))) return this.fail(WsClose.PROTOCOL, "bad opcode or fragment");
      if (!control && this.fragBytes + len > this.maxPayload) return this.fail(WsClose.TOO_BIG, "message too large");
      if (left < h + 4 + len) {
        this.need = h + 4 + len;
        break;
      }
      const mask = o + h;
      unmask(buf, mask, len);
      const p = buf.subarray(mask + 4, mask + 4 + len);
      o = mask + 4 + len;
      if (control) {
        if (opcode === 8) {
          if (len === 1) return this.fail(WsClose.PROTOCOL, "bad close frame");
          const code = len >= 2 ? p.readUInt16BE(0) : 1005;
          this.failed = true; // nothing is read after a close
          this.on.close(code, p.subarray(2).toString("utf8"));
          return;
        }
        if (opcode === 9) this.on.ping(p);
        else if (opcode !== 10) return this.fail(WsClose.PROTOCOL, "unknown control opcode");
        continue;
      }
      let kind = opcode;
      let data = p;
      if (!fin || opcode === 0) {
        if (opcode !== 0) this.fragOpcode = opcode;
        this.fragments.push(Buffer.from(p));
        this.fragBytes += len;
        if (!fin) continue;
        kind = this.fragOpcode;
        data = Buffer.concat(this.fragments);
        this.fragOpcode = 0;
        this.fragments = [];
        this.fragBytes = 0;
      }
      if (kind === 1 && !isUtf8(data)) return this.fail(WsClose.NOT_UTF8, "text message is not UTF-8");
      this.on.message(data);
    }
    // A copy: the chunk may be a slice of a buffer the caller reuses.
    if (!this.failed && o < buf.length) this.carry = Buffer.from(buf.subarray(o));
  }
}

/** XORs the `len` payload bytes after the 4-byte key at `at` with the key, in place (four bytes per step). */
function unmask(buf: Buffer, at: number, len: number): void {
  const m0 = buf[at]!;
  const m1 = buf[at + 1]!;
  const m2 = buf[at + 2]!;
  const m3 = buf[at + 3]!;
  let i = at + 4;
  const end = i + len;
  for (const last = end - 3; i < last; i += 4) {
    buf[i] ^= m0;
    buf[i + 1] ^= m1;
    buf[i + 2] ^= m2;
    buf[i + 3] ^= m3;
  }
  if (i < end) buf[i++] ^= m0;
  if (i < end) buf[i++] ^= m1;
  if (i < end) buf[i] ^= m2;
}

function closeFrame(code: number, reason: string): Buffer {
  const p = Buffer.allocUnsafe(2 + Math.min(123, Buffer.byteLength(reason)));
  p.writeUInt16BE(code, 0);
  p.write(reason, 2, "utf8");
  return serverFrame(8, p);
}

const EMPTY = Buffer.alloc(0);

/** Stops reading a socket at the libuv level (what net.Socket.pause does for `onread` sockets). */
function stopReading(socket: Socket): void {
  const h = (socket as unknown as { _handle?: { reading: boolean; readStop(): number } | null })._handle;
  if (h?.reading === true) {
    h.reading = false;
    h.readStop();
  }
  socket.pause();
}

export interface WsConnOptions {
  maxPayload: number;
  /** Writes each socket's frames of one event-loop turn with one system call (ws-frame.ts TurnCorker, send-loop.ts SendLoop). */
  corker: TurnCorker;
  /** ms a closing connection waits for the client's close frame before the socket is destroyed. */
  closeGraceMs?: number;
}

/**
 * An open WebSocket on a raw TCP socket (after the upgrade). Reads with FrameReader: data messages go to
 * `onMessage`, pings are answered, a close is answered and ends the socket. `onClose` is told once when the
 * socket is closed (not after `detach`).
 */
export class WsConn {
  readonly socket: Socket;
  onMessage: (data: Buffer) => void = () => {};
  onClose: () => void = () => {};
  private readonly reader: FrameReader;
  private readonly corker: TurnCorker;
  private readonly closeGraceMs: number;
  /** A close frame was sent: nothing else is written. */
  private closing = false;
  private closed = false;
  private detached = false;
  private readonly onData = (chunk: Buffer): void => this.reader.feed(chunk);
  private readonly onSocketClose = (): void => {
    if (this.closed || this.detached) return;
    this.closed = true;
    this.onClose();
  };

  constructor(socket: Socket, o: WsConnOptions, state?: ReaderState) {
    this.socket = socket;
    this.corker = o.corker;
    this.closeGraceMs = o.closeGraceMs ?? 5000;
    this.reader = new FrameReader(o.maxPayload, {
      message: (data) => this.onMessage(data),
      ping: (data) => this.write(serverFrame(10, data)),
      close: (code) => {
        // Echo the code (1005 means none was given: answer with an empty close) and end the socket.
        if (!this.closing) this.write(code === 1005 ? serverFrame(8, EMPTY) : closeFrame(code >= 1000 && code < 5000 ? code : WsClose.PROTOCOL, ""));
        this.closing = true;
        this.corker.spill(this.socket); // the close frame before the FIN
        this.socket.end();
      },
      fail: (code, reason) => this.close(code, reason),
    }, state);
    socket.setNoDelay(true);
    socket.setTimeout(0); // no HTTP idle timeout on an open WebSocket
    socket.on("close", this.onSocketClose);
    socket.on("error", () => socket.destroy());
  }

  /** Starts reading: first `head` (bytes read with the upgrade request) if any, then the socket. */
  start(head?: Buffer): void {
    if (head !== undefined && head.length > 0) this.reader.feed(Buffer.from(head));
    this.socket.on("data", this.onData);
    this.socket.resume();
  }

  /** Open: neither closing nor closed. */
  get open(): boolean {
    return !this.closing && !this.closed && !this.socket.destroyed;
  }

  /** Bytes written and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength + this.corker.held(this.socket);
  }

  private write(frame: Buffer, stamp = NaN): void {
    if (this.socket.destroyed || this.detached) return;
    this.corker.write(this.socket, frame, stamp);
  }

  /** A text message. */
  send(data: Buffer | string): void {
    if (this.open) this.write(serverFrame(1, data));
  }

  /** A prebuilt frame (ws-frame.ts SharedMessage.frame; `stamp`: its tick's, for the corker's lag). */
  sendFrame(frame: Buffer, stamp = NaN): void {
    if (this.open) this.write(frame, stamp);
  }

  /** Sends a close frame; the socket is destroyed when the client answers or after the grace period. */
  close(code: number, reason: string): void {
    if (!this.open) return;
    this.write(closeFrame(code, reason));
    this.closing = true;
    setTimeout(() => this.socket.destroy(), this.closeGraceMs).unref();
  }

  terminate(): void {
    this.socket.destroy();
  }

  /**
   * Stops reading and calls `ready` with what the reader holds once everything written so far has reached
   * the kernel: the socket can then be handed to another process. `onClose` is no longer called.
   */
  detach(ready: (state: ReaderState) => void): void {
    stopReading(this.socket);
    this.corker.spill(this.socket);
    this.socket.off("data", this.onData);
    const done = (): void => {
      if (this.socket.destroyed) return; // reported closed as usual
      this.detached = true;
      this.socket.off("close", this.onSocketClose);
      ready(this.reader.state());
    };
    // Never before the current read is handled (detach may be called from a message of it): the rest of
    // that read is delivered here or kept in the reader's state.
    if (this.socket.writableLength === 0) process.nextTick(done);
    else {
      while (this.socket.writableCorked > 0) this.socket.uncork();
      // Called after every earlier write completed; with an error if the socket died first (then it is
      // reported closed as usual).
      this.socket.write(EMPTY, (err) => {
        if (err === null || err === undefined) done();
      });
    }
  }
}
