// A small JSON Schema subset (draft 2020-12 keywords) used for two things at once: validating RPC params
// and writing the OpenRPC document (docs/api.md "Methods"). Validation is iterative over the schema, never
// over the value: a value nested deeper than its schema is refused at the first level the schema does not
// allow, so hostile nesting costs nothing. Browser-safe (no Node imports).

export type Schema =
  | { type: "integer"; minimum?: number; maximum?: number; description?: string; title?: string }
  | { type: "string"; pattern?: string; minLength?: number; maxLength?: number; enum?: readonly string[]; description?: string; title?: string }
  | { type: "boolean"; description?: string; title?: string }
  | { type: "null"; description?: string; title?: string }
  | {
      type: "object";
      properties: Readonly<Record<string, Schema>>;
      required?: readonly string[];
      additionalProperties?: false | Schema;
      description?: string;
      title?: string;
    }
  | { type: "array"; items: Schema; minItems?: number; maxItems?: number; description?: string; title?: string }
  | { const: string | number | boolean; description?: string; title?: string }
  | { oneOf: readonly Schema[]; description?: string; title?: string }
  /** A reference into components.schemas (the OpenRPC document keeps it; validation follows it). */
  | { $ref: string; description?: string };

const patterns = new Map<string, RegExp>();
function re(p: string): RegExp {
  let r = patterns.get(p);
  if (r === undefined) {
    r = new RegExp(p);
    patterns.set(p, r);
  }
  return r;
}

const typeName = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** A problem found by `check`: the rule broken and the path below the checked value, innermost first. */
interface Fail {
  rev: string[];
  rule: string;
}
const fail = (rule: string, at?: string): Fail => ({ rev: at === undefined ? [] : [at], rule });
const under = (f: Fail, at: string): Fail => {
  f.rev.push(at);
  return f;
};

/**
 * Checks `value` against `schema`; returns null when it conforms, else the first problem as
 * "<path>: <rule>". `refs` resolves "#/components/schemas/<name>". A conforming value costs no string
 * building: the path is assembled only for the problem reported.
 */
export function validate(schema: Schema, value: unknown, refs: Readonly<Record<string, Schema>> = {}, path = "params"): string | null {
  const f = check(schema, value, refs);
  return f === null ? null : `${path}${f.rev.reverse().join("")}: ${f.rule}`;
}

/** "#/components/schemas/<name>" -> <name>, memoized (checked on every request). */
const refNames = new Map<string, string>();
function refName(ref: string): string {
  let n = refNames.get(ref);
  if (n === undefined) refNames.set(ref, (n = ref.slice(ref.lastIndexOf("/") + 1)));
  return n;
}

function check(schema: Schema, value: unknown, refs: Readonly<Record<string, Schema>>): Fail | null {
  if ("$ref" in schema) {
    const target = refs[refName(schema.$ref)];
    if (target === undefined) return fail(`unresolvable schema ${schema.$ref}`);
    return check(target, value, refs);
  }
  if ("const" in schema) return value === schema.const ? null : fail(`expected ${JSON.stringify(schema.const)}`);
  if ("oneOf" in schema) {
    // Discriminated unions: the branch whose const "kind" matches decides (clear messages); else first match.
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const kind = (value as Record<string, unknown>).kind;
      for (const s of schema.oneOf) {
        const b = "$ref" in s ? refs[refName(s.$ref)] : s;
        if (b !== undefined && "type" in b && b.type === "object") {
          const k = b.properties.kind;
          if (k !== undefined && "const" in k && k.const === kind) return check(b, value, refs);
        }
      }
    }
    for (const s of schema.oneOf) if (check(s, value, refs) === null) return null;
    return fail(`matches none of the allowed forms`);
  }
  switch (schema.type) {
    case "integer":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) return fail(`expected a safe integer, got ${typeName(value)}`);
      if (schema.minimum !== undefined && value < schema.minimum) return fail(`below minimum ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) return fail(`above maximum ${schema.maximum}`);
      return null;
    case "string":
      if (typeof value !== "string") return fail(`expected a string, got ${typeName(value)}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return fail(`longer than ${schema.maxLength}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) return fail(`shorter than ${schema.minLength}`);
      if (schema.enum !== undefined && !schema.enum.includes(value)) return fail(`expected one of ${schema.enum.join("|")}`);
      if (schema.pattern !== undefined && !re(schema.pattern).test(value)) return fail(`does not match ${schema.pattern}`);
      return null;
    case "boolean":
      return typeof value === "boolean" ? null : fail(`expected a boolean, got ${typeName(value)}`);
    case "null":
      return value === null ? null : fail(`expected null`);
    case "array": {
      if (!Array.isArray(value)) return fail(`expected an array, got ${typeName(value)}`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return fail(`more than ${schema.maxItems} items`);
      if (schema.minItems !== undefined && value.length < schema.minItems) return fail(`fewer than ${schema.minItems} items`);
      for (let i = 0; i < value.length; i++) {
        const p = check(schema.items, value[i], refs);
        if (p !== null) return under(p, `[${i}]`);
      }
      return null;
    }
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(`expected an object, got ${typeName(value)}`);
      const obj = value as Record<string, unknown>;
      for (const k of schema.required ?? []) if (!Object.hasOwn(obj, k)) return fail("required", `.${k}`);
      for (const k of Object.keys(obj)) {
        const ps = Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
        if (ps !== undefined) {
          const p = check(ps, obj[k], refs);
          if (p !== null) return under(p, `.${k}`);
        } else if (schema.additionalProperties === undefined || schema.additionalProperties === false) {
          return fail("unknown field", `.${k.length > 40 ? k.slice(0, 40) + "..." : k}`);
        } else {
          const p = check(schema.additionalProperties, obj[k], refs);
          if (p !== null) return under(p, `.${k}`);
        }
      }
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shared building blocks

export const MAX_U64 = Number.MAX_SAFE_INTEGER;
export const u8 = (description: string, maximum = 255): Schema => ({ type: "integer", minimum: 0, maximum, description });
export const u32 = (description: string): Schema => ({ type: "integer", minimum: 0, maximum: 0xffffffff, description });
export const u64 = (description: string): Schema => ({ type: "integer", minimum: 0, maximum: MAX_U64, description });
export const address = (description: string): Schema => ({ type: "string", pattern: "^0x[0-9a-fA-F]{40}$", description });
export const hash32 = (description: string): Schema => ({ type: "string", pattern: "^0x[0-9a-fA-F]{64}$", description });
export const limitParam = (max: number, description = `at most ${max}`): Schema => ({ type: "integer", minimum: 1, maximum: max, description });
export const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties), description?: string): Schema =>
  description === undefined ? { type: "object", properties, required, additionalProperties: false } : { type: "object", properties, required, additionalProperties: false, description };
