// The toy explorers' math in the page (kl.js, elbo_gap.js, gauss_s.js): float64 throughout, the formulas of
// vae_lib.toy and scipy that the Python explorers use, so the page shows the numbers Python computes
// (tests/test_inpage_toys.py runs these functions in node against the Python explorers).

const LOG_2PI = Math.log(2 * Math.PI);

/** A Float64Array copy of a binary trait (a DataView from ipywidgets, an ArrayBuffer or a typed array). */
function float64(buf) {
  if (buf instanceof Float64Array) return buf;
  const view = ArrayBuffer.isView(buf) ? buf : new DataView(buf);
  return new Float64Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** numpy.linspace(a, b, n): a + i (b - a) / (n - 1), the last point exactly b. */
function linspace(a, b, n) {
  const out = new Float64Array(n), step = (b - a) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = a + i * step;
  out[n - 1] = b;
  return out;
}

/** log N(z; mu, sigma^2) (scipy.stats.norm.logpdf). */
function normLogpdf(z, mu, sigma) {
  const u = (z - mu) / sigma;
  return -0.5 * u * u - Math.log(sigma) - 0.5 * LOG_2PI;
}

/** log(e^a + e^b) (numpy.logaddexp). */
function logaddexp(a, b) {
  const m = Math.max(a, b);
  return m === -Infinity ? m : m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log sum_i e^(a_i) over an array (torch.logsumexp). */
function logsumexp(a) {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  if (m === -Infinity) return m;
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** The trapezoidal rule, integral of y over the points x (scipy.integrate.trapezoid). */
function trapezoid(y, x) {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2;
  return s;
}

/** KL(N(mq, sq^2) || N(mp, sp^2)) in closed form (vae_lib.toy.gaussian_kl_1d). */
function gaussianKL(mq, sq, mp, sp) {
  return Math.log(sp / sq) + (sq * sq + (mq - mp) ** 2) / (2 * sp * sp) - 0.5;
}

/** log of w N(mu - d, sigma^2) + (1 - w) N(mu + d, sigma^2) at z (vae_lib.toy.mixture_log_pdf). */
function mixtureLogpdf(z, mu, sigma, d, w) {
  return logaddexp(Math.log(w) + normLogpdf(z, mu - d, sigma), Math.log(1 - w) + normLogpdf(z, mu + d, sigma));
}

/** KL(q || p) = integral q (log q - log p) by the trapezoidal rule from the two log-densities on the grid. */
function klQuadrature(logQ, logP, grid) {
  const y = new Float64Array(grid.length);
  for (let i = 0; i < y.length; i++) y[i] = Math.exp(logQ[i]) * (logQ[i] - logP[i]);
  return trapezoid(y, grid);
}

/** scipy.optimize.minimize(f, x0, method="Nelder-Mead") step for step (not adaptive, no bounds): the same
 *  initial simplex (5% of each non-zero coordinate, 0.00025 for a zero one), reflection 1, expansion 2,
 *  contraction 0.5, shrink 0.5, stopping when the simplex is within xatol and its values within fatol, or
 *  after 200 N iterations or function calls. Returns the best point. */
function nelderMead(f, x0, { xatol = 1e-4, fatol = 1e-4 } = {}) {
  const N = x0.length, maxIter = 200 * N, maxFun = 200 * N;
  let calls = 0;
  const call = (x) => { calls++; return f(x); };
  let sim = [Float64Array.from(x0)];
  for (let k = 0; k < N; k++) {
    const y = Float64Array.from(x0);
    y[k] = y[k] !== 0 ? 1.05 * y[k] : 0.00025;
    sim.push(y);
  }
  let fs = sim.map(call);
  const order = () => {  // numpy.argsort: stable for so few points (insertion sort)
    const idx = fs.map((_, i) => i).sort((a, b) => fs[a] - fs[b]);
    sim = idx.map((i) => sim[i]);
    fs = idx.map((i) => fs[i]);
  };
  const comb = (a, x, b, y) => x.map((v, k) => a * v + b * y[k]);  // a x + b y
  order();
  for (let it = 1; calls < maxFun && it < maxIter; it++) {
    let dx = 0, df = 0;
    for (let j = 1; j <= N; j++) {
      for (let k = 0; k < N; k++) dx = Math.max(dx, Math.abs(sim[j][k] - sim[0][k]));
      df = Math.max(df, Math.abs(fs[0] - fs[j]));
    }
    if (dx <= xatol && df <= fatol) break;
    const xbar = new Float64Array(N);
    for (let j = 0; j < N; j++) for (let k = 0; k < N; k++) xbar[k] += sim[j][k];
    for (let k = 0; k < N; k++) xbar[k] /= N;
    const worst = sim[N];
    const xr = comb(2, xbar, -1, worst), fxr = call(xr);
    let shrink = false;
    if (fxr < fs[0]) {
      const xe = comb(3, xbar, -2, worst), fxe = call(xe);
      [sim[N], fs[N]] = fxe < fxr ? [xe, fxe] : [xr, fxr];
    } else if (fxr < fs[N - 1]) {
      [sim[N], fs[N]] = [xr, fxr];
    } else if (fxr < fs[N]) {
      const xc = comb(1.5, xbar, -0.5, worst), fxc = call(xc);
      if (fxc <= fxr) [sim[N], fs[N]] = [xc, fxc];
      else shrink = true;
    } else {
      const xcc = comb(0.5, xbar, 0.5, worst), fxcc = call(xcc);
      if (fxcc < fs[N]) [sim[N], fs[N]] = [xcc, fxcc];
      else shrink = true;
    }
    if (shrink) {
      for (let j = 1; j <= N; j++) {
        sim[j] = comb(1, sim[0], 0.5, comb(1, sim[j], -1, sim[0]));
        fs[j] = call(sim[j]);
      }
    }
    order();
  }
  return Array.from(sim[0]);
}
