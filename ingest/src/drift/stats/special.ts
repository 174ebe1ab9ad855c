// Special functions needed for p-values: erf/erfc, the normal CDF, log-gamma, Loader's
// saddle-point helpers (stirlerr, bd0) and the regularized incomplete gamma function
// (chi-square survival). Double precision, ~1e-15 relative in the ranges that matter.

const SQRT_PI = Math.sqrt(Math.PI);
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = Number.EPSILON;

/** exp(-x*x) without the rounding error of forming x*x (matters for x > ~3). */
export function expNegSquare(x: number): number {
  const ax = Math.abs(x);
  // xh has <= 22 significant bits, so xh*xh is exact; the rest is a small correction.
  const xh = Math.round(ax * 65536) / 65536;
  const t = (ax - xh) * (ax + xh);
  return Math.exp(-xh * xh) * Math.exp(-t);
}

/** erf(x) for |x| < 0.5 by its Taylor series (terms shrink fast, no cancellation issue). */
function erfSmall(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < EPS * Math.abs(sum) * 0.25) {
      break;
    }
  }
  return (2 / SQRT_PI) * sum;
}

/**
 * erfc(x) for x >= 0.5 by Laplace's continued fraction
 * erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 * evaluated bottom-up from a fixed depth: more accurate than forward (Lentz) evaluation, and
 * 300/x^2 levels reach full precision for every x >= 0.5 (checked against scipy).
 */
function erfcLarge(x: number): number {
  if (x > 27.3) {
    return 0; // below the smallest subnormal
  }
  const depth = Math.ceil(300 / (x * x)) + 20;
  let t = x;
  for (let k = depth; k >= 1; k--) {
    t = x + k / 2 / t;
  }
  return expNegSquare(x) / (SQRT_PI * t);
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) {return NaN;}
  if (x < -0.5) {return 2 - erfcLarge(-x);}
  if (x < 0.5) {return 1 - erfSmall(x);}
  return erfcLarge(x);
}

export function erf(x: number): number {
  if (Number.isNaN(x)) {return NaN;}
  if (Math.abs(x) < 0.5) {return erfSmall(x);}
  return x > 0 ? 1 - erfcLarge(x) : erfcLarge(-x) - 1;
}

/** Standard normal CDF Phi(z) (scipy.special.ndtr). */
export function normalCdf(z: number): number {
  const x = z * Math.SQRT1_2;
  return z < 0 ? 0.5 * erfc(-x) : 1 - 0.5 * erfc(x);
}

/** Standard normal survival 1 - Phi(z), accurate in the far upper tail (scipy norm.sf). */
export function normalSf(z: number): number {
  return normalCdf(-z);
}

// Lanczos approximation (g = 7, 9 terms): ~1e-15 relative for log Gamma of positive arguments.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Gamma(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) {return x === 0 ? Infinity : NaN;}
  if (x < 0.5) {
    // Reflection keeps the Lanczos sum in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) {
    a += LANCZOS[i]! / (z + i);
  }
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

// stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n) for n = 0, 0.5, ..., 15 (computed with
// 40-digit arithmetic); Loader (2000), "Fast and accurate computation of binomial probabilities".
const STIRLERR_HALVES = [
  0, 0.15342640972002734529, 0.08106146679532725822, 0.054814121051917653896, 0.041340695955409294094,
  0.033162873519936287485, 0.027677925684998339149, 0.023746163656297495971, 0.020790672103765093112,
  0.018488450532673185231, 0.016644691189821192163, 0.015134973221917378874, 0.013876128823070747999,
  0.012810465242920226924, 0.011896709945891770095, 0.011104559758206917327, 0.010411265261972096497,
  0.0097994161261588032984, 0.0092554621827127329177, 0.008768700134139385463, 0.0083305634333628712565,
  0.0079341145643140205472, 0.007573675487951840795, 0.0072445543013203831795, 0.0069428401072095298657,
  0.0066652470327076824424, 0.0064089941880042070684, 0.0061717122630394576475, 0.0059513701127588477356,
  0.005746216513010115682, 0.005554733551962801371,
];

