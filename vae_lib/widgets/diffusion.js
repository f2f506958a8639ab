// The in-page twin of DiffusionExplorer (vae_lib/widgets/diffusion.py, diffusion_inpage.py). Per step t:
// x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps in float32 as vae_lib.diffusion.q_sample computes it (every product
// rounded with Math.fround; within 1e-6 of Python), and the model's estimate x0_hat = (x_t - sqrt(1 - abar_t) eps_hat) /
// sqrt(abar_t) with eps_hat = the network (network() of mlp.js: a chain of Linear + SiLU layers) on
// [x_t, embed(t)] (the sinusoidal embeddings of every t come from Python's model.embed). The dots are stamped onto
// the static axes (a PNG drawn once by matplotlib) as the Python explorer stamps them, clipped to each panel.

/** The model's frames and numbers: frame(t) = {xt, x0hat} (Float64Array [2N], point-major), values(t). */
function diffusionEngine(spec, buf) {
  const W = float32(buf), N = spec.n, D = spec.time_dim;
  const net = network(spec.net, W);
  const x0 = W.subarray(spec.x0, spec.x0 + 2 * N), eps = W.subarray(spec.eps, spec.eps + 2 * N);
  const emb = W.subarray(spec.emb, spec.emb + (spec.steps + 1) * D);
  const f = Math.fround, cache = new Map(), input = new Float64Array(2 + D);
  function frame(t) {
    if (cache.has(t)) return cache.get(t);
    const xt = Float64Array.from(x0), x0hat = Float64Array.from(x0);
    if (t > 0) {
      const a = f(spec.alpha_bar[t]), sa = f(Math.sqrt(a)), sb = f(Math.sqrt(f(1 - a)));
      const ab = spec.alpha_bar[t], c = Math.sqrt(1 - ab), r = Math.sqrt(ab);
      for (let k = 0; k < D; k++) input[2 + k] = emb[t * D + k];
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < 2; j++) input[j] = xt[2 * i + j] = f(f(sa * x0[2 * i + j]) + f(sb * eps[2 * i + j]));
        const e = net.run(input);
        for (let j = 0; j < 2; j++) x0hat[2 * i + j] = (xt[2 * i + j] - c * e[j]) / r;
      }
    }
    const out = { xt, x0hat };
    cache.set(t, out);
    return out;
  }
  function values(t) {
    const { xt, x0hat } = frame(t), ab = spec.alpha_bar[t];
    let a = 0, b = 0;
    for (let i = 0; i < 2 * N; i++) { a += (xt[i] - x0[i]) ** 2; b += (x0hat[i] - x0[i]) ** 2; }
    return { t, alpha_bar: ab, noise_std: Math.sqrt(Math.max(1 - ab, 0)), mse_xt: a / N, mse_x0hat: b / N };
  }
  return { frame, values, x0 };
}

/** numpy.rint: to the nearest integer, halves to even. */
function rint(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
}

/** Stamp the points of both panels (blue x_t left, red x0_hat right) onto a copy of the static picture. */
function stampFrame(bg, out, fr, spec) {
  out.data.set(bg.data);
  const H = bg.height, Wd = bg.width, r = spec.dot_radius;
  const disc = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r + 1) disc.push([dy, dx]);
  [[fr.xt, spec.axes[0], [31, 119, 180]], [fr.x0hat, spec.axes[1], [214, 39, 40]]].forEach(([pts, A, col]) => {
    for (let i = 0; i < pts.length / 2; i++) {
      const px = rint(A.ax + A.bx * pts[2 * i]), py = rint(H - (A.ay + A.by * pts[2 * i + 1]));
      for (const [dy, dx] of disc) {
        const xs = px + dx, ys = py + dy;
        if (xs > A.x0 && xs < A.x1 && ys > A.top && ys < A.bottom) {
          const o = 4 * (ys * Wd + xs);
          out.data[o] = col[0]; out.data[o + 1] = col[1]; out.data[o + 2] = col[2]; out.data[o + 3] = 255;
        }
      }
    }
  });
}

function render({ model, el }) {
  const spec = model.get("spec"), L = model.get("labels");
  const engine = diffusionEngine(spec, model.get("data"));
  const slider = sliderRow("t", { min: 0, max: spec.steps, step: 1, value: model.get("controls").t, name: "t",
    digits: 0 });
  const canvas = h("canvas", "vae-diffusion-plot");
  canvas.width = spec.picture[0];
  canvas.height = spec.picture[1];
  const ctx = canvas.getContext("2d");
  const text = h("div", "vae-caption vae-diffusion-text");
  const span = (name) => { const s = h("span", "vae-num"); s.dataset.vaeValue = name; return s; };
  const cells = Object.fromEntries(["t", "alpha_bar", "noise_std", "mse_xt", "mse_x0hat"].map((k) => [k, span(k)]));
  text.append("t = ", cells.t, ` / ${spec.steps}: ᾱ_t = `, cells.alpha_bar, `, ${L.noise} √(1−ᾱ_t) = `,
    cells.noise_std, `; ${L.mse}: x_t `, cells.mse_xt, ", x̂_0 ", cells.mse_x0hat);
  const root = twinRoot("diffusion", spec, "");
  root.append(slider.row, canvas, text);
  let bg = null, frameImage = null, twin = null;
  const png = model.get("picture");
  const img = new Image();
  img.onload = () => {
    ctx.drawImage(img, 0, 0);
    bg = ctx.getImageData(0, 0, canvas.width, canvas.height);
    frameImage = ctx.createImageData(canvas.width, canvas.height);
    URL.revokeObjectURL(img.src);
    if (twin) draw();
  };
  img.src = URL.createObjectURL(new Blob([ArrayBuffer.isView(png) ? png : new Uint8Array(png)], { type: "image/png" }));

  function draw() {
    const t = Math.round(slider.value()), v = engine.values(t);
    const digits = { t: 0, alpha_bar: 4, noise_std: 3, mse_xt: 3, mse_x0hat: 3 };
    for (const [k, c] of Object.entries(cells)) c.textContent = v[k].toFixed(digits[k]);
    if (bg) {
      stampFrame(bg, frameImage, engine.frame(t), spec);
      ctx.putImageData(frameImage, 0, 0);
    }
    return { controls: { t }, values: v };
  }
  twin = wireTwin(model, el, root, spec, draw, (c) => slider.set(c.t), [[slider.input, "input", null]]);
  Object.assign(root.vae, { points: () => Array.from(engine.x0), painted: () => bg !== null,
    frame: (t) => { const fr = engine.frame(t); return { xt: Array.from(fr.xt), x0hat: Array.from(fr.x0hat) }; } });
  return twin.cleanup;
}

export default { render };
