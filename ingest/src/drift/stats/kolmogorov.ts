// Kolmogorov-Smirnov distributions:
// - kolmogorovSf(x): limiting distribution of sqrt(n) D_n (scipy kstwobign.sf / special.kolmogorov);
// - smirnovSf(n, x): one-sided one-sample statistic D_n+ (scipy special.smirnov), Birnbaum-Tingey sum;
// - kolmogorovNSf / kolmogorovNCdf: exact two-sided one-sample D_n (scipy kstwo), choosing between
//   the Durbin matrix (Marsaglia-Tsang-Wang), Pomeranz recursion, Pelz-Good expansion and
//   2*smirnov by the rules of Simard & L'Ecuyer (2011), with the same cut-offs scipy uses so the
//   two agree to rounding. scipy's ks_2samp uses kstwo.sf(d, round(n1 n2 / (n1 + n2))) for its
//   asymptotic two-sample p-value.

import { binomialDensityRaw, ldexp } from './special.js';

const PI2 = Math.PI * Math.PI;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708.3964185322641; // log(DBL_MIN)
const E128 = 2 ** 128;
const EM128 = 2 ** -128;

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** Survival function of the Kolmogorov distribution, P(K > x) (scipy kstwobign.sf). */
export function kolmogorovSf(x: number): number {
  return kolmogorovBoth(x).sf;
}

/** CDF of the Kolmogorov distribution (scipy kstwobign.cdf). */
export function kolmogorovCdf(x: number): number {
  return kolmogorovBoth(x).cdf;
}

function kolmogorovBoth(x: number): { sf: number; cdf: number } {
  if (Number.isNaN(x)) {return { sf: NaN, cdf: NaN };}
  // Below ~0.0406 the CDF underflows.
  if (x <= Math.PI / Math.sqrt(8 * 746)) {return { sf: 1, cdf: 0 };}
  if (x <= 0.82) {
    // Jacobi-theta form: cdf = sqrt(2 pi)/x * sum_{k odd} exp(-k^2 pi^2 / (8 x^2)).
    const logu = -PI2 / (8 * x * x);
    const w = SQRT_2PI / x;
    const u = Math.exp(logu);
    if (u === 0) {
      const cdf = Math.exp(logu + Math.log(w));
      return { sf: 1 - cdf, cdf };
    }
    const u8 = Math.exp(8 * logu);
    // 1 + u^8 + u^24 + u^48 (odd squares minus one, over 8: 1, 3, 6); more terms are negligible.
    const p = 1 + u8 * (1 + u8 * u8 * (1 + u8 * u8 * u8));
    const cdf = clip01(w * u * p);
    return { sf: clip01(1 - cdf), cdf };
  }
  // sf = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2); four terms suffice for x > 0.82.
  const v = Math.exp(-2 * x * x);
  const v3 = v * v * v;
  const p = 1 - v3 * (1 - v3 * v * v * (1 - v3 * v3 * v));
  const sf = clip01(2 * v * p);
  return { sf, cdf: clip01(1 - sf) };
}