/** Error of Stirling's formula: log Gamma(n+1) - (n+1/2) log n + n - log sqrt(2 pi). */
export function stirlerr(n: number): number {
  if (n <= 15) {
    const nn = n + n;
    if (nn === Math.floor(nn)) {return STIRLERR_HALVES[nn]!;}
    return logGamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  }
  const nn = n * n;
  // Asymptotic series; five terms give full double precision for n > 15.
  if (n > 500) {return (1 / 12 - (1 / 360 - 1 / 1260 / nn) / nn) / n;}
  if (n > 80) {return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / 1680 / nn) / nn) / nn) / n;}
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / nn) / nn) / nn) / nn) / n;
}

/** Deviance term bd0(x, np) = x log(x/np) + np - x, computed without cancellation. */
export function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    const v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    const v2 = v * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v2;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) {return s1;}
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

/** x^a e^-x / Gamma(a+1) (a Poisson density at a, continuous in a), via Loader's method. */
export function poissonDensityRaw(a: number, x: number): number {
  if (x === 0) {return a === 0 ? 1 : 0;}
  if (a === 0) {return Math.exp(-x);}
  return Math.exp(-stirlerr(a) - bd0(a, x)) / Math.sqrt(2 * Math.PI * a);
}

/**
 * Binomial probability C(n,k) p^k q^(n-k) with q = 1 - p given separately (Loader); accurate to a
 * few ulps even when the log of the result is in the hundreds.
 */
export function binomialDensityRaw(k: number, n: number, p: number, q: number): number {
  if (p === 0) {return k === 0 ? 1 : 0;}
  if (q === 0) {return k === n ? 1 : 0;}
  if (k === 0) {
    if (n === 0) {return 1;}
    const lc = p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q);
    return Math.exp(lc);
  }
  if (k === n) {
    const lc = q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p);
    return Math.exp(lc);
  }
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n * p) - bd0(n - k, n * q);
  const f = (2 * Math.PI * k * (n - k)) / n;
  return Math.exp(lc) / Math.sqrt(f);
}

/** Regularized incomplete gamma functions { p: P(a,x), q: Q(a,x) } for a > 0, x >= 0. */
export function regularizedGamma(a: number, x: number): { p: number; q: number } {
  if (!(a > 0) || Number.isNaN(x)) {return { p: NaN, q: NaN };}
  if (x <= 0) {return { p: 0, q: 1 };}
  if (x === Infinity) {return { p: 1, q: 0 };}
  const prefix = poissonDensityRaw(a, x); // x^a e^-x / Gamma(a+1)
  if (x < a + 1) {
    // P(a,x) = prefix * sum_k x^k / ((a+1)...(a+k)), all terms positive.
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 100000; k++) {
      term *= x / (a + k);
      sum += term;
      if (term < sum * EPS * 0.5) {break;}
    }
    const p = Math.min(1, prefix * sum);
    return { p, q: 1 - p };
  }
  // Q(a,x) = a * prefix * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))) (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) {d = tiny;}
    c = b + an / c;
    if (Math.abs(c) < tiny) {c = tiny;}
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) {break;}
  }
  const q = Math.min(1, a * prefix * h);
  return { p: 1 - q, q };
}

/** Chi-square survival function P(X >= x) with df degrees of freedom (scipy chi2.sf). */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) {return NaN;}
  if (Number.isNaN(x)) {return NaN;}
  if (x === Infinity) {return 0;}
  return regularizedGamma(df / 2, x / 2).q;
}

/** Chi-square CDF. */
export function chiSquareCdf(x: number, df: number): number {
  if (!(df > 0)) {return NaN;}
  return regularizedGamma(df / 2, Math.max(0, x) / 2).p;
}

/** x * 2^e without intermediate overflow/underflow of 2^e. */
export function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/** Round half to even, as numpy's np.round does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) {return r - 1;}
  return r;
}
