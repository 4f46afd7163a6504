// Fits the float32 erf/erfc coefficients used by bench/erf.wgsl, in float64, from scratch.
// Method: relative-error minimax (Lawson's iteratively reweighted least squares) on Chebyshev nodes.
// Run: node scripts/fit-erf.mjs

const SQRT_PI = Math.sqrt(Math.PI);

/** erfcx(x) = exp(x^2) erfc(x) for x >= 0.5, continued fraction 2x/(2x^2+1 - 1*2/(2x^2+5 - 3*4/...)). */
function erfcx(x) {
  const z = 2 * x * x;
  let f = z + 1,
    c = f,
    d = 0;
  for (let n = 1; n < 10000; n++) {
    const a = -(2 * n - 1) * (2 * n),
      b = z + 1 + 4 * n;
    d = 1 / (b + a * d);
    c = b + a / c;
    f *= c * d;
    if (Math.abs(c * d - 1) < 1e-16) break;
  }
  return (2 * x) / (SQRT_PI * f);
}

/** erf(x)/x by the positive-term series, for 0 <= x < 2. */
function erfOverX(x) {
  const x2 = 2 * x * x;
  let term = 1,
    sum = 1;
  for (let n = 1; n < 200 && term > 1e-18 * sum; n++) sum += term *= x2 / (2 * n + 1);
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

/** Least squares min ||A c - b|| by Householder QR (A: m rows of n). */
function lstsq(A, b) {
  const m = A.length,
    n = A[0].length;
  A = A.map((r) => r.slice());
  b = b.slice();
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = k; i < m; i++) s += A[i][k] ** 2;
    const alpha = A[k][k] > 0 ? -Math.sqrt(s) : Math.sqrt(s);
    const v = new Array(m).fill(0);
    for (let i = k; i < m; i++) v[i] = A[i][k];
    v[k] -= alpha;
    const vv = v.reduce((p, x) => p + x * x, 0);
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let t = 0;
      for (let i = k; i < m; i++) t += v[i] * A[i][j];
      t = (2 * t) / vv;
      for (let i = k; i < m; i++) A[i][j] -= t * v[i];
    }
    let t = 0;
    for (let i = k; i < m; i++) t += v[i] * b[i];
    t = (2 * t) / vv;
    for (let i = k; i < m; i++) b[i] -= t * v[i];
  }
  const c = new Array(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k];
    for (let j = k + 1; j < n; j++) s -= A[k][j] * c[j];
    c[k] = s / A[k][k];
  }
  return c;
}

const horner = (c, y) => c.reduceRight((acc, ck) => acc * y + ck, 0);

/** Polynomial of given degree in y minimizing max |p(y)/f - 1| over samples (ys, fs). */
function fitRelative(ys, fs, degree, iterations = 300) {
  let w = ys.map(() => 1);
  let c = [];
  for (let it = 0; it < iterations; it++) {
    const sw = w.map(Math.sqrt);
    const A = ys.map((y, i) =>
      Array.from({ length: degree + 1 }, (_, k) => (sw[i] * y ** k) / fs[i]),
    );
    c = lstsq(A, sw);
    const e = ys.map((y, i) => Math.abs(horner(c, y) / fs[i] - 1));
    const tot = w.reduce((p, wi, i) => p + wi * e[i], 0);
    w = w.map((wi, i) => (wi * e[i]) / tot);
  }
  const err = Math.max(...ys.map((y, i) => Math.abs(horner(c, y) / fs[i] - 1)));
  return { c, err };
}

const cheb = (a, b, m) =>
  Array.from(
    { length: m },
    (_, i) => (a + b) / 2 + ((b - a) / 2) * Math.cos(((i + 0.5) * Math.PI) / m),
  );

// Split point T (erf branch below, erfc branch above), degrees, and the erfc map constant K.
// Optional overrides: node scripts/fit-erf.mjs T dSmall K dBig
const [T, dSmall, K, dBig] = [1, 6, 2, 8].map((d, i) => Number(process.argv[i + 2] ?? d));
const TMAX = 10.5; // erfc(10.5) = 7e-50 is 0 in f32

// erf(x) = x * P(x^2) on 0 <= x <= T; the shader uses E = P - 1 so that erf = x + x * E(x^2).
const us = cheb(0, T * T, 400);
const small = fitRelative(
  us,
  us.map((u) => erfOverX(Math.sqrt(u))),
  dSmall,
);
// erfc(t) = exp(-t^2) * Q(y) / (t + K), y = (t - K) / (t + K), on T <= t <= TMAX.
const ylo = (T - K) / (T + K),
  yhi = (TMAX - K) / (TMAX + K);
const ys = cheb(ylo, yhi, 600);
const big = fitRelative(
  ys,
  ys.map((y) => {
    const t = (K * (1 + y)) / (1 - y);
    return erfcx(t) * (t + K);
  }),
  dBig,
);

// 9 significant digits identify each f32 exactly.
const f32 = (c) => Math.fround(c).toPrecision(9);
console.log(
  `erf:  x in [0, ${T}], degree ${dSmall} in x^2, max relative fit error ${small.err.toExponential(2)}`,
);
console.log(
  `erfc: t in [${T}, ${TMAX}], K = ${K}, degree ${dBig} in y, max relative fit error ${big.err.toExponential(2)}`,
);
console.log('E:', [small.c[0] - 1, ...small.c.slice(1)].map(f32).join(', '));
console.log('Q:', big.c.map(f32).join(', '));

// gelu's erfc: one branch-free form for all t >= 0 (SIMD lanes never diverge),
// erfc(t) = exp(-t^2) * G(y) / (t + 2), y = (t - 2) / (t + 2), on 0 <= t <= TMAX.
// Below 1, erfcx(t) = exp(t^2) (1 - erf(t)) has no cancellation (erfc >= 0.157).
const ys0 = cheb(-1, yhi, 800);
const whole = fitRelative(
  ys0,
  ys0.map((y) => {
    const t = (2 * (1 + y)) / (1 - y);
    const ex = t < 1 ? Math.exp(t * t) * (1 - t * erfOverX(t)) : erfcx(t);
    return ex * (t + 2);
  }),
  10,
);
console.log(
  `erfc (gelu): t in [0, ${TMAX}], K = 2, degree 10 in y, max relative fit error ${whole.err.toExponential(2)}`,
);
console.log('G:', whole.c.map(f32).join(', '));
