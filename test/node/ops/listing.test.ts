// Listing through governance end to end on anvil: `rollup-node asset add` and `market add` prepare the
// Timelock operations (readable and --json), `--send --key-env VAR` schedules them and, on a devnet, executes
// them after the Timelock delay (3 s here); `asset list` / `market list` read them back from L1. Then a
// deposit of the new asset works and, after a batch, a Deriver (node/derive, from L1 only) holds the new
// market and executes orders in it. Refusals: duplicate asset, unknown asset, market exists, immutable
// field changed: exit 1 with a stable code and nothing sent.
import { expect } from "chai";
import { type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ErrorCode } from "../../../node/clob/errors.ts";
import { ANVIL_DEV_KEYS } from "../../../node/l1/anvil.ts";
import { timelockAbi, vaultAbi } from "../../../node/l1/contracts.ts";
import type { DerivedBatch } from "../../../node/derive/index.ts";
import { loadArtifact } from "../../../scripts/deploy.ts";
import { Chain, Side, deployer } from "./chain.ts";

const USDC = 1;
const WETH = 2;
const MARKET = 1;
const alice = privateKeyToAccount(ANVIL_DEV_KEYS[1]);
const bob = privateKeyToAccount(ANVIL_DEV_KEYS[2]);
const GOV = { GOV_KEY: ANVIL_DEV_KEYS[0] };

