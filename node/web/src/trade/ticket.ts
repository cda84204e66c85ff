// The order ticket: limit or market (with protection), GTC / IOC / FOK / post-only, good-till-time,
// client id; validated (validate.ts) before the trading key signs; the soft receipt is shown at once.

import type { MarketInfo, TxInfo } from "../../../client/client.ts";
import { Panel, errText, fill, fmt, h, levelTag, short } from "../dom.ts";
import { RollbookRpcError } from "../../../client/transport.ts";
import { RpcErrors } from "../../../rpc/errors.ts";
import { type Identity, forgetAgent } from "../signer.ts";
import { type TicketInput, validateTicket } from "./validate.ts";

const BAD_SIGNATURE = RpcErrors.BAD_SIGNATURE.code;

export interface TicketDeps {
  identity(): Identity | null;
  market(): MarketInfo | null;
  best(): { bid: number | null; ask: number | null };
  /** After a transaction was answered (the account views refresh). */
  sent(r: TxInfo): void;
}

export class TicketPanel {
  readonly panel = new Panel("ticket", "Order");
  private readonly form: HTMLFormElement;
  private readonly result = h("div.result", { "data-testid": "ticket-result" });
  private side: "buy" | "sell" = "buy";
  private readonly deps: TicketDeps;

  constructor(deps: TicketDeps) {
    this.deps = deps;
    const input = (name: keyof TicketInput, label: string, attrs: Record<string, string> = {}) =>
      h("label", { "data-field": name }, h("span", {}, label), h("input", { name, autocomplete: "off", ...attrs }));
    const sideBtn = (s: "buy" | "sell") => h("button.side", { type: "button", "data-side": s, onclick: () => this.setSide(s) }, s);
    this.form = h("form.ticket", { onsubmit: (e: Event) => { e.preventDefault(); void this.submit(); } },
      h("div.sides", {}, sideBtn("buy"), sideBtn("sell")),
      h("label", {}, h("span", {}, "type"), h("select", { name: "type", onchange: () => this.sync() }, h("option", { value: "limit" }, "limit"), h("option", { value: "market" }, "market"))),
      h("label", { "data-field": "tif" }, h("span", {}, "time in force"), h("select", { name: "tif" }, ...["GTC", "IOC", "FOK", "POST_ONLY"].map((t) => h("option", { value: t }, t === "POST_ONLY" ? "post-only" : t)))),
      input("price", "price (ticks)", { inputmode: "numeric" }),
      input("size", "size (lots)", { inputmode: "numeric" }),
      input("protectionPct", "protection %", { value: "1", inputmode: "decimal" }),
      input("gttMinutes", "good-till (min)", { placeholder: "none", inputmode: "numeric" }),
      input("clientId", "client id", { placeholder: "none", inputmode: "numeric" }),
      h("div.err", { "data-testid": "ticket-error" }),
      h("button.submit", { type: "submit" }, "Place order"));
    this.panel.body.append(this.form, this.result);
    this.setSide("buy");
    this.sync();
    this.panel.ok();
  }

  private get(name: string): string {
    return (this.form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
  }

  setPrice(p: number): void {
    (this.form.elements.namedItem("price") as HTMLInputElement).value = String(p);
  }

  private setSide(s: "buy" | "sell"): void {
    this.side = s;
    this.form.dataset.side = s;
    for (const b of this.form.querySelectorAll<HTMLButtonElement>("button.side")) b.classList.toggle("on", b.dataset.side === s);
    this.form.querySelector<HTMLButtonElement>("button.submit")!.textContent = s === "buy" ? "Buy" : "Sell";
  }

  private sync(): void {
    const market = this.get("type") === "market";
    for (const f of ["price", "tif", "gttMinutes"]) this.form.querySelector<HTMLElement>(`[data-field=${f}]`)!.hidden = market;
    this.form.querySelector<HTMLElement>("[data-field=protectionPct]")!.hidden = !market;
  }

  private async submit(): Promise<void> {
    const errEl = this.form.querySelector<HTMLElement>(".err")!;
    for (const l of this.form.querySelectorAll("label")) l.classList.remove("bad");
    errEl.textContent = "";
    const id = this.deps.identity();
    const m = this.deps.market();
    if (id === null) return void (errEl.textContent = "connect a wallet or pick a devnet account first");
    if (m === null) return void (errEl.textContent = "no market");
    const inp: TicketInput = {
      side: this.side, type: this.get("type") as TicketInput["type"], tif: this.get("tif") as TicketInput["tif"], price: this.get("price"), size: this.get("size"),
      protectionPct: this.get("protectionPct"), gttMinutes: this.get("gttMinutes"), clientId: this.get("clientId"),
    };
    const v = validateTicket(inp, m, this.deps.best(), Math.floor(Date.now() / 1000));
    if (!v.ok) {
      this.form.querySelector(`[data-field=${v.field}]`)?.classList.add("bad");
      errEl.textContent = v.error;
      return;
    }
    fill(this.result, "signing and sending...");
    try {
      const r = await id.trader.placeOrder(v.order);
      this.showReceipt(r);
      this.deps.sent(r);
    } catch (e) {
      fill(this.result);
      errEl.textContent = errText(e);
      if (e instanceof RollbookRpcError && e.code === BAD_SIGNATURE && id.kind === "wallet") {
        // the node no longer accepts the stored agent key (revoked or expired): forget it
        forgetAgent(id.address, (await id.trader.domain()).chainId);
        errEl.textContent = "the trading key was refused (revoked or expired): connect the wallet again to approve a new one";
      }
    }
  }

  private showReceipt(r: TxInfo): void {
    const filled = r.fills.reduce((s, f) => s + f.size, 0);
    fill(this.result, h("div", {}, `order ${r.orderId} `, h("b", {}, r.status), ` · filled ${fmt(filled)} lots · tx ${short(r.txHash, 4)} `, levelTag(r.level)));
  }
}
