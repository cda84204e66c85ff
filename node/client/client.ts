// The typed Rollbook client (docs/api.md "Client"): every API method as a typed call, transactions
// signed with any viem account (a LocalAccount, or a browser wallet through `walletSigner`), the nonce kept
// per account (resynchronized on a nonce error), and a local order book kept from the book feed with gap
// detection and one-call resync. Browser-safe: fetch, WebSocket and viem only.

import type { Account, Address, Hex, WalletClient } from "viem";
import type { Eip712Domain } from "../clob/types.ts";
import type {
  Balances, BatchInfo, BookLevel, Candle, DepositInfo, FillInfo, MarketInfo, OrderInfo, ProofInfo, SyncInfo, Trade, TxInfo,
  BalanceProof, ExitProof, FinalizedRange, OrderProof, RollupStatus, StateProofInfo, WithdrawalProof,
} from "../rpc/node-view.ts";
import { type PrimaryType, typedData, type UnsignedTx, type WireAction, type WireTx } from "../rpc/wire.ts";
import { HttpTransport, RollbookRpcError, type Subscription, type Transport, WsTransport } from "./transport.ts";

export type { Balances, BatchInfo, BookLevel, Candle, DepositInfo, FillInfo, MarketInfo, OrderInfo, ProofInfo, SyncInfo, Trade, TxInfo };
export type { BalanceProof, ExitProof, FinalizedRange, OrderProof, StateProofInfo, WithdrawalProof };

/** Which state a proof is against: "finalized" (default), "latest" sealed batch, a batch index or a state root. */
export type ProofAtParam = "finalized" | "latest" | number | Hex;

/** What signs: a viem LocalAccount satisfies it; `walletSigner` adapts a wallet client. */
export interface Signer {
  address: Address;
  signTypedData(td: ReturnType<typeof typedData>): Promise<`0x${string}`>;
  signMessage(args: { message: string }): Promise<`0x${string}`>;
}

/** A signer backed by a viem WalletClient (a browser wallet connected to L1). */
export function walletSigner(wallet: WalletClient, account: Account | Address = wallet.account!): Signer {
  const address = typeof account === "string" ? account : account.address;
  return {
    address,
    signTypedData: (td) => wallet.signTypedData({ account, ...td } as Parameters<WalletClient["signTypedData"]>[0]),
    signMessage: ({ message }) => wallet.signMessage({ account, message }),
  };
}

export interface BookSnapshotResult {
  market: number;
  batchIndex: number;
  seq: number;
  bids: BookLevel[];
  asks: BookLevel[];
}

export interface PlaceParams {
  market: number;
  side: 0 | 1 | "buy" | "sell";
  price: number;
  size: number;
  tif?: number;
  expiry?: number;
  clientId?: number;
  stp?: number;
}

/** A Bulk action: op 1 place, 2 cancel, 3 cancel by client id, 4 cancel all, 5 amend, with that op's fields. */
export type BulkActionParams = { op: 1 | 2 | 3 | 4 | 5; market: number; side?: PlaceParams["side"] } & Record<string, number | string | undefined>;

export interface ClientOptions {
  /** http(s)://host:port of the node's RPC. */
  url: string;
  /** ws(s)://host:port/ws; default derived from `url`. */
  wsUrl?: string;
  signer?: Signer;
  /** Trade for this account with `signer` as its agent key (approved with approveAgent). */
  account?: Address;
}

const SIDE = (s: PlaceParams["side"]): number => (s === "buy" ? 0 : s === "sell" ? 1 : s);

export class RollbookClient {
  readonly http: Transport;
  readonly wsUrl: string;
  readonly signer: Signer | undefined;
  /** The trading account when the signer is its agent key (default: the signer's own address). */
  readonly account: Address | undefined;
  private ws: WsTransport | null = null;
  private domainCache: Eip712Domain | null = null;
  private nextNonce: number | null = null;

