// postinstall: builds the native addons and fails the install loudly when one cannot be built on a machine
// that has the build tools (docs/operator.md "Native addons"): native/keccak (batched keccak256) and
// native/sockets (the fan-out processes' send loop). Only a machine without a C compiler, make or python3
// (or with ROLLBOOK_SKIP_NATIVE=1) installs without them, with a warning: the node then hashes with the
// @noble/hashes fallback (same results, about 20x slower trie commits and EIP-712 hashing) and its fan-out
// processes write each socket through libuv (same bytes, about 1.35x their CPU per message). Plain
// CommonJS: it runs before anything else is installed or compiled.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const fs = require("node:fs");

const ADDONS = ["keccak", "sockets"];

function onPath(cmd) {
  for (const d of (process.env.PATH || "").split(path.delimiter)) {
    if (d && fs.existsSync(path.join(d, cmd))) return true;
  }
  return false;
}

function warn(msg) {
  process.stderr.write(`\n*** rollbook: ${msg}\n*** node/state/keccak.ts will use the JS fallback (@noble/hashes, about 20x slower);\n` +
    "*** node/rpc/send-loop.ts will write through libuv (about 1.35x the fan-out processes' CPU per message).\n\n");
}

if (process.env.ROLLBOOK_SKIP_NATIVE === "1") {
  warn("ROLLBOOK_SKIP_NATIVE=1: the native addons were not built");
  process.exit(0);
}
const compiler = process.env.CC ? onPath(process.env.CC) || fs.existsSync(process.env.CC) : ["cc", "gcc", "clang"].some(onPath);
const missing = [];
if (!compiler) missing.push("a C compiler (cc/gcc/clang)");
if (!onPath("make")) missing.push("make");
if (!onPath("python3")) missing.push("python3");
if (missing.length > 0) {
  warn(`no build tools (${missing.join(", ")} missing): the native addons were not built`);
  process.exit(0);
}
const gyp = process.env.ROLLBOOK_NODE_GYP || "node-gyp";
for (const name of ADDONS) {
  const dir = path.join(__dirname, "..", "native", name);
  const r = spawnSync(gyp, ["rebuild", "-C", dir], { stdio: ["ignore", "ignore", "inherit"], shell: process.platform === "win32" });
  if (r.error || r.status !== 0) {
    process.stderr.write(`\n*** rollbook: building native/${name} failed (${r.error ? r.error.message : `exit ${r.status}`}) although build tools are present.\n` +
      "*** Fix the build (see the node-gyp output above) or install with ROLLBOOK_SKIP_NATIVE=1 to accept the slow JS fallbacks.\n\n");
    process.exit(1);
  }
  try {
    require(path.join(dir, "build", "Release", `${name}.node`));
  } catch (e) {
    process.stderr.write(`\n*** rollbook: native/${name} was built but does not load: ${e.message}\n\n`);
    process.exit(1);
  }
  process.stdout.write(`${name} addon built\n`);
}
