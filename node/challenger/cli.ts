// `rollup-node claims <command>`: the DisputeGame by hand (docs/disputes.md "By hand"). Lists claims with the
// node's verdict on each (from its own derivation at <dataDir>/challenger, L1 data only), challenges,
// proves, resolves, and withdraws bonds. Readable output, `--json` for scripts. The L1 key comes from
// $CHALLENGER_KEY (0x hex), never from the command line; `prove` signs attestations with the configured
// prover.attestKeys (ROLLBOOK_PROVER_ATTEST_KEYS), or with the L1 key when none are configured.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createPublicClient, createWalletClient, defineChain, formatEther, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, loadConfig, type NodeConfig } from "../config.ts";
import { rootLogger } from "../log.ts";
import { verifierIds } from "../prover/prover.ts";
import { buildBackends } from "../prover/role.ts";
import type { Deployment } from "../../scripts/deploy.ts";
import { challenge, counterProve, creditOf, l1Now, prove, resolve, withdrawBond, type ActionContext, type SentTx, type Wallet } from "./actions.ts";
import { ClaimBook, ClaimStatus, CLAIM_STATUS_NAME, isOpen, type ClaimInfo } from "./claims.ts";
import { ChallengerError } from "./errors.ts";
import { exitProofFrom, finalizedState } from "./exit.ts";
import { policyProver } from "./prover.ts";
import { openDerivedSource, type DerivedSource } from "./source.ts";
import { Judge, type Verdict } from "./verdict.ts";

export const CLAIMS_HELP = `rollup-node claims <command> [options]

commands
  list [--all]              open claims (--all: every claim) with the node's verdict on each
  show ID                   one claim: public values, bonds, clock, verdict with the expected values
  challenge ID [--force]    challenge a claim (posts the challenger bond); refused for a claim the node
                            computes as right unless --force
  prove ID                  prove a challenged claim (prover.backends; attest: prover.attestKeys or the L1 key); with
                            --counter, counter-prove a wrong claim with the node's own result instead
  resolve ID                close a claim whose window or proof deadline is over
  withdraw-bond             withdraw this key's credit (won and returned bonds) from the DisputeGame

options
  --config FILE             node configuration (l1.rpcUrl, dataDir, ...)
  --deployment FILE         deployment record (default <dataDir>/deployments/<chainId>.json)
  --json                    print JSON instead of text
  --help                    this text
keys: $CHALLENGER_KEY (0x hex) signs L1 transactions; never on the command line.
exit codes: 0 done, 1 refused or failed (error code printed), 2 usage.`;

interface Args {
  cmd: string | undefined;
  id: number | undefined;
  flags: Set<string>;
  config: string | undefined;
  deployment: string | undefined;
}

function parse(argv: string[]): Args {
  const a: Args = { cmd: undefined, id: undefined, flags: new Set(), config: undefined, deployment: undefined };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === "--config" || x === "--deployment") {
      const v = argv[++i];
      if (v === undefined) throw new ChallengerError("BAD_ARGUMENT", `${x} needs a file`);
      a[x === "--config" ? "config" : "deployment"] = v;
    } else if (x === "-h") a.flags.add("help");
    else if (x.startsWith("--")) {
      if (!["json", "all", "force", "counter", "help"].includes(x.slice(2))) throw new ChallengerError("BAD_ARGUMENT", `unknown option ${x}`);
      a.flags.add(x.slice(2));
    } else if (a.cmd === undefined) a.cmd = x;
    else if (a.id === undefined && /^\d+$/.test(x)) a.id = Number(x);
    else throw new ChallengerError("BAD_ARGUMENT", `unexpected argument ${JSON.stringify(x)}`);
  }
  return a;
}

function readDeploymentFile(config: NodeConfig, chainId: number, file: string | undefined): Deployment {
  const f = file ?? path.join(config.dataDir, "deployments", `${chainId}.json`);
  if (!existsSync(f)) throw new ConfigError([`deployment: ${f} not found (--deployment FILE)`]);
  const d = JSON.parse(readFileSync(f, "utf8")) as Deployment;
  if (d.chainId !== chainId) throw new ConfigError([`deployment: ${f} is for chain ${d.chainId}, L1 is chain ${chainId}`]);
  return d;
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);

