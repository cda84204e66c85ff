// Bundles the web page (node/web/src) into node/web/dist with esbuild: assets/app.js (ESM, minified, with
// its source map), assets/app.css and index.html. Run at postinstall, before `npm start` and by
// `npm run build:web`; nothing is fetched at run time (no CDN). Plain JS so any Node runs it.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "node/web/src");
const dist = path.join(root, "node/web/dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(path.join(dist, "assets"), { recursive: true });
const t0 = Date.now();
await build({
  entryPoints: { app: path.join(src, "main.ts") },
  outdir: path.join(dist, "assets"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  logLevel: "warning",
  legalComments: "linked",
});
copyFileSync(path.join(src, "index.html"), path.join(dist, "index.html"));
console.log(`web page built in ${Date.now() - t0} ms -> ${path.relative(root, dist)}`);
