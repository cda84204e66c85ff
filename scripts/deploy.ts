// Deploys the whole L1 suite (Timelock, Inbox, AttestationVerifier + VerifierPolicy, Settlement, DisputeGame,
// Vault and, on devnets, a DevToken registered as asset 1) to any RPC, wires it, verifies the wiring by reading
// it back and writes deployments/<chainId>.json. Re-runs are idempotent: if that file exists and every address
// has code and the wiring reads back as recorded, nothing is sent.
//
//   node scripts/deploy.ts [--rpc URL] [--key 0x..] [--out DIR] [--force] [--timelock-delay S] [--no-dev-token]
//   (npm run deploy -- ...; default: anvil at http://127.0.0.1:8545 with anvil's first dev key)
//
// From code: `const { deployment, reused } = await deploySuite({ rpcUrl, privateKey })`.
// Needs compiled artifacts (`npx hardhat build`). Governance flow: the Timelock starts with minDelay 0 so the
// deployer can run the setup operations through it (schedule + execute), then raises its own delay to
// `timelockDelay` with a last timelocked operation; every contract is owned by the Timelock from construction.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  getAddress,
  http,
  keccak256,
  toHex,
  zeroAddress,
  zeroHash,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createGenesisState, DEFAULT_FEE_ACCOUNT } from "../node/clob/state.ts";
import { bytesToHex } from "../node/clob/eip712.ts";
import { StateCommitment } from "../node/state/commitment.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ANVIL_RPC = "http://127.0.0.1:8545";
export const ANVIL_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/** Chain ids treated as devnets (DevToken deployed by default, short delays). */
export const DEVNET_CHAIN_IDS = new Set([31337, 1337]);

export interface DeployOptions {
  rpcUrl?: string;
  privateKey?: Hex;
  /** Directory of <chainId>.json (default: deployments/ of the repository). */
  outDir?: string;
  /** Redeploy even if a valid deployment is recorded. */
  force?: boolean;
  /** Do not write the JSON file (tests). */
  write?: boolean;
  log?: (line: string) => void;
  /** Timelock minDelay after setup, seconds (devnet default 60, else 2 days). */
  timelockDelay?: bigint;
  /** On-contract change delay of Settlement/DisputeGame/verifiers (devnet default 60, else 1 day). */
  changeDelay?: bigint;
  /** Proposers (and cancellers) and executors of the Timelock (default: the deployer). */
  governors?: Address[];
  /** May pause deposits (default: the deployer). */
  guardian?: Address;
  batchRingSize?: bigint;
  queueRingSize?: bigint;
  messageDeadline?: number;
  forcedCancelDeadline?: number;
  forcedFee?: bigint;
  escapeDelay?: bigint;
  /** Attestation signers (default: the deployer) and threshold (default 1). */
  attestationSigners?: Address[];
  attestationThreshold?: bigint;
  /** Settlement's starting root; default: the root of the L2 genesis state for this chain and Inbox. */
  genesisStateRoot?: Hex;
  /** L2 fee account in the genesis state (default: the deployer on devnets, docs/stf.md's default elsewhere). */
  feeAccount?: Address;
  challengeWindow?: bigint;
  proofWindow?: bigint;
  proposerBond?: bigint;
  challengerBond?: bigint;
  /** Deploy DevToken "USDC" (6 decimals, quantum 10^4) as asset 1 (default: on devnet chain ids). */
  devToken?: boolean;
}

export interface AssetRecord {
  assetId: number;
  symbol: string;
  decimals: number;
  token: Address;
  quantum: string;
}

/** The content of deployments/<chainId>.json. */
export interface Deployment {
  chainId: number;
  deployer: Address;
  /** Block of the first deployment transaction (derivation starts here). */
  startBlock: number;
  contracts: {
    timelock: Address;
    inbox: Address;
    attestationVerifier: Address;
    verifierPolicy: Address;
    settlement: Address;
    disputeGame: Address;
    vault: Address;
    devToken?: Address;
  };
  assets: AssetRecord[];
  parameters: Record<string, string | number | string[]>;
}

/** State root of the L2 genesis state (docs/stf.md "State", "State commitment") for a chain and Inbox. */
export function genesisStateRoot(chainId: number, inbox: Address, feeAccount: Address): Hex {
  const state = createGenesisState({ domain: { chainId, verifyingContract: inbox }, feeAccount });
  return bytesToHex(StateCommitment.fromState(state).root()) as Hex;
}

