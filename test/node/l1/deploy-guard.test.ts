import { expect } from "chai";
import { startAnvil, ANVIL_DEV_KEYS, type Anvil } from "../../../node/l1/anvil.ts";
import { deploySuite } from "../../../scripts/deploy.ts";

describe("deploy script on a non-devnet chain", function () {
  this.timeout(60_000);
  let anvil: Anvil;
  before(async () => {
    anvil = await startAnvil({ args: ["--chain-id", "11155111"] });
  });
  after(async () => anvil?.stop());

  it("refuses devnet trust defaults (deployer as sole signer/governor/guardian) and names what to set", async () => {
    let message = "";
    try {
      await deploySuite({ rpcUrl: anvil.rpcUrl, write: false, log: () => {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/chain 11155111 is not a devnet/);
    for (const what of ["deployer key", "governors", "guardian", "attestationSigners", "attestationThreshold", "feeAccount"]) {
      expect(message).to.include(what);
    }
    const block = await fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
    }).then((r) => r.json() as Promise<{ result: string }>);
    expect(Number(block.result), "nothing was sent").to.equal(0);
  });

  it("deploys when every trust decision is explicit", async () => {
    const signer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
    const { deployment } = await deploySuite({
      rpcUrl: anvil.rpcUrl,
      privateKey: ANVIL_DEV_KEYS[0],
      governors: [signer],
      guardian: signer,
      attestationSigners: [signer],
      attestationThreshold: 1n,
      feeAccount: signer,
      devToken: false,
      write: false,
      log: () => {},
    });
    expect(deployment.chainId).to.equal(11155111);
    expect(deployment.parameters.feeAccount).to.equal(signer);
  });
});
