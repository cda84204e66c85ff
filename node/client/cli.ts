#!/usr/bin/env node
// rollbook: the command-line trader (docs/api.md "Command line"). Readable output, --json for scripts.
// Keys come from ROLLBOOK_PRIVATE_KEY or an Ethereum V3 keystore file (--keystore, password from
// ROLLBOOK_KEYSTORE_PASSWORD), never from the command line.

import { createDecipheriv, pbkdf2Sync, scryptSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createPublicClient, createWalletClient, http, keccak256, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { RollbookClient, type BulkActionParams, type LocalBook } from "./client.ts";
import { checkClaim, claimWithdrawal, depositToVault, exitVault, type ExitProofFile, type WithdrawalClaim } from "./l1.ts";
import { RollbookRpcError } from "./transport.ts";

const HELP = `rollbook <command> [options]

commands
  balances [account]                       balances and nonce (default: your account)
  orders [--market M]                      your open orders
  history [--limit N]                      your orders, newest first
  fills [--limit N]                        your fills, newest first
  order --market M --side buy|sell --price P --size S [--tif gtc|ioc|fok|post|market] [--client-id N] [--expiry T]
  bulk --file actions.json                 up to 64 actions under one signature (JSON array of Bulk actions)
  cancel --market M (--order ID | --client-id N | --all)
  amend --market M --order ID --price P --size S
  withdraw --asset A --amount N [--to ADDRESS]
  book --market M [--depth N] [--watch]    order book (--watch: live view from the book feed)
  trades --market M [--limit N]
  markets                                  markets and parameters
  tx HASH                                  a transaction's status, receipt and confirmation level
  deposit --asset A --amount UNITS [--vault ADDRESS] [--l1 URL]     approve + deposit on L1 (token base units)
  deposit-status (QUEUE_INDEX | --tx L1_HASH)   a deposit's progress: queued on L1 -> credited on L2, with its level
  claim (--withdrawal ID | --tx HASH) [--vault ADDRESS] [--l1 URL]  claim a finalized withdrawal on L1 with the node's proof
                                           (checked first: proof -> root locally, root finalized on L1, not claimed)
  exit --proof FILE [--vault ADDRESS] [--asset A] [--freeze] [--l1 URL]   desert mode: take the balance out on L1
                                           with the exit proof of \`rollup-node exit-proof\` (--freeze: freeze first)
  (--vault defaults to the Vault of the suite the node follows, from rb_rollupStatus)

options
  --url URL         node RPC (default $ROLLBOOK_RPC_URL or http://127.0.0.1:8645)
  --json            print JSON instead of text (an error: {"error":{"code","message","data"}} on stdout too)
  --keystore FILE   V3 keystore; password from $ROLLBOOK_KEYSTORE_PASSWORD
  key               $ROLLBOOK_PRIVATE_KEY (0x hex) unless --keystore is given; never on the command line
`;

type Opts = Record<string, string | boolean>;

function parse(argv: string[]): { cmd: string | undefined; pos: string[]; o: Opts } {
  const o: Opts = {};
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const k = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--") || ["json", "watch", "all", "help", "freeze"].includes(k)) o[k] = true;
      else o[k] = argv[++i];
    } else pos.push(a);
  }
  return { cmd: pos.shift(), pos, o };
}

class UsageError extends Error {}