function verdictText(v: Verdict): string {
  if (v.kind === "valid") return "RIGHT";
  if (v.kind === "invalid") return `WRONG (${v.wrong.join(", ")})`;
  return `unknown: ${v.reason}`;
}

function clock(c: ClaimInfo, now: number): string {
  const rel = (t: number) => (t > now ? `in ${t - now}s` : `${now - t}s ago`);
  if (c.status === ClaimStatus.Pending) return `window ends ${rel(c.windowEnd)}`;
  if (c.status === ClaimStatus.Challenged) return `proof deadline ${rel(c.deadline)}`;
  return "closed";
}

function claimJson(c: ClaimInfo, v: Verdict | undefined, now: number) {
  return {
    id: c.id, status: CLAIM_STATUS_NAME[c.status], firstBatch: c.firstBatch, lastBatch: c.lastBatch, proposer: c.proposer, challenger: c.status === ClaimStatus.Pending ? null : c.challenger,
    proposerBond: c.proposerBond, challengerBond: c.challengerBond, windowEnd: c.windowEnd, deadline: c.deadline, now, publicValues: c.pv,
    verdict: v === undefined ? null : v.kind === "unknown" ? { kind: v.kind, reason: v.reason } : v.kind === "invalid" ? { kind: v.kind, wrong: v.wrong, expected: v.expected } : { kind: v.kind },
  };
}

export interface ClaimsIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

/** Prints why a command failed; returns its exit code (2 for a configuration error, else 1). */
function reportFailure(io: ClaimsIo, err: unknown): number {
  if (err instanceof ChallengerError) {
    io.err(`${err.code}: ${err.message}`);
    return 1;
  }
  if (err instanceof ConfigError) {
    io.err(err.message);
    return 2;
  }
  io.err(`FAILED: ${(err as Error).message}`);
  return 1;
}