/**
 * One-sided one-sample Kolmogorov-Smirnov survival P(D_n+ >= x) (scipy special.smirnov), by the
 * Birnbaum-Tingey sum x * sum_{v=0}^{floor(n(1-x))} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v). Each
 * term is (x/p) * Binomial(v; n, p) with p = x + v/n, evaluated with Loader's saddle-point form,
 * so large n stays accurate.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0) || !(x >= 0 && x <= 1) || !Number.isInteger(n)) {return NaN;}
  if (n === 1) {return 1 - x;}
  if (x === 0) {return 1;}
  if (x === 1) {return 0;}
  const nx = n * x;
  const nxFloor = Math.floor(nx);
  if (nxFloor === 0 || nx === 1) {
    // x <= 1/n: cdf = x (1+x)^(n-1).
    return 1 - x * Math.pow(1 + x, n - 1);
  }
  if (-2 * n * x * x < MIN_LOG) {return 0;}
  if (nxFloor >= n - 1) {return Math.pow(1 - x, n);}
  if (n > 1_000_000) {
    // scipy's approximation for huge n: p ~ exp(-(6nx+1)^2 / (18n)).
    const logp = -Math.pow(6 * nx + 1, 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // Terms v with x + v/n < 1; when n(1-x) is an integer the last term is zero.
  const last = Math.ceil(n - nx) - 1;
  let sum = 0;
  let peaked = false;
  let prev = 0;
  for (let v = 0; v <= last; v++) {
    const p = x + v / n;
    const q = 1 - x - v / n;
    if (!(q > 0)) {break;}
    const term = (x / p) * binomialDensityRaw(v, n, p, q);
    sum += term;
    if (term < prev) {peaked = true;}
    prev = term;
    // Terms are unimodal in v; stop once the tail cannot change the sum.
    if (peaked && 4 * (last - v) * term < Number.EPSILON * sum) {break;}
  }
  return clip01(sum);
}

// Stirling-series coefficients B_2j / (2j (2j-1)), j = 8..1 (highest degree first).
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];

/** log(n! / n^n) by Stirling's series with n log n removed up front. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const t = rn / n;
  let poly = 0;
  for (const c of STIRLING) {poly = poly * t + c;}
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** Durbin matrix algorithm (Marsaglia, Tsang, Wang 2003): P(D_n <= d). */
function durbinMtwCdf(n: number, d: number): number {
  if (d >= 1) {return 1;}
  const nd = n * d;
  if (nd <= 0.5) {return 0;}
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - Math.pow(h, j)) * fac;
  }
  const tt = Math.pow(Math.max(2 * h - 1, 0), m) - 2 * Math.pow(h, m);
  v[m - 1] = (1 + tt) * fac;
  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) {H[r * m + i] = w[r - i + 1]!;}
  }
  for (let r = 0; r < m; r++) {H[r * m] = v[r]!;}
  for (let c = 0; c < m; c++) {H[(m - 1) * m + c] = v[m - 1 - c]!;}

  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {P[i * m + i] = 1;}
  let tmp = new Float64Array(m * m);
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2 === 1) {
      matMul(P, H, tmp, m);
      [P, tmp] = [tmp, P];
      expnt += hExpnt;
    }
    matMul(H, H, tmp, m);
    [H, tmp] = [tmp, H];
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < m * m; i++) {H[i] = H[i]! / E128;}
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  // Multiply by n!/n^n, rescaling to stay in range.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) {p = ldexp(p, expnt);}
  return clip01(p);
}

function matMul(a: Float64Array, b: Float64Array, out: Float64Array, m: number): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const io = i * m;
    for (let l = 0; l < m; l++) {
      const ail = a[io + l]!;
      if (ail === 0) {continue;}
      const lo = l * m;
      for (let j = 0; j < m; j++) {out[io + j] = out[io + j]! + ail * b[lo + j]!;}
    }
  }
}