  constructor(opts: ClientOptions) {
    this.http = new HttpTransport(opts.url);
    this.wsUrl = opts.wsUrl ?? opts.url.replace(/^http/, "ws").replace(/\/$/, "") + "/ws";
    this.signer = opts.signer;
    this.account = opts.account;
  }

  request<T>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    return this.http.request<T>(method, params);
  }

  /** The WebSocket transport (connected on first use). */
  async socket(): Promise<WsTransport> {
    this.ws ??= await WsTransport.connect(this.wsUrl);
    return this.ws;
  }

  close(): void {
    this.ws?.close();
    this.ws = null;
  }

  // ------------------------------------------------------------------------------------ signing

  async domain(): Promise<Eip712Domain> {
    if (this.domainCache === null) {
      const d = await this.request<{ chainId: number; verifyingContract: Address }>("rb_domain");
      this.domainCache = { chainId: d.chainId, verifyingContract: d.verifyingContract };
    }
    return this.domainCache;
  }

  private need(): Signer {
    if (this.signer === undefined) throw new Error("this client has no signer");
    return this.signer;
  }

  /** Signs an unsigned tx (the account and, if absent, the next nonce are filled in). */
  async sign(kind: PrimaryType, fields: Record<string, string | number>): Promise<WireTx> {
    const signer = this.need();
    const nonce = (fields.nonce as number | undefined) ?? (await this.takeNonce());
    const tx = { kind, ...fields, account: this.account ?? signer.address, nonce } as UnsignedTx;
    const signature = await signer.signTypedData(typedData(await this.domain(), tx));
    return { ...tx, signature } as WireTx;
  }

  private async takeNonce(): Promise<number> {
    if (this.nextNonce === null) this.nextNonce = await this.getNonce(this.account ?? this.need().address);
    return this.nextNonce++;
  }

  /** Forgets the local nonce (the next transaction asks the node). */
  resetNonce(): void {
    this.nextNonce = null;
  }

  /** Submits a signed tx; on a nonce error the local nonce is resynchronized and the error rethrown. */
  async send(tx: WireTx, method = "rb_sendTx"): Promise<TxInfo> {
    try {
      return await this.request<TxInfo>(method, [tx]);
    } catch (e) {
      if (e instanceof RollbookRpcError && (e.stfName === "NONCE_TOO_LOW" || e.stfName === "NONCE_TOO_HIGH" || e.data?.nonceConsumed === false)) this.resetNonce();
      throw e;
    }
  }

  async placeOrder(p: PlaceParams): Promise<TxInfo> {
    return this.send(await this.sign("Place", {
      market: p.market, side: SIDE(p.side), tif: p.tif ?? 0, price: p.price, size: p.size, expiry: p.expiry ?? 0, clientId: p.clientId ?? 0, stp: p.stp ?? 0,
    }), "rb_placeOrder");
  }
  async cancelOrder(market: number, orderId: number): Promise<TxInfo> {
    return this.send(await this.sign("Cancel", { market, orderId }), "rb_cancelOrder");
  }
  async cancelByClientId(market: number, clientId: number): Promise<TxInfo> {
    return this.send(await this.sign("CancelByClientId", { market, clientId }), "rb_cancelByClientId");
  }
  async cancelAll(market: number): Promise<TxInfo> {
    return this.send(await this.sign("CancelAll", { market }), "rb_cancelAll");
  }
  async amendOrder(market: number, orderId: number, price: number, size: number): Promise<TxInfo> {
    return this.send(await this.sign("Amend", { market, orderId, price, size }), "rb_amendOrder");
  }
  async withdraw(asset: number, amount: number, recipient: Address = this.need().address): Promise<TxInfo> {
    return this.send(await this.sign("Withdraw", { asset, amount, recipient }), "rb_withdraw");
  }
  /** Up to 64 actions under one signature; each gets its own receipt in `actions`. */
  async bulk(actions: BulkActionParams[]): Promise<TxInfo> {
    const wire: WireAction[] = actions.map((a) => ("side" in a && a.side !== undefined ? { ...a, side: SIDE(a.side) } : a) as WireAction);
    return this.send(await this.sign("Bulk", { actions: wire } as unknown as Record<string, string | number>), "rb_bulk");
  }
  async approveAgent(agent: Address, expiry: number): Promise<TxInfo> {
    return this.send(await this.sign("ApproveAgent", { agent, expiry }), "rb_approveAgent");
  }
  async revokeAgent(agent: Address): Promise<TxInfo> {
    return this.send(await this.sign("RevokeAgent", { agent }), "rb_revokeAgent");
  }

  // ------------------------------------------------------------------------------------ reads

  chainId = () => this.request<string>("eth_chainId");
  getNonce = (account: Address) => this.request<number>("rb_getNonce", [account]);
  getBalances = (account: Address) => this.request<Balances>("rb_getBalances", [account]);
  getMarkets = () => this.request<MarketInfo[]>("rb_getMarkets");
  getBook = (market: number, depth = 100) => this.request<BookSnapshotResult>("rb_getBook", [market, depth]);
  getOrder = (orderId: number) => this.request<OrderInfo>("rb_getOrder", [orderId]);
  getOpenOrders = (account: Address, market?: number) => this.request<OrderInfo[]>("rb_getOpenOrders", market === undefined ? [account] : [account, market]);
  getOrderHistory = (account: Address, limit = 100) => this.request<OrderInfo[]>("rb_getOrderHistory", [account, limit]);
  getFills = (account: Address, limit = 100) => this.request<FillInfo[]>("rb_getFills", [account, limit]);
  getTrades = (market: number, limit = 100) => this.request<Trade[]>("rb_getTrades", [market, limit]);
  getCandles = (market: number, interval: number, limit = 100) => this.request<Candle[]>("rb_getCandles", [market, interval, limit]);
  getTx = (txHash: string) => this.request<TxInfo>("rb_getTx", [txHash]);
  getBatch = (batchIndex?: number) => this.request<BatchInfo>("rb_getBatch", batchIndex === undefined ? [] : [batchIndex]);
  proofStatus = () => this.request<ProofInfo>("rb_proofStatus");
  syncStatus = () => this.request<SyncInfo>("rb_syncStatus");
  getDeposit = (queueIndex: number) => this.request<DepositInfo>("rb_getDeposit", [queueIndex]);
  getDepositsByTx = (l1TxHash: Hex) => this.request<DepositInfo[]>("rb_getDepositsByTx", [l1TxHash]);
  /** L1 and pipeline status, and the L1 addresses of the suite the node follows (`contracts`; null when it has none). */
  rollupStatus = () => this.request<RollupStatus & { contracts: Record<string, Address> | null }>("rb_rollupStatus");

  // ------------------------------------------------------------------------------------ proofs
  // Check them yourself: node/state/proofs.ts verifyBalanceProof / verifyOrderProof against a root you
  // trust (Settlement.lastStateRoot on L1); claims: l1.ts verifyWithdrawalClaim.

  getFinalized = () => this.request<FinalizedRange>("rb_getFinalized");
  getBalanceProof = (account: Address, asset: number, at: ProofAtParam = "finalized") => this.request<BalanceProof>("rb_getBalanceProof", [account, asset, at]);
  getOrderProof = (orderId: number, at: ProofAtParam = "finalized") => this.request<OrderProof>("rb_getOrderProof", [orderId, at]);
  /** The Vault.claim arguments of a withdrawal (by id or Withdraw tx hash); NOT_FINALIZED until its batch is. */
  getWithdrawalProof = (withdrawal: number | Hex) => this.request<WithdrawalProof>("rb_getWithdrawalProof", [withdrawal]);
  /** Desert mode: the Vault.exit arguments for the account's balance of `asset` at the last finalized root. */
  getExitProof = (account: Address, asset: number) => this.request<ExitProof>("rb_getExitProof", [account, asset]);

  // ------------------------------------------------------------------------------------ streams

  /** Authenticates the WebSocket as the signer's account (needed for orders, fills, txs). */
  async authenticate(): Promise<Address> {
    const ws = await this.socket();
    const message = await ws.request<string>("rb_challenge");
    const signature = await this.need().signMessage({ message });
    return ws.request<Address>("rb_auth", [this.need().address, signature]);
  }

  async subscribe(channel: string, params: Record<string, unknown>, onMessage: (m: unknown) => void): Promise<Subscription> {
    return (await this.socket()).subscribe(channel, params, onMessage);
  }

  /** A local book kept from the book feed; `onUpdate` after each snapshot or delta. */
  async watchBook(market: number, onUpdate: (b: LocalBook) => void = () => {}): Promise<LocalBook & Subscription> {
    const book = new LocalBook(market, () => this.getBook(market, 5000));
    const sub = await this.subscribe("book", { market }, (m) => void book.apply(m as BookMessage).then((changed) => changed && onUpdate(book)));
    return Object.assign(book, { id: sub.id, unsubscribe: sub.unsubscribe });
  }
}

