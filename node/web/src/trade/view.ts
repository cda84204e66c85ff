// The trade view: market selector and identity bar on top; chart, book + depth, tape, ticket, open orders,
// fills, balances and funds below (docs/web.md "Trade").

import type { MarketInfo } from "../../../client/client.ts";
import { errText, fill, h } from "../dom.ts";
import type { Live } from "../live.ts";
import { type Identity, connectWallet, devnetAccounts, devnetIdentity, type DevnetAccount } from "../signer.ts";
import { AccountPanels } from "./account.ts";
import { BookPanel, TapePanel } from "./book.ts";
import { ChartPanel } from "./chart.ts";
import { TicketPanel } from "./ticket.ts";

export class TradeView {
  readonly el: HTMLElement;
  readonly chart: ChartPanel;
  readonly book: BookPanel;
  readonly tape: TapePanel;
  readonly ticket: TicketPanel;
  readonly account: AccountPanels;
  identity: Identity | null = null;
  markets: MarketInfo[] = [];
  market: MarketInfo | null = null;
  private readonly marketSel = h("select", { name: "market", "aria-label": "market" });
  private readonly idBar = h("div.identity");
  private readonly live: Live;

  constructor(live: Live) {
    this.live = live;
    this.chart = new ChartPanel(live);
    this.book = new BookPanel(live, (p) => this.ticket.setPrice(p));
    this.tape = new TapePanel(live);
    this.account = new AccountPanels(live);
    this.ticket = new TicketPanel({
      identity: () => this.identity,
      market: () => this.market,
      best: () => this.book.best(),
      sent: () => this.account.refresh(0),
    });
    // the ticket and the funds forms hold no feed data: while the node is away they say so, and are live again with it
    live.onState((s) => {
      for (const p of [this.ticket.panel, this.account.funds]) {
        if (s === "down") p.stale("node unreachable: orders, withdrawals and deposit tracking wait until it is back");
        else if (s === "open" && p.state === "stale") p.ok();
      }
    });
    this.tape.onTrades = () => this.account.refresh();
    live.subscribe("batches", {}, () => this.account.refresh());
    this.marketSel.addEventListener("change", () => this.select(Number(this.marketSel.value)));
    this.el = h("div.view.trade", { id: "view-trade" },
      h("div.bar", {}, h("label", {}, "market ", this.marketSel), this.idBar),
      h("div.grid.trade-grid", {},
        h("div.area-chart", {}, this.chart.panel.el),
        h("div.area-book", {}, this.book.panel.el, this.book.depthPanel.el),
        h("div.area-tape", {}, this.tape.panel.el),
        h("div.area-ticket", {}, this.ticket.panel.el, this.account.balances.el),
        h("div.area-account", {}, this.account.orders.el, this.account.fills.el, this.account.funds.el)));
  }

  async start(): Promise<void> {
    void this.drawIdentity();
    await this.loadMarkets();
    void this.live.client.request<{ contracts: Record<string, string> | null }>("rb_rollupStatus").then((r) => {
      this.account.contracts = r.contracts ?? {};
      this.account.set(this.identity, this.market);
    }, () => {});
  }

  private async loadMarkets(): Promise<void> {
    for (;;) {
      try {
        this.markets = await this.live.client.getMarkets();
        break;
      } catch (e) {
        for (const p of [this.chart.panel, this.book.panel, this.tape.panel]) p.error(`node unreachable: ${errText(e)} (retrying)`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    fill(this.marketSel, ...this.markets.map((m) => h("option", { value: m.market }, `market ${m.market} (${m.baseAsset}/${m.quoteAsset})${m.status === "active" ? "" : " " + m.status}`)));
    if (this.markets.length === 0) {
      for (const p of [this.chart.panel, this.book.panel, this.tape.panel]) p.error("the node lists no markets yet");
      return;
    }
    this.select(this.markets[0]!.market);
  }

  select(market: number): void {
    this.market = this.markets.find((m) => m.market === market) ?? null;
    this.marketSel.value = String(market);
    void this.chart.show(market, 60);
    this.book.show(market);
    void this.tape.show(market);
    this.account.set(this.identity, this.market);
  }

  setIdentity(id: Identity | null): void {
    this.identity = id;
    this.account.set(id, this.market);
    void this.drawIdentity();
  }

  private async drawIdentity(): Promise<void> {
    const status = h("span.who", { "data-testid": "identity" });
    const accounts: DevnetAccount[] = await devnetAccounts(this.live.client);
    const id = this.identity;
    if (id !== null) fill(status, `${id.kind === "wallet" ? "wallet" : id.label} ${id.address}`, id.agent !== null ? ` · trading key ${id.agent.slice(0, 10)}…` : "");
    else fill(status, "not connected (read only)");
    const walletBtn = h("button", { "data-testid": "connect-wallet", onclick: () => {
      fill(status, "connecting...");
      connectWallet(this.live.url, (s) => fill(status, s)).then((i) => this.setIdentity(i), (e: unknown) => fill(status, h("span.err", {}, errText(e))));
    } }, "Connect wallet");
    const devSel = accounts.length === 0 ? null : h("select", { name: "devnet-account", "aria-label": "devnet account", onchange: (e: Event) => {
      const v = (e.target as HTMLSelectElement).value;
      const a = accounts.find((x) => x.address === v);
      this.setIdentity(a === undefined ? null : devnetIdentity(this.live.url, a));
    } }, h("option", { value: "" }, "devnet account…"), ...accounts.map((a) => h("option", { value: a.address, selected: id?.address.toLowerCase() === a.address.toLowerCase() }, `${a.label} ${a.address.slice(0, 8)}…`)));
    fill(this.idBar, status, walletBtn, devSel);
  }
}
