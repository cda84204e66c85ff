// The account's side of the trade view: open orders (cancel, amend), fills and balances, each with its
// confirmation level, refreshed over HTTP whenever the public feeds say something moved (a trade, a batch
// sealed or changing level) and after every own transaction; and the funds panel (deposit and claim on
// L1 through the injected wallet, withdraw on L2). The account feeds (orders, fills, txs) need an rb_auth
// signature by the account itself, which an agent key cannot give, so the page does not use them: a
// wallet would prompt on every reconnect (docs/web.md "Live account data").

import type { Address, Hex } from "viem";
import type { Balances, FillInfo, MarketInfo, OrderInfo } from "../../../client/client.ts";
import { claimWithdrawal, depositToVault, type WithdrawalClaim } from "../../../client/l1.ts";
import { RollbookRpcError } from "../../../client/transport.ts";
import { RpcErrors } from "../../../rpc/errors.ts";
import { Panel, errText, fill, fmt, h, levelTag, short } from "../dom.ts";
import type { Live } from "../live.ts";
import type { Identity } from "../signer.ts";

/** Why a claim stopped before any L1 transaction; `code` is shown as the error's data-code. */
class ClaimError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export class AccountPanels {
  readonly orders = new Panel("orders", "Open orders");
  readonly fills = new Panel("fills", "Fills");
  readonly balances = new Panel("balances", "Balances");
  readonly funds = new Panel("funds", "Deposit · withdraw · claim");
  private id: Identity | null = null;
  private market: MarketInfo | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private again = false;
  private readonly live: Live;
  /** Contract addresses from rb_rollupStatus (the Vault for deposits and claims). */
  contracts: Record<string, string> = {};

  constructor(live: Live) {
    this.live = live;
    for (const p of [this.orders, this.fills, this.balances]) p.loading("connect a wallet or pick a devnet account");
    live.onState((s) => {
      if (s === "down") for (const p of [this.orders, this.fills, this.balances]) if (this.id !== null) p.stale();
      if (s === "open") this.refresh();
    });
    setInterval(() => this.refresh(), 5000);
    this.drawFunds();
  }

  set(id: Identity | null, market: MarketInfo | null): void {
    this.id = id;
    this.market = market;
    this.drawFunds();
    this.refresh(0);
  }

