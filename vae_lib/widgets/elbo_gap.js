// The in-page twin of ELBOGapExplorer (vae_lib/widgets/elbo_gap.py, elbo_gap_inpage.py): the toy
// p(z) = N(0, 1), p(x|z) = N(x; f(z), s^2) of vae_lib.toy.NonlinearToy1D on its grid (torch.linspace(-L, L, n),
// trapezoidal weights), with f on the grid sent from Python (float64 bytes: any f works). log p(x), the ELBO and
// KL(q || p(z|x)) as NonlinearToy1D.elbo_terms computes them, and the fit button's Adam ascent on the grid ELBO
// (NonlinearToy1D.fit_q: torch's Adam, step for step, on the exact gradient written out below).

/** torch.linspace(a, b, n) in float64: the first half counted from a, the second from b. */
function torchLinspace(a, b, n) {
  const out = new Float64Array(n), step = (b - a) / (n - 1), half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < half ? a + step * i : b - step * (n - i - 1);
  return out;
}

/** The toy on its grid: z, log w (trapezoid), f(z); logJoint(x) and the ELBO's terms for q = N(mu, sigma^2). */
function toy1d(spec, f) {
  const n = spec.n, z = torchLinspace(-spec.L, spec.L, n), h = z[1] - z[0], s = spec.s;
  const logW = new Float64Array(n).fill(Math.log(h));
  logW[0] = logW[n - 1] = Math.log(h / 2);
  const lj = new Float64Array(n), lq = new Float64Array(n), qw = new Float64Array(n);
  function logJoint(x) {
    for (let i = 0; i < n; i++) {
      const r = (x - f[i]) / s;
      lj[i] = -0.5 * r * r - Math.log(s) - 0.5 * LOG_2PI - 0.5 * z[i] * z[i] - 0.5 * LOG_2PI;
    }
    return lj;
  }
  function logPx() { return logsumexp(lj.map((v, i) => v + logW[i])); }
  function q(mu, ls) {  // log q normalised on the grid, and q_i w_i (sum 1): NonlinearToy1D._log_q
    const sg = Math.exp(ls);
    for (let i = 0; i < n; i++) { const r = (z[i] - mu) / sg; lq[i] = -0.5 * r * r - ls - 0.5 * LOG_2PI; }
    const norm = logsumexp(lq.map((v, i) => v + logW[i]));
    for (let i = 0; i < n; i++) { qw[i] = Math.exp(lq[i] + logW[i] - norm); lq[i] -= norm; }
  }
  /** log_px, elbo, kl, gap at x for q = N(mu, sigma^2) (NonlinearToy1D.elbo_terms). */
  function terms(x, mu, sigma) {
    logJoint(x);
    const lpx = logPx();
    q(mu, Math.log(sigma));
    let elbo = 0, kl = 0;
    for (let i = 0; i < n; i++) { elbo += qw[i] * (lj[i] - lq[i]); kl += qw[i] * (lq[i] - (lj[i] - lpx)); }
    return { log_px: lpx, elbo, kl, gap: lpx - elbo - kl };
  }
  /** d ELBO / d(mu, log sigma): the ELBO is sum_i qw_i g_i + log(norm) with g = log p(x, z) - log q_raw, and its
   *  gradient is the covariance under qw of d log q_raw / d theta with g (the normaliser's terms cancel). */
  function grad(mu, ls) {
    q(mu, ls);
    const s2 = Math.exp(2 * ls);
    let em = 0, el = 0, eg = 0, cm = 0, cl = 0;
    for (let i = 0; i < n; i++) {
      const d = z[i] - mu, am = d / s2, al = d * d / s2 - 1, g = lj[i] - lq[i];  // lq - lq_raw: a constant
      em += qw[i] * am; el += qw[i] * al; eg += qw[i] * g; cm += qw[i] * am * g; cl += qw[i] * al * g;
    }
    return [cm - em * eg, cl - el * eg];
  }
  /** NonlinearToy1D.fit_q: Adam (torch's defaults, lr) on -ELBO over (mu, log sigma), clamped after each step. */
  function fit(x, mu, sigma, steps, lr) {
    logJoint(x);
    const th = [Math.min(Math.max(mu, -spec.mu_max), spec.mu_max),
      Math.log(Math.min(Math.max(sigma, spec.sigma_min), spec.sigma_max))];
    const lo = [-spec.mu_max, Math.log(spec.sigma_min)], hi = [spec.mu_max, Math.log(spec.sigma_max)];
    const m1 = [0, 0], m2 = [0, 0], b1 = 0.9, b2 = 0.999;
    for (let t = 1; t <= steps; t++) {
      const g = grad(th[0], th[1]).map((v) => -v);
      const c1 = 1 - b1 ** t, c2 = Math.sqrt(1 - b2 ** t);
      for (let k = 0; k < 2; k++) {
        m1[k] += (g[k] - m1[k]) * (1 - b1);
        m2[k] = m2[k] * b2 + (1 - b2) * g[k] * g[k];
        th[k] -= (lr / c1) * (m1[k] / (Math.sqrt(m2[k]) / c2 + 1e-8));
        th[k] = Math.min(hi[k], Math.max(lo[k], th[k]));
      }
    }
    return [th[0], Math.exp(th[1])];
  }
  return { z, logJoint, logPx, terms, fit };
}

