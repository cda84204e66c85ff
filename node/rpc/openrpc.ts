// The OpenRPC 1.2 document of the API, generated from the method table and the schemas the server
// validates with (methods.ts, wire.ts, results.ts). Served by rpc.discover; written to docs/openrpc.json by
// `node node/rpc/openrpc.ts` (a test checks the committed file is current).

import { RpcErrors } from "./errors.ts";
import { METHODS } from "./methods.ts";
import { RESULT_SCHEMAS } from "./results.ts";
import type { Schema } from "./schema.ts";
import { TX_SCHEMAS } from "./wire.ts";

export const COMPONENT_SCHEMAS: Readonly<Record<string, Schema>> = { ...TX_SCHEMAS, ...RESULT_SCHEMAS };

export function openRpcDocument(): Record<string, unknown> {
  return {
    openrpc: "1.2.6",
    info: {
      title: "Rollbook trader API",
      version: "1.0.0",
      description: "JSON-RPC 2.0 over HTTP POST / and WebSocket /ws. Errors: see x-errors and docs/api.md.",
    },
    methods: METHODS.map((m) => ({
      name: m.name,
      summary: m.summary,
      ...(m.tag === undefined ? {} : { tags: [{ name: m.tag }] }),
      paramStructure: "either",
      params: m.params.map((p) => ({ name: p.name, required: p.required, schema: p.schema })),
      result: m.result,
    })),
    components: { schemas: COMPONENT_SCHEMAS },
    "x-errors": Object.entries(RpcErrors).map(([name, e]) => ({ name, code: e.code, message: e.message })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.argv[2] ?? "docs/openrpc.json", JSON.stringify(openRpcDocument(), null, 2) + "\n");
}