  /** Schedules a reload (coalesced: at most one in flight, one queued). */
  refresh(delayMs = 150): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, delayMs);
  }

  private async load(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    const id = this.id;
    const m = this.market;
    if (id === null || m === null) return;
    this.running = true;
    try {
      const [orders, fills, bal] = await Promise.all([
        this.live.client.getOpenOrders(id.address, m.market), this.live.client.getFills(id.address, 50), this.live.client.getBalances(id.address),
      ]);
      if (id !== this.id) return;
      this.drawOrders(orders);
      this.drawFills(fills);
      this.drawBalances(bal);
    } catch (e) {
      for (const p of [this.orders, this.fills, this.balances]) p.error(`node unreachable: ${errText(e)}`);
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.refresh(0);
      }
    }
  }

  private async act(what: () => Promise<unknown>, errEl: HTMLElement): Promise<void> {
    errEl.textContent = "";
    delete errEl.dataset.code;
    try {
      await what();
    } catch (e) {
      errEl.textContent = errText(e);
      if (e instanceof ClaimError) errEl.dataset.code = e.code;
    }
    this.refresh(0);
  }

  private drawOrders(orders: OrderInfo[]): void {
    const id = this.id!;
    const errEl = h("div.err");
    const row = (o: OrderInfo): HTMLElement => {
      const tr = h("tr", { "data-order": o.orderId });
      const view = (): void => fill(tr,
        h("td", {}, o.orderId), h("td", { "data-side": o.side === 0 ? "bid" : "ask" }, o.side === 0 ? "buy" : "sell"), h("td", {}, fmt(o.price)),
        h("td", {}, `${fmt(o.remaining)} / ${fmt(o.size)}`), h("td", {}, o.clientId || ""), h("td", {}, levelTag(o.level)),
        h("td.actions", {},
          h("button.amend", { onclick: () => edit() }, "amend"),
          h("button.cancel", { onclick: () => void this.act(() => id.trader.cancelOrder(o.market, o.orderId), errEl) }, "cancel")));
      const edit = (): void => {
        const price = h("input", { name: "amend-price", value: o.price, size: 8 });
        const size = h("input", { name: "amend-size", value: o.remaining, size: 6 });
        fill(tr, h("td", {}, o.orderId), h("td", {}, o.side === 0 ? "buy" : "sell"), h("td", {}, price), h("td", {}, size), h("td"), h("td"),
          h("td.actions", {},
            h("button.ok", { onclick: () => void this.act(() => id.trader.amendOrder(o.market, o.orderId, Number(price.value), Number(size.value)), errEl) }, "ok"),
            h("button", { onclick: view }, "×")));
      };
      view();
      return tr;
    };
    const cancelAll = h("button", { onclick: () => void this.act(() => id.trader.cancelAll(this.market!.market), errEl) }, "cancel all");
    fill(this.orders.body,
      orders.length === 0 ? h("div.empty", {}, "no open orders") : h("table", {}, h("tr", {}, ...["id", "side", "price", "left / size", "client id", "level", ""].map((t) => h("th", {}, t))), ...orders.map(row)),
      orders.length > 0 ? cancelAll : null, errEl);
    this.orders.ok();
  }

  private drawFills(fills: FillInfo[]): void {
    const me = this.id!.address.toLowerCase();
    fill(this.fills.body, fills.length === 0 ? h("div.empty", {}, "no fills yet") : h("table", {},
      h("tr", {}, ...["side", "price", "size", "fee", "batch", "level"].map((t) => h("th", {}, t))),
      ...fills.map((f) => {
        const taker = f.taker.toLowerCase() === me;
        const side = taker ? f.takerSide : 1 - f.takerSide;
        return h("tr", { "data-tx": f.txHash }, h("td", { "data-side": side === 0 ? "bid" : "ask" }, `${side === 0 ? "buy" : "sell"} (${taker ? "taker" : "maker"})`),
          h("td", {}, fmt(f.price)), h("td", {}, fmt(f.size)), h("td", {}, fmt(taker ? f.takerFee : f.makerFee)), h("td", {}, f.batchIndex), h("td", {}, levelTag(f.level)));
      })));
    this.fills.ok();
  }

  private drawBalances(b: Balances): void {
    fill(this.balances.body, h("div.meta", {}, `${short(b.account)} · nonce ${b.nonce} · as of batch ${b.batchIndex} `, levelTag(b.level)),
      h("table", {}, h("tr", {}, ...["asset", "available", "locked"].map((t) => h("th", {}, t))),
        ...b.balances.map((x) => h("tr", { "data-asset": x.asset }, h("td", {}, x.asset), h("td", {}, fmt(x.available)), h("td", {}, fmt(x.locked))))));
    this.balances.ok();
  }

  /**
   * The claim's leaf and proof: from the node (rb_getWithdrawalProof, by withdrawal id or Withdraw tx hash)
   * when it serves proofs, else from the pasted JSON.
   */
  private async claimArgs(id: string, pasted: string): Promise<WithdrawalClaim> {
    if (pasted !== "") return JSON.parse(pasted) as WithdrawalClaim;
    if (id === "") throw new Error("give the withdrawal id (or its tx hash), or paste its proof");
    try {
      const p = await this.live.client.request<{ withdrawalId: number; recipient: Address; asset: number; amount: number; withdrawalRoot: Hex; proof: Hex[] }>(
        "rb_getWithdrawalProof", [/^0x/.test(id) ? id : Number(id)]);
      return { withdrawalId: p.withdrawalId, recipient: p.recipient, assetId: p.asset, amount: p.amount, withdrawalRoot: p.withdrawalRoot, proof: p.proof };
    } catch (e) {
      if (!(e instanceof RollbookRpcError)) throw e;
      if (e.code === RpcErrors.METHOD_NOT_FOUND.code || e.code === RpcErrors.PROOF_UNAVAILABLE.code) {
        throw new ClaimError("PROOF_UNAVAILABLE", `this node keeps no withdrawal proofs (${e.message}): nothing was sent to L1; paste the proof JSON from a node that serves them`);
      }
      if (e.code === RpcErrors.NOT_FINALIZED.code) throw new ClaimError("NOT_FINALIZED", `not claimable yet: the withdrawal's batch is not finalized on L1 (${e.message})`);
      if (e.code === RpcErrors.NOT_FOUND.code) throw new ClaimError("NOT_FOUND", `no such withdrawal on this node (${e.message})`);
      throw e;
    }
  }

  /** Follows a withdrawal's transaction until its batch is proven (claimable), at most 15 minutes. */
  private async follow(txHash: string, el: HTMLElement): Promise<void> {
    for (let i = 0; i < 450 && el.isConnected; i++) {
      const tx = await this.live.client.getTx(txHash).catch(() => null);
      if (tx !== null) {
        fill(el, `batch ${tx.batchIndex} `, levelTag(tx.level), tx.level === "proven" ? " · finalized on L1: claim it" : " · claimable once proven");
        el.dataset.level = tx.level ?? "";
        if (tx.level === "proven") return;
      }
      await new Promise((res) => setTimeout(res, 2000));
    }
  }

  private drawFunds(): void {
    const id = this.id;
    if (id === null) {
      fill(this.funds.body, h("div.empty", {}, "connect a wallet or pick a devnet account"));
      this.funds.ok();
      return;
    }
    const assets = this.market === null ? [] : [this.market.baseAsset, this.market.quoteAsset];
    const out = h("div.result");
    const errEl = h("div.err");
    const field = (name: string, label: string, value = "") => h("label", {}, h("span", {}, label), h("input", { name, value, autocomplete: "off" }));
    const assetSel = (name: string) => h("label", {}, h("span", {}, "asset"), h("select", { name }, ...assets.map((a) => h("option", { value: a }, String(a)))));
    const val = (f: HTMLElement, n: string) => (f.querySelector(`[name=${n}]`) as HTMLInputElement).value;
    const vault = this.contracts.vault ?? this.contracts.Vault ?? "";

    const withdraw = h("form.mini", { onsubmit: (e: Event) => {
      e.preventDefault();
      void this.act(async () => {
        // the owner and the agent key share the account's nonce: the owner asks the node for it
        id.owner.resetNonce();
        const r = await id.owner.withdraw(Number(val(withdraw, "w-asset")), Number(val(withdraw, "w-amount")));
        id.trader.resetNonce();
        const progress = h("span", { "data-testid": "withdrawal-level" });
        fill(out, `withdrawal ${r.withdrawalId} ${r.status} `, progress);
        const cid = this.funds.body.querySelector<HTMLInputElement>("input[name=c-id]");
        if (cid !== null) cid.value = String(r.withdrawalId);
        void this.follow(r.txHash, progress);
      }, errEl);
    } }, h("b", {}, "Withdraw (L2)"), assetSel("w-asset"), field("w-amount", "amount (L2 units)"), h("button", { type: "submit" }, "withdraw"));

    const l1Note = id.l1 === null ? h("div.empty", {}, "deposit and claim are L1 transactions: connect an injected wallet") : null;
    const deposit = h("form.mini", { onsubmit: (e: Event) => {
      e.preventDefault();
      const l1 = id.l1;
      if (l1 === null) return;
      void this.act(async () => {
        fill(out, "approve and deposit in your wallet...");
        const r = await depositToVault(l1.wallet, l1.public, { vault: val(deposit, "d-vault") as Address, assetId: Number(val(deposit, "d-asset")), amount: BigInt(val(deposit, "d-amount")) });
        fill(out, `deposit queued on L1 as message ${r.messageIndex}: waiting for the node to credit it...`);
        for (let i = 0; i < 120; i++) {
          const d = await this.live.client.getDeposit(r.messageIndex).catch(() => null);
          if (d !== null && d.state !== "queued") {
            fill(out, `deposit ${r.messageIndex} ${d.state} in batch ${d.batchIndex} `, levelTag(d.level));
            return;
          }
          await new Promise((res) => setTimeout(res, 2000));
        }
      }, errEl);
    } }, h("b", {}, "Deposit (L1)"), field("d-vault", "Vault", vault), assetSel("d-asset"), field("d-amount", "amount (token units)"), h("button", { type: "submit", disabled: id.l1 === null }, "deposit"));

    const claim = h("form.mini", { onsubmit: (e: Event) => {
      e.preventDefault();
      const l1 = id.l1;
      if (l1 === null) return;
      void this.act(async () => {
        const c = await this.claimArgs(val(claim, "c-id").trim(), val(claim, "c-proof").trim());
        fill(out, `claiming withdrawal ${c.withdrawalId}: confirm in your wallet...`);
        const tx = await claimWithdrawal(l1.wallet, l1.public, val(claim, "c-vault") as Address, c);
        fill(out, `claimed withdrawal ${c.withdrawalId} in L1 tx ${short(tx)}`);
      }, errEl);
    } }, h("b", {}, "Claim (L1)"), field("c-vault", "Vault", vault), field("c-id", "withdrawal id or tx hash"),
      h("label", {}, h("span", {}, "or proof JSON"), h("textarea", { name: "c-proof", rows: 2, placeholder: "{withdrawalId, recipient, assetId, amount, withdrawalRoot, proof}" })),
      h("button", { type: "submit", disabled: id.l1 === null }, "claim"));
    fill(this.funds.body, withdraw, l1Note, deposit, claim, out, errEl);
    this.funds.ok();
  }
}