function render({ model, el }) {
  const spec = model.get("spec"), L = model.get("labels");
  const toy = toy1d(spec, float64(model.get("data")));
  const c0 = model.get("controls");
  const sl = {
    x: sliderRow("x", { min: spec.x_range[0], max: spec.x_range[1], step: 0.01, value: c0.x, name: "x" }),
    mu: sliderRow(L.mu, { min: -spec.mu_max, max: spec.mu_max, step: 0.01, value: c0.mu, name: "mu" }),
    sigma: sliderRow(L.sigma, { min: spec.sigma_min, max: spec.sigma_max, step: 0.01, value: c0.sigma, name: "sigma" }),
  };
  const fitButton = h("button", "vae-fit", L.fit);
  const controls = h("div", "vae-controls");
  controls.append(sl.x.row, sl.mu.row, sl.sigma.row, fitButton);
  const [W, H] = spec.plot, wl = Math.round(W * 2 / 3.3);
  const left = plotPanel({ width: wl, height: H, xlim: [-3.5, 3.5], ylim: [0, 2], xlabel: "z", ylabel: L.density,
    cls: "vae-elbo-plot" });
  const lPost = left.curve("#ff7f0e"), lQ = left.curve("#1f77b4");
  left.legend([[L.posterior, "#ff7f0e"], ["q(z)", "#1f77b4"]], "left");
  const right = plotPanel({ width: W - wl, height: H, xlim: [-0.6, 2.6], ylim: [-9, 1], ylabel: L.nats,
    xticks: [[0, "log p(x)"], [1, "ELBO"], [2, "+ KL"]] });
  const bLpx = right.bar(0, 0.6, "#595959"), bElbo = right.bar(1, 0.6, "#1f77b4"), bKl = right.bar(2, 0.6, "#d62728");
  const lpxLine = right.hline(-0.6, 2.6, "#333", { "stroke-dasharray": "5 3" });
  const elboLevel = right.hline(1.3, 1.7, "#4d4d4d", { "stroke-dasharray": "2 2" });
  const table = numberTable([["log p(x)", "log_px"], ["ELBO", "elbo"], ["KL(q‖p(z|x))", "kl"],
    ["log p(x) − ELBO − KL", "gap"]]);
  const plots = h("div", "vae-row");
  plots.append(left.svg, right.svg);
  const panel = h("div", "vae-controls");
  panel.append(plots, table, h("div", "vae-caption", L.caption));
  const root = twinRoot("elbo-gap", spec, L.title);
  const body = h("div", "vae-body");
  body.append(controls, panel);
  root.append(body);
  const every4 = Array.from(toy.z.keys()).filter((i) => i % 4 === 0 && Math.abs(toy.z[i]) <= 3.6);
  const zs = every4.map((i) => toy.z[i]);
  let xDrawn = null;

  function draw() {
    const x = sl.x.value(), mu = sl.mu.value(), sigma = sl.sigma.value();
    if (x !== xDrawn) {  // ELBOGapExplorer._new_x: the posterior and the axes' levels
      const lj = toy.logJoint(x), lpx = toy.logPx(), post = every4.map((i) => Math.exp(lj[i] - lpx));
      let peak = 0;
      for (let i = 0; i < lj.length; i += 4) peak = Math.max(peak, Math.exp(lj[i] - lpx));
      left.setYlim(0, Math.max(2.0, Math.ceil(peak * 1.15 / 1.5) * 1.5));
      right.setYlim(Math.floor((Math.min(lpx, 0) - 8.0) / 3) * 3, Math.ceil(Math.max(lpx, 0) + 1.0));
      lPost.set(zs, post);
      lpxLine.set(lpx);
      xDrawn = x;
    }
    const v = toy.terms(x, mu, sigma);
    lQ.set(zs, zs.map((z) => Math.exp(normLogpdf(z, mu, sigma))));
    const e = Math.max(v.elbo, right.lim().y[0]);
    bLpx.set(0, v.log_px);
    bElbo.set(0, e);
    bKl.set(e, v.log_px);
    elboLevel.set(e);
    table.set(v, (n, k) => (k === "gap" ? n.toExponential(1) : n.toFixed(4)));
    return { controls: { x, mu, sigma }, values: v };
  }
  function fit() {
    const [mu, sigma] = toy.fit(sl.x.value(), sl.mu.value(), sl.sigma.value(), spec.fit_steps, spec.fit_lr);
    sl.mu.set(mu);
    sl.sigma.set(sigma);
  }
  const apply = (c) => { for (const k of ["x", "mu", "sigma"]) sl[k].set(c[k]); };
  const events = [...Object.values(sl).map((s) => [s.input, "input", null]), [fitButton, "click", fit]];
  const twin = wireTwin(model, el, root, spec, draw, apply, events);
  root.vae.fit = () => { fit(); twin.changed(); return twin.last(); };
  return twin.cleanup;
}

export default { render };
