// InPageLatentExplorer's view (vae_lib/widgets/inpage.py): one slider per latent dimension; every
// input event decodes z in this page (network() of mlp.js, prepended by Python) and repaints the
// canvas before the event returns, so the next frame shows it: no round trip to the kernel.
// The kernel hears the new z afterwards (throttled), so Python stays the source of truth.
//
// Test hook: the root element (.vae-inpage) carries `vae` = {decode(zs, labels), z(), setZ(z)}:
// decode returns the float pixel means sigmoid(decoder(z)) [784] of each z (what model.decode_mean gives).

function render({ model, el }) {
  const spec = model.get("spec");
  const net = network(spec.decoder, model.get("weights"));
  const K = spec.latent_dim, C = spec.n_classes;
  const z = Float64Array.from(model.get("z"));
  let label = model.get("label");
  const input = new Float64Array(K + C);
  const probs = new Float64Array(784);

  function decode(zv, y, out = new Float64Array(784)) {
    input.fill(0);
    for (let k = 0; k < K; k++) input[k] = zv[k];
    if (C > 0) input[K + y] = 1;                        // the one-hot label of a conditional decoder
    const logits = net.run(input);
    for (let i = 0; i < 784; i++) out[i] = sigmoid(logits[i]);
    return out;
  }

  const root = h("div", "vae-inpage");
  root.dataset.vaeExplorer = "latent";  // the site's browser test finds every in-page explorer by it
  const controls = h("div", "vae-controls");
  const image = pixelCanvas(spec.scale, "vae-decoded");
  let select = null;
  if (C > 0) {
    const row = h("label", "vae-row");
    select = h("select", "vae-label");
    for (let c = 0; c < C; c++) select.append(new Option(String(c), String(c)));
    select.value = String(label);
    row.append(h("span", "vae-name", spec.text.label), select);
    controls.append(row);
  }
  const sliders = [], readouts = [];
  for (let k = 0; k < K; k++) {
    const [lo, hi] = spec.bounds[k];
    const row = h("label", "vae-row");
    const s = h("input", `vae-slider vae-z${k + 1}`);
    Object.assign(s, { type: "range", min: lo, max: hi, step: (hi - lo) / 300, value: z[k] });
    const out = h("span", "vae-readout");
    row.append(h("span", "vae-name", `z${k + 1}`), s, out);
    controls.append(row);
    sliders.push(s);
    readouts.push(out);
  }
  controls.append(image.canvas);

  let map = null, ring = null, rim = null;
  const png = model.get("scatter");
  if (spec.map && png && png.byteLength) {
    map = latentMap(png, spec.map);
    const r = spec.marker_radius;
    rim = map.el("circle", { r, fill: "none", stroke: "white", "stroke-width": 5 });
    ring = map.el("circle", { r, fill: "none", stroke: "rgb(230,20,20)", "stroke-width": 3, class: "vae-marker" });
  }

  const sync = throttle(() => {
    model.set("label", label);
    model.set("z", Array.from(z));
    model.save_changes();
  }, 50);

  function draw() {
    image.paint(decode(z, label, probs));
    for (let k = 0; k < K; k++) readouts[k].textContent = z[k].toFixed(2);
    if (map) {
      const [px, py] = map.map(z[0], z[1]);
      for (const c of [rim, ring]) { c.setAttribute("cx", px); c.setAttribute("cy", py); }
    }
  }

  function setZ(values, fromKernel = false) {
    for (let k = 0; k < K; k++) {
      const [lo, hi] = spec.bounds[k];
      z[k] = Math.min(hi, Math.max(lo, Number(values[k])));
      sliders[k].value = z[k];
    }
    draw();
    if (!fromKernel) sync();
  }

  const ac = new AbortController();
  const opts = { signal: ac.signal };
  sliders.forEach((s, k) => s.addEventListener("input", () => { z[k] = Number(s.value); draw(); sync(); }, opts));
  if (select) select.addEventListener("change", () => { label = Number(select.value); draw(); sync(); }, opts);
  if (map) {  // a click (or a drag) on the map moves z there
    const move = (ev) => {
      const b = map.img.getBoundingClientRect();
      setZ(map.unmap(ev.clientX - b.left, ev.clientY - b.top));
    };
    map.svg.addEventListener("pointerdown", (ev) => { map.svg.setPointerCapture(ev.pointerId); move(ev); }, opts);
    map.svg.addEventListener("pointermove", (ev) => { if (ev.buttons) move(ev); }, opts);
  }
  const zFromKernel = () => {  // Python's set_z (the page's own z comes back equal: nothing to do)
    const v = model.get("z");
    if (v.some((x, k) => x !== z[k])) setZ(v, true);
  };
  const labelFromKernel = () => {
    const y = model.get("label");
    if (y !== label) { label = y; if (select) select.value = String(y); draw(); }
  };
  model.on("change:z", zFromKernel);
  model.on("change:label", labelFromKernel);

  root.append(h("div", "vae-title", spec.title), h("div", "vae-body"));  // title: plain text
  root.lastChild.append(controls, ...(map ? [map.box] : []));
  root.vae = {
    decode: (zs, labels) => zs.map((zv, i) => Array.from(decode(zv, labels ? labels[i] : label))),
    z: () => Array.from(z),
    setZ: (v) => setZ(v),
  };
  applySizes(root, spec);
  el.append(root);
  draw();
  return () => {
    ac.abort();
    model.off("change:z", zFromKernel);
    model.off("change:label", labelFromKernel);
    if (map) URL.revokeObjectURL(map.img.src);
  };
}

export default { render };