// ------------------------------------------------------------------ artifacts

const ARTIFACTS: Record<string, string> = {
  Timelock: "contracts/governance/Timelock.sol/Timelock.json",
  Inbox: "contracts/Inbox.sol/Inbox.json",
  Vault: "contracts/Vault.sol/Vault.json",
  Settlement: "contracts/Settlement.sol/Settlement.json",
  DisputeGame: "contracts/DisputeGame.sol/DisputeGame.json",
  VerifierPolicy: "contracts/verifiers/VerifierPolicy.sol/VerifierPolicy.json",
  AttestationVerifier: "contracts/verifiers/AttestationVerifier.sol/AttestationVerifier.json",
  DevToken: "contracts/dev/DevToken.sol/DevToken.json",
};

export interface Artifact {
  abi: Abi;
  bytecode: Hex;
}

/** Reads a Hardhat artifact (artifacts/<source>/<Name>.json); `name` is a key of the suite or a relative path. */
export function loadArtifact(name: string): Artifact {
  const rel = ARTIFACTS[name] ?? name;
  const file = path.join(ROOT, "artifacts", rel);
  if (!existsSync(file)) throw new Error(`artifact ${rel} missing: run \`npx hardhat build\` first`);
  const a = JSON.parse(readFileSync(file, "utf8"));
  return { abi: a.abi, bytecode: a.bytecode };
}

// ------------------------------------------------------------------ helpers

