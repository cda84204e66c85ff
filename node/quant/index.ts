// node/quant: math shared by the market maker (node/mm) and simulations.
//   rng.ts     Rng: seeded uniform / normal / exponential / Poisson
//   gbm.ts     stepJumpDiffusion, jumpCompensator: GBM with lognormal jumps (Merton)
//   hawkes.ts  MultiHawkes (online intensities), hawkesExpectedCounts, stationaryIntensity
//   linalg.ts  small dense matrices: matMul, solve, expm
//   stats.ts   quantile, decayWeight
export { Rng } from "./rng.ts";
export { type JumpDiffusionParams, jumpCompensator, stepJumpDiffusion } from "./gbm.ts";
export { type HawkesParams, MultiHawkes, hawkesExpectedCounts, stationaryIntensity } from "./hawkes.ts";
export { type Matrix, expm, identity, matAdd, matMul, matScale, matVec, solve } from "./linalg.ts";
export { decayWeight, quantile } from "./stats.ts";