/** Runs `rollup-node claims ...`; returns the exit code. */
export async function runClaims(argv: string[], io: ClaimsIo = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env }): Promise<number> {
  let a: Args;
  try {
    a = parse(argv);
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${CLAIMS_HELP}`);
    return 2;
  }
  if (a.flags.has("help") || a.cmd === undefined || a.cmd === "help") {
    io.out(CLAIMS_HELP);
    return a.cmd === undefined && !a.flags.has("help") ? 2 : 0;
  }
  const needsId = ["show", "challenge", "prove", "resolve"].includes(a.cmd);
  if (!["list", "withdraw-bond"].includes(a.cmd) && !needsId) {
    io.err(`unknown claims command ${JSON.stringify(a.cmd)}\n\n${CLAIMS_HELP}`);
    return 2;
  }
  if (needsId && a.id === undefined) {
    io.err(`claims ${a.cmd}: a claim ID is needed\n\n${CLAIMS_HELP}`);
    return 2;
  }
  let source: DerivedSource | undefined;
  try {
    const config = loadConfig(a.config, io.env);
    rootLogger.level = io.env.ROLLBOOK_LOG_LEVEL ?? "warn";
    const probe = createPublicClient({ transport: http(config.l1.rpcUrl) });
    const chainId = await probe.getChainId();
    const chain = defineChain({ id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [config.l1.rpcUrl] } } });
    const client = createPublicClient({ chain, transport: http(config.l1.rpcUrl) }) as PublicClient;
    const d = readDeploymentFile(config, chainId, a.deployment);
    const key = io.env.CHALLENGER_KEY;
    if (key !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new ChallengerError("BAD_ARGUMENT", "CHALLENGER_KEY: expected 0x and 64 hex digits");
    const wallet = key === undefined ? undefined : (createWalletClient({ account: privateKeyToAccount(key as Hex), chain, transport: http(config.l1.rpcUrl) }) as Wallet);
    const ctx: ActionContext = { client, wallet, game: d.contracts.disputeGame };
    const book = new ClaimBook({ client, game: d.contracts.disputeGame, fromBlock: d.startBlock });

    const asJson = a.flags.has("json");
    const done = (action: string, c: ClaimInfo | undefined, tx: SentTx & { amount?: bigint }) => {
      if (asJson) io.out(json({ action, claim: c?.id ?? null, tx: tx.hash, gasUsed: tx.gasUsed, feeWei: tx.feeWei, amount: tx.amount ?? null }));
      else io.out(`${action}${c === undefined ? "" : ` claim ${c.id}`}: ${tx.hash} (gas ${tx.gasUsed})${tx.amount === undefined ? "" : `, ${formatEther(tx.amount)} ETH`}`);
      return 0;
    };

    if (a.cmd === "withdraw-bond") return done("withdraw-bond", undefined, await withdrawBond(ctx));
    if (a.cmd === "resolve") {
      const c = await book.get(a.id!);
      return done("resolve", c, await resolve(ctx, c));
    }

    // Everything else needs the node's verdict: derive from L1 up to the head first.
    source = await openDerivedSource(config, d, client, { logger: rootLogger.child({ module: "claims" }) });
    await source.deriver.syncToHead();
    const judge = new Judge({ client, inbox: d.contracts.inbox, fromBlock: d.startBlock, store: source.store });
    const now = await l1Now(client);

    if (a.cmd === "list") {
      const claims = (await book.refresh()).filter((c) => a.flags.has("all") || isOpen(c.status));
      const rows = [];
      for (const c of claims) rows.push({ c, v: await judge.judge(c.pv) });
      if (asJson) {
        io.out(json({ derivedBatch: source.deriver.status().batchIndex, now, claims: rows.map(({ c, v }) => claimJson(c, v, now)) }));
        return 0;
      }
      io.out(`derived up to batch ${source.deriver.status().batchIndex}; ${rows.length} ${a.flags.has("all") ? "" : "open "}claim(s)`);
      for (const { c, v } of rows) {
        io.out(`#${c.id}  batches ${c.firstBatch}..${c.lastBatch}  ${CLAIM_STATUS_NAME[c.status]}  ${clock(c, now)}  verdict ${verdictText(v)}`);
        io.out(`     proposer ${c.proposer} bond ${formatEther(c.proposerBond)} ETH  root ${c.pv.newStateRoot}`);
      }
      if (wallet !== undefined) io.out(`credit of ${wallet.account.address}: ${formatEther(await creditOf(ctx, wallet.account.address))} ETH`);
      return 0;
    }

    const c = await book.get(a.id!);
    const v = await judge.judge(c.pv);
    if (a.cmd === "show") {
      if (asJson) io.out(json(claimJson(c, v, now)));
      else {
        io.out(`claim #${c.id}: batches ${c.firstBatch}..${c.lastBatch}, ${CLAIM_STATUS_NAME[c.status]}, ${clock(c, now)}`);
        io.out(`  proposer ${c.proposer} (bond ${formatEther(c.proposerBond)} ETH)${c.status === ClaimStatus.Pending ? "" : `, challenger ${c.challenger} (bond ${formatEther(c.challengerBond)} ETH)`}`);
        io.out(`  verdict: ${verdictText(v)}`);
        for (const [k, val] of Object.entries(c.pv)) {
          const exp = v.kind === "unknown" || k === "prover" ? undefined : (v.expected as Record<string, unknown>)[k];
          io.out(`  ${k.padEnd(18)} ${String(val)}${exp !== undefined && String(exp).toLowerCase() !== String(val).toLowerCase() ? `   (node: ${String(exp)})` : ""}`);
        }
      }
      return 0;
    }
    if (a.cmd === "challenge") {
      if (v.kind === "unknown" && !a.flags.has("force")) throw new ChallengerError("NOT_DERIVED", `claim ${c.id}: no verdict (${v.reason}); --force to challenge anyway`);
      if (v.kind === "valid" && !a.flags.has("force")) throw new ChallengerError("CLAIM_VALID", `claim ${c.id}: the node computes the same public values; challenging it would lose the bond (--force to do it anyway)`);
      return done("challenge", c, await challenge(ctx, c));
    }
    // prove: with the backends the prover role uses (prover.backends; attest signs with prover.attestKeys, else
    // the L1 key itself), one envelope part each.
    let prover;
    try {
      const backends = await buildBackends(config, { deployment: d, l1: client, account: key === undefined ? undefined : privateKeyToAccount(key as Hex), store: source.store, logger: rootLogger }, "challenger-proofs");
      const ids = await verifierIds(client, d.contracts.settlement, backends.map((b) => b.system));
      prover = policyProver(backends.map((backend) => ({ backend, id: ids.get(backend.system)! })), source.store);
    } catch (err) {
      throw new ChallengerError("NO_BACKEND", `prove needs a proof backend the VerifierPolicy accepts (prover.backends; attest: prover.attestKeys / ROLLBOOK_PROVER_ATTEST_KEYS or $CHALLENGER_KEY): ${(err as Error).message}`);
    }
    if (a.flags.has("counter")) {
      if (v.kind !== "invalid") throw new ChallengerError(v.kind === "valid" ? "CLAIM_VALID" : "NOT_DERIVED", `claim ${c.id}: ${verdictText(v)}; nothing to counter-prove`);
      return done("counter-prove", c, await counterProve(ctx, c, prover));
    }
    return done("prove", c, await prove(ctx, c, prover));
  } catch (err) {
    return reportFailure(io, err);
  } finally {
    await source?.close();
  }
}

