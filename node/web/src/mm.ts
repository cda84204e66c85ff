// The market maker view (docs/web.md "Market maker"): reads GET /mm/status of the node's admin listener
// with the admin bearer token (typed in, kept in sessionStorage only), every 2 s; kill (with a reason) and
// reset through POST /mm/kill and /mm/reset. The admin listener answers the page's origin with CORS
// (mm.webOrigin). The shape is docs/market-maker.md "Admin routes" (node/mm's runtime status); every field
// beyond MakerStatus is optional here and numbers not known yet are null, so an older or newer listener
// still renders. No token, a refused token, an unreachable listener and a node without the market maker
// role are each their own error state.

import type { MakerStatus, MarketStatus } from "../../mm/maker.ts";
import { Panel, errText, fill, fmt, h } from "./dom.ts";

type Nullable<T> = { [K in keyof T]: T[K] | null };
type MarketView = Nullable<Pick<MarketStatus, "fair" | "sigma" | "referenceAgeS">> & Omit<MarketStatus, "fair" | "sigma" | "referenceAgeS"> & {
  quotesVsReference?: { fair: number | null; bestBid: number | null; bestAsk: number | null; bidDistance: number | null; askDistance: number | null };
  inFlight?: Record<string, number>;
};
type Status = Omit<MakerStatus, "markets"> & {
  markets: MarketView[];
  state?: string;
  waitingFor?: string[];
  account?: string;
  agent?: string;
  killError?: string;
  limits?: Record<string, number>;
  references?: { name: string; source: string; events: number; lastMs: number }[];
};
const num = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? "—" : v.toFixed(digits));
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
  private readonly history = new Map<number, { fair: number | null; bid: number | null; ask: number | null }[]>();
  private visible = false;
  private status: Status | null = null;
  /** Kept across redraws (the status reloads every 2 s): the reason being typed, the last action's answer. */
  private readonly reason = h("input", { name: "kill-reason", placeholder: "reason", value: "manual from the web page" });
  private readonly out = h("div.result", { "data-testid": "mm-action" });

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
    if (res.status === 401) return this.failAll("admin token refused: type the node's admin token");
    if (res.status === 403) return this.failAll("the node has no admin token configured: its admin routes are disabled");
    if (res.status === 404) return this.failAll("market maker role not running on this node");
    if (!res.ok) return this.failAll(`admin listener answered ${res.status}`);
    try {
      this.status = (await res.json()) as Status;
    } catch {
      return this.failAll("admin listener sent something that is not JSON");
    }
    this.draw(this.status);
  }

  private async post(path: string, body: unknown): Promise<void> {
    const out = this.out;
    try {
      const r = await this.call("POST", path, body);
      if (r.ok) fill(out, `${path}: done`);
      else {
        const e = (await r.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
        fill(out, h("span.err", {}, r.status === 401 ? "admin token refused" : `${path}: ${r.status} ${e?.error?.code ?? ""} ${e?.error?.message ?? ""}`));
      }
    } catch (e) {
      fill(out, errText(e));
    }
    await this.load();
  }

  private draw(s: Status): void {
    const last = s.kills.at(-1);
    fill(this.kill.body,
      h("div.killstate", { "data-killed": s.killed }, s.killed ? "KILLED: quotes pulled" : s.state === undefined || s.state === "running" ? "running: quoting" : s.state),
      s.waitingFor !== undefined && s.waitingFor.length > 0 ? h("div.meta", {}, `waiting for: ${s.waitingFor.join("; ")}`) : null,
      s.account !== undefined ? h("div.meta", {}, `account ${s.account}${s.agent !== undefined ? ` · agent ${s.agent}` : ""}`) : null,
      s.killError ? h("div.err", {}, `kill cancel-all: ${s.killError}`) : null,
      last !== undefined ? h("div.meta", {}, `last kill: ${String(last.reason)} · ${last.detail} · ${new Date(last.atMs).toLocaleTimeString("en-GB")} · cancel-all ${s.killCancel}`) : null,
      s.kills.length > 1 ? h("ul.kills", {}, ...s.kills.slice(-5).reverse().map((k) => h("li", {}, `${String(k.reason)}: ${k.detail}`))) : null,
      h("div.row-actions", {}, this.reason,
        h("button.danger", { "data-testid": "mm-kill", onclick: () => void this.post("/mm/kill", { reason: this.reason.value }) }, "Kill"),
        h("button", { "data-testid": "mm-reset", onclick: () => void this.post("/mm/reset", {}) }, "Reset")),
      this.out);
    this.kill.ok();

    fill(this.pnl.body, h("div.meta", {}, `total P&L ${num(s.pnl, 2)}`), h("table", {},
      h("tr", {}, ...["market", "inventory", "spread", "adverse", "carry", "fees", "total", "drawdown"].map((t) => h("th", {}, t))),
      ...s.markets.map((m) => h("tr", {}, h("td", {}, m.market), h("td", {}, fmt(m.inventory)), ...[m.pnl.spread, m.pnl.adverse, m.pnl.carry, m.pnl.fees, m.pnl.total, m.pnl.drawdown].map((v) => h("td", {}, num(v, 2)))))));
    this.pnl.ok();

    fill(this.risk.body,
      s.limits === undefined || s.limits === null ? h("div.empty", {}, "limits: not sent by this admin listener") : h("dl.kv", {}, ...Object.entries(s.limits).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, fmt(v))])),
      h("table", {}, h("tr", {}, ...["market", "horizon", "buy markout", "sell markout"].map((t) => h("th", {}, t))),
        ...s.markets.flatMap((m) => m.adverseSelection.map((a) => h("tr", {}, h("td", {}, m.market), h("td", {}, `${a.horizonS}s`), h("td", {}, num(a.buy, 2)), h("td", {}, num(a.sell, 2)))))));
    this.risk.ok();

    fill(this.markets.body, ...s.markets.map((m) => this.marketCard(m)));
    this.markets.ok();
  }

  private marketCard(m: MarketView): HTMLElement {
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
        ...([["market", m.market], ["model", m.model], ["anchor", m.anchor], ["regime", m.regime], ["fair", num(m.fair)], ["sigma", m.sigma === null ? "—" : m.sigma.toExponential(2)],
          ["best quotes", `${bid ?? "—"} / ${ask ?? "—"}`],
          ...(m.quotesVsReference !== undefined ? [["distance to fair", `bid ${num(m.quotesVsReference.bidDistance)} · ask ${num(m.quotesVsReference.askDistance)}`]] : []),
          ["levels", `${m.quotes.bids.length} bids · ${m.quotes.asks.length} asks`], ["open orders", m.openOrders],
          ...(m.inFlight !== undefined ? [["in flight", Object.entries(m.inFlight).map(([k, v]) => `${k} ${v}`).join(" · ")]] : []),
          ["reference age", `${num(m.referenceAgeS)} s`], ["pulled", m.pulled || "no"]] as [string, string | number][])
          .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
      canvas);
  }
}

/** Fair value (grey) against the best quoted bid (green) and ask (red) over the last polls. */
function drawSpark(c: HTMLCanvasElement, hist: { fair: number | null; bid: number | null; ask: number | null }[]): void {
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
