// The node's L1 key (proposer, and roles that send L1 transactions): from the environment
// (ROLLBOOK_L1_PRIVATE_KEY) or an encrypted JSON keystore (Web3 Secret Storage v3, scrypt or pbkdf2 with
// aes-128-ctr) named by config `keystore`, with its password in ROLLBOOK_KEYSTORE_PASSWORD. Never from the
// command line (visible in the process list).
import { createDecipheriv, pbkdf2Sync, scryptSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { keccak256, type Hex } from "viem";
import { privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { ConfigError } from "../config.ts";

interface KeystoreV3 {
  version: number;
  crypto: {
    cipher: string;
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string };
    mac: string;
  };
}

/** Decrypts a V3 keystore; throws ConfigError on a wrong password or an unsupported file. */
export function decryptKeystore(json: string, password: string): Hex {
  let ks: KeystoreV3;
  try {
    ks = JSON.parse(json) as KeystoreV3;
  } catch (err) {
    throw new ConfigError([`keystore: not valid JSON (${(err as Error).message})`]);
  }
  const c = (ks as { crypto?: KeystoreV3["crypto"]; Crypto?: KeystoreV3["crypto"] }).crypto ?? (ks as { Crypto?: KeystoreV3["crypto"] }).Crypto;
  if (ks.version !== 3 || c === undefined) throw new ConfigError([`keystore: expected a version 3 keystore`]);
  if (c.cipher !== "aes-128-ctr") throw new ConfigError([`keystore: unsupported cipher ${c.cipher} (expected aes-128-ctr)`]);
  const kp = c.kdfparams;
  const salt = Buffer.from(kp.salt, "hex");
  let dk: Buffer;
  if (c.kdf === "scrypt") {
    const N = kp.n ?? 0, r = kp.r ?? 0, p = kp.p ?? 0;
    dk = scryptSync(Buffer.from(password, "utf8"), salt, kp.dklen, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
  } else if (c.kdf === "pbkdf2") {
    if (kp.prf !== "hmac-sha256") throw new ConfigError([`keystore: unsupported pbkdf2 prf ${kp.prf}`]);
    dk = pbkdf2Sync(Buffer.from(password, "utf8"), salt, kp.c ?? 0, kp.dklen, "sha256");
  } else throw new ConfigError([`keystore: unsupported kdf ${String(c.kdf)}`]);
  const ciphertext = Buffer.from(c.ciphertext, "hex");
  const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext])).slice(2);
  if (mac !== c.mac.toLowerCase()) throw new ConfigError([`keystore: wrong password (MAC mismatch)`]);
  const d = createDecipheriv("aes-128-ctr", dk.subarray(0, 16), Buffer.from(c.cipherparams.iv, "hex"));
  const key = Buffer.concat([d.update(ciphertext), d.final()]);
  return `0x${key.toString("hex")}` as Hex;
}

/** Roles that send their own L1 transactions besides the proposer's (docs/operator.md "Keys"). */
export type SendingRole = "prover" | "challenger";

/**
 * The prover's and the challenger's own L1 keys (ROLLBOOK_PROVER_PRIVATE_KEY, ROLLBOOK_CHALLENGER_PRIVATE_KEY).
 * A role without one sends with the node's key; sharing it with the proposer makes them race for nonces.
 */
export function loadRoleAccounts(env: NodeJS.ProcessEnv = process.env): Partial<Record<SendingRole, LocalAccount>> {
  const out: Partial<Record<SendingRole, LocalAccount>> = {};
  for (const role of ["prover", "challenger"] as const) {
    const name = `ROLLBOOK_${role.toUpperCase()}_PRIVATE_KEY`;
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(raw)) throw new ConfigError([`${name}: expected 32 bytes of hex`]);
    out[role] = privateKeyToAccount((raw.startsWith("0x") ? raw : `0x${raw}`) as Hex);
  }
  return out;
}

/** The node's L1 account: ROLLBOOK_L1_PRIVATE_KEY, else the keystore file, else undefined. */
export function loadL1Account(keystore: string, env: NodeJS.ProcessEnv = process.env): LocalAccount | undefined {
  const raw = env.ROLLBOOK_L1_PRIVATE_KEY?.trim();
  if (raw !== undefined && raw !== "") {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(raw)) throw new ConfigError([`ROLLBOOK_L1_PRIVATE_KEY: expected 32 bytes of hex`]);
    return privateKeyToAccount((raw.startsWith("0x") ? raw : `0x${raw}`) as Hex);
  }
  if (keystore === "") return undefined;
  let json: string;
  try {
    json = readFileSync(keystore, "utf8");
  } catch (err) {
    throw new ConfigError([`keystore ${keystore}: cannot read (${(err as Error).message})`]);
  }
  const password = env.ROLLBOOK_KEYSTORE_PASSWORD;
  if (password === undefined) throw new ConfigError([`keystore ${keystore}: set its password in ROLLBOOK_KEYSTORE_PASSWORD`]);
  return privateKeyToAccount(decryptKeystore(json, password));
}