export const EXIT_PROOF_HELP = `rollup-node exit-proof ACCOUNT [--out FILE] [--config FILE] [--deployment FILE]

Desert mode: the exit proof of ACCOUNT (its ACCOUNT leaf and trie siblings) against Settlement's last
finalized state root, derived from L1 alone (docs/disputes.md "Desert mode exit"). Prints the proof as JSON
(or writes it to FILE) for \`rollbook exit --proof FILE --vault ADDRESS\`.
exit codes: 0 done, 1 refused (NOTHING_TO_EXIT, ROOT_MISMATCH, ...), 2 usage.`;

/** Runs `rollup-node exit-proof ...`; returns the exit code. */
export async function runExitProof(argv: string[], io: ClaimsIo = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env }): Promise<number> {
  let account: string | undefined;
  let outFile: string | undefined;
  let configFile: string | undefined;
  let deploymentFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === "--help" || x === "-h") {
      io.out(EXIT_PROOF_HELP);
      return 0;
    }
    if (x === "--out" || x === "--config" || x === "--deployment") {
      const v = argv[++i];
      if (v === undefined) {
        io.err(`${x} needs a file\n\n${EXIT_PROOF_HELP}`);
        return 2;
      }
      if (x === "--out") outFile = v;
      else if (x === "--config") configFile = v;
      else deploymentFile = v;
    } else if (account === undefined && /^0x[0-9a-fA-F]{40}$/.test(x)) account = x;
    else {
      io.err(`unexpected argument ${JSON.stringify(x)}\n\n${EXIT_PROOF_HELP}`);
      return 2;
    }
  }
  if (account === undefined) {
    io.err(`an ACCOUNT (0x address) is needed\n\n${EXIT_PROOF_HELP}`);
    return 2;
  }
  try {
    const config = loadConfig(configFile, io.env);
    rootLogger.level = io.env.ROLLBOOK_LOG_LEVEL ?? "warn";
    const client = createPublicClient({ transport: http(config.l1.rpcUrl) }) as PublicClient;
    const d = readDeploymentFile(config, await client.getChainId(), deploymentFile);
    const fin = await finalizedState({ config, deployment: d, client, logger: rootLogger.child({ module: "exit-proof" }) });
    const proof = exitProofFrom(fin.sc, fin.batch, account as Address);
    const text = json({ ...proof, frozen: fin.frozen, vault: d.contracts.vault });
    if (outFile !== undefined) {
      writeFileSync(outFile, text);
      io.out(`exit proof of ${proof.account} at batch ${proof.batch} (root ${proof.root}) written to ${outFile}${fin.frozen ? "" : " (the rollup is not frozen yet)"}`);
    } else io.out(text);
    return 0;
  } catch (err) {
    return reportFailure(io, err);
  }
}
