// Loads the compiled addon; throws when it was not built (node/state/keccak.ts then falls back to @noble/hashes).
module.exports = require("./build/Release/keccak.node");
