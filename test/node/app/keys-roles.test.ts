// The node's L1 key (environment or Web3 Secret Storage v3 keystore) and the role registry.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError } from "../../../node/config.ts";
import { decryptKeystore, loadL1Account } from "../../../node/app/keys.ts";
import { checkRoles, registerRole, roleStarter } from "../../../node/app/roles.ts";

// The pbkdf2 test vector of the Web3 Secret Storage definition (password "testpassword").
const VECTOR = JSON.stringify({
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: { c: 262144, dklen: 32, prf: "hmac-sha256", salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd" },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
});
const KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

describe("node/app keys and roles", () => {
  it("decrypts a V3 keystore and refuses a wrong password", () => {
    expect(decryptKeystore(VECTOR, "testpassword")).to.equal(KEY);
    expect(() => decryptKeystore(VECTOR, "wrong")).to.throw(ConfigError, /wrong password/);
    expect(() => decryptKeystore("{", "x")).to.throw(ConfigError, /not valid JSON/);
  });

  it("loads the L1 key from the environment first, else the keystore with its password", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rollbook-keys-"));
    try {
      const file = path.join(dir, "key.json");
      writeFileSync(file, VECTOR);
      expect(loadL1Account("", {})).to.equal(undefined);
      expect(loadL1Account(file, { ROLLBOOK_KEYSTORE_PASSWORD: "testpassword" })!.address).to.equal(privateKeyToAccount(KEY).address);
      expect(() => loadL1Account(file, {})).to.throw(ConfigError, /ROLLBOOK_KEYSTORE_PASSWORD/);
      const env = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
      expect(loadL1Account(file, { ROLLBOOK_L1_PRIVATE_KEY: env })!.address).to.equal(privateKeyToAccount(env).address);
      expect(() => loadL1Account("", { ROLLBOOK_L1_PRIVATE_KEY: "0x12" })).to.throw(ConfigError, /32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a start function for every role of this build, lets one be replaced, and checks prerequisites", () => {
    expect(checkRoles(["follower", "sequencer", "proposer"])).to.deep.equal([]);
    expect(checkRoles(["follower", "sequencer", "proposer", "prover", "challenger", "mm"])).to.deep.equal([]);
    const builtIn = roleStarter("challenger");
    expect(builtIn).to.be.a("function");
    expect(checkRoles(["sequencer"]).some((p) => /every node runs follower/.test(p))).to.equal(true);
    expect(checkRoles(["follower", "proposer"]).some((p) => /add sequencer/.test(p))).to.equal(true);
    expect(() => registerRole("sequencer", async () => ({ stop: async () => {} }))).to.throw(/composed by startNode/);
    const start = async () => ({ stop: async () => {} });
    const undo = registerRole("challenger", start);
    expect(roleStarter("challenger")).to.equal(start);
    expect(checkRoles(["follower", "challenger"])).to.deep.equal([]);
    undo();
    expect(roleStarter("challenger")).to.equal(builtIn);
  });
});
