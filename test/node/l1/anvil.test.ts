import { expect } from "chai";
import { startAnvil } from "../../../node/l1/anvil.ts";

describe("l1/anvil launcher", () => {
  it("starts anvil on a free loopback port, answers RPC, and stops", async () => {
    const anvil = await startAnvil();
    try {
      const res = await fetch(anvil.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      const body = (await res.json()) as { result: string };
      expect(Number(body.result)).to.equal(31337);
    } finally {
      await anvil.stop();
    }
    expect(anvil.process.exitCode !== null || anvil.process.signalCode !== null).to.equal(true);
  });
});
