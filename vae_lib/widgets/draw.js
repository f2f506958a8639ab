// DrawDigitExplorer's view (vae_lib/widgets/draw.py): draw a digit; while drawing, the page
// preprocesses it like MNIST, runs the encoder and the decoder (network() of mlp.js, prepended by
// Python) and shows q(z|x) on the latent map (mean and 2-sigma ellipse), the reconstruction and the
// ELBO terms in nats. The kernel gets the preprocessed 28 x 28 image when a stroke ends.
//
// Test hook: the root element (.vae-draw) carries `vae` = {ink(), preprocess(ink, h, w), x(), terms(),
// recon(), ellipse(), encode(x)} (plain arrays and numbers).

const PAD = 280;      // drawing pad, canvas pixels (10 x the 28 x 28 image)
const STROKE = 22;    // pen width, canvas pixels

/** Area-resampling weights (box filter): output cell i covers input [i f, (i + 1) f), f = nIn / nOut;
 *  returns, per output cell, [first input index, weights...] with weight = overlap / f. */
function areaWeights(nIn, nOut) {
  const f = nIn / nOut, out = [];
  for (let i = 0; i < nOut; i++) {
    const lo = i * f, hi = (i + 1) * f, r0 = Math.floor(lo), ws = [];
    for (let r = r0; r < nIn && r < hi; r++) ws.push(Math.max(0, Math.min(r + 1, hi) - Math.max(r, lo)) / f);
    out.push([r0, ws]);
  }
  return out;
}

/** MNIST's preprocessing (the same algorithm as vae_lib.widgets.draw.mnist_preprocess, see its docstring):
 *  ink [h * w] in [0, 1] -> {x: 784 values, box: [r0, c0, bh, bw], size: [oh, ow], at: [top, left], com: [cy, cx]}. */
function mnistPreprocess(ink, h, w) {
  let r0 = h, r1 = -1, c0 = w, c1 = -1;
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) if (ink[r * w + c] > 0) {
    if (r < r0) r0 = r; if (r > r1) r1 = r; if (c < c0) c0 = c; if (c > c1) c1 = c;
  }
  const x = new Float64Array(784);
  if (r1 < 0) return { x, box: null, size: [0, 0], at: [0, 0], com: [NaN, NaN] };
  const bh = r1 - r0 + 1, bw = c1 - c0 + 1, s = 20 / Math.max(bh, bw);
  const oh = Math.max(1, Math.floor(bh * s + 0.5)), ow = Math.max(1, Math.floor(bw * s + 0.5));
  const ry = areaWeights(bh, oh), rx = areaWeights(bw, ow);
  const t = new Float64Array(oh * bw);                         // rows first
  for (let i = 0; i < oh; i++) {
    const [first, ws] = ry[i];
    for (let k = 0; k < ws.length; k++) {
      const row = (r0 + first + k) * w + c0, wk = ws[k];
      for (let c = 0; c < bw; c++) t[i * bw + c] += wk * ink[row + c];
    }
  }
  const b = new Float64Array(oh * ow);                         // then columns
  for (let j = 0; j < ow; j++) {
    const [first, ws] = rx[j];
    for (let i = 0; i < oh; i++) {
      let v = 0;
      for (let k = 0; k < ws.length; k++) v += ws[k] * t[i * bw + first + k];
      b[i * ow + j] = v;
    }
  }
  let m = 0, my = 0, mx = 0;
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) { const v = b[i * ow + j]; m += v; my += v * i; mx += v * j; }
  const cy = my / m, cx = mx / m;
  const top = Math.min(28 - oh, Math.max(0, Math.floor(14 - cy + 0.5)));
  const left = Math.min(28 - ow, Math.max(0, Math.floor(14 - cx + 0.5)));
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) x[(top + i) * 28 + left + j] = Math.min(1, b[i * ow + j]);
  return { x, box: [r0, c0, bh, bw], size: [oh, ow], at: [top, left], com: [cy + top, cx + left] };
}

