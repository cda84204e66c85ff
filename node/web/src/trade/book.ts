// Order book ladder with cumulative depth, depth chart and trade tape, all from the public feeds: the book
// is node/client's LocalBook (snapshot, seq-checked deltas, one-call resync on a gap); the tape starts from
// rb_getTrades and follows the `trades` feed. A reconnect re-subscribes, which starts again from a snapshot.

import { type BookLevel, LocalBook, type BookMessage, type Trade } from "../../../client/client.ts";
import { Panel, errText, fill, fmt, h, levelTag } from "../dom.ts";
import type { Live } from "../live.ts";

const ROWS = 12;

export class BookPanel {
  readonly panel = new Panel("book", "Order book");
  readonly depthPanel = new Panel("depth", "Depth");
  private readonly asksEl = h("div.ladder.asks");
  private readonly bidsEl = h("div.ladder.bids");
  private readonly spreadEl = h("div.spread");
  private readonly canvas = h("canvas.depth");
  private book: LocalBook | null = null;
  private stop: () => void = () => {};
  /** Book messages applied (the tests read it). */
  updates = 0;
  private drawPending = false;
  private readonly live: Live;
  private readonly onPick: (price: number) => void;

  constructor(live: Live, onPick: (price: number) => void) {
    this.live = live;
    this.onPick = onPick;
    this.panel.body.append(h("div.ladder-head", {}, h("span", {}, "price"), h("span", {}, "size"), h("span", {}, "total")), this.asksEl, this.spreadEl, this.bidsEl);
    this.depthPanel.body.append(this.canvas);
    live.onState((s) => {
      if (s === "down") {
        this.panel.stale();
        this.depthPanel.stale();
      }
    });
    new ResizeObserver(() => this.drawDepth()).observe(this.canvas);
  }

  best(): { bid: number | null; ask: number | null } {
    const b = this.book;
    return { bid: b?.levels("bids")[0]?.price ?? null, ask: b?.levels("asks")[0]?.price ?? null };
  }

  show(market: number): void {
    this.stop();
    this.panel.loading();
    this.depthPanel.loading();
    const book = new LocalBook(market, () => this.live.client.getBook(market, 1000));
    this.book = book;
    this.stop = this.live.subscribe("book", { market, depth: 1000 }, (m) => {
      void book.apply(m as BookMessage).then(
        (changed) => {
          if (!changed || this.book !== book) return;
          this.updates++;
          this.panel.ok();
          this.depthPanel.ok();
          // one redraw per frame however fast deltas arrive
          if (this.drawPending) return;
          this.drawPending = true;
          requestAnimationFrame(() => {
            this.drawPending = false;
            if (this.book === book) this.draw();
          });
        },
        (e: unknown) => this.panel.error(`book resync failed: ${errText(e)}`),
      );
    });
  }

  private rows(levels: BookLevel[], side: "bid" | "ask", max: number): HTMLElement[] {
    let cum = 0;
    return levels.map((l) => {
      cum += l.size;
      const pct = max === 0 ? 0 : (100 * cum) / max;
      return h("div.row", { "data-price": l.price, "data-side": side, onclick: () => this.onPick(l.price), style: `--depth:${pct.toFixed(1)}%` },
        h("span.px", {}, fmt(l.price)), h("span", {}, fmt(l.size)), h("span", {}, fmt(cum)));
    });
  }

  private draw(): void {
    const b = this.book!;
    const bids = b.levels("bids").slice(0, ROWS);
    const asks = b.levels("asks").slice(0, ROWS);
    const sum = (l: BookLevel[]) => l.reduce((s, x) => s + x.size, 0);
    const max = Math.max(sum(bids), sum(asks));
    fill(this.asksEl, ...this.rows(asks, "ask", max).reverse());
    fill(this.bidsEl, ...this.rows(bids, "bid", max));
    const bb = bids[0]?.price;
    const ba = asks[0]?.price;
    fill(this.spreadEl, bb !== undefined && ba !== undefined ? `spread ${fmt(ba - bb)} ticks · mid ${fmt((ba + bb) / 2)}` : "one side empty", h("span.seq", {}, ` seq ${b.seq}`));
    this.drawDepth();
  }