describe("ops: asset and market listing through the Timelock, then derivation (anvil)", function () {
  this.timeout(240_000);
  let c: Chain;
  let weth: Address;

  before(async () => {
    c = await Chain.start(3n);
    const a = loadArtifact("DevToken");
    const hash = await c.walletOf(deployer).deployContract({ abi: a.abi, bytecode: a.bytecode, args: ["Wrapped Ether", "WETH", 18], account: deployer, chain: null } as never);
    weth = (await c.pub.waitForTransactionReceipt({ hash })).contractAddress!;
  });
  after(async () => {
    await c?.stop();
  });

  it("asset add prepares, then --send schedules and executes after the delay; asset list reads it back", async () => {
    const addArgs = ["asset", "add", "--id", String(WETH), "--token", weth, "--quantum", "1000000000000"];
    const prepared = await c.cli([...addArgs, "--json"]);
    expect(prepared.code, prepared.stderr).to.equal(0);
    const op = prepared.json.operation;
    expect(op.target.toLowerCase()).to.equal(c.d.contracts.vault.toLowerCase());
    expect(op.delay).to.equal("3");
    expect(op.schedule.to.toLowerCase()).to.equal(c.d.contracts.timelock.toLowerCase());
    expect(await c.pub.readContract({ address: c.d.contracts.timelock, abi: timelockAbi, functionName: "getOperationState", args: [op.id as Hex] })).to.equal(0); // nothing sent
    const human = await c.cli(addArgs);
    expect(human.stdout).to.include("1. schedule").and.to.include("2. execute").and.to.include(op.id);

    const t0 = Date.now();
    const sent = await c.cli([...addArgs, "--send", "--key-env", "GOV_KEY", "--json"], GOV);
    expect(sent.code, sent.stderr + sent.stdout).to.equal(0);
    expect(sent.json.result.state).to.equal("done");
    expect(sent.json.result.scheduleTx).to.match(/^0x/);
    expect(sent.json.result.executeTx).to.match(/^0x/);
    expect(Date.now() - t0, "waited for the Timelock delay").to.be.greaterThan(2_000);
    const [token, quantum] = await c.pub.readContract({ address: c.d.contracts.vault, abi: vaultAbi, functionName: "assets", args: [WETH] });
    expect(token.toLowerCase()).to.equal(weth.toLowerCase());
    expect(quantum).to.equal(10n ** 12n);

    const list = await c.cli(["asset", "list", "--json"]);
    expect(list.json.assets.map((a: any) => [a.assetId, a.symbol, a.decimals, a.quantum])).to.deep.equal([
      [USDC, "USDC", 6, "10000"],
      [WETH, "WETH", 18, "1000000000000"],
    ]);
    const again = await c.cli([...addArgs, "--json"]);
    expect(again.code).to.equal(1);
    expect(again.json.error.code).to.equal("ALREADY_EXISTS");
  });

  it("market add lists a market via SET_MARKET; refusals carry codes; market list shows it pending, then live", async () => {
    const unknown = await c.cli(["market", "add", "--id", "7", "--base", "9", "--quote", "1", "--lot", "1", "--tick", "1", "--min", "1", "--json"]);
    expect(unknown.code).to.equal(1);
    expect(unknown.json.error.code).to.equal("UNKNOWN_ASSET");
    const bad = await c.cli(["market", "add", "--id", "7", "--base", "1", "--quote", "1", "--lot", "1", "--tick", "1", "--min", "1", "--json"]);
    expect(bad.json.error.code).to.equal("BAD_PARAMS"); // base == quote: the STF would refuse it

    const args = ["market", "add", "--id", String(MARKET), "--base", String(WETH), "--quote", String(USDC), "--lot", "1000", "--tick", "1", "--min", "1", "--taker-fee-ppm", "500"];
    const sent = await c.cli([...args, "--send", "--key-env", "GOV_KEY", "--json"], GOV);
    expect(sent.code, sent.stderr + sent.stdout).to.equal(0);
    expect(sent.json.result.state).to.equal("done");
    expect(sent.json.operation.target.toLowerCase()).to.equal(c.d.contracts.inbox.toLowerCase());

    const list = await c.cli(["market", "list", "--json"]);
    expect(list.json.markets).to.have.length(1);
    const m = list.json.markets[0];
    expect(m.params).to.deep.equal({ baseAsset: WETH, quoteAsset: USDC, lotSize: 1000, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 500, status: 0 });
    expect([m.status, m.consumed]).to.deep.equal(["active", false]);

    const dup = await c.cli([...args, "--json"]);
    expect(dup.json.error.code).to.equal("ALREADY_EXISTS");
    const immutable = await c.cli([...args.map((x) => (x === "1000" ? "10" : x)), "--update", "--json"]);
    expect(immutable.json.error.code).to.equal("BAD_PARAMS");
    const update = await c.cli([...args.map((x) => (x === "500" ? "700" : x)), "--update", "--json"]);
    expect(update.code, update.stderr).to.equal(0); // prepared only (no --send): a fee change is allowed
    expect(update.json.operation.id).to.not.equal(sent.json.operation.id);
  });

  it("a deposit of the new asset works and the derived state holds the market, with orders executing in it", async () => {
    await c.deposit(alice, WETH, 50_000n);
    await c.deposit(bob, USDC, 1_000_000n);
    await c.post([c.place(ANVIL_DEV_KEYS[1], MARKET, Side.SELL, 100, 3), c.place(ANVIL_DEV_KEYS[2], MARKET, Side.BUY, 100, 2)]);
    const d = await c.deriver(await c.openStore("follower"));
    const seen: DerivedBatch[] = [];
    d.on("batch", (b) => seen.push(b));
    await d.syncToHead();
    expect(seen).to.have.length(1);
    expect(seen[0]!.l1MessageCount).to.equal(3); // SET_MARKET + two deposits
    for (let i = 0; i < 2; i++) expect(seen[0]!.receipts!.tx(i).code).to.equal(ErrorCode.OK);
    const st = d.current().state;
    const market = st.markets.get(MARKET)!;
    expect(market.params).to.deep.include({ baseAsset: WETH, quoteAsset: USDC, lotSize: 1000, takerFeePpm: 500 });
    expect(market.book.bestAsk()).to.equal(100); // 1 lot left of alice's 3 after bob bought 2
    const alices = st.account(alice.address.toLowerCase() as Address)!;
    expect(alices.available(WETH) + alices.balances().find(([a]) => a === WETH)![2]).to.equal(50_000 - 2 * 1000);
    const list = await c.cli(["market", "list", "--json"]);
    expect(list.json.markets[0].consumed).to.equal(true);
    // the proposer's L1 balance is exported for the "balance low" alert (docker/prometheus/node-alerts.yml)
    const balance = (await c.posterRegistry.getSingleMetric("rollbook_l1_balance_eth")!.get()).values;
    expect(balance).to.have.length(1);
    expect(balance[0]!.labels).to.deep.equal({ role: "proposer", address: privateKeyToAccount(ANVIL_DEV_KEYS[3]).address.toLowerCase() });
    expect(balance[0]!.value).to.be.greaterThan(9000).and.lessThan(10000); // anvil funds 10,000 ETH, minus gas
  });
});