function render({ model, el }) {
  const spec = model.get("spec");
  const weights = model.get("weights");
  const enc = network(spec.encoder, weights), dec = network(spec.decoder, weights);
  const K = spec.latent_dim, scale = spec.scale;
  const recon = new Float64Array(784);
  let state = null;  // {pre, mu, logvar, sigma, logits, rec, kl}

  // --- the pad, the preprocessed image, the map, the reconstruction, the terms ---------------------
  const root = h("div", "vae-draw");
  root.dataset.vaeExplorer = "draw";  // the site's browser test finds every in-page explorer by it
  const pad = h("canvas", "vae-pad");
  pad.width = pad.height = PAD;
  pad.style.width = pad.style.height = `${spec.pad_px || PAD}px`;
  const pen = pad.getContext("2d", { willReadFrequently: true });
  Object.assign(pen, { lineCap: "round", lineJoin: "round", lineWidth: STROKE, strokeStyle: "black", fillStyle: "black" });
  const padBox = h("div", "vae-map");
  padBox.style.width = padBox.style.height = `${(spec.pad_px || PAD) + 4}px`;
  const padSvg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  padSvg.setAttribute("width", (spec.pad_px || PAD) + 4);
  padSvg.setAttribute("height", (spec.pad_px || PAD) + 4);
  padSvg.setAttribute("viewBox", `0 0 ${PAD + 4} ${PAD + 4}`);
  padSvg.style.pointerEvents = "none";
  const bbox = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  Object.entries({ fill: "none", stroke: "rgb(40,110,220)", "stroke-dasharray": "5 4", visibility: "hidden" })
    .forEach(([k, v]) => bbox.setAttribute(k, v));
  padSvg.append(bbox);
  padBox.append(pad, padSvg);
  const T = spec.text;  // the page's words, in the language vae_lib shows (vae_lib.i18n)
  const clear = h("button", "vae-clear", T.clear);
  const pre = pixelCanvas(scale, "vae-pre");
  const rec = pixelCanvas(scale, "vae-recon");
  const terms = h("table", "vae-terms");
  let map = null, ellipse = null, dot = null;  // dot: a cross at the mean (the ellipse may be a few pixels)
  const png = model.get("scatter");
  if (spec.map && png && png.byteLength) {
    map = latentMap(png, spec.map);
    map.svg.style.pointerEvents = "none";
    ellipse = map.el("ellipse", { fill: "rgba(230,20,20,0.12)", stroke: "rgb(230,20,20)", "stroke-width": 2,
                                  visibility: "hidden", class: "vae-ellipse" });
    dot = map.el("path", { stroke: "rgb(230,20,20)", "stroke-width": 1.5, fill: "none", visibility: "hidden" });
  }
  const col = (...kids) => { const c = h("div", "vae-panel"); c.append(...kids); return c; };
  const body = h("div", "vae-body");
  body.append(
    col(h("div", null, T.pad), padBox, clear),
    col(h("div", null, T.sees), pre.canvas, h("div", "vae-caption", T.preprocessing)),
    ...(map ? [col(h("div", null, T.ellipse), map.box)] : []),
    col(h("div", null, T.reconstruction), rec.canvas, terms));
  root.append(h("div", "vae-title", spec.title), body);

  // --- the numbers --------------------------------------------------------------------------------
  function ink() {
    const d = pen.getImageData(0, 0, PAD, PAD).data, a = new Float64Array(PAD * PAD);
    for (let i = 0; i < a.length; i++) a[i] = d[4 * i + 3] / 255;   // ink = the pen's alpha
    return a;
  }
  function encode(x) {
    const out = enc.run(x);
    const mu = Array.from(out.slice(0, K)), logvar = Array.from(out.slice(K, 2 * K));
    return { mu, logvar, sigma: logvar.map((v) => Math.exp(0.5 * v)) };
  }
  /** log p(x | z) of grey targets x: Bernoulli sum_d x_d l_d - softplus(l_d) (= x log p + (1 - x) log(1 - p)),
   *  or Gaussian -1/2 sum_d ((x_d - sigmoid(l_d))^2 / s_d^2 + log s_d^2 + log 2 pi). */
  function logLikelihood(x, logits) {
    let s = 0;
    if (spec.likelihood === "bernoulli") {
      for (let d = 0; d < 784; d++) s += x[d] * logits[d] - softplus(logits[d]);
    } else {
      const lv = spec.decoder_logvar;
      for (let d = 0; d < 784; d++) {
        const v = lv[lv.length === 1 ? 0 : d], r = x[d] - sigmoid(logits[d]);
        s -= 0.5 * (r * r * Math.exp(-v) + v + Math.log(2 * Math.PI));
      }
    }
    return s;
  }
  function compute() {
    const p = mnistPreprocess(ink(), PAD, PAD);
    if (!p.box) return null;
    const q = encode(p.x);
    const logits = Float64Array.from(dec.run(q.mu));                 // z = mu
    const kl = 0.5 * q.mu.reduce((s, m, j) => s + m * m + Math.exp(q.logvar[j]) - 1 - q.logvar[j], 0);
    return { pre: p, ...q, logits, rec: logLikelihood(p.x, logits), kl };
  }
  const row = (name, value) => `<tr><td>${name}</td><td>${value}</td></tr>`;
  function show() {
    state = compute();
    const vis = state ? "visible" : "hidden";
    for (const e of [bbox, ellipse, dot]) if (e) e.setAttribute("visibility", vis);
    if (!state) {
      pre.paint(new Float64Array(784));
      rec.paint(new Float64Array(784));
      terms.innerHTML = row(T.empty, "");
      return;
    }
    const [r0, c0, bh, bw] = state.pre.box;
    Object.entries({ x: c0 + pad.clientLeft, y: r0 + pad.clientTop, width: bw, height: bh }).forEach(([k, v]) => bbox.setAttribute(k, v));
    pre.paint(state.pre.x);
    for (let d = 0; d < 784; d++) recon[d] = sigmoid(state.logits[d]);
    rec.paint(recon);
    if (map) {
      const [px, py] = map.map(state.mu[0], state.mu[1]);
      const rx = 2 * state.sigma[0] * Math.abs(spec.map.bx), ry = 2 * state.sigma[1] * Math.abs(spec.map.by);
      Object.entries({ cx: px, cy: py, rx, ry }).forEach(([k, v]) => ellipse.setAttribute(k, v));
      dot.setAttribute("d", `M${px - 9},${py}h6m6,0h6M${px},${py - 9}v6m0,6v6`);
    }
    const vec = (v) => `(${v.slice(0, 4).map((a) => a.toFixed(2)).join(", ")}${v.length > 4 ? ", ..." : ""})`;
    terms.innerHTML = row("μ", vec(state.mu)) + row("σ", vec(state.sigma)) +
      row(T.rec, `${state.rec.toFixed(1)} nats`) +
      row("KL(q(z|x) ‖ N(0, I))", `${state.kl.toFixed(2)} nats`) +
      row(T.difference, `${(state.rec - state.kl).toFixed(1)} nats`);
  }

  // --- drawing ------------------------------------------------------------------------------------
  let last = null, queued = false;
  const ac = new AbortController();
  const opts = { signal: ac.signal };
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; show(); }); } };
  const point = (ev) => {  // canvas pixels of a pointer event (inside the pad's border)
    const b = pad.getBoundingClientRect();
    return [(ev.clientX - b.left - pad.clientLeft) * PAD / pad.clientWidth,
            (ev.clientY - b.top - pad.clientTop) * PAD / pad.clientHeight];
  };
  const sendImage = () => {
    const x = state ? Float32Array.from(state.pre.x) : new Float32Array(0);
    model.set("image", new DataView(x.buffer));
    model.save_changes();
  };
  pad.addEventListener("pointerdown", (ev) => {
    pad.setPointerCapture(ev.pointerId);
    last = point(ev);
    pen.beginPath();
    pen.arc(last[0], last[1], STROKE / 2, 0, 2 * Math.PI);
    pen.fill();
    schedule();
  }, opts);
  pad.addEventListener("pointermove", (ev) => {
    if (!last) return;
    const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
    pen.beginPath();
    pen.moveTo(last[0], last[1]);
    for (const e of events.length ? events : [ev]) { last = point(e); pen.lineTo(last[0], last[1]); }
    pen.stroke();
    schedule();
  }, opts);
  const end = () => { if (last) { last = null; show(); sendImage(); } };
  pad.addEventListener("pointerup", end, opts);
  pad.addEventListener("pointercancel", end, opts);
  clear.addEventListener("click", () => { pen.clearRect(0, 0, PAD, PAD); show(); sendImage(); }, opts);

  root.vae = {
    ink: () => Array.from(ink()),
    preprocess: (a, hh, ww) => { const p = mnistPreprocess(a, hh, ww); return { ...p, x: Array.from(p.x) }; },
    x: () => (state ? Array.from(state.pre.x) : null),
    terms: () => (state && { mu: state.mu, logvar: state.logvar, sigma: state.sigma, rec: state.rec, kl: state.kl }),
    recon: () => (state ? Array.from(recon) : null),
    ellipse: () => ellipse && Object.fromEntries(["cx", "cy", "rx", "ry"].map((k) => [k, Number(ellipse.getAttribute(k))])),
    encode: (x) => encode(x),
  };
  applySizes(root, spec);
  el.append(root);
  show();
  return () => { ac.abort(); if (map) URL.revokeObjectURL(map.img.src); };
}

export default { render };
