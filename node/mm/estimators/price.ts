// Mid and micro-price of a top of book. docs/market-maker.md "Estimators / prices".

/** (bid + ask) / 2. */
export function midPrice(bid: number, ask: number): number {
  return (bid + ask) / 2;
}

/**
 * Size-weighted micro-price (the first-order micro-price of Stoikov 2018, "The micro-price"):
 * (bid * askSize + ask * bidSize) / (bidSize + askSize). A heavy bid pulls it toward the ask (buyers are
 * queued, the next move is more likely up). Falls back to the mid when both sizes are 0.
 */
export function microPrice(bid: number, bidSize: number, ask: number, askSize: number): number {
  const w = bidSize + askSize;
  return w > 0 ? (bid * askSize + ask * bidSize) / w : (bid + ask) / 2;
}
