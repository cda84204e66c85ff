import type { HardhatUserConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import { createRequire } from "node:module";

// Offline solc: Hardhat 3 treats a non-binary `path` as a solc-js build, so point it at soljson.js
// from the npm `solc` package; `version` must equal that build (see ../shared/TOOLCHAIN.md).
const require = createRequire(import.meta.url);
const soljson = require.resolve("solc/soljson.js");
const solcVersion: string = require("solc/package.json").version;

const config: HardhatUserConfig = {
  plugins: [hardhatViem, hardhatMocha, hardhatNetworkHelpers],
  solidity: {
    version: solcVersion,
    path: soljson,
    settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 10_000 }, viaIR: false },
  },
  paths: {
    sources: "contracts",
    tests: { mocha: "test/contracts", solidity: "test/contracts" },
  },
  test: { mocha: { timeout: 120_000 } },
};
export default config;
