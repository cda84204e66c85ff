// The market maker on the devnet: its deterministic keys (an account the devnet funds like its other
// accounts, and the agent key the runtime signs with) and prepareMakerAccount, which node/app's devnet
// calls once the node runs: it waits until the account's deposits are credited on the soft state and
// approves the agent (APPROVE_AGENT signed by the account) unless it already is. docs/market-maker.md
// "Devnet".

import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressOfPrivateKey, domainSeparator, signTx } from "../clob/eip712.ts";
import { ErrorCode } from "../clob/errors.ts";
import { type Address, type ApproveAgentTx, TxKind } from "../clob/types.ts";
import { encodeTx } from "../codec/tx.ts";
import type { SequencerPort } from "./sequencer-exchange.ts";
import { MakerRuntimeError } from "./errors.ts";

/** The only chain id the devnet keys may be used on (anvil's). */
export const DEVNET_CHAIN_ID = 31337;

function devKey(tag: string): { priv: Uint8Array; hex: `0x${string}`; address: Address } {
  const priv = keccak_256(new TextEncoder().encode(tag));
  return { priv, hex: `0x${Buffer.from(priv).toString("hex")}`, address: addressOfPrivateKey(priv) };
}

/** Publicly known devnet keys (like anvil's dev accounts): never fund them anywhere else. */
export const DEVNET_MAKER = {
  account: devKey("rollbook-devnet-mm-account"),
  agent: devKey("rollbook-devnet-mm-agent"),
} as const;

export interface PrepareMakerOptions {
  sequencer: SequencerPort;
  /** The maker account's private key (devnet: DEVNET_MAKER.account.priv). */
  accountKey: Uint8Array;
  /** The agent's private key (devnet: DEVNET_MAKER.agent.priv). */
  agentKey: Uint8Array;
  /** Assets that must be credited (available > 0) before the approval (default: none). */
  assets?: readonly number[];
  /** Agent validity from the soft clock (s, default one year). */
  validityS?: number;
  /** How long to wait for the deposits (ms, default 120 000). */
  timeoutMs?: number;
  pollMs?: number;
}

export interface PreparedMaker {
  account: Address;
  agent: Address;
  /** False when the agent was already approved long enough. */
  approved: boolean;
  /** Agent expiry (batch clock, s). */
  expiry: number;
}

/**
 * Waits for the maker account's deposits on the soft state, then approves its agent key with one
 * APPROVE_AGENT through the sequencer (resolves when that is soft). Idempotent: an agent approved for at
 * least half the validity is left as it is (a devnet restart).
 */
export async function prepareMakerAccount(o: PrepareMakerOptions): Promise<PreparedMaker> {
  const account = addressOfPrivateKey(o.accountKey);
  const agent = addressOfPrivateKey(o.agentKey);
  const validity = o.validityS ?? 365 * 86_400;
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const soft = o.sequencer.softState();
    const idx = soft.accountIndex.get(account);
    const acct = idx === undefined ? undefined : soft.accounts[idx];
    const missing = (o.assets ?? []).filter((a) => acct === undefined || acct.available(a) + acct.locked(a) <= 0);
    if (acct !== undefined && missing.length === 0) {
      const entry = acct.agents.find((e) => e.agent === agent);
      if (entry !== undefined && entry.expiry > soft.timestamp + validity / 2) return { account, agent, approved: false, expiry: entry.expiry };
      break;
    }
    if (Date.now() > deadline) {
      throw new MakerRuntimeError("MM_NOT_FUNDED", `maker account ${account}: ${acct === undefined ? "no deposit" : `assets ${missing.join(", ")} not credited`} after ${o.timeoutMs ?? 120_000} ms`);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
  }
  const soft = o.sequencer.softState();
  const expiry = soft.timestamp + validity;
  const tx: ApproveAgentTx = signTx(domainSeparator(soft.config.domain), {
    kind: TxKind.APPROVE_AGENT, account, nonce: o.sequencer.nextNonce(account), sig: { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 }, agent, expiry,
  }, o.accountKey);
  const r = await o.sequencer.submit(encodeTx(tx));
  if (r.verdict !== "valid") throw new MakerRuntimeError("MM_APPROVE_FAILED", `APPROVE_AGENT not admitted: ${r.verdict === "invalid" ? r.reason : r.message}`);
  const rc = r.receipt?.();
  if (rc !== undefined && rc.code !== ErrorCode.OK) throw new MakerRuntimeError("MM_APPROVE_FAILED", `APPROVE_AGENT failed with STF code ${rc.code}`);
  return { account, agent, approved: true, expiry };
}
