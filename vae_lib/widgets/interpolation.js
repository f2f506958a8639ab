// InPageInterpolationExplorer's view (vae_lib/widgets/inpage_interpolation.py): two test digits (picked from
// those whose codes Python sent), an alpha slider, and for each model the straight path between the two codes,
// z_alpha = (1 - alpha) z_a + alpha z_b, decoded in this page (network() of mlp.js, prepended by Python).
// The kernel hears alpha and the two test-image indices afterwards (throttled). A decoder that an in-page latent
// explorer of the same notebook already holds is read from that widget (`weights_from`), not sent twice.
//
// Test hook: the root element carries `vae` = {state(), decode(i, z), setAlpha(a)}.

/** z_alpha = (1 - alpha) z_a + alpha z_b, component by component. */
function lerp(za, zb, alpha) {
  return za.map((v, k) => (1 - alpha) * v + alpha * zb[k]);
}

/** The pixel means sigmoid(decoder(z)) [784] of one z (what model.decode_mean gives). */
function decodeMean(net, z) {
  return Float64Array.from(net.run(Float64Array.from(z)), sigmoid);
}

/** Paint n images (p: n * 784 pixel means) side by side into a (28 n) x 28 canvas, ink black on white. */
function paintStrip(ctx, images, n) {
  const img = ctx.createImageData(28 * n, 28), d = img.data;
  for (let t = 0; t < n; t++) {
    const p = images[t];
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * (1 - Math.min(1, Math.max(0, p[i]))));
      const o = 4 * ((i / 28 | 0) * 28 * n + 28 * t + (i % 28));
      d[o] = d[o + 1] = d[o + 2] = v;
      d[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function stripCanvas(n, scale, cls) {
  const c = document.createElement("canvas");
  c.width = 28 * n;
  c.height = 28;
  c.className = `vae-pixels ${cls}`;
  c.style.width = `${28 * n * scale}px`;
  c.style.height = `${28 * scale}px`;
  return { canvas: c, paint: (images) => paintStrip(c.getContext("2d"), images, n) };
}

/** The weights of a decoder: this widget's own buffer, or (`weights_from`: a model id) the buffer of the in-page
 *  latent explorer that already holds exactly this decoder (its widget model, found through the widget manager). */
async function decoderWeights(model, decoder) {
  if (!decoder.weights_from) return model.get("weights");
  if (!model.widget_manager) {
    throw new Error("a decoder of this explorer is held by another widget (weights_from) and this page has no widget " +
                    "manager: write the page with InPageInterpolationExplorer.save_html, which inlines every decoder");
  }
  const other = await model.widget_manager.get_model(decoder.weights_from);
  return other.get("weights");
}

async function render({ model, el }) {
  const spec = model.get("spec"), T = model.get("labels");
  const buffers = await Promise.all(spec.models.map((m) => decoderWeights(model, m.decoder)));
  const nets = spec.models.map((m, i) => network(m.decoder, buffers[i]));
  const u8 = (() => { const b = model.get("images"); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); })();
  const testIndex = spec.test_index;
  const pos = (index) => testIndex.indexOf(index);
  const imageOf = (p) => Float64Array.from(u8.subarray(784 * p, 784 * (p + 1)), (v) => v / 255);
  let alpha = model.get("alpha");
  let ends = [pos(model.get("index_a")), pos(model.get("index_b"))];

  const root = h("div", "vae-inpage vae-interp");
  root.dataset.vaeExplorer = "interpolation";
  root.dataset.vaeZoo = JSON.stringify(spec.models.map((m) => m.zoo));  // the models' zoo names (null: not the zoo's)
  root.dataset.vaeDataset = spec.dataset || "";
  const controls = h("div", "vae-controls");
  const pickers = [];
  for (const [e, word] of [[0, T.from], [1, T.to]]) {  // per end: a class and an example of it
    const row = h("label", "vae-row");
    const cls = h("select", `vae-class vae-class-${"ab"[e]}`), ex = h("select", `vae-example vae-example-${"ab"[e]}`);
    for (const c of spec.classes) cls.append(new Option(c.text, String(c.class)));
    row.append(h("span", null, word), cls, h("span", null, T.example), ex);
    controls.append(row);
    pickers.push({ cls, ex });
  }
  const thumbs = [0, 1].map(() => pixelCanvas(spec.thumb, "vae-end"));
  const endRow = h("div", "vae-row");
  endRow.append(thumbs[0].canvas, h("span", null, "→"), thumbs[1].canvas);
  controls.append(endRow);
  const srow = h("label", "vae-row");
  const slider = h("input", "vae-slider vae-alpha");
  Object.assign(slider, { type: "range", min: 0, max: 1, step: 0.01, value: alpha });
  const aOut = h("span", "vae-readout");
  aOut.dataset.vaeValue = "alpha";
  srow.append(h("span", "vae-name", "α"), slider, aOut);
  controls.append(srow);

  const panels = spec.models.map((m, i) => {
    const box = h("div", "vae-controls vae-model");
    const big = pixelCanvas(spec.scale, `vae-decoded vae-decoded-${i}`);
    const strip = stripCanvas(spec.steps, spec.strip, `vae-path vae-path-${i}`);
    const zs = Array.from({ length: m.latent_dim }, (_, k) => {
      const s = h("span", "vae-readout");
      s.dataset.vaeValue = `z${k + 1}-${i}`;
      return s;
    });
    const ink = h("span", "vae-readout");
    ink.dataset.vaeValue = `ink-${i}`;
    const zRow = h("div", "vae-row");
    zRow.append(h("span", null, `${T.z} =`), ...zs);
    const inkRow = h("div", "vae-row");
    inkRow.append(h("span", null, T.ink), ink);
    box.append(h("b", null, m.name), big.canvas, zRow, inkRow, h("small", null, T.path), strip.canvas);
    return { box, big, strip, zs, ink };
  });

  let syncing = false;  // model.set fires change events at once: the page's own values are not the kernel's
  const sync = throttle(() => {
    syncing = true;
    model.set("alpha", alpha);
    model.set("index_a", testIndex[ends[0]]);
    model.set("index_b", testIndex[ends[1]]);
    syncing = false;
    model.save_changes();
  }, 50);

  function fillExamples(e) {  // the examples of the class picked for end e, the current end selected
    const { cls, ex } = pickers[e];
    const c = spec.classes.find((k) => String(k.class) === cls.value);
    ex.replaceChildren(...c.offered.map((p, j) => new Option(`${j} (#${testIndex[p]})`, String(p))));
    if (!c.offered.includes(ends[e])) ends[e] = c.offered[0];
    ex.value = String(ends[e]);
  }
  function showPickers() {
    for (const e of [0, 1]) {
      pickers[e].cls.value = String(spec.classes.find((k) => k.offered.includes(ends[e])).class);
      fillExamples(e);
    }
  }
  function drawPaths() {  // when the ends change: the thumbnails and every model's whole path
    thumbs.forEach((t, e) => t.paint(imageOf(ends[e])));
    spec.models.forEach((m, i) => {
      const za = m.codes[ends[0]], zb = m.codes[ends[1]];
      panels[i].strip.paint(Array.from({ length: spec.steps }, (_, t) => decodeMean(nets[i], lerp(za, zb, t / (spec.steps - 1)))));
    });
  }
  function draw() {  // per alpha: one decode per model
    aOut.textContent = alpha.toFixed(2);
    spec.models.forEach((m, i) => {
      const z = lerp(m.codes[ends[0]], m.codes[ends[1]], alpha);
      const p = decodeMean(nets[i], z);
      panels[i].big.paint(p);
      z.forEach((v, k) => { panels[i].zs[k].textContent = v.toFixed(4); });
      panels[i].ink.textContent = p.reduce((s, v) => s + v, 0).toFixed(3);
    });
  }

  const ac = new AbortController();
  const opts = { signal: ac.signal };
  slider.addEventListener("input", () => { alpha = Number(slider.value); draw(); sync(); }, opts);
  pickers.forEach(({ cls, ex }, e) => {
    cls.addEventListener("change", () => { fillExamples(e); drawPaths(); draw(); sync(); }, opts);
    ex.addEventListener("change", () => { ends[e] = Number(ex.value); drawPaths(); draw(); sync(); }, opts);
  });
  const fromKernel = () => {
    if (syncing) return;
    const a = model.get("alpha"), e = [pos(model.get("index_a")), pos(model.get("index_b"))];
    const moved = e[0] !== ends[0] || e[1] !== ends[1];
    if (a === alpha && !moved) return;
    alpha = a;
    slider.value = a;
    if (moved && e[0] >= 0 && e[1] >= 0) { ends = e; showPickers(); drawPaths(); }
    draw();
  };
  for (const k of ["alpha", "index_a", "index_b"]) model.on(`change:${k}`, fromKernel);

  const body = h("div", "vae-body");  // the models side by side, under the controls
  body.append(...panels.map((p) => p.box));
  root.append(h("div", "vae-title", spec.title), controls, body);
  root.vae = {
    state: () => ({ alpha, index_a: testIndex[ends[0]], index_b: testIndex[ends[1]] }),
    decode: (i, z) => Array.from(decodeMean(nets[i], z)),
    setAlpha: (a) => { alpha = a; slider.value = a; draw(); },
  };
  applySizes(root, spec);
  el.append(root);
  showPickers();
  drawPaths();
  draw();
  return () => { ac.abort(); for (const k of ["alpha", "index_a", "index_b"]) model.off(`change:${k}`, fromKernel); };
}

export default { render };
