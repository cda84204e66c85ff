// The web page on the RPC port (docs/web.md): GET / is the built page's index.html and GET /assets/* its
// bundled files, read from the dist directory `npm run build:web` writes (node/web/dist). Only files under
// that directory's assets/ are served; a missing build answers 503 with the command that makes it.

import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

async function sendFile(reply: FastifyReply, file: string, cache: string): Promise<FastifyReply> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return reply.code(file.endsWith("index.html") ? 503 : 404).header("content-type", "text/plain; charset=utf-8")
      .send(file.endsWith("index.html") ? "web page not built: run `npm run build:web`\n" : "not found\n");
  }
  return reply.header("content-type", TYPES[path.extname(file)] ?? "application/octet-stream").header("cache-control", cache).send(body);
}

/** Serves `dir`/index.html at GET / and `dir`/assets/** at GET /assets/*. */
export function registerWebPage(app: FastifyInstance, dir: string): void {
  const assets = path.resolve(dir, "assets") + path.sep;
  app.get("/", (_req, reply) => sendFile(reply, path.resolve(dir, "index.html"), "no-cache"));
  app.get("/assets/*", (req, reply) => {
    const rel = (req.params as { "*": string })["*"];
    const file = path.resolve(assets, rel);
    if (!file.startsWith(assets)) return reply.code(404).header("content-type", "text/plain; charset=utf-8").send("not found\n");
    return sendFile(reply, file, "no-cache");
  });
}