export type BookMessage =
  | { type: "snapshot"; market: number; seq: number; bids: BookLevel[]; asks: BookLevel[] }
  | { type: "delta"; market: number; seq: number; changedAt: number; tickAt: number; bids: BookLevel[]; asks: BookLevel[] };

/** Price -> level per side, rebuilt from a snapshot and kept by deltas; a seq gap triggers one resync call. */
export class LocalBook {
  readonly market: number;
  seq = -1;
  readonly bids = new Map<number, BookLevel>();
  readonly asks = new Map<number, BookLevel>();
  /** Resyncs done after a gap. */
  resyncs = 0;
  private readonly fetchSnapshot: () => Promise<BookSnapshotResult>;
  private resyncing: Promise<void> | null = null;
  private buffered: BookMessage[] = [];

  constructor(market: number, fetchSnapshot: () => Promise<BookSnapshotResult>) {
    this.market = market;
    this.fetchSnapshot = fetchSnapshot;
  }

  private load(s: { seq: number; bids: BookLevel[]; asks: BookLevel[] }): void {
    this.bids.clear();
    this.asks.clear();
    for (const l of s.bids) this.bids.set(l.price, l);
    for (const l of s.asks) this.asks.set(l.price, l);
    this.seq = s.seq;
  }

  private patch(d: { bids: BookLevel[]; asks: BookLevel[]; seq: number }): void {
    for (const [side, levels] of [[this.bids, d.bids], [this.asks, d.asks]] as const) {
      for (const l of levels) {
        if (l.size === 0) side.delete(l.price);
        else side.set(l.price, l);
      }
    }
    this.seq = d.seq;
  }

