// Desert mode end to end on the in-process network, with the real contracts (Inbox, Vault, Settlement with an
// attestation policy) and the real L2: states built by the TS STF (node/clob apply) and committed by the TS state
// trie (node/state StateCommitment), batches encoded by node/codec (docs/contracts.md "Desert mode").
//
//   SET_MARKET + deposits -> batch 1 (orders rest: balances locked; a WITHDRAW) -> finalized with attestation
//   -> more deposits, batch 2 consumes some (never finalized), more deposits never consumed, a flood of deposits
//   that pushes them out of the queue ring -> finalization stops -> escape delay -> freeze (Settlement refuses
//   everything after) -> every account exits with available + locked proven against the finalized root, every
//   deposit at or after the finalized l1MessagesConsumed is refunded, each once; the finalized withdrawal stays
//   claimable; at the end the Vault holds nothing: it paid exactly what it held for these users.
import { expect } from "chai";
import { network } from "hardhat";
import { type Address, type Hex, bytesToHex, hexToBytes, keccak256 } from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { signTx } from "../../node/clob/eip712.ts";
import { encodeL1Message } from "../../node/clob/l1messages.ts";
import { createGenesisState, type ClobState } from "../../node/clob/state.ts";
import { apply } from "../../node/clob/stf.ts";
import { L1MessageKind, MarketStatus, SelfTradePrevention, Side, TimeInForce, TxKind, type L1Message, type Tx } from "../../node/clob/types.ts";
import { encodeBatch } from "../../node/codec/index.ts";
import { StateCommitment, hex } from "../../node/state/commitment.ts";
import { getAccountProof } from "../../node/state/proofs.ts";
import { WithdrawalTree, type WithdrawalRecord } from "../../node/state/withdrawals.ts";
import { attest, attesters, encodePublicValues, envelope, expectCustomError, SUITE } from "./helpers/settle.ts";

const USDC = 1;
const WETH = 2;
const QUANTA: Record<number, bigint> = { [USDC]: 10_000n, [WETH]: 10n ** 12n };
const RING = 16n;
const DAY = 86_400n;
const MARKET = 1;
const lower = (a: string) => a.toLowerCase() as Address;
const MNEMONIC = "test test test test test test test test test test test junk";
const NO_SIG = { r: new Uint8Array(32), s: new Uint8Array(32), v: 0 as const };

