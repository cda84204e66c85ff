// Small dense matrices (row-major number[][]) for the Hawkes forecasts: products, solve, matrix
// exponential. Sizes here are a handful of event types, so plain loops are the fastest choice.

export type Matrix = number[][];

export function identity(n: number): Matrix {
  const m: Matrix = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n).fill(0);
    row[i] = 1;
    m.push(row);
  }
  return m;
}

export function matMul(a: Matrix, b: Matrix): Matrix {
  const n = a.length;
  const k = b.length;
  const m = b[0]!.length;
  const out: Matrix = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(m).fill(0);
    for (let p = 0; p < k; p++) {
      const aip = a[i]![p]!;
      if (aip === 0) continue;
      const bp = b[p]!;
      for (let j = 0; j < m; j++) row[j]! += aip * bp[j]!;
    }
    out.push(row);
  }
  return out;
}

export function matVec(a: Matrix, x: readonly number[]): number[] {
  return a.map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0));
}

export function matAdd(a: Matrix, b: Matrix, scaleB = 1): Matrix {
  return a.map((row, i) => row.map((v, j) => v + scaleB * b[i]![j]!));
}

export function matScale(a: Matrix, s: number): Matrix {
  return a.map((row) => row.map((v) => v * s));
}

function normInf(a: Matrix): number {
  let best = 0;
  for (const row of a) best = Math.max(best, row.reduce((s, v) => s + Math.abs(v), 0));
  return best;
}

/** Solves A x = b by Gaussian elimination with partial pivoting; throws on a singular matrix. */
export function solve(a: Matrix, b: readonly number[]): number[] {
  const n = a.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-300) throw new RangeError("singular matrix");
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      if (f === 0) continue;
      for (let j = c; j <= n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** e^A by scaling and squaring with a degree-12 Taylor series (accurate to ~1e-14 for the norms here). */
export function expm(a: Matrix): Matrix {
  const n = a.length;
  const norm = normInf(a);
  const s = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const scaled = matScale(a, 1 / 2 ** s);
  let term = identity(n);
  let sum = identity(n);
  for (let k = 1; k <= 12; k++) {
    term = matScale(matMul(term, scaled), 1 / k);
    sum = matAdd(sum, term);
  }
  for (let i = 0; i < s; i++) sum = matMul(sum, sum);
  return sum;
}
