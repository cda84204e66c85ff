// Short run of the RPC fuzzer (the long one is `npm run fuzz:rpc`): every malformed request over HTTP and
// WebSocket is answered with a table error, the server survives, the state digest is unchanged.

import { expect } from "chai";
import { fuzzRpc } from "./fuzz.ts";

describe("rpc: fuzz (short run)", () => {
  it("answers 2,000 malformed requests with table errors and leaves the state unchanged", async () => {
    const rep = await fuzzRpc(2000, 7);
    expect(rep.failures).to.deep.equal([]);
    expect(rep.answered).to.equal(rep.http + rep.ws);
    expect(rep.http).to.be.greaterThan(900);
    expect(rep.ws).to.be.greaterThan(900);
    expect(rep.digestUnchanged).to.equal(true);
  });
});