describe("Desert mode: freeze, exit with proven balances, refunds (real STF and state trie)", function () {
  this.timeout(240_000);

  it("every user gets exactly its proven balance or its unfinalized deposit, once; the Vault ends empty", async function () {
    const { viem, networkHelpers } = await network.create();
    const wallets = await viem.getWalletClients();
    const [gov, aliceW, bobW, carolW, daveW, erinW, eveW, flooder] = wallets;
    const pub = await viem.getPublicClient();
    const chainId = await pub.getChainId();
    // Hardhat's accounts come from the "test ... junk" mnemonic: their keys sign the L2 transactions
    const keys = [1, 2, 3, 4, 5].map((i) => bytesToHex(mnemonicToAccount(MNEMONIC, { addressIndex: i }).getHdKey().privateKey!));
    const [alice, bob, carol, dave, erin] = keys.map((k) => privateKeyToAccount(k));
    const walletOf = new Map<string, any>([aliceW, bobW, carolW, daveW, erinW, flooder].map((w: any) => [lower(w.account.address), w]));
    for (const [i, u] of [alice, bob, carol, dave, erin].entries()) expect(lower(u.address)).to.equal(lower(wallets[i + 1].account.address));

    // ---------------------------------------------------------------- deployment
    const inbox: any = await viem.deployContract("Inbox", [gov.account.address, RING, RING, 3600, 600, 10n ** 15n]);
    const genesis: ClobState = createGenesisState({ domain: { chainId, verifyingContract: lower(inbox.address) }, feeAccount: lower(gov.account.address) });
    const genesisRoot = hex(StateCommitment.fromState(genesis).root());
    const signers = attesters(1);
    const att: any = await viem.deployContract("AttestationVerifier", [signers.map((s) => s.address), 1n, gov.account.address, SUITE.delay]);
    const policy: any = await viem.deployContract("VerifierPolicy", [[att.address], 0n, 1n, gov.account.address, SUITE.delay]);
    const settlement: any = await viem.deployContract("Settlement", [inbox.address, policy.address, genesisRoot, gov.account.address, SUITE.delay]);
    const vault: any = await viem.deployContract("Vault", [inbox.address, settlement.address, gov.account.address, gov.account.address, DAY]);
    await inbox.write.initialize([vault.address]);
    await settlement.write.initVault([vault.address]);
    await expectCustomError(settlement.write.initVault([vault.address]), "VaultAlreadyBound");
    const tokens: Record<number, any> = {
      [USDC]: await viem.deployContract("DevToken", ["USD Coin", "USDC", 6]),
      [WETH]: await viem.deployContract("DevToken", ["Wrapped Ether", "WETH", 18]),
    };
    for (const id of [USDC, WETH]) await vault.write.registerAsset([id, tokens[id].address, QUANTA[id]]);
    const asUser = (u: PrivateKeyAccount | any, name: string, address: Address) =>
      viem.getContractAt(name, address, { client: { wallet: u.account ? u : walletOf.get(lower(u.address)) } });

    // ---------------------------------------------------------------- L1 queue (mirrored for the STF)
    const messages: Hex[] = []; // every enqueued message, in queue order
    const l1: L1Message[] = [];
    const depositsOf: { index: bigint; account: Address; asset: number; units: bigint }[] = [];
    async function deposit(u: PrivateKeyAccount | any, asset: number, units: bigint) {
      const address: Address = u.account ? u.account.address : u.address;
      const amount = units * QUANTA[asset];
      await tokens[asset].write.mint([address, amount]);
      const t = await asUser(u, "DevToken", tokens[asset].address);
      await t.write.approve([vault.address, amount]);
      const v = await asUser(u, "Vault", vault.address);
      const h = await v.write.deposit([asset, address, amount]);
      await pub.waitForTransactionReceipt({ hash: h });
      const m: L1Message = { kind: L1MessageKind.DEPOSIT, account: lower(address), asset, amount: Number(units) };
      messages.push(bytesToHex(encodeL1Message(m)));
      l1.push(m);
      depositsOf.push({ index: BigInt(messages.length - 1), account: address, asset, units });
    }
    const setMarket: L1Message = {
      kind: L1MessageKind.SET_MARKET, market: MARKET,
      params: { baseAsset: WETH, quoteAsset: USDC, lotSize: 1_000, tickSize: 1, minSize: 1, makerFeePpm: 0, takerFeePpm: 500, status: MarketStatus.ACTIVE },
    };
    await inbox.write.enqueue([bytesToHex(encodeL1Message(setMarket))]);
    messages.push(bytesToHex(encodeL1Message(setMarket)));
    l1.push(setMarket);
    await deposit(alice, USDC, 500_000n);
    await deposit(bob, WETH, 80_000n);
    await deposit(carol, USDC, 1_234n);
    await deposit(bob, USDC, 9_000n);

    // ---------------------------------------------------------------- batch 1: orders rest, bob withdraws
    const domain = genesis.config.domain;
    const place = (k: Hex, u: PrivateKeyAccount, nonce: number, side: Side, price: number, size: number): Tx =>
      signTx(domain, { kind: TxKind.PLACE, account: lower(u.address), nonce, market: MARKET, side, tif: TimeInForce.GTC, price, size, expiry: 0, clientId: 0, stp: SelfTradePrevention.EXPIRE_MAKER, sig: NO_SIG }, hexToBytes(k));
    const withdraw = (k: Hex, u: PrivateKeyAccount, nonce: number, asset: number, amount: number): Tx =>
      signTx(domain, { kind: TxKind.WITHDRAW, account: lower(u.address), nonce, asset, amount, recipient: lower(u.address), sig: NO_SIG }, hexToBytes(k));
    const txs1 = [
      place(keys[0], alice, 0, Side.BUY, 100, 30), // locks 100 * 30 * 1 = 3,000 USDC units and a fee reserve
      place(keys[1], bob, 0, Side.SELL, 120, 20), // locks 20 lots * 1,000 = 20,000 WETH units
      withdraw(keys[1], bob, 1, USDC, 4_000),
    ];
    const propose = async (end: bigint, txs: Tx[]) => {
      const head = await pub.getBlock();
      const bytes = encodeBatch({ header: { parentBatchHash: await inbox.read.batchChainAt([await inbox.read.batchCount()]), timestamp: Number(head.timestamp), l1MsgStart: Number(await inbox.read.consumedCount()), l1MsgEnd: Number(end) }, txs });
      const h = await inbox.write.proposeCalldata([end, bytesToHex(bytes), "0x"]);
      const block = await pub.getBlock({ blockNumber: (await pub.waitForTransactionReceipt({ hash: h })).blockNumber });
      return { timestamp: Number(head.timestamp), l1Timestamp: Number(block.timestamp) };
    };
    const b1 = await propose(BigInt(messages.length), txs1);
    const r1 = apply(genesis, { index: 1, timestamp: b1.timestamp, txs: txs1, proposer: lower(gov.account.address) }, l1.slice(0, messages.length));
    const s1 = r1.state;
    expect(s1.account(lower(alice.address))!.locked(USDC)).to.be.greaterThan(3_000); // notional + fee reserve
    expect(s1.account(lower(bob.address))!.locked(WETH)).to.equal(20_000);
    expect(r1.withdrawals.length).to.equal(1);
    const sc1 = StateCommitment.fromState(s1);
    const root1 = hex(sc1.root());
    const tree = new WithdrawalTree(r1.withdrawals as WithdrawalRecord[]);
    const F = BigInt(s1.l1MessagesConsumed);
    const pv = encodePublicValues({
      prevStateRoot: genesisRoot, newStateRoot: root1, firstBatch: 1n, lastBatch: 1n, prevBatchChain: `0x${"00".repeat(32)}`,
      newBatchChain: await inbox.read.batchChainAt([1n]), l1MessagesConsumed: F, l1QueueHash: await inbox.read.queueHashAt([F]),
      withdrawalRoot: hex(tree.root), prover: gov.account.address,
    });
    await settlement.write.finalize([pv, envelope([{ id: 0, proof: await attest(signers, att.address, chainId, pv) }])]);
    expect(await settlement.read.lastStateRoot()).to.equal(root1);

    // ---------------------------------------------------------------- after the last finalization
    await deposit(dave, USDC, 777n); // consumed by batch 2, never finalized
    await deposit(carol, WETH, 55n); // consumed by batch 2, never finalized
    await propose(BigInt(messages.length), []);
    // a flood of dust deposits, consumed by proposals that never finalize, pushes every entry above out of the
    // 16-entry queue ring
    for (let i = 0; i < 70; i++) {
      await deposit(flooder, USDC, 1n);
      if (i % 10 === 9) await propose(BigInt(messages.length), []);
    }
    await deposit(erin, USDC, 4_321n); // never consumed
    await expectCustomError(inbox.read.queueHashAt([F + 1n]), "QueueEntryUnavailable", [F + 1n]);

    // ---------------------------------------------------------------- freeze
    const asEve = await viem.getContractAt("Vault", vault.address, { client: { wallet: eveW } });
    await expectCustomError(asEve.write.freeze(), "NotStale");
    await expectCustomError(vault.write.exit([alice.address, USDC, "0x", []]), "NotFrozen");
    await networkHelpers.time.increase(Number(DAY) + 1);
    await asEve.write.freeze();
    expect(await settlement.read.frozen()).to.equal(true);
    // nothing finalizes any more, whatever the attestation (the frozen check comes first)
    const pv2 = encodePublicValues({
      prevStateRoot: root1, newStateRoot: keccak256("0x01"), firstBatch: 2n, lastBatch: 2n, prevBatchChain: await settlement.read.lastBatchChain(),
      newBatchChain: keccak256("0x02"), l1MessagesConsumed: F + 2n, l1QueueHash: keccak256("0x03"),
      withdrawalRoot: `0x${"00".repeat(32)}`, prover: gov.account.address,
    });
    await expectCustomError(settlement.write.finalize([pv2, envelope([{ id: 0, proof: await attest(signers, att.address, chainId, pv2) }])]), "SettlementFrozen");
    const dep = await asUser(alice, "Vault", vault.address);
    await expectCustomError(dep.write.deposit([USDC, alice.address, QUANTA[USDC]]), "VaultFrozen");

    // ---------------------------------------------------------------- the finalized withdrawal stays claimable
    const w = r1.withdrawals[0];
    const paid: Record<string, bigint> = {};
    const before = async (a: Address, asset: number) => (await tokens[asset].read.balanceOf([a])) as bigint;
    const b0 = await before(bob.address, USDC);
    expect(lower(w.recipient)).to.equal(lower(bob.address));
    await vault.write.claim([BigInt(w.withdrawalId), w.recipient, w.asset, BigInt(w.amount), hex(tree.root), tree.proof(w.withdrawalId).map(hex)]);
    expect((await before(bob.address, USDC)) - b0).to.equal(BigInt(w.amount) * QUANTA[USDC]);

    // ---------------------------------------------------------------- exits against the finalized root
    const holders: [Address, any][] = s1.accounts
      .filter((a) => [USDC, WETH].some((x) => a.available(x) + a.locked(x) > 0))
      .map((a) => [lower(a.address), a]);
    expect(holders.length).to.equal(3); // alice, bob, carol (the fee account earned nothing: no trade)
    for (const [address, acc] of holders) {
      const proof = getAccountProof(sc1, address);
      expect(proof.root).to.equal(root1);
      for (const asset of [USDC, WETH]) {
        const units = BigInt(acc.available(asset) + acc.locked(asset));
        if (units === 0n) {
          await expectCustomError(vault.write.exit([address, asset, proof.leaf, proof.siblings]), "NothingToExit");
          continue;
        }
        // a lie about the balance (tampered leaf) or someone else's leaf is refused
        const leaf = proof.leaf as Hex;
        const tampered = (leaf.slice(0, -2) + (leaf.endsWith("00") ? "01" : "00")) as Hex;
        await expectCustomError(vault.write.exit([address, asset, tampered, proof.siblings]), "InvalidStateProof");
        await expectCustomError(vault.write.exit([dave.address, asset, leaf, proof.siblings]), "InvalidStateProof"); // not dave's leaf
        const t0 = await before(address, asset);
        await vault.write.exit([address, asset, leaf, proof.siblings]); // anyone submits; paid to the account
        expect((await before(address, asset)) - t0).to.equal(units * QUANTA[asset]);
        await expectCustomError(vault.write.exit([address, asset, leaf, proof.siblings]), "AlreadyExited", [address, asset]);
        paid[`${address}:${asset}`] = units * QUANTA[asset];
      }
    }
    expect(paid[`${lower(alice.address)}:${USDC}`]).to.equal(500_000n * QUANTA[USDC]); // available + locked
    expect(paid[`${lower(bob.address)}:${WETH}`]).to.equal(80_000n * QUANTA[WETH]);

    // ---------------------------------------------------------------- refunds of unfinalized deposits
    const finalizedDeposit = depositsOf.find((d) => d.index < F)!;
    await expectCustomError(
      vault.write.refund([finalizedDeposit.index, finalizedDeposit.account, finalizedDeposit.asset, finalizedDeposit.units, 64n, []]),
      "MessageFinalized", [finalizedDeposit.index, F],
    );
    const hashes = messages.map((m) => keccak256(m));
    const count = BigInt(messages.length);
    for (const d of depositsOf.filter((x) => x.index >= F)) {
      const start = d.index - (d.index % 64n);
      const end = start + 64n <= count ? start + 64n : count;
      const others = hashes.slice(Number(start), Number(end)).filter((_, i) => BigInt(i) + start !== d.index);
      if (lower(d.account) === lower(dave.address)) {
        await expectCustomError(vault.write.refund([d.index, d.account, d.asset, d.units + 1n, end, others]), "InvalidQueueProof");
      }
      const t0 = await before(d.account, d.asset);
      await vault.write.refund([d.index, d.account, d.asset, d.units, end, others]);
      expect((await before(d.account, d.asset)) - t0).to.equal(d.units * QUANTA[d.asset]);
      await expectCustomError(vault.write.refund([d.index, d.account, d.asset, d.units, end, others]), "AlreadyRefunded", [d.index]);
    }
    expect(depositsOf.filter((x) => x.index >= F).length).to.equal(73); // dave, carol, erin and 70 flood deposits

    // ---------------------------------------------------------------- the Vault paid out exactly what it held
    for (const asset of [USDC, WETH]) expect(await tokens[asset].read.balanceOf([vault.address])).to.equal(0n);
  });
});
