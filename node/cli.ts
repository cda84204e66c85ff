#!/usr/bin/env node
// rollup-node <command> [--config file]: the one entry point for operators and the devnet.
import { ConfigError, loadConfig, type NodeConfig } from "./config.ts";
import { moduleLogger, rootLogger } from "./log.ts";
import { deploySuite } from "../scripts/deploy.ts";
import { startDevnet } from "./app/devnet.ts";
import { startNode } from "./app/node.ts";
import { OPS_COMMANDS, OPS_USAGE, runOps } from "./ops/commands.ts";
import { runClaims, runExitProof } from "./challenger/cli.ts";

const log = moduleLogger("cli");

const USAGE = `usage: rollup-node <command> [--config file.json]

commands:
  run      run a node with the configured roles (follower, sequencer, proposer, ...) until SIGINT/SIGTERM
  devnet   local L1 (anvil) + contract suite + devnet assets and markets + node-1 (every role) and
           node-2 (follower); resumes the previous devnet, --fresh starts over
  deploy   deploy (or verify an existing deployment of) the contract suite to l1.rpcUrl
  config   print the validated configuration (defaults <- file <- ROLLBOOK_* environment)
${OPS_USAGE}
  claims   the DisputeGame by hand: list|show|challenge|prove|resolve|withdraw-bond (claims --help)
  exit-proof ACCOUNT [--out FILE]   desert mode: the account's exit proof against the last finalized root

environment: ROLLBOOK_<SECTION>_<KEY> overrides any key, e.g. ROLLBOOK_L1_RPC_URL, ROLLBOOK_RPC_PORT;
ROLLBOOK_L1_PRIVATE_KEY (or config keystore + ROLLBOOK_KEYSTORE_PASSWORD) is the node's L1 key;
DEPLOYER_KEY sets the deployer's private key (devnet default: anvil's first dev key).`;

interface Args {
  command: string | undefined;
  configFile: string | undefined;
  fresh: boolean;
}

function parseArgs(argv: string[]): Args {
  let configFile: string | undefined;
  let command: string | undefined;
  let fresh = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--config") {
      configFile = argv[++i];
      if (configFile === undefined) throw new ConfigError(["--config needs a file path"]);
    } else if (arg === "--fresh") fresh = true;
    else if (arg === "--help" || arg === "-h") command = "help";
    else if (command === undefined) command = arg;
    else throw new ConfigError([`unexpected argument ${JSON.stringify(arg)}`]);
  }
  return { command, configFile, fresh };
}

/** Resolves on the first of `signals` (SIGINT and SIGTERM by default). */
function untilSignal(signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of signals) process.once(sig, () => resolve(sig));
  });
}

async function devnet(config: NodeConfig, fresh: boolean): Promise<void> {
  // The nodes tag their lines with node and module themselves.
  const net = await startDevnet({ config, fresh, logger: rootLogger });
  const reason = await Promise.race([
    // SIGHUP too (the terminal closed): anvil runs in its own process group and would not get it
    untilSignal(["SIGINT", "SIGTERM", "SIGHUP"]),
    new Promise<string>((resolve) => net.anvil.process.once("exit", () => resolve("anvil exited"))),
  ]);
  log.info({ reason }, "devnet stopping");
  await net.stop();
}

async function run(config: NodeConfig): Promise<void> {
  const node = await startNode({ config, logger: rootLogger });
  const reason = await untilSignal();
  log.info({ reason }, "stopping");
  await node.stop();
}

async function main(argv: string[]): Promise<number> {
  if ((OPS_COMMANDS as readonly string[]).includes(argv[0] ?? "")) return runOps(argv);
  if (argv[0] === "claims") return runClaims(argv.slice(1));
  if (argv[0] === "exit-proof") return runExitProof(argv.slice(1));
  const args = parseArgs(argv);
  if (args.command === undefined || args.command === "help") {
    // asked for: stdout, exit 0; no command at all is a usage error: stderr, exit 2
    if (args.command === "help") console.log(USAGE);
    else console.error(USAGE);
    return args.command === "help" ? 0 : 2;
  }
  const config = loadConfig(args.configFile);
  rootLogger.level = config.log.level;
  switch (args.command) {
    case "config":
      console.log(JSON.stringify(config, null, 2));
      return 0;
    case "deploy": {
      const { deployment, reused, file } = await deploySuite({
        rpcUrl: config.l1.rpcUrl,
        privateKey: process.env.DEPLOYER_KEY as `0x${string}` | undefined,
        log: (line) => log.info(line),
      });
      console.log(JSON.stringify({ deploy: reused ? "reused" : "deployed", chainId: deployment.chainId, file }));
      return 0;
    }
    case "devnet":
      await devnet(config, args.fresh);
      return 0;
    case "run":
      await run(config);
      return 0;
    default:
      console.error(`unknown command ${JSON.stringify(args.command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) console.error(err.message);
    else log.fatal({ err }, "rollup-node failed");
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