function num(o: Opts, k: string, dflt?: number): number {
  const v = o[k];
  if (v === undefined || v === true) {
    if (dflt !== undefined) return dflt;
    throw new UsageError(`--${k} is required`);
  }
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${k}: expected a non-negative integer, got ${String(v)}`);
  return n;
}

function str(o: Opts, k: string): string {
  const v = o[k];
  if (typeof v !== "string") throw new UsageError(`--${k} is required`);
  return v;
}

/** Decrypts an Ethereum V3 keystore (scrypt or pbkdf2-sha256, aes-128-ctr, keccak MAC). */
export function decryptKeystore(json: string, password: string): Hex {
  const ks = JSON.parse(json) as { crypto?: Record<string, any>; Crypto?: Record<string, any> };
  const c = ks.crypto ?? ks.Crypto;
  if (c === undefined) throw new UsageError("not a V3 keystore");
  const kp = c.kdfparams;
  const salt = Buffer.from(kp.salt, "hex");
  const dk = c.kdf === "scrypt"
    ? scryptSync(password, salt, kp.dklen, { N: kp.n, r: kp.r, p: kp.p, maxmem: 1 << 30 })
    : pbkdf2Sync(password, salt, kp.c, kp.dklen, "sha256");
  const ct = Buffer.from(c.ciphertext, "hex");
  const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ct])).slice(2);
  if (mac !== c.mac) throw new UsageError("keystore: wrong password (MAC mismatch)");
  const d = createDecipheriv("aes-128-ctr", dk.subarray(0, 16), Buffer.from(c.cipherparams.iv, "hex"));
  return `0x${Buffer.concat([d.update(ct), d.final()]).toString("hex")}`;
}

function loadKey(o: Opts): Hex | undefined {
  if (typeof o.keystore === "string") {
    const pw = process.env.ROLLBOOK_KEYSTORE_PASSWORD;
    if (pw === undefined) throw new UsageError("--keystore needs $ROLLBOOK_KEYSTORE_PASSWORD");
    return decryptKeystore(readFileSync(o.keystore, "utf8"), pw);
  }
  const k = process.env.ROLLBOOK_PRIVATE_KEY;
  if (k === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k)) throw new UsageError("$ROLLBOOK_PRIVATE_KEY: expected 0x + 64 hex digits");
  return k as Hex;
}

const TIF: Record<string, number> = { gtc: 0, ioc: 1, fok: 2, post: 3, market: 4 };
const sideName = (s: number) => (s === 0 ? "buy" : "sell");
/** OrderUpdate.status (docs/stf.md receipts). */
const UPDATE = ["new", "partially filled", "filled", "cancelled", "expired", "amended", "decremented"];

function printTx(r: Record<string, any>): string {
  const lines = [`tx ${r.txHash}  ${r.status}${r.code !== 0 ? ` (${r.codeName})` : ""}  level ${r.level}  batch ${r.batchIndex}`];
  if (r.drop) lines.push(`dropped by the sequencer: ${r.drop.reason}${r.drop.code !== null ? ` (STF code ${r.drop.code})` : ""}`);
  if (r.orderId) lines.push(`order ${r.orderId}`);
  for (const a of r.actions ?? []) lines.push(`  action op ${a.op}: ${a.status}${a.code !== 0 ? ` (${a.codeName})` : ""}${a.orderId ? ` order ${a.orderId}` : ""}`);
  for (const f of r.fills ?? []) lines.push(`  fill ${f.size} @ ${f.price}  maker order ${f.makerOrderId}  taker order ${f.takerOrderId}`);
  for (const u of r.orders ?? []) {
    const whose = u.account === r.account ? "" : `  (${u.account})`;
    // `size`: the lots this update is about (traded, cancelled, resting or the amended size; docs/stf.md)
    lines.push(`  order ${u.orderId}  market ${u.market}  ${sideName(u.side)} @ ${u.price}: ${UPDATE[u.status] ?? `status ${u.status}`} ${u.size} lots, ${u.remaining} resting${whose}`);
  }
  if (r.withdrawalId >= 0) {
    const when = r.level === "proven" ? `batch ${r.batchIndex} is proven: claim on L1 now` : `claim on L1 once batch ${r.batchIndex} is proven`;
    lines.push(`withdrawal id ${r.withdrawalId}: ${when} (rollbook claim --tx ${r.txHash} --vault VAULT)`);
  }
  return lines.join("\n");
}

function printBook(b: { bids: { price: number; size: number; orders: number }[]; asks: { price: number; size: number; orders: number }[] }, depth: number): string {
  const asks = b.asks.slice(0, depth).reverse().map((l) => `        ${String(l.price).padStart(12)}  ${String(l.size).padStart(10)}  (${l.orders})  ask`);
  const bids = b.bids.slice(0, depth).map((l) => `        ${String(l.price).padStart(12)}  ${String(l.size).padStart(10)}  (${l.orders})  bid`);
  return ["           price        size", ...asks, "        ------------", ...bids].join("\n");
}

async function run(argv: string[]): Promise<void> {
  const { cmd, pos, o } = parse(argv);
  if (argv.some((a) => a === "--key" || a === "--private-key" || a.startsWith("--key=")) ) throw new UsageError("keys are never taken from the command line: use $ROLLBOOK_PRIVATE_KEY or --keystore");
  if (cmd === undefined || cmd === "help" || o.help === true) {
    process.stdout.write(HELP);
    return;
  }
  const url = (o.url as string | undefined) ?? process.env.ROLLBOOK_RPC_URL ?? "http://127.0.0.1:8645";
  const key = loadKey(o);
  const account = key === undefined ? undefined : privateKeyToAccount(key);
  const client = new RollbookClient({ url, signer: account });
  const me = (): Address => {
    if (account === undefined) throw new UsageError("this command needs a key ($ROLLBOOK_PRIVATE_KEY or --keystore)");
    return account.address;
  };
  const out = (value: unknown, text: () => string) => console.log(o.json === true ? JSON.stringify(value, null, 2) : text());
  const market = () => num(o, "market");
  switch (cmd) {
    case "balances": {
      const b = await client.getBalances((pos[0] as Address | undefined) ?? me());
      return out(b, () => [`account ${b.account}  nonce ${b.nonce}  (level ${b.level}, batch ${b.batchIndex})`, ...b.balances.map((x) => `  asset ${x.asset}: available ${x.available}  locked ${x.locked}`)].join("\n"));
    }
    case "orders": {
      const l = await client.getOpenOrders(me(), o.market === undefined ? undefined : market());
      return out(l, () => l.map((x) => `order ${x.orderId}  market ${x.market}  ${sideName(x.side)} ${x.remaining}/${x.size} @ ${x.price}  ${x.state}  (${x.level})`).join("\n") || "no open orders");
    }
    case "history": {
      const l = await client.getOrderHistory(me(), num(o, "limit", 20));
      return out(l, () => l.map((x) => `order ${x.orderId}  market ${x.market}  ${sideName(x.side)} ${x.filled}/${x.size} @ ${x.price}  ${x.state}  (${x.level})`).join("\n") || "no orders");
    }
    case "fills": {
      const l = await client.getFills(me(), num(o, "limit", 20));
      return out(l, () => l.map((f) => `${f.size} @ ${f.price}  market ${f.market}  ${f.taker === me().toLowerCase() ? "taker" : "maker"}  batch ${f.batchIndex}  (${f.level})`).join("\n") || "no fills");
    }
    case "order": {
      const side = str(o, "side");
      if (side !== "buy" && side !== "sell") throw new UsageError("--side: buy or sell");
      const tif = TIF[(o.tif as string | undefined) ?? "gtc"];
      if (tif === undefined) throw new UsageError("--tif: gtc|ioc|fok|post|market");
      const r = await client.placeOrder({ market: market(), side, price: num(o, "price"), size: num(o, "size"), tif, clientId: num(o, "client-id", 0), expiry: num(o, "expiry", 0) });
      return out(r, () => printTx(r));
    }
    case "bulk": {
      const file = str(o, "file");
      let actions: BulkActionParams[];
      try {
        actions = JSON.parse(readFileSync(file, "utf8")) as BulkActionParams[];
      } catch (err) {
        throw new UsageError(`--file ${file}: expected a JSON array of Bulk actions (${(err as Error).message})`);
      }
      if (!Array.isArray(actions)) throw new UsageError(`--file ${file}: expected a JSON array of Bulk actions`);
      const r = await client.bulk(actions);
      return out(r, () => printTx(r));
    }
    case "cancel": {
      const m = market();
      const r = o.all === true ? await client.cancelAll(m) : o["client-id"] !== undefined ? await client.cancelByClientId(m, num(o, "client-id")) : await client.cancelOrder(m, num(o, "order"));
      return out(r, () => printTx(r));
    }
    case "amend": {
      const r = await client.amendOrder(market(), num(o, "order"), num(o, "price"), num(o, "size"));
      return out(r, () => printTx(r));
    }
    case "withdraw": {
      const r = await client.withdraw(num(o, "asset"), num(o, "amount"), (o.to as Address | undefined) ?? me());
      return out(r, () => printTx(r));
    }
    case "markets": {
      const l = await client.getMarkets();
      return out(l, () => l.map((m) => `market ${m.market}: base ${m.baseAsset} / quote ${m.quoteAsset}  lot ${m.lotSize}  tick ${m.tickSize}  min ${m.minSize}  fees maker ${m.makerFeePpm} taker ${m.takerFeePpm} ppm  ${m.status}`).join("\n"));
    }
    case "book": {
      const depth = num(o, "depth", 10);
      if (o.watch !== true) {
        const b = await client.getBook(market(), depth);
        return out(b, () => `market ${b.market}  seq ${b.seq}  batch ${b.batchIndex}\n${printBook(b, depth)}`);
      }
      await client.watchBook(market(), (b: LocalBook) => {
        const view = { seq: b.seq, bids: b.levels("bids").slice(0, depth), asks: b.levels("asks").slice(0, depth) };
        if (o.json === true) console.log(JSON.stringify(view));
        else process.stdout.write(`\x1b[2J\x1b[H market ${b.market}  seq ${b.seq}  resyncs ${b.resyncs}\n${printBook(view, depth)}\n`);
      });
      await new Promise(() => {});
      return;
    }
    case "trades": {
      const l = await client.getTrades(market(), num(o, "limit", 20));
      return out(l, () => l.map((t) => `${t.size} @ ${t.price}  taker ${sideName(t.takerSide)}  batch ${t.batchIndex}  (${t.level})`).join("\n") || "no trades");
    }
    case "tx": {
      if (pos[0] === undefined) throw new UsageError("tx HASH");
      const r = await client.getTx(pos[0]);
      return out(r, () => printTx(r));
    }
    case "deposit-status": {
      const index = pos[0] === undefined ? undefined : Number(pos[0]);
      if (index !== undefined && !(Number.isSafeInteger(index) && index >= 0)) throw new UsageError(`deposit-status: QUEUE_INDEX is a non-negative integer, got ${pos[0]}`);
      const l = typeof o.tx === "string" ? await client.getDepositsByTx(o.tx as Hex) : index !== undefined ? [await client.getDeposit(index)] : undefined;
      if (l === undefined) throw new UsageError("deposit-status QUEUE_INDEX or --tx L1_HASH");
      return out(l, () => l.map((d) => `deposit ${d.queueIndex}  ${d.amount} L2 units of asset ${d.asset} to ${d.account}: ${d.state}${d.state === "queued" ? " (seen on L1, not yet in a batch)" : ` in batch ${d.batchIndex}`}${d.level !== null ? `  (${d.level})` : ""}`).join("\n"));
    }
    case "deposit":
    case "exit":
    case "claim": {
      if (account === undefined) me();
      const l1Url = (o.l1 as string | undefined) ?? process.env.ROLLBOOK_L1_RPC_URL ?? "http://127.0.0.1:8545";
      const l1 = createPublicClient({ transport: http(l1Url) });
      const chainId = await l1.getChainId();
      const chain = { id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [l1Url] } } };
      const wallet = createWalletClient({ account: account!, chain, transport: http(l1Url) });
      const vault = o.vault !== undefined ? (str(o, "vault") as Address) : await nodeVault(client);
      if (cmd === "deposit") {
        const r = await depositToVault(wallet, l1, { vault, assetId: num(o, "asset"), amount: BigInt(str(o, "amount")), account: (o.to as Address | undefined) ?? me() });
        return out({ ...r, units: r.units.toString(), vault }, () => `deposited into the Vault ${vault}: L1 tx ${r.depositTx}${r.approveTx ? ` (approve ${r.approveTx})` : ""}\nqueue index ${r.messageIndex}: ${r.units} L2 units; follow it with: rollbook deposit-status ${r.messageIndex}`);
      }
      if (cmd === "exit") {
        const p = JSON.parse(readFileSync(str(o, "proof"), "utf8")) as ExitProofFile;
        const r = await exitVault(wallet, l1, vault, p, { asset: o.asset === undefined ? undefined : num(o, "asset"), freeze: o.freeze === true });
        const j = { ...r, exits: r.exits.map((e) => ({ ...e, units: e.units.toString() })) };
        return out(j, () => [
          ...(r.freezeTx ? [`froze the Vault: L1 tx ${r.freezeTx}`] : []),
          ...r.exits.map((e) => `exited asset ${e.asset}: ${e.units} L2 units to ${p.account}: L1 tx ${e.tx}`),
          ...r.skipped.map((a) => `asset ${a}: already exited`),
        ].join("\n") || "nothing to exit");
      }
      const which = typeof o.tx === "string" ? (o.tx as Hex) : typeof o.withdrawal === "string" ? num(o, "withdrawal") : undefined;
      if (which === undefined) throw new UsageError("claim needs --withdrawal ID or --tx HASH");
      const w = await client.getWithdrawalProof(which);
      const c: WithdrawalClaim = {
        withdrawalId: w.withdrawalId, recipient: w.recipient as Address, assetId: w.asset, amount: w.amount, withdrawalRoot: w.withdrawalRoot as Hex, proof: w.proof as Hex[],
      };
      const problem = await checkClaim(l1, vault, c);
      if (problem !== null) throw new Error(`not claiming withdrawal ${c.withdrawalId}: ${problem}`);
      const hash = await claimWithdrawal(wallet, l1, vault, c);
      return out({ claimTx: hash }, () => `claimed withdrawal ${c.withdrawalId}: L1 tx ${hash}`);
    }
    default:
      throw new UsageError(`unknown command ${cmd} (rollbook --help)`);
  }
}

/** The Vault of the suite the node follows (rb_rollupStatus), for deposit/claim/exit without --vault. */
async function nodeVault(client: RollbookClient): Promise<Address> {
  const vault = (await client.rollupStatus()).contracts?.vault;
  if (vault === undefined) throw new UsageError("the node does not report its L1 contracts: give --vault ADDRESS");
  return vault;
}

/** The error as scripts read it with --json: the RPC's code, message and data, or USAGE / ERROR. */
function errorJson(e: unknown): { error: { code: number | string; message: string; data?: unknown } } {
  if (e instanceof RollbookRpcError) return { error: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) } };
  return { error: { code: e instanceof UsageError ? "USAGE" : "ERROR", message: (e as Error).message ?? String(e) } };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/rollbook")) {
  const argv = process.argv.slice(2);
  run(argv).then(
    () => process.exit(0),
    (e: unknown) => {
      if (argv.includes("--json")) console.log(JSON.stringify(errorJson(e)));
      console.error(`rollbook: ${(e as Error).message ?? String(e)}`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}

export { run };
