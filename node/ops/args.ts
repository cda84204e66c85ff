// Flag parsing for the operator subcommands: `--name value` for string flags, `--name` for boolean flags,
// anything else positional. Unknown flags are a USAGE error (never silently ignored).
import { OpsError } from "./errors.ts";

export type FlagSpec = Record<string, "string" | "boolean">;

export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    const kind = spec[name];
    if (kind === undefined) throw new OpsError("USAGE", `unknown option ${a}`);
    if (kind === "boolean") flags.set(name, true);
    else {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new OpsError("USAGE", `${a} needs a value`);
      flags.set(name, v);
    }
  }
  return { positional, flags };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export function need(p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined) throw new OpsError("USAGE", `--${name} is required`);
  return v;
}

/** A non-negative integer flag (decimal or 0x hex); `fallback` when absent. */
export function int(p: Parsed, name: string, fallback?: bigint): bigint {
  const v = str(p, name);
  if (v === undefined) {
    if (fallback === undefined) throw new OpsError("USAGE", `--${name} is required`);
    return fallback;
  }
  if (!/^(0x[0-9a-fA-F]+|-?\d+)$/.test(v)) throw new OpsError("USAGE", `--${name}: expected an integer, got ${JSON.stringify(v)}`);
  return BigInt(v);
}