  /** Applies one feed message; returns whether the book changed. A gap starts a resync. */
  async apply(m: BookMessage): Promise<boolean> {
    if (this.resyncing !== null) {
      this.buffered.push(m);
      return false;
    }
    if (m.type === "snapshot") {
      this.load(m);
      return true;
    }
    if (this.seq < 0 || m.seq <= this.seq) return false;
    if (m.seq === this.seq + 1) {
      this.patch(m);
      return true;
    }
    await this.resync([m]);
    return true;
  }

  /** Gap: fetch a snapshot (its seq says which deltas it includes) and replay the newer buffered deltas. */
  async resync(pending: BookMessage[] = []): Promise<void> {
    this.resyncs++;
    this.buffered = pending;
    this.resyncing = (async () => {
      const s = await this.fetchSnapshot();
      this.load(s);
    })();
    await this.resyncing;
    this.resyncing = null;
    const later = this.buffered.filter((d) => d.type === "delta" && d.seq > this.seq).sort((a, b) => a.seq - b.seq);
    this.buffered = [];
    for (const d of later) if (d.seq === this.seq + 1) this.patch(d);
  }

  /** Levels best first. */
  levels(side: "bids" | "asks"): BookLevel[] {
    const l = [...this[side].values()];
    return l.sort((a, b) => (side === "bids" ? b.price - a.price : a.price - b.price));
  }
}
