// The in-page twin of SExplorer (vae_lib/widgets/gauss_s.py): for one image x and the chosen decoder's mean
// x_hat (float32 bytes from Python: x, eta, then every decoder's x_hat), the closed form
// log N(x; x_hat, s^2 I) = -||x - x_hat||^2 / (2 s^2) - D/2 log(2 pi s^2) over s (float64 sums), its peak at the
// rms error, and the images x, x_hat, clip(x_hat + s eta, 0, 1).

/** The image's numbers for x_hat: sq = ||x - x_hat||^2; curve(s) and best s. */
function gaussS(x, xHat) {
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i] - xHat[i]) ** 2;
  const D = x.length;
  return { curve: (s) => -sq / (2 * s * s) - D / 2 * Math.log(2 * Math.PI * s * s), best: Math.sqrt(sq / D) };
}

function render({ model, el }) {
  const spec = model.get("spec"), L = model.get("labels"), P = spec.n_pixels;
  const all = float32(model.get("data"));
  const x = all.subarray(0, P), eta = all.subarray(P, 2 * P);
  const hats = Object.fromEntries(spec.decoders.map(([n], i) => [n, all.subarray((2 + i) * P, (3 + i) * P)]));
  const c0 = model.get("controls");
  const slider = sliderRow("s", { min: 10 ** spec.s_range[0], max: 10 ** spec.s_range[1], step: 0.02, value: c0.s,
    name: "s", digits: 3, log: true });
  const row = h("label", "vae-row"), select = h("select", "vae-decoder");
  select.dataset.vaeControl = "decoder";
  for (const [n, label] of spec.decoders) select.append(new Option(label, n));
  select.value = c0.decoder;
  row.append(h("span", "vae-name", L.decoder), select);
  const top = h("div", "vae-row");
  top.append(slider.row, row);
  const sGrid = linspace(...spec.s_range, 300).map((p) => 10 ** p);
  const plot = plotPanel({ width: spec.plot[0], height: spec.plot[1], xlim: [sGrid[0], sGrid[299]],
    ylim: spec.y_range, xlabel: L.xlabel, ylabel: L.ylabel, title: L.title, xlog: true, cls: "vae-s-plot" });
  const line = plot.curve("#1f77b4"), best = plot.curve("grey", { "stroke-dasharray": "5 3", "stroke-width": 1 });
  const marker = plot.marker("red");
  plot.legend([[L.best, "grey"], [L.yours, "red"]], "left");
  const pics = [pixelCanvas(4, "vae-x"), pixelCanvas(4, "vae-xhat"), pixelCanvas(4, "vae-sample")];
  const images = h("div", "vae-row");
  images.append(...pics.map((p) => p.canvas));
  const mid = h("div", "vae-row");
  mid.append(plot.svg, images);
  const span = (name) => { const s = h("b", "vae-num"); s.dataset.vaeValue = name; return s; };
  const cells = { log_lik: span("log_lik"), s: span("s"), best_s: span("best_s") };
  const text = h("div", "vae-caption");
  text.append("log p(x|z) = ", cells.log_lik, ` ${L.at} s = `, cells.s, `; ${L.best_s} = `, cells.best_s,
    ` ${L.rms}; ${L.images}`);
  const root = twinRoot("gauss-s", spec, "");
  root.append(top, mid, text);
  const sample = new Float64Array(P);
  let drawn = null, g = null;

  function draw() {
    const s = slider.value(), name = select.value, xh = hats[name];
    if (drawn !== name) {
      g = gaussS(x, xh);
      line.set(sGrid, sGrid.map(g.curve));
      best.set([g.best, g.best], spec.y_range);
      pics[0].paint(x);
      pics[1].paint(xh);
      drawn = name;
    }
    const v = { log_lik: g.curve(s), s, best_s: g.best };
    marker.set(s, v.log_lik);
    for (let i = 0; i < P; i++) sample[i] = Math.min(1, Math.max(0, xh[i] + s * eta[i]));
    pics[2].paint(sample);
    cells.log_lik.textContent = v.log_lik.toFixed(1);
    cells.s.textContent = s.toFixed(3);
    cells.best_s.textContent = g.best.toFixed(3);
    return { controls: { s, decoder: name }, values: v };
  }
  const apply = (c) => { slider.set(c.s); select.value = c.decoder; };
  const twin = wireTwin(model, el, root, spec, draw, apply, [[slider.input, "input", null], [select, "change", null]]);
  root.vae.arrays = () => ({ x: Array.from(x), eta: Array.from(eta),
    hats: Object.fromEntries(Object.entries(hats).map(([k, v]) => [k, Array.from(v)])) });
  return twin.cleanup;
}

export default { render };