  private drawDepth(): void {
    const b = this.book;
    const c = this.canvas;
    const w = c.clientWidth;
    const ht = c.clientHeight;
    if (b === null || w === 0 || ht === 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = w * dpr;
    c.height = ht * dpr;
    const g = c.getContext("2d")!;
    g.scale(dpr, dpr);
    g.clearRect(0, 0, w, ht);
    const bids = b.levels("bids").slice(0, 60);
    const asks = b.levels("asks").slice(0, 60);
    if (bids.length === 0 && asks.length === 0) return;
    const lo = Math.min(...bids.map((l) => l.price), ...asks.map((l) => l.price));
    const hi = Math.max(...bids.map((l) => l.price), ...asks.map((l) => l.price));
    const cum = (ls: BookLevel[]) => {
      let s = 0;
      return ls.map((l) => [l.price, (s += l.size)] as const);
    };
    const cb = cum(bids);
    const ca = cum(asks);
    const top = Math.max(cb.at(-1)?.[1] ?? 0, ca.at(-1)?.[1] ?? 0) * 1.1;
    const x = (p: number) => (hi === lo ? w / 2 : 4 + ((p - lo) / (hi - lo)) * (w - 8));
    const y = (q: number) => ht - 14 - (q / top) * (ht - 20);
    const area = (pts: readonly (readonly [number, number])[], color: string) => {
      if (pts.length === 0) return;
      g.beginPath();
      g.moveTo(x(pts[0]![0]), y(0));
      let prev = 0;
      for (const [p, q] of pts) {
        g.lineTo(x(p), y(prev));
        g.lineTo(x(p), y(q));
        prev = q;
      }
      g.lineTo(x(pts.at(-1)![0]), y(0));
      g.closePath();
      g.fillStyle = color + "44";
      g.strokeStyle = color;
      g.fill();
      g.stroke();
    };
    area(cb, "#26a69a");
    area(ca, "#ef5350");
    g.fillStyle = "#9aa4b2";
    g.font = "11px system-ui, sans-serif";
    g.fillText(fmt(lo), 4, ht - 2);
    const t = fmt(hi);
    g.fillText(t, w - 4 - g.measureText(t).width, ht - 2);
  }
}

export class TapePanel {
  readonly panel = new Panel("tape", "Trades");
  private readonly list = h("div.tape");
  private trades: Trade[] = [];
  private market: number | null = null;
  private stop: () => void = () => {};
  private readonly live: Live;
  /** Called for every trades message (the account views refresh on it). */
  onTrades: () => void = () => {};

  constructor(live: Live) {
    this.live = live;
    this.panel.body.append(this.list);
    // stale while the node is away; back, the tape starts again from the node's recent trades
    live.onState((s) => (s === "down" ? this.panel.stale() : s === "open" && this.panel.state === "stale" && this.market !== null ? void this.show(this.market) : undefined));
  }

  async show(market: number): Promise<void> {
    this.market = market;
    this.stop();
    this.panel.loading();
    this.trades = [];
    this.stop = this.live.subscribe("trades", { market }, (m) => {
      const msg = m as { type: string; trades: Trade[]; batchIndex?: number };
      // A rollback (docs/api.md "Rollbacks"): the trades of later batches are void.
      if (msg.type === "rollback") this.trades = this.trades.filter((t) => t.batchIndex <= msg.batchIndex!);
      else this.trades = [...msg.trades].reverse().concat(this.trades).slice(0, 60);
      this.draw();
      this.panel.ok();
      this.onTrades();
    });
    try {
      const t = await this.live.client.getTrades(market, 60);
      this.trades = this.trades.concat(t.reverse()).slice(0, 60);
      this.draw();
      this.panel.ok();
    } catch (e) {
      this.panel.error(`trades: ${errText(e)}`);
    }
  }

  private draw(): void {
    fill(this.list, ...this.trades.map((t) =>
      h("div.row", { "data-side": t.takerSide === 0 ? "bid" : "ask" },
        h("span.px", {}, fmt(t.price)), h("span", {}, fmt(t.size)), h("span.t", {}, new Date(t.timestamp * 1000).toLocaleTimeString("en-GB")), levelTag(t.level))));
  }
}
