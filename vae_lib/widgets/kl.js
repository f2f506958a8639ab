// The in-page twin of KLExplorer (vae_lib/widgets/kl.py, kl_inpage.py): q = N(mu_q, sigma_q^2) against a
// Gaussian or two-bump mixture p; KL(q||p) and KL(p||q) exactly (closed form, or quadrature on the grid
// [-12, 12], 4,801 points) and by Monte Carlo with the explorer's own seeded draws (eps, u: float64 bytes
// from numpy's generator); the fit buttons run the Python fits' algorithms: moment matching for KL(p||q) and
// scipy's Nelder-Mead step for step (nelderMead of gauss.js) for KL(q||p).

/** log p on points z for the controls v ("gaussian" or "mixture"). */
function klLogP(v, mode) {
  return mode === "gaussian" ? (z) => normLogpdf(z, v.mu_p, v.sigma_p)
    : (z) => mixtureLogpdf(z, v.mu_p, v.sigma_p, v.separation, v.weight);
}

/** Everything KLExplorer._kls computes: {values, q, p} (q and p: densities on the grid). */
function klState(v, mode, grid, eps, u) {
  const n = grid.length, m = eps.length, logP = klLogP(v, mode);
  const lq = new Float64Array(n), lp = new Float64Array(n);
  for (let i = 0; i < n; i++) { lq[i] = normLogpdf(grid[i], v.mu_q, v.sigma_q); lp[i] = logP(grid[i]); }
  let sqp = 0, spq = 0;
  for (let i = 0; i < m; i++) {
    const zq = v.mu_q + v.sigma_q * eps[i];                       // z ~ q
    sqp += normLogpdf(zq, v.mu_q, v.sigma_q) - logP(zq);
    const shift = mode === "gaussian" ? 0 : (u[i] < v.weight ? -v.separation : v.separation);
    const zp = mode === "gaussian" ? v.mu_p + v.sigma_p * eps[i] : v.mu_p + shift + v.sigma_p * eps[i];  // z ~ p
    spq += logP(zp) - normLogpdf(zp, v.mu_q, v.sigma_q);
  }
  const values = { kl_qp_grid: klQuadrature(lq, lp, grid), kl_pq_grid: klQuadrature(lp, lq, grid),
    kl_qp_mc: sqp / m, kl_pq_mc: spq / m };
  if (mode === "gaussian") {
    values.kl_qp = gaussianKL(v.mu_q, v.sigma_q, v.mu_p, v.sigma_p);
    values.kl_pq = gaussianKL(v.mu_p, v.sigma_p, v.mu_q, v.sigma_q);
  } else {
    values.kl_qp = values.kl_qp_grid;
    values.kl_pq = values.kl_pq_grid;
  }
  return { values, q: lq.map(Math.exp), p: lp.map(Math.exp) };
}

/** vae_lib.toy.fit_gaussian_1d: the (mu, sigma) minimising KL(q||p) ("qp", from the current q) or KL(p||q)
 *  ("pq"), clamped into the sliders' ranges as KLExplorer.fit does. */
function klFit(v, mode, grid, direction, ranges) {
  const logP = klLogP(v, mode), lp = grid.map(logP);
  let mu, sigma;
  if (direction === "pq") {
    const p = lp.map(Math.exp);
    mu = trapezoid(p.map((pi, i) => pi * grid[i]), grid);
    sigma = Math.sqrt(trapezoid(p.map((pi, i) => pi * (grid[i] - mu) ** 2), grid));
  } else {
    const lq = new Float64Array(grid.length);
    const kl = ([m, ls]) => {
      const s = Math.exp(ls);
      for (let i = 0; i < grid.length; i++) lq[i] = normLogpdf(grid[i], m, s);
      return klQuadrature(lq, lp, grid);
    };
    const [m, ls] = nelderMead(kl, [v.mu_q, Math.log(v.sigma_q)], { xatol: 1e-4, fatol: 1e-8 });
    [mu, sigma] = [m, Math.exp(ls)];
  }
  const clampTo = (x, [lo, hi]) => Math.min(hi, Math.max(lo, x));
  return [clampTo(mu, ranges.mu), clampTo(sigma, ranges.sigma)];
}

