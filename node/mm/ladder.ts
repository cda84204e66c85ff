// The quote ladder: several levels per side at geometric depths around the reservation price, sizes from
// fill intensity times expected capture net of adverse selection, inventory skew of prices (through the
// reservation price) and sizes, tick and lot rounding. Always valid: bids strictly descending, asks
// strictly ascending, best bid < best ask, never at or through the other participants' touch (the
// orders are POST_ONLY). docs/market-maker.md "Ladder".

export interface LadderParams {
  /** Levels per side. */
  levels: number;
  /** Depth of level i = first depth * depthRatio^i (depthRatio >= 1). */
  depthRatio: number;
  /** Minimum distance between adjacent levels (ticks, >= 1). */
  minStepTicks: number;
  /** Lots quoted per side at zero inventory (before skew and limits). */
  sideSize: number;
  /** Largest order (lots). */
  maxLevelSize: number;
  /** Smallest order (lots): the market's minSize or more. */
  minSize: number;
  /** Fill intensity lambda(delta) = A e^{-k delta}: k in 1/tick (A cancels in the weights). */
  k: number;
  /** Inventory (lots) at which the side that adds to it quotes nothing. */
  maxPosition: number;
  /** Size skew strength in [0, 1]: bid sizes scale by 1 - skew*q/maxPosition, ask sizes by 1 + skew*q/maxPosition. */
  sizeSkew: number;
}

export interface LadderInput {
  /** Reservation price (ticks, float). */
  reservation: number;
  /** Depth of the first bid / ask below / above the reservation price (ticks, > 0). */
  bidDepth: number;
  askDepth: number;
  /** Our inventory (lots, signed). */
  inventory: number;
  /** Adverse selection (ticks) of bid fills / ask fills: subtracted from the capture in size weights. */
  adverseBid: number;
  adverseAsk: number;
  /** Quote nothing on this side (risk gate, burst). */
  pullBid: boolean;
  pullAsk: boolean;
  /** Best bid / ask of the other participants (-1: none). */
  otherBestBid: number;
  otherBestAsk: number;
}

export interface LadderLevel {
  price: number;
  size: number;
}

export interface Ladder {
  bids: LadderLevel[];
  asks: LadderLevel[];
}

/** Builds the ladder (integers at the boundary: prices in ticks, sizes in lots). */
export function buildLadder(p: LadderParams, x: LadderInput, out: Ladder = { bids: [], asks: [] }): Ladder {
  out.bids.length = 0;
  out.asks.length = 0;
  const q = x.inventory;
  const skew = p.maxPosition > 0 ? (p.sizeSkew * q) / p.maxPosition : 0;
  // side budgets: skewed, and never enough to push the inventory beyond the limit if all of it fills
  const bidBudget = x.pullBid ? 0 : Math.min(p.sideSize * clamp(1 - skew, 0, 2), Math.max(0, p.maxPosition - q));
  const askBudget = x.pullAsk ? 0 : Math.min(p.sideSize * clamp(1 + skew, 0, 2), Math.max(0, p.maxPosition + q));
  side(p, x, 1, bidBudget, out.bids);
  side(p, x, -1, askBudget, out.asks);
  return out;
}

const depths = new Float64Array(64);
const weights = new Float64Array(64);

function side(p: LadderParams, x: LadderInput, s: 1 | -1, budget: number, levels: LadderLevel[]): void {
  if (budget < p.minSize) return;
  const n = Math.min(p.levels, 64);
  const d0 = Math.max(s === 1 ? x.bidDepth : x.askDepth, 1e-9);
  const as = s === 1 ? x.adverseBid : x.adverseAsk;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const d = d0 * p.depthRatio ** i;
    depths[i] = d;
    // intensity x capture net of adverse selection; a floor keeps far levels alive when AS is large
    // relative to the first level's intensity (e^{-k d0} cancels; no underflow at large depths)
    const w = Math.exp(-p.k * (d - d0)) * Math.max(d - Math.max(0, as), 0.1 * d);
    weights[i] = w;
    wsum += w;
  }
  let prev = Number.NaN;
  let left = Math.floor(budget);
  for (let i = 0; i < n && left >= p.minSize; i++) {
    let price = s === 1 ? Math.floor(x.reservation - depths[i]!) : Math.ceil(x.reservation + depths[i]!);
    if (i === 0) {
      // post-only: never at or through the other participants' touch
      if (s === 1 && x.otherBestAsk > 0) price = Math.min(price, x.otherBestAsk - 1);
      if (s === -1 && x.otherBestBid > 0) price = Math.max(price, x.otherBestBid + 1);
    } else {
      price = s === 1 ? Math.min(price, prev - p.minStepTicks) : Math.max(price, prev + p.minStepTicks);
    }
    if (price < 1 || !Number.isSafeInteger(price)) break;
    let size = Math.floor((budget * weights[i]!) / wsum);
    size = Math.min(size, p.maxLevelSize, left);
    if (size < p.minSize) {
      if (i === 0 && left >= p.minSize) size = p.minSize;
      else continue;
    }
    levels.push({ price, size });
    left -= size;
    prev = price;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Checks the validity rules; returns null when valid, else what is wrong. */
export function ladderProblem(l: Ladder, minSize = 1): string | null {
  for (let i = 0; i < l.bids.length; i++) {
    const b = l.bids[i]!;
    if (!Number.isSafeInteger(b.price) || b.price < 1 || !Number.isSafeInteger(b.size) || b.size < minSize) return `bid ${i} not a valid order`;
    if (i > 0 && b.price >= l.bids[i - 1]!.price) return `bids not strictly descending at ${i}`;
  }
  for (let i = 0; i < l.asks.length; i++) {
    const a = l.asks[i]!;
    if (!Number.isSafeInteger(a.price) || a.price < 1 || !Number.isSafeInteger(a.size) || a.size < minSize) return `ask ${i} not a valid order`;
    if (i > 0 && a.price <= l.asks[i - 1]!.price) return `asks not strictly ascending at ${i}`;
  }
  if (l.bids.length > 0 && l.asks.length > 0 && l.bids[0]!.price >= l.asks[0]!.price) return "crossed";
  return null;
}