/** Pomeranz (1974) recursion: P(D_n <= x). */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  // (g/n)^m/m!, (2g/n)^m/m!, ((1-2g)/n)^m/m!: Poisson weights without their normalizing factor.
  const gp = new Float64Array(npwrs);
  const g2p = new Float64Array(npwrs);
  const g12p = new Float64Array(npwrs);
  gp[0] = g2p[0] = g12p[0] = 1;
  for (let m = 1; m < npwrs; m++) {
    gp[m] = (gp[m - 1]! * (g / n)) / m;
    g2p[m] = (g2p[m - 1]! * ((2 * g) / n)) / m;
    g12p[m] = (g12p[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  const bounds = (i: number): [number, number] => {
    let j1: number;
    let j2: number;
    if (i === 0) {
      j1 = -ll - ceilf - 1;
      j2 = ll + ceilf - 1;
    } else {
      const half = Math.floor((i + 1) / 2);
      if ((i + 1) % 2 === 0) {
        if (half === n + 1) {
          j1 = n - ll - ceilf - 1;
          j2 = n + ll + ceilf - 1;
        } else {
          j1 = half - 1 - ll - roundf - 1;
          j2 = half + ll - 1 + ceilf - 1;
        }
      } else {
        j1 = half - 1 - ll - 1;
        j2 = half + ll + roundf - 1;
      }
    }
    return [Math.max(j1 + 2, 0), Math.min(j2, n)];
  };
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1, j2] = bounds(0);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = bounds(i);
    const pw = i === 1 || i === 2 * n + 1 ? gp : i % 2 === 1 ? g2p : g12p;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // Entries [j1-k1, j2-k1] of the full convolution of V0[k1-V0s ..][:ln2] with pw[:ln2].
      const aStart = k1 - V0s;
      const la = Math.min(ln2, npwrs - aStart);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let vmax = 0;
      for (let c = 0; c < convLen; c++) {
        const kk = convStart + c;
        let s = 0;
        const lo = Math.max(0, kk - ln2 + 1);
        const hi = Math.min(kk, la - 1);
        for (let a = lo; a <= hi; a++) {s += V0[aStart + a]! * pw[kk - a]!;}
        V1[c] = s;
        if (s > vmax) {vmax = s;}
      }
      if (vmax > 0 && vmax < EM128) {
        for (let c = 0; c < convLen; c++) {V1[c] = V1[c]! * E128;}
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) {ans = ldexp(ans, expnt);}
  return clip01(ans);
}

/** Pelz-Good (1976) asymptotic expansion of P(D_n <= x), for small x. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) {return 0;}
  if (x >= 1) {return 1;}
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) {return 0;} // z < ~0.0417: the CDF underflows
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI2 * PI2 * (1 - 2 * z2)) / 16;
  const k3d = (PI2 * PI2 * PI2 * (5 - 30 * z2)) / 64;
  const k3c = (PI2 * PI2 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  // Horner scheme for sum_k c_k q^((2k-1)^2) over odd integers.
  for (let k = maxk; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = Math.pow(q, 8 * k);
    K[0] = K[0]! * qp + 1;
    K[1] = K[1]! * qp + (k1a + k1b * m2);
    K[2] = K[2]! * qp + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3]! * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const div = [z, 6 * z4, 72 * z6 * z, 6480 * z6 * z4];
  for (let i = 0; i < 4; i++) {K[i] = (K[i]! * q * SQRT_2PI) / div[i]!;}
  // Remaining sums over all integers k for K2 and K3.
  q = Math.exp(-PI2 / 2 / z2);
  let s2 = 0;
  let s3 = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k >= 1; k--) {
    const k2 = k * k;
    const qk = Math.pow(q, k2);
    s2 += k2 * qk;
    const kpi = Math.PI * k;
    s3 += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] = K[2]! + (s2 * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] = K[3]! + (s3 * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) {sum += K[i]! / Math.pow(n, i / 2);}
  return sum;
}

/**
 * Two-sided one-sample Kolmogorov-Smirnov statistic D_n (scipy stats.kstwo): P(D_n <= x) when
 * `cdf` is true, else P(D_n > x). Like scipy, the CDF and the survival function take different
 * routes for n > 140 (the small tail is computed directly), so neither is 1 minus the other there.
 */
export function kolmogorovN(n: number, x: number, cdf: boolean): number {
  const pick = (c: number, s: number): number => clip01(cdf ? c : s);
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) {return NaN;}
  if (x >= 1) {return pick(1, 0);}
  if (x <= 0) {return pick(0, 1);}
  const t = n * x;
  if (t <= 1) {
    // Ruben-Gambino: cdf = n!/n^n (2t-1)^n for 1/(2n) <= x <= 1/n.
    if (t <= 0.5) {return pick(0, 1);}
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) {prob *= i * (1 / n) * (2 * t - 1);}
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return pick(prob, 1 - prob);
  }
  if (t >= n - 1) {
    const prob = 2 * Math.pow(1 - x, n);
    return pick(1 - prob, prob);
  }
  if (x >= 0.5) {
    // D_n+ >= x and D_n- >= x are disjoint here, so the two-sided tail is exactly twice one side.
    const prob = 2 * smirnovSf(n, x);
    return pick(1 - prob, prob);
  }
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) {
      const p = durbinMtwCdf(n, x);
      return pick(p, 1 - p);
    }
    if (nx2 <= 4) {
      const p = pomeranzCdf(n, x);
      return pick(p, 1 - p);
    }
    const prob = 2 * smirnovSf(n, x);
    return pick(1 - prob, prob);
  }
  if (!cdf) {
    if (nx2 >= 370) {return 0;}
    if (nx2 >= 2.2) {return clip01(2 * smirnovSf(n, x));}
  }
  let p: number;
  if (nx2 >= 18) {p = 1;}
  else if (n <= 100000 && n * Math.pow(x, 1.5) <= 1.4) {p = durbinMtwCdf(n, x);}
  else {p = pelzGoodCdf(n, x);}
  return pick(p, 1 - p);
}

/** P(D_n > x), scipy stats.kstwo.sf(x, n). */
export function kolmogorovNSf(n: number, x: number): number {
  return kolmogorovN(n, x, false);
}

/** P(D_n <= x), scipy stats.kstwo.cdf(x, n). */
export function kolmogorovNCdf(n: number, x: number): number {
  return kolmogorovN(n, x, true);
}
