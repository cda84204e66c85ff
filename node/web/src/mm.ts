// The market maker view (docs/web.md "Market maker"): reads GET /mm/status of the node's admin listener
// with the admin bearer token (typed in, kept in sessionStorage only), every 2 s; kill (with a reason) and
// reset through POST /mm/kill and /mm/reset. The admin listener answers the page's origin with CORS. The
// shape is node/mm's MakerStatus (docs/market-maker.md); fields the listener does not send are shown as
// absent. No token, a refused token, an unreachable listener and a node without the market maker role are
// each their own error state.

import type { MakerStatus, MarketStatus } from "../../mm/maker.ts";
import { Panel, errText, fill, fmt, h } from "./dom.ts";

type Status = MakerStatus & { limits?: Record<string, number> };
const TOKEN = "rollbook.adminToken";
const URL_KEY = "rollbook.adminUrl";
const HISTORY = 120;

export class MmView {
  readonly el: HTMLElement;
  readonly kill = new Panel("mm-kill", "Kill switch");
  readonly markets = new Panel("mm-markets", "Quotes vs reference");
  readonly pnl = new Panel("mm-pnl", "Inventory & P&L attribution");
  readonly risk = new Panel("mm-risk", "Risk limits & markouts");
  private readonly urlIn: HTMLInputElement;
  private readonly tokenIn: HTMLInputElement;
  private readonly history = new Map<number, { fair: number; bid: number | null; ask: number | null }[]>();
  private visible = false;
  private status: Status | null = null;

