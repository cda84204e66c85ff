// RPC server options and limits (docs/api.md "Limits"), with defaults. node/config.ts carries the same
// keys under `rpc.` for the node; tests and the bench pass them directly.

export interface RpcLimits {
  /** Largest HTTP body or WebSocket message, bytes. */
  maxBodyBytes: number;
  /** Most requests in one JSON-RPC batch. */
  maxBatch: number;
  /** Open HTTP connections plus WebSockets. */
  maxConnections: number;
  /** Requests per second per connection (HTTP: per client address), with a burst of `connBurst`. */
  connRate: number;
  connBurst: number;
  /** Transactions per second per trading account, with a burst of `accountBurst`. */
  accountRate: number;
  accountBurst: number;
  /** Subscriptions per WebSocket. */
  maxSubscriptions: number;
  /** A WebSocket whose unsent data exceeds this is cut (close code 4008) instead of buffering more. */
  maxBufferedBytes: number;
  /** After the 4008 close, a consumer that still does not read is dropped after this many ms. */
  slowConsumerGraceMs: number;
}

export interface RpcOptions {
  /** The L2's own chain id (eth_chainId, net_version); the EIP-712 domain keeps the L1 chain id. */
  l2ChainId: number;
  limits: RpcLimits;
  /**
   * Book, trade and candle updates are coalesced per tick and serialized once; ticks are at least this many
   * ms apart (feeds.ts: a change after a quiet spell goes out at once).
   */
  tickMs: number;
  /** The longest tick spacing, ms: many subscribers lengthen the tick from `tickMs` up to this (feeds.ts). */
  maxTickMs: number;
  /**
   * WebSocket connections are owned by this many fan-out child processes (fanout.ts), which write the
   * subscription messages; 0: by the RPC thread itself.
   */
  fanoutProcs: number;
  /**
   * The fan-out processes' nice value (os.setPriority at their start; below 0 needs CAP_SYS_NICE, refused: a
   * warning and 0). Absent: 0 (docs/api.md "Fan-out processes").
   */
  fanoutNice?: number;
  /** Directory of the built web page (node/web/dist): served at GET / and /assets/*. Absent: no page. */
  webPage?: string;
  /** Devnet only: the funded accounts rb_devnetAccounts lists (keys included). Absent: not a devnet. */
  devnetAccounts?: DevnetAccount[];
  /** L1 contract addresses (name -> address) reported by rb_rollupStatus, e.g. the deployment's. */
  l1Contracts?: Record<string, string>;
  /**
   * The L1 queue indexes of the deposits an L1 transaction made (the Vault's Deposited events in its
   * receipt), for rb_getDepositsByTx when the view has not recorded that transaction's hash (a node that
   * learns deposits from derivation sees the messages, not the transactions); null: too many lookups in
   * flight. Absent: the view's records only.
   */
  depositIndexesOfL1Tx?: (l1TxHash: string) => Promise<number[] | null>;
}

/** A funded devnet account (its private key is public by design: anvil's well-known keys). */
export interface DevnetAccount {
  label: string;
  address: string;
  privateKey: string;
}

export const DEFAULT_LIMITS: RpcLimits = {
  maxBodyBytes: 1 << 20,
  maxBatch: 100,
  maxConnections: 2000,
  connRate: 2000,
  connBurst: 4000,
  accountRate: 1000,
  accountBurst: 2000,
  maxSubscriptions: 64,
  maxBufferedBytes: 8 << 20,
  slowConsumerGraceMs: 5000,
};

export const DEFAULT_RPC_OPTIONS: RpcOptions = { l2ChainId: 0x726f6c6c, limits: DEFAULT_LIMITS, tickMs: 10, maxTickMs: 25, fanoutProcs: 0 };

/** A token bucket: `rate` tokens per second up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;
  constructor(rate: number, burst: number, now = performance.now()) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }
  take(n = 1, now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** Token buckets by key, forgetting keys idle for a minute (bounded memory under many keys). */
export class KeyedBuckets {
  private readonly m = new Map<string, TokenBucket>();
  private sweptAt = performance.now();
  private readonly rate: number;
  private readonly burst: number;
  constructor(rate: number, burst: number) {
    this.rate = rate;
    this.burst = burst;
  }
  take(key: string, n = 1): boolean {
    const now = performance.now();
    if (now - this.sweptAt > 60_000) {
      this.m.clear();
      this.sweptAt = now;
    }
    let b = this.m.get(key);
    if (b === undefined) this.m.set(key, (b = new TokenBucket(this.rate, this.burst, now)));
    return b.take(n, now);
  }
}

/** RpcOptions from the node configuration's `rpc` section (node/config.ts). */
export function rpcOptionsFromConfig(rpc: {
  l2ChainId: number; maxBodyBytes: number; maxBatch: number; maxConnections: number; connRate: number; accountRate: number;
  maxSubscriptions: number; maxBufferedBytes: number; tickMs: number; maxTickMs: number; fanoutProcs: number; fanoutNice?: number;
}): RpcOptions {
  return {
    l2ChainId: rpc.l2ChainId,
    tickMs: rpc.tickMs,
    maxTickMs: rpc.maxTickMs,
    fanoutProcs: rpc.fanoutProcs,
    fanoutNice: rpc.fanoutNice ?? 0,
    limits: {
      ...DEFAULT_LIMITS,
      maxBodyBytes: rpc.maxBodyBytes, maxBatch: rpc.maxBatch, maxConnections: rpc.maxConnections,
      connRate: rpc.connRate, connBurst: 2 * rpc.connRate, accountRate: rpc.accountRate, accountBurst: 2 * rpc.accountRate,
      maxSubscriptions: rpc.maxSubscriptions, maxBufferedBytes: rpc.maxBufferedBytes,
    },
  };
}
