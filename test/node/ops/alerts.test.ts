// Checks what can be checked of docker/ here (no promtool, no docker compose): the Prometheus alert rules
// parse, are well formed, and use only metric names the node registers (string literals of prom-client
// registrations in node/, and the metrics the modules actually register in a fresh registry); the
// Prometheus configuration loads rule files that exist; the compose file's services, mounts and
// environment fit the repository and the node's configuration (node.example.json + the compose
// environment validates with node/config.ts).
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { parse } from "yaml";
import { DEFAULT_CONFIG, loadConfig } from "../../../node/config.ts";
import { daMetrics } from "../../../node/da/metrics.ts";
import { deriveMetrics } from "../../../node/derive/metrics.ts";
import { l1BalanceGauge } from "../../../node/l1/balance.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const DOCKER = path.join(ROOT, "docker");
const PROM = path.join(DOCKER, "prometheus");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".generated.ts")) out.push(p);
  }
  return out;
}

/** Metric names registered in node/: every "rollbook_..." string literal. */
function registeredNames(): Set<string> {
  const names = new Set<string>();
  for (const f of sources(path.join(ROOT, "node"))) for (const m of readFileSync(f, "utf8").matchAll(/["'`](rollbook_[a-z0-9_]+)["'`]/g)) names.add(m[1]!);
  return names;
}

/** rollbook_* names an expression uses, with histogram/summary series suffixes mapped to the metric. */
function usedNames(expr: string, known: Set<string>): string[] {
  return [...expr.matchAll(/\b(rollbook_[a-z0-9_]+)\b/g)].map((m) => {
    const n = m[1]!;
    const base = n.replace(/_(bucket|sum|count)$/, "");
    return known.has(n) ? n : base;
  });
}

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

const ruleFiles = readdirSync(PROM).filter((f) => f.endsWith("-alerts.yml"));

describe("ops: docker/ Prometheus alert rules and compose file", () => {
  const known = registeredNames();

  it("finds the rule files and the registered metric names", () => {
    expect(ruleFiles).to.include.members(["node-alerts.yml", "mm-alerts.yml"]);
    expect(known.has("rollbook_derive_l1_lag_blocks")).to.equal(true);
    expect(known.size).to.be.greaterThan(20);
  });

  for (const file of ruleFiles) {
    it(`${file}: well-formed rules over registered metrics only`, () => {
      const doc = parse(readFileSync(path.join(PROM, file), "utf8")) as { groups: { name: string; rules: Rule[] }[] };
      expect(doc.groups).to.be.an("array").that.is.not.empty;
      const alerts = new Set<string>();
      for (const g of doc.groups) {
        expect(g.name).to.be.a("string");
        for (const r of g.rules) {
          expect(r.alert, JSON.stringify(r)).to.match(/^[A-Z][A-Za-z0-9]+$/);
          expect(alerts.has(r.alert), `duplicate alert ${r.alert}`).to.equal(false);
          alerts.add(r.alert);
          expect(r.expr, r.alert).to.be.a("string");
          if (r.for !== undefined) expect(r.for, r.alert).to.match(/^\d+[smh]$/);
          expect(["page", "ticket"], r.alert).to.include(r.labels?.severity);
          expect(r.annotations?.summary, r.alert).to.be.a("string");
          // brackets balance (a cheap syntax check without promtool)
          const open = { "(": ")", "[": "]", "{": "}" } as Record<string, string>;
          const stack: string[] = [];
          for (const ch of r.expr.replace(/"[^"]*"/g, "")) {
            if (open[ch]) stack.push(open[ch]!);
            else if (ch === ")" || ch === "]" || ch === "}") expect(stack.pop(), `${r.alert}: unbalanced ${ch}`).to.equal(ch);
          }
          expect(stack, `${r.alert}: unclosed`).to.deep.equal([]);
          const used = usedNames(r.expr, known);
          if (!/\bup\{/.test(r.expr)) expect(used, `${r.alert} uses no rollbook metric`).to.not.be.empty;
          for (const n of used) expect(known.has(n), `${file} ${r.alert}: metric ${n} is not registered in node/`).to.equal(true);
        }
      }
    });
  }

  it("node-alerts.yml covers L1 lag, stalled derivation, failing proposals, low balances and reorgs with metrics the modules register", async () => {
    const registry = new Registry();
    deriveMetrics(registry);
    daMetrics(registry);
    l1BalanceGauge(registry);
    const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const doc = parse(readFileSync(path.join(PROM, "node-alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    for (const r of rules) for (const n of usedNames(r.expr, registered)) expect(registered.has(n), `${r.alert}: ${n}`).to.equal(true);
    const uses = (metric: string) => rules.some((r) => r.expr.includes(metric));
    for (const m of ["rollbook_derive_l1_lag_blocks", "rollbook_derive_l1_block", "rollbook_da_post_total", "rollbook_l1_balance_eth", "rollbook_derive_reorgs_total"]) {
      expect(uses(m), m).to.equal(true);
    }
    const names = rules.map((r) => r.alert);
    expect(names).to.include.members(["RollbookL1LagHigh", "RollbookDerivationStalled", "RollbookProposalsFailing", "RollbookProposerBalanceLow", "RollbookProverBalanceLow", "RollbookL1Reorg"]);
  });

  it("prometheus.yml loads the rule files and scrapes the node's admin listener", () => {
    const cfg = parse(readFileSync(path.join(PROM, "prometheus.yml"), "utf8")) as any;
    for (const f of cfg.rule_files as string[]) expect(existsSync(path.join(PROM, path.basename(f))), f).to.equal(true);
    expect((cfg.rule_files as string[]).map((f) => path.basename(f)).sort()).to.deep.equal([...ruleFiles].sort());
    const job = cfg.scrape_configs.find((j: any) => j.job_name === "rollbook-node");
    expect(job.metrics_path).to.equal("/metrics");
    expect(job.static_configs[0].targets).to.deep.equal(["node:8646"]);
    expect(job.authorization.credentials_file).to.equal("/run/secrets/admin_token");
  });

  it("compose.yaml: node, kubo and prometheus; mounts exist; the node's configuration validates", () => {
    const compose = parse(readFileSync(path.join(DOCKER, "compose.yaml"), "utf8")) as any;
    expect(Object.keys(compose.services).sort()).to.deep.equal(["kubo", "node", "prometheus"]);
    const node = compose.services.node;
    expect(existsSync(path.resolve(DOCKER, node.build.context, node.build.dockerfile))).to.equal(true);
    expect(node.command[0]).to.equal("run");
    for (const svc of Object.values<any>(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = String(v).split(":")[0]!;
        if (src.startsWith(".")) expect(existsSync(path.resolve(DOCKER, src)), src).to.equal(true);
        else expect(compose.volumes, src).to.have.property(src);
      }
    }
    // environment with the ${VAR:?...} placeholders filled in, over node.example.json
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries<string>(node.environment)) env[k] = String(v).replace(/\$\{L1_RPC_URL[^}]*\}/, "https://l1.test").replace(/\$\{L1_BEACON_URL[^}]*\}/, "https://beacon.test").replace(/\$\{[^}]*\}/, "a-placeholder-secret-of-32-chars");
    const config = loadConfig(path.join(DOCKER, "node.example.json"), env);
    expect(config.l1.rpcUrl).to.equal("https://l1.test");
    expect(config.l1.beaconUrl).to.equal("https://beacon.test");
    expect(config.ipfs).to.deep.equal({ mode: "kubo", kuboUrl: "http://kubo:5001" });
    expect(config.dataDir).to.equal("/data");
    // every ROLLBOOK_* variable names a configuration key
    const keys = new Set<string>();
    const walk = (o: Record<string, unknown>, prefix: string[]): void => {
      for (const [k, v] of Object.entries(o)) {
        if (v !== null && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, [...prefix, k]);
        else keys.add("ROLLBOOK_" + [...prefix, k].map((s) => s.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase()).join("_"));
      }
    };
    walk(DEFAULT_CONFIG as unknown as Record<string, unknown>, []);
    for (const k of Object.keys(node.environment)) {
      expect(keys.has(k), `${k} is not a configuration key`).to.equal(true);
    }
    expect(compose.services.prometheus.volumes.some((v: string) => v.startsWith("./prometheus:"))).to.equal(true);
  });

  it("Dockerfile: what npm ci's postinstall runs is in the image before npm ci; sources, entry point, ports and health check fit", () => {
    const lines = readFileSync(path.join(DOCKER, "Dockerfile"), "utf8").replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    const isIgnored = (p: string) => ignored.some((pat) => p === pat || p.startsWith(pat + "/"));
    const copied: string[] = [];
    let npmCiSeen = false;
    for (const l of lines.slice(0, lines.findIndex((l, i) => i > 0 && l.startsWith("FROM ")))) {
      const copy = /^COPY\s+(?!--from)(.+)\s+\S+$/.exec(l);
      if (copy !== null) {
        for (const src of copy[1]!.split(/\s+/)) {
          expect(existsSync(path.join(ROOT, src)), `COPY ${src}`).to.equal(true);
          copied.push(src === "." ? "" : src.replace(/\/$/, ""));
        }
      }
      if (/^RUN npm ci\b/.test(l)) {
        npmCiSeen = true;
        const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
        // the scripts postinstall runs, and the web page's sources, which scripts/build-web.mjs bundles with their imports from node/
        const needed = [...[...pkg.scripts.postinstall!.matchAll(/node\s+(\S+)/g)].map((m) => m[1]!), "node/web/src/main.ts", "node/client/client.ts"];
        for (const f of needed) {
          expect(copied.some((c) => c === "" || f === c || f.startsWith(c + "/")), `${f} is not copied before npm ci`).to.equal(true);
          expect(isIgnored(f), `${f} is excluded by .dockerignore`).to.equal(false);
        }
      }
    }
    expect(npmCiSeen).to.equal(true);
    const entry = lines.find((l) => l.startsWith("ENTRYPOINT "))!;
    const script = (JSON.parse(entry.slice("ENTRYPOINT ".length)) as string[]).find((a) => a.endsWith(".ts"))!;
    expect(existsSync(path.join(ROOT, script)), script).to.equal(true);
    expect(isIgnored(script)).to.equal(false);
    const exposed = lines.find((l) => l.startsWith("EXPOSE "))!.split(/\s+/).slice(1).map(Number);
    expect(exposed).to.deep.equal([DEFAULT_CONFIG.rpc.port, DEFAULT_CONFIG.admin.port]);
    expect(lines.find((l) => l.startsWith("HEALTHCHECK "))).to.contain(`http://127.0.0.1:${DEFAULT_CONFIG.rpc.port}/health`);
  });
});