  constructor(defaultAdminUrl: string) {
    this.urlIn = h("input", { name: "admin-url", value: sessionStorage.getItem(URL_KEY) ?? defaultAdminUrl, size: 28 });
    this.tokenIn = h("input", { name: "admin-token", type: "password", value: sessionStorage.getItem(TOKEN) ?? "", placeholder: "admin token", size: 20 });
    const save = h("button", { onclick: () => {
      sessionStorage.setItem(URL_KEY, this.urlIn.value.trim());
      sessionStorage.setItem(TOKEN, this.tokenIn.value.trim());
      void this.load();
    } }, "Connect");
    this.el = h("div.view.mm", { id: "view-mm" },
      h("div.bar", {}, h("label", {}, "admin listener ", this.urlIn), h("label", {}, "token ", this.tokenIn), save),
      h("div.grid.mm-grid", {}, this.kill.el, this.pnl.el, this.risk.el, h("div.wide", {}, this.markets.el)));
    setInterval(() => this.visible && void this.load(), 2000);
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) void this.load();
  }

  private panels(): Panel[] {
    return [this.kill, this.markets, this.pnl, this.risk];
  }

  private async call(method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
    const token = sessionStorage.getItem(TOKEN) ?? this.tokenIn.value.trim();
    const base = (sessionStorage.getItem(URL_KEY) ?? this.urlIn.value).trim().replace(/\/$/, "");
    return fetch(base + path, {
      method,
      headers: { ...(token === "" ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private failAll(msg: string): void {
    for (const p of this.panels()) p.error(msg);
  }

  async load(): Promise<void> {
    let res: Response;
    try {
      res = await this.call("GET", "/mm/status");
    } catch (e) {
      this.failAll(`admin listener unreachable (${errText(e)}): is the node running with its admin listener, and this page's origin allowed?`);
      return;
    }
    if (res.status === 401 || res.status === 403) return this.failAll("admin token refused: type the node's admin token");
    if (res.status === 404) return this.failAll("market maker role not running on this node");
    if (!res.ok) return this.failAll(`admin listener answered ${res.status}`);
    try {
      this.status = (await res.json()) as Status;
    } catch {
      return this.failAll("admin listener sent something that is not JSON");
    }
    this.draw(this.status);
  }

  private async post(path: string, body: unknown, out: HTMLElement): Promise<void> {
    try {
      const r = await this.call("POST", path, body);
      fill(out, r.ok ? `${path}: done` : r.status === 401 || r.status === 403 ? "admin token refused" : `${path}: ${r.status}`);
    } catch (e) {
      fill(out, errText(e));
    }
    await this.load();
  }

  private draw(s: Status): void {
    const out = h("div.result", { "data-testid": "mm-action" });
    const reason = h("input", { name: "kill-reason", placeholder: "reason", value: "manual from the web page" });
    const last = s.kills.at(-1);
    fill(this.kill.body,
      h("div.killstate", { "data-killed": s.killed }, s.killed ? "KILLED: quotes pulled" : "running: quoting"),
      last !== undefined ? h("div.meta", {}, `last kill: ${String(last.reason)} · ${last.detail} · ${new Date(last.atMs).toLocaleTimeString("en-GB")} · cancel-all ${s.killCancel}`) : null,
      s.kills.length > 1 ? h("ul.kills", {}, ...s.kills.slice(-5).reverse().map((k) => h("li", {}, `${String(k.reason)}: ${k.detail}`))) : null,
      h("div.row-actions", {}, reason,
        h("button.danger", { "data-testid": "mm-kill", onclick: () => void this.post("/mm/kill", { reason: reason.value }, out) }, "Kill"),
        h("button", { "data-testid": "mm-reset", onclick: () => void this.post("/mm/reset", {}, out) }, "Reset")),
      out);
    this.kill.ok();

    fill(this.pnl.body, h("div.meta", {}, `total P&L ${s.pnl.toFixed(2)}`), h("table", {},
      h("tr", {}, ...["market", "inventory", "spread", "adverse", "carry", "fees", "total", "drawdown"].map((t) => h("th", {}, t))),
      ...s.markets.map((m) => h("tr", {}, h("td", {}, m.market), h("td", {}, fmt(m.inventory)), ...[m.pnl.spread, m.pnl.adverse, m.pnl.carry, m.pnl.fees, m.pnl.total, m.pnl.drawdown].map((v) => h("td", {}, v.toFixed(2)))))));
    this.pnl.ok();

    fill(this.risk.body,
      s.limits === undefined ? h("div.empty", {}, "limits: not sent by this admin listener") : h("dl.kv", {}, ...Object.entries(s.limits).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, fmt(v))])),
      h("table", {}, h("tr", {}, ...["market", "horizon", "buy markout", "sell markout"].map((t) => h("th", {}, t))),
        ...s.markets.flatMap((m) => m.adverseSelection.map((a) => h("tr", {}, h("td", {}, m.market), h("td", {}, `${a.horizonS}s`), h("td", {}, a.buy.toFixed(2)), h("td", {}, a.sell.toFixed(2)))))));
    this.risk.ok();

    fill(this.markets.body, ...s.markets.map((m) => this.marketCard(m)));
    this.markets.ok();
  }

  private marketCard(m: MarketStatus): HTMLElement {
    const bid = m.quotes.bids[0]?.price ?? null;
    const ask = m.quotes.asks[0]?.price ?? null;
    const hist = this.history.get(m.market) ?? [];
    hist.push({ fair: m.fair, bid, ask });
    if (hist.length > HISTORY) hist.shift();
    this.history.set(m.market, hist);
    const canvas = h("canvas.spark", { width: 480, height: 90 });
    requestAnimationFrame(() => drawSpark(canvas, hist));
    return h("div.card", { "data-market": m.market },
      h("dl.kv", {},
        ...([["model", m.model], ["anchor", m.anchor], ["regime", m.regime], ["fair", m.fair.toFixed(1)], ["sigma", m.sigma.toExponential(2)], ["best quotes", `${bid ?? "—"} / ${ask ?? "—"}`],
          ["levels", `${m.quotes.bids.length} bids · ${m.quotes.asks.length} asks`], ["open orders", m.openOrders], ["reference age", `${m.referenceAgeS.toFixed(1)} s`], ["pulled", m.pulled || "no"]] as [string, string | number][])
          .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
      canvas);
  }
}

/** Fair value (grey) against the best quoted bid (green) and ask (red) over the last polls. */
function drawSpark(c: HTMLCanvasElement, hist: { fair: number; bid: number | null; ask: number | null }[]): void {
  const g = c.getContext("2d");
  if (g === null || hist.length < 2) return;
  const vals = hist.flatMap((p) => [p.fair, p.bid, p.ask]).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const x = (i: number) => 2 + (i / Math.max(1, hist.length - 1)) * (c.width - 4);
  const y = (v: number) => (hi === lo ? c.height / 2 : c.height - 4 - ((v - lo) / (hi - lo)) * (c.height - 8));
  g.clearRect(0, 0, c.width, c.height);
  for (const [key, color] of [["fair", "#9aa4b2"], ["bid", "#26a69a"], ["ask", "#ef5350"]] as const) {
    g.beginPath();
    g.strokeStyle = color;
    let started = false;
    hist.forEach((p, i) => {
      const v = p[key];
      if (v === null) return;
      if (started) g.lineTo(x(i), y(v));
      else g.moveTo(x(i), y(v));
      started = true;
    });
    g.stroke();
  }
}
