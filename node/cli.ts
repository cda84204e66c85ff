#!/usr/bin/env node
// rollup-node <command> [--config file]: the one entry point for operators and the devnet.
import path from "node:path";
import { mkdirSync } from "node:fs";
import { ConfigError, loadConfig, type NodeConfig } from "./config.ts";
import { startAnvil } from "./l1/anvil.ts";
import { moduleLogger, rootLogger } from "./log.ts";
import { deploySuite } from "../scripts/deploy.ts";
import { runClaims, runExitProof } from "./challenger/cli.ts";

const log = moduleLogger("cli");

const USAGE = `usage: rollup-node <command> [--config file.json]

commands:
  devnet   start a local L1 (anvil), deploy the contract suite, keep running until Ctrl-C
  deploy   deploy (or verify an existing deployment of) the contract suite to l1.rpcUrl
  config   print the validated configuration (defaults <- file <- ROLLBOOK_* environment)
  claims   the DisputeGame by hand: list|show|challenge|prove|resolve|withdraw-bond (claims --help)
  exit-proof ACCOUNT [--out FILE]   desert mode: the account's exit proof against the last finalized root

environment: ROLLBOOK_<SECTION>_<KEY> overrides any key, e.g. ROLLBOOK_L1_RPC_URL, ROLLBOOK_RPC_PORT;
DEPLOYER_KEY sets the deployer's private key (devnet default: anvil's first dev key).`;

interface Args {
  command: string | undefined;
  configFile: string | undefined;
}

function parseArgs(argv: string[]): Args {
  let configFile: string | undefined;
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--config") {
      configFile = argv[++i];
      if (configFile === undefined) throw new ConfigError(["--config needs a file path"]);
    } else if (arg === "--help" || arg === "-h") command = "help";
    else if (command === undefined) command = arg;
    else throw new ConfigError([`unexpected argument ${JSON.stringify(arg)}`]);
  }
  return { command, configFile };
}

async function devnet(config: NodeConfig): Promise<void> {
  // Deploy on automine (a block per transaction), then switch to interval mining like a real chain.
  const anvil = await startAnvil({ port: config.devnet.anvilPort });
  log.info({ rpcUrl: anvil.rpcUrl }, "L1 (anvil) started");
  const outDir = path.resolve(config.dataDir, "deployments");
  mkdirSync(outDir, { recursive: true });
  const { deployment, file } = await deploySuite({
    rpcUrl: anvil.rpcUrl,
    privateKey: process.env.DEPLOYER_KEY as `0x${string}` | undefined,
    outDir,
    log: (line) => log.info(line),
  });
  log.info({ file, contracts: deployment.contracts, assets: deployment.assets }, "contract suite deployed");
  if (config.devnet.blockTime > 0) {
    await fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_setIntervalMining", params: [config.devnet.blockTime] }),
    });
    log.info({ blockTime: config.devnet.blockTime }, "L1 interval mining");
  }
  log.info({ rpcUrl: anvil.rpcUrl, beaconUrl: anvil.rpcUrl }, "devnet ready (Ctrl-C to stop)");
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    anvil.process.once("exit", (code) => {
      log.error({ code }, "anvil exited");
      resolve();
    });
  });
  await anvil.stop();
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "claims") return runClaims(argv.slice(1));
  if (argv[0] === "exit-proof") return runExitProof(argv.slice(1));
  const args = parseArgs(argv);
  if (args.command === undefined || args.command === "help") {
    console.log(USAGE);
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
      await devnet(config);
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