function render({ model, el }) {
  const spec = model.get("spec"), L = model.get("labels");
  const d = float64(model.get("data")), m = spec.n_mc;
  const eps = d.subarray(0, m), u = d.subarray(m, 2 * m);
  const grid = linspace(...spec.grid);
  const c0 = model.get("controls");
  let mode = c0.mode;
  const R = spec.ranges;
  const names = ["mu_q", "sigma_q", "mu_p", "sigma_p", "separation", "weight"];
  const rangeOf = { mu_q: R.mu, sigma_q: R.sigma, mu_p: R.mu, sigma_p: R.sigma, separation: R.separation,
    weight: R.weight };
  const sliders = {};
  for (const k of names) {
    sliders[k] = sliderRow(L[k], { min: rangeOf[k][0], max: rangeOf[k][1], step: 0.01, value: c0[k], name: k });
  }
  const root = twinRoot("kl", spec, L.title);
  const toggle = h("div", "vae-row vae-mode");
  const modeButtons = {};
  for (const [key, text] of [["gaussian", L.gaussian], ["mixture", L.mixture]]) {
    const b = h("button", `vae-mode-${key}`, text);
    b.dataset.vaeControl = `mode-${key}`;
    modeButtons[key] = b;
    toggle.append(b);
  }
  const fitRow = h("div", "vae-row");
  const fitQP = h("button", "vae-fit-qp", L.fit_qp), fitPQ = h("button", "vae-fit-pq", L.fit_pq);
  fitQP.title = L.mode_seeking;
  fitPQ.title = L.mass_covering;
  fitRow.append(fitQP, fitPQ);
  const controls = h("div", "vae-controls");
  controls.append(toggle, ...names.map((k) => sliders[k].row), fitRow);
  const plot = plotPanel({ width: spec.plot[0], height: spec.plot[1], xlim: [-8, 8], ylim: [0, 1],
    xlabel: "z", ylabel: L.density, cls: "vae-kl-plot" });
  const lineQ = plot.curve("#1f77b4"), lineP = plot.curve("#ff7f0e");
  plot.legend([["q", "#1f77b4"], ["p", "#ff7f0e"]]);
  const exactHead = h("th", "");
  const table = numberTable([["KL(q‖p)", "kl_qp", "kl_qp_mc"], ["KL(p‖q)", "kl_pq", "kl_pq_mc"]], 4,
    ["", "", `${L.monte_carlo} (n=${m})`]);
  table.rows[0].cells[1].replaceWith(exactHead);
  const right = h("div", "vae-controls");
  right.append(plot.svg, table, h("div", "vae-caption", L.caption));
  const body = h("div", "vae-body");
  body.append(controls, right);
  root.append(body);
  const keep = (i) => grid[i] >= -8 && grid[i] <= 8 && i % 3 === 0;
  const idx = Array.from(grid.keys()).filter(keep), xs = idx.map((i) => grid[i]);

  function values() { return Object.fromEntries(names.map((k) => [k, sliders[k].value()])); }
  function draw() {
    const v = values(), mix = mode === "mixture";
    sliders.separation.input.disabled = sliders.weight.input.disabled = !mix;
    for (const [k, b] of Object.entries(modeButtons)) {  // the mode shown: its button pressed (nothing to do)
      b.classList.toggle("vae-on", k === mode);
      b.disabled = k === mode;
    }
    const st = klState(v, mode, grid, eps, u);
    let peak = 0;
    for (let i = 0; i < grid.length; i++) peak = Math.max(peak, st.q[i], st.p[i]);
    const top = [0.6, 1.2, 2.1].find((t) => peak * 1.05 <= t) ?? 2.1;
    plot.setYlim(0, top);
    lineQ.set(xs, idx.map((i) => st.q[i]));
    lineP.set(xs, idx.map((i) => st.p[i]));
    exactHead.textContent = mix ? L.quadrature : L.closed_form;
    table.set(st.values);
    return { controls: { mode, ...v }, values: st.values };
  }
  function fit(direction) {
    const [mu, sigma] = klFit(values(), mode, grid, direction, R);
    sliders.mu_q.set(mu);
    sliders.sigma_q.set(sigma);
  }
  const apply = (c) => { mode = c.mode; for (const k of names) sliders[k].set(c[k]); };
  const events = [...names.map((k) => [sliders[k].input, "input", null]),
    ...Object.entries(modeButtons).map(([k, b]) => [b, "click", () => { mode = k; }]),
    [fitQP, "click", () => fit("qp")], [fitPQ, "click", () => fit("pq")]];
  const twin = wireTwin(model, el, root, spec, draw, apply, events);
  root.vae.fit = (dir) => { fit(dir); twin.changed(); return twin.last(); };
  return twin.cleanup;
}

export default { render };
