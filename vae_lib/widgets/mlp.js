// The in-page engine shared by the in-page widgets (inpage.js, draw.js): a fully connected network
// run in JavaScript from the float32 weights that vae_lib.widgets.inpage exports, and the painting
// of pixel probabilities. Python prepends this file to each widget's module (one ESM per widget).
//
// A network is a list of layers {n_in, n_out, w, b, act, alpha}: h_out = act(W h_in + b) with
// W (n_out x n_in, row-major) at float offset w and b at offset b of one Float32Array. Sums are
// accumulated in float64 (PyTorch sums in float32: the two agree to ~1e-6 on a logit).

const ACTIVATIONS = {
  none: (x) => x,
  relu: (x) => (x > 0 ? x : 0),
  silu: (x) => x / (1 + Math.exp(-x)),          // x * sigmoid(x)
  tanh: Math.tanh,
  elu: (x, a) => (x > 0 ? x : a * Math.expm1(x)), // alpha (exp(x) - 1) below 0
};

/** A Float32Array copy of a binary trait (a DataView from ipywidgets, an ArrayBuffer or a typed array). */
function float32(buf) {
  if (buf instanceof Float32Array) return buf;
  const view = ArrayBuffer.isView(buf) ? buf : new DataView(buf);
  return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Float16 little-endian bytes (vae_lib.widgets.inpage.export_networks(compact=True)) widened to a Float32Array:
 *  exact, every float16 number is a float32 number. */
function float16(buf) {
  const view = ArrayBuffer.isView(buf) ? buf : new DataView(buf);
  const u16 = new Uint16Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  const out = new Float32Array(u16.length);
  for (let i = 0; i < u16.length; i++) {
    const h = u16[i], sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    out[i] = e === 0 ? sign * f * 2 ** -24                       // zero and subnormals
      : e === 31 ? (f ? NaN : sign * Infinity)
      : sign * (1 + f / 1024) * 2 ** (e - 15);
  }
  return out;
}

/** A network: its layers and its weights (float32 bytes, or float16 when spec.dtype says so); run(x) gives the last
 *  layer's output (a Float64Array). */
function network(spec, weights) {
  const W = spec.dtype === "float16" && !(weights instanceof Float32Array) ? float16(weights) : float32(weights);
  const layers = spec.layers;
  const bufs = layers.map((L) => new Float64Array(L.n_out));
  const acts = layers.map((L) => ACTIVATIONS[L.act]);
  for (const [i, L] of layers.entries()) {
    if (!acts[i]) throw new Error(`unknown activation ${L.act}`);
    if (L.w + L.n_in * L.n_out > W.length || L.b + L.n_out > W.length) throw new Error("weights too short");
  }
  const nz = new Int32Array(Math.max(...layers.map((L) => L.n_in)));
  function run(x) {
    let h = x;
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l], out = bufs[l], act = acts[l], a = L.alpha ?? 1.0;
      const nIn = L.n_in, wOff = L.w, bOff = L.b;
      let m = 0;  // the inputs that are not 0 (a drawn digit: a fifth of its pixels): the same sums, faster
      for (let i = 0; i < nIn; i++) if (h[i] !== 0) nz[m++] = i;
      for (let o = 0; o < L.n_out; o++) {
        let s = W[bOff + o];
        const row = wOff + o * nIn;
        if (m < nIn / 2) for (let k = 0; k < m; k++) s += W[row + nz[k]] * h[nz[k]];
        else for (let i = 0; i < nIn; i++) s += W[row + i] * h[i];
        out[o] = act(s, a);
      }
      h = out;
    }
    return h;
  }
  return { run, n_in: layers[0].n_in, n_out: layers[layers.length - 1].n_out };
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Paint pixel probabilities p[784] (ink = 1) into a 28 x 28 canvas: black ink on white, grey = round(255 (1 - p)). */
function paint(ctx, image, p) {
  const d = image.data;
  for (let i = 0; i < p.length; i++) {
    const v = Math.round(255 * (1 - Math.min(1, Math.max(0, p[i]))));
    d[4 * i] = d[4 * i + 1] = d[4 * i + 2] = v;
    d[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** A 28 x 28 canvas shown at `scale` CSS pixels per image pixel (nearest neighbour: image-rendering pixelated). */
function pixelCanvas(scale, cls) {
  const c = document.createElement("canvas");
  c.width = c.height = 28;
  c.className = `vae-pixels ${cls || ""}`;
  c.style.width = c.style.height = `${28 * scale}px`;
  const ctx = c.getContext("2d");
  const image = ctx.createImageData(28, 28);
  paint(ctx, image, new Float64Array(784));
  return { canvas: c, paint: (p) => paint(ctx, image, p) };
}

/** The static scatter (PNG bytes sent once) with an SVG layer on top; map(z1, z2) gives its pixel. */
function latentMap(png, t) {
  const box = document.createElement("div");
  box.className = "vae-map";
  box.style.width = `${t.width}px`;
  box.style.height = `${t.height}px`;
  const img = document.createElement("img");
  img.className = "vae-map-img";
  img.width = t.width;
  img.height = t.height;
  img.alt = "test codes coloured by label";
  img.src = URL.createObjectURL(new Blob([ArrayBuffer.isView(png) ? png : new Uint8Array(png)], { type: "image/png" }));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", t.width);
  svg.setAttribute("height", t.height);
  box.append(img, svg);
  const map = (z1, z2) => [t.ax + t.bx * z1, t.ay + t.by * z2];
  const unmap = (px, py) => [(px - t.ax) / t.bx, (py - t.ay) / t.by];
  const el = (name, attrs) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    svg.append(e);
    return e;
  };
  return { box, img, svg, map, unmap, el };
}

/** Call fn at most once per `ms` (the last call always runs): the kernel hears about changes, never blocking a frame. */
function throttle(fn, ms) {
  let timer = null, last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => { timer = null; last = performance.now(); fn(); }, wait);
  };
}

/** Apply the explorer's sizes (vae_lib.widgets.inpage.css_sizes) to its root element, and keep JupyterLab's
 *  keyboard shortcuts off its controls (an arrow key on a focused slider moves the slider; JupyterLab matches
 *  its command-mode shortcuts from the focused element up, and stops where it finds this attribute). */
function applySizes(root, spec) {
  for (const e of [root, ...root.querySelectorAll("input, select, button")]) e.dataset.lmSuppressShortcuts = "true";
  if (spec.font_px) root.classList.add("vae-text-fixed");
  if (spec.font_px) root.style.fontSize = `${spec.font_px}px`;
  if (spec.slider_px) root.style.setProperty("--vae-slider-width", `${spec.slider_px}px`);
  if (spec.gap_px) root.style.setProperty("--vae-gap", `${spec.gap_px}px`);
}

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