const str = (v: unknown): string => (typeof v === "bigint" ? v.toString() : String(v));
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function defaults(chainId: number, deployer: Address, o: DeployOptions) {
  const dev = DEVNET_CHAIN_IDS.has(chainId);
  const p = {
    timelockDelay: o.timelockDelay ?? (dev ? 60n : 2n * 86400n),
    changeDelay: o.changeDelay ?? (dev ? 60n : 86400n),
    governors: o.governors ?? [deployer],
    guardian: o.guardian ?? deployer,
    batchRingSize: o.batchRingSize ?? 8192n,
    queueRingSize: o.queueRingSize ?? 65536n,
    messageDeadline: o.messageDeadline ?? (dev ? 600 : 86400),
    forcedCancelDeadline: o.forcedCancelDeadline ?? (dev ? 120 : 3600),
    forcedFee: o.forcedFee ?? 10n ** 15n,
    escapeDelay: o.escapeDelay ?? (dev ? 86400n : 30n * 86400n),
    attestationSigners: [...(o.attestationSigners ?? [deployer])].sort((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
    ),
    attestationThreshold: o.attestationThreshold ?? 1n,
    genesisStateRoot: o.genesisStateRoot,
    feeAccount: o.feeAccount ?? (dev ? deployer : DEFAULT_FEE_ACCOUNT),
    challengeWindow: o.challengeWindow ?? (dev ? 300n : 7n * 86400n),
    proofWindow: o.proofWindow ?? (dev ? 300n : 2n * 86400n),
    proposerBond: o.proposerBond ?? 10n ** 17n,
    challengerBond: o.challengerBond ?? 5n * 10n ** 16n,
    devToken: o.devToken ?? dev,
  };
  // Desert mode freezes the rollup after escapeDelay without a finalization: an optimistic claim needs up to
  // challengeWindow + proofWindow to finalize, so a shorter escape delay could freeze a healthy rollup.
  if (p.escapeDelay <= p.challengeWindow + p.proofWindow) {
    throw new Error(`deploy: escapeDelay ${p.escapeDelay} must exceed challengeWindow + proofWindow (${p.challengeWindow + p.proofWindow})`);
  }
  return p;
}

async function read(pub: PublicClient, address: Address, name: string, fn: string, args: unknown[] = []) {
  return pub.readContract({ address, abi: loadArtifact(name).abi, functionName: fn, args } as never) as Promise<any>;
}

// ------------------------------------------------------------------ verification

/**
 * Reads the suite's wiring back from the chain and returns the list of mismatches (empty: all good): code at
 * every address, Timelock ownership of every contract, Inbox <-> Vault, Settlement <-> Inbox/policy/game, the
 * policy's verifier, the Timelock's delay and roles, and the registered assets.
 */
export async function verifySuite(pub: PublicClient, d: Deployment): Promise<string[]> {
  const problems: string[] = [];
  const c = d.contracts;
  for (const [k, a] of Object.entries(c)) {
    if (!a) continue;
    const code = await pub.getCode({ address: a });
    if (!code || code === "0x") problems.push(`${k}: no code at ${a}`);
  }
  if (problems.length) return problems;
  const expect = (what: string, got: string, want: string) => {
    if (!same(got, want)) problems.push(`${what}: ${got} != ${want}`);
  };
  for (const [name, addr] of [
    ["Inbox", c.inbox],
    ["Vault", c.vault],
    ["Settlement", c.settlement],
    ["DisputeGame", c.disputeGame],
    ["VerifierPolicy", c.verifierPolicy],
    ["AttestationVerifier", c.attestationVerifier],
  ] as const) {
    expect(`${name}.owner`, await read(pub, addr, name, "owner"), c.timelock);
  }
  expect("Inbox.vault", await read(pub, c.inbox, "Inbox", "vault"), c.vault);
  expect("Vault.inbox", await read(pub, c.vault, "Vault", "inbox"), c.inbox);
  expect("Vault.settlement", await read(pub, c.vault, "Vault", "settlement"), c.settlement);
  expect("Settlement.vault", await read(pub, c.settlement, "Settlement", "vault"), c.vault);
  expect("Settlement.inbox", await read(pub, c.settlement, "Settlement", "inbox"), c.inbox);
  expect("Settlement.policy", await read(pub, c.settlement, "Settlement", "policy"), c.verifierPolicy);
  expect("Settlement.disputeGame", await read(pub, c.settlement, "Settlement", "disputeGame"), c.disputeGame);
  expect("DisputeGame.settlement", await read(pub, c.disputeGame, "DisputeGame", "settlement"), c.settlement);
  const verifiers: Address[] = await read(pub, c.verifierPolicy, "VerifierPolicy", "verifiers");
  if (verifiers.length !== 1 || !same(verifiers[0], c.attestationVerifier)) {
    problems.push(`VerifierPolicy.verifiers: ${verifiers.join(",")} != [${c.attestationVerifier}]`);
  }
  const delay: bigint = await read(pub, c.timelock, "Timelock", "getMinDelay");
  if (str(delay) !== d.parameters.timelockDelay) problems.push(`Timelock.minDelay ${delay} != ${d.parameters.timelockDelay}`);
  const proposerRole: Hex = await read(pub, c.timelock, "Timelock", "PROPOSER_ROLE");
  for (const g of d.parameters.governors as string[]) {
    if (!(await read(pub, c.timelock, "Timelock", "hasRole", [proposerRole, g]))) {
      problems.push(`Timelock: ${g} is not a proposer`);
    }
  }
  for (const a of d.assets) {
    const [token, quantum] = await read(pub, c.vault, "Vault", "assets", [a.assetId]);
    if (!same(token, a.token) || str(quantum) !== a.quantum) {
      problems.push(`Vault.assets(${a.assetId}): (${token}, ${quantum}) != (${a.token}, ${a.quantum})`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------ deployment

/** Deploys (or finds) the suite; see the file header. */
export async function deploySuite(o: DeployOptions = {}): Promise<{ deployment: Deployment; reused: boolean; file: string }> {
  const log = o.log ?? ((l: string) => console.log(l));
  const rpcUrl = o.rpcUrl ?? ANVIL_RPC;
  const account = privateKeyToAccount(o.privateKey ?? ANVIL_KEY);
  const transport = http(rpcUrl);
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  if (!DEVNET_CHAIN_IDS.has(chainId)) {
    // Devnet defaults make the deployer the only attestation signer, governor and guardian: on a real
    // chain that is a single hot key able to finalize any root. Demand every trust decision explicitly.
    const missing = [
      o.privateKey === undefined && "a deployer key (--key or DEPLOYER_KEY)",
      o.governors === undefined && "governors (Timelock proposers/executors)",
      o.guardian === undefined && "guardian",
      o.attestationSigners === undefined && "attestationSigners",
      o.attestationThreshold === undefined && "attestationThreshold",
      o.feeAccount === undefined && "feeAccount",
    ].filter((m): m is string => m !== false);
    if (missing.length > 0) throw new Error(`chain ${chainId} is not a devnet: set ${missing.join(", ")} explicitly`);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const pub = createPublicClient({ chain, transport }) as PublicClient;
  const wallet = createWalletClient({ account, chain, transport });
  const outDir = o.outDir ?? path.join(ROOT, "deployments");
  const file = path.join(outDir, `${chainId}.json`);

  if (!o.force && existsSync(file)) {
    const recorded = JSON.parse(readFileSync(file, "utf8")) as Deployment;
    const problems = await verifySuite(pub, recorded);
    if (problems.length === 0) {
      log(`deployment ${file} is live and wired: nothing to do`);
      return { deployment: recorded, reused: true, file };
    }
    log(`recorded deployment is not usable (${problems[0]}${problems.length > 1 ? ", ..." : ""}): deploying anew`);
  }

  const p = defaults(chainId, account.address, o);
  const startBlock = Number(await pub.getBlockNumber()) + 1;

  async function send(hash: Hex, what: string) {
    const rc = await pub.waitForTransactionReceipt({ hash });
    if (rc.status !== "success") throw new Error(`${what} reverted (tx ${hash})`);
    return rc;
  }
  async function deploy(name: string, args: unknown[]): Promise<Address> {
    const a = loadArtifact(name);
    const hash = await wallet.deployContract({ abi: a.abi, bytecode: a.bytecode, args } as never);
    const rc = await send(hash, `deploy ${name}`);
    const addr = getAddress(rc.contractAddress!);
    log(`${name.padEnd(20)} ${addr}  (gas ${rc.gasUsed})`);
    return addr;
  }
  async function call(name: string, address: Address, fn: string, args: unknown[] = []) {
    const hash = await wallet.writeContract({ address, abi: loadArtifact(name).abi, functionName: fn, args } as never);
    return send(hash, `${name}.${fn}`);
  }
  /** Runs calls through the Timelock (minDelay 0 during setup): scheduleBatch then executeBatch. */
  async function governance(timelock: Address, ops: { target: Address; data: Hex }[], salt: string) {
    const targets = ops.map((x) => x.target);
    const values = ops.map(() => 0n);
    const datas = ops.map((x) => x.data);
    const s = keccak256(toHex(salt));
    await call("Timelock", timelock, "scheduleBatch", [targets, values, datas, zeroHash, s, 0n]);
    await call("Timelock", timelock, "executeBatch", [targets, values, datas, zeroHash, s]);
  }

  log(`deploying to chain ${chainId} at ${rpcUrl} from ${account.address}`);
  const governors = p.governors.includes(account.address) ? p.governors : [...p.governors, account.address];
  const timelock = await deploy("Timelock", [0n, governors, governors, zeroAddress]);
  const inbox = await deploy("Inbox", [
    timelock,
    p.batchRingSize,
    p.queueRingSize,
    p.messageDeadline,
    p.forcedCancelDeadline,
    p.forcedFee,
  ]);
  const attestationVerifier = await deploy("AttestationVerifier", [
    p.attestationSigners,
    p.attestationThreshold,
    timelock,
    p.changeDelay,
  ]);
  const verifierPolicy = await deploy("VerifierPolicy", [[attestationVerifier], 1n, 1n, timelock, p.changeDelay]);
  // The L2 genesis state binds the chain id and the Inbox (its EIP-712 domain), so its root is known only now.
  p.genesisStateRoot ??= genesisStateRoot(chainId, inbox, p.feeAccount);
  const settlement = await deploy("Settlement", [inbox, verifierPolicy, p.genesisStateRoot, timelock, p.changeDelay]);
  const disputeGame = await deploy("DisputeGame", [
    settlement,
    p.challengeWindow,
    p.proofWindow,
    p.proposerBond,
    p.challengerBond,
    timelock,
    p.changeDelay,
  ]);
  await call("Settlement", settlement, "initDisputeGame", [disputeGame]);
  const vault = await deploy("Vault", [inbox, settlement, timelock, p.guardian, p.escapeDelay]);
  await call("Inbox", inbox, "initialize", [vault]);
  await call("Settlement", settlement, "initVault", [vault]); // the Vault alone may freeze (desert mode)

  const assets: AssetRecord[] = [];
  const ops: { target: Address; data: Hex }[] = [];
  let devToken: Address | undefined;
  if (p.devToken) {
    devToken = await deploy("DevToken", ["Dev USD Coin", "USDC", 6]);
    const asset: AssetRecord = { assetId: 1, symbol: "USDC", decimals: 6, token: devToken, quantum: "10000" };
    assets.push(asset);
    ops.push({
      target: vault,
      data: encodeFunctionData({
        abi: loadArtifact("Vault").abi,
        functionName: "registerAsset",
        args: [asset.assetId, devToken, BigInt(asset.quantum)],
      }),
    });
  }
  // last operation: the Timelock raises its own delay
  ops.push({
    target: timelock,
    data: encodeFunctionData({ abi: loadArtifact("Timelock").abi, functionName: "updateDelay", args: [p.timelockDelay] }),
  });
  await governance(timelock, ops, `rollbook-setup-${startBlock}`);

  const deployment: Deployment = {
    chainId,
    deployer: account.address,
    startBlock,
    contracts: {
      timelock,
      inbox,
      attestationVerifier,
      verifierPolicy,
      settlement,
      disputeGame,
      vault,
      ...(devToken ? { devToken } : {}),
    },
    assets,
    parameters: {
      timelockDelay: str(p.timelockDelay),
      changeDelay: str(p.changeDelay),
      governors: governors.map(String),
      guardian: p.guardian,
      batchRingSize: str(p.batchRingSize),
      queueRingSize: str(p.queueRingSize),
      messageDeadline: p.messageDeadline,
      forcedCancelDeadline: p.forcedCancelDeadline,
      forcedFee: str(p.forcedFee),
      escapeDelay: str(p.escapeDelay),
      attestationSigners: p.attestationSigners.map(String),
      attestationThreshold: str(p.attestationThreshold),
      genesisStateRoot: p.genesisStateRoot!,
      feeAccount: p.feeAccount,
      challengeWindow: str(p.challengeWindow),
      proofWindow: str(p.proofWindow),
      proposerBond: str(p.proposerBond),
      challengerBond: str(p.challengerBond),
    },
  };
  const problems = await verifySuite(pub, deployment);
  if (problems.length) throw new Error(`deployed suite failed verification:\n  ${problems.join("\n  ")}`);
  log("wiring verified");
  if (o.write !== false) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
    log(`wrote ${file}`);
  }
  return { deployment, reused: false, file };
}

// ------------------------------------------------------------------ CLI

function parseArgs(argv: string[]): DeployOptions {
  const o: DeployOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--rpc") o.rpcUrl = v();
    else if (a === "--key") o.privateKey = v() as Hex;
    else if (a === "--out") o.outDir = path.resolve(v());
    else if (a === "--force") o.force = true;
    else if (a === "--timelock-delay") o.timelockDelay = BigInt(v());
    else if (a === "--governors") o.governors = v().split(",") as Address[];
    else if (a === "--guardian") o.guardian = v() as Address;
    else if (a === "--signers") o.attestationSigners = v().split(",") as Address[];
    else if (a === "--threshold") o.attestationThreshold = BigInt(v());
    else if (a === "--fee-account") o.feeAccount = v() as Address;
    else if (a === "--no-dev-token") o.devToken = false;
    else if (a === "--dev-token") o.devToken = true;
    else if (a === "--help" || a === "-h") {
      console.log(
        "usage: node scripts/deploy.ts [--rpc URL] [--key 0x..] [--out DIR] [--force] [--timelock-delay S] [--[no-]dev-token]\n" +
          "       [--governors 0x..,0x..] [--guardian 0x..] [--signers 0x..,0x..] [--threshold N] [--fee-account 0x..]\n" +
          "On chains other than 31337/1337 the key, governors, guardian, signers, threshold and fee account are required.",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  o.rpcUrl ??= process.env.RPC_URL;
  o.privateKey ??= process.env.DEPLOYER_KEY as Hex | undefined;
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  deploySuite(parseArgs(process.argv.slice(2))).then(
    ({ deployment, reused, file }) => {
      console.log(JSON.stringify({ deploy: reused ? "reused" : "deployed", chainId: deployment.chainId, file }));
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
