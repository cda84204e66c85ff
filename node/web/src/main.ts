// Entry of the web page (docs/web.md): three views behind tabs (#trade, #rollup, #mm), one live connection
// to the node that served the page, a connection indicator. `window.rollbook` exposes the views' state to
// the browser tests.

import "./styles.css";
import { h } from "./dom.ts";
import { Live } from "./live.ts";
import { MmView } from "./mm.ts";
import { RollupView } from "./rollup.ts";
import { TradeView } from "./trade/view.ts";

const url = location.origin;
const live = new Live(url);
const trade = new TradeView(live);
const rollup = new RollupView(live);
const adminPort = String(Number(location.port || "80") + 1);
const mm = new MmView(`${location.protocol}//${location.hostname}:${adminPort}`);

const VIEWS = { trade: trade.el, rollup: rollup.el, mm: mm.el } as const;
type ViewName = keyof typeof VIEWS;
const TITLES: Record<ViewName, string> = { trade: "Trade", rollup: "Rollup", mm: "Market maker" };

const conn = h("span.conn", { "data-testid": "conn", "data-state": "connecting" }, "connecting");
live.onState((s) => {
  conn.dataset.state = s;
  conn.textContent = s === "open" ? "live" : s === "down" ? "reconnecting" : "connecting";
});
const tabs = h("nav.tabs", {}, ...(Object.keys(VIEWS) as ViewName[]).map((v) => h("a", { href: `#${v}`, "data-view": v }, TITLES[v])));
document.body.append(h("header.top", {}, h("span.brand", {}, "Rollbook"), tabs, conn), h("main", {}, ...Object.values(VIEWS)));

function route(): void {
  const name = (location.hash.slice(1) || "trade") as ViewName;
  const view: ViewName = name in VIEWS ? name : "trade";
  for (const [k, el] of Object.entries(VIEWS)) el.hidden = k !== view;
  for (const a of tabs.querySelectorAll<HTMLElement>("a")) a.classList.toggle("on", a.dataset.view === view);
  rollup.show(view === "rollup");
  mm.show(view === "mm");
}
window.addEventListener("hashchange", route);
route();
live.start();
void trade.start();

declare global {
  interface Window {
    rollbook: { live: Live; trade: TradeView; rollup: RollupView; mm: MmView };
  }
}
window.rollbook = { live, trade, rollup, mm };
