// InPageBetaExplorer's view (vae_lib/widgets/inpage_beta.py): a slider over the betas of a grid of beta-VAEs.
// Every picture was drawn once by Python (PNG bytes in one buffer, `spec.options[i].<panel>` = [offset, length]);
// a move shows the chosen model's pictures, moves the ring on the rate-distortion curve (an SVG circle placed by the
// figure's affine map, as latentMap of mlp.js does for a scatter) and prints its numbers.
//
// Test hook: the root element carries `vae` = {state(), numbers(i), setIndex(i)}.

/** The numbers the page prints for option o: rate, distortion and -ELBO = rate + distortion (nats; null: none). */
function betaNumbers(o) {
  const ok = o.rate !== null && o.distortion !== null;
  return { beta: o.beta, rate: o.rate, distortion: o.distortion, neg_elbo: ok ? o.rate + o.distortion : null };
}

/** The option whose beta is nearest to `beta` (the kernel's value is always one of them). */
function nearestOption(options, beta) {
  let best = 0;
  options.forEach((o, i) => { if (Math.abs(o.beta - beta) < Math.abs(options[best].beta - beta)) best = i; });
  return best;
}

function render({ model, el }) {
  const spec = model.get("spec"), T = model.get("labels"), opts = spec.options;
  const buf = model.get("pictures");
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const urls = [];
  const url = ([off, len]) => {
    const u = URL.createObjectURL(new Blob([bytes.slice(off, off + len)], { type: "image/png" }));
    urls.push(u);
    return u;
  };
  const pics = opts.map((o) => ({ scatter: url(o.scatter), reconstructions: url(o.reconstructions), samples: url(o.samples) }));
  let index = nearestOption(opts, model.get("beta"));

  const root = h("div", "vae-inpage vae-beta-page");
  root.dataset.vaeExplorer = "beta";
  root.dataset.vaeZoo = JSON.stringify(opts.map((o) => o.zoo));  // each beta's zoo name (null: not the zoo's)
  const row = h("label", "vae-row");
  const slider = h("input", "vae-slider vae-beta-slider");
  Object.assign(slider, { type: "range", min: 0, max: opts.length - 1, step: 1, value: index });
  const betaOut = h("span", "vae-readout");
  betaOut.dataset.vaeValue = "beta";
  row.append(h("span", "vae-name", T.beta), slider, betaOut);
  const readouts = {};
  const table = h("table", "vae-terms");
  for (const k of ["rate", "distortion", "neg_elbo"]) {
    const tr = h("tr"), out = h("td", "vae-readout");
    out.dataset.vaeValue = k;
    tr.append(h("td", null, T[k]), out, h("td", null, T.nats));
    table.append(tr);
    readouts[k] = out;
  }
  const img = (cls) => { const i = h("img", `vae-beta-img ${cls}`); i.style.imageRendering = "pixelated"; return i; };
  const scatter = img("vae-beta-scatter"), recon = img("vae-beta-reconstructions"), samples = img("vae-beta-samples");
  const rd = latentMap(bytes.slice(spec.rd.place[0], spec.rd.place[0] + spec.rd.place[1]), spec.rd);
  rd.img.alt = "rate-distortion curve";
  rd.img.classList.add("vae-beta-rate-distortion");
  const rim = rd.el("circle", { r: spec.marker_radius, fill: "none", stroke: "white", "stroke-width": 5 });
  const ring = rd.el("circle", { r: spec.marker_radius, fill: "none", stroke: "rgb(230,20,20)", "stroke-width": 3,
                                 class: "vae-marker" });
  const col = (...kids) => { const c = h("div", "vae-controls"); c.append(...kids); return c; };

  const sync = throttle(() => { model.set("beta", opts[index].beta); model.save_changes(); }, 50);
  function draw() {
    const o = opts[index], n = betaNumbers(o);
    betaOut.textContent = o.text;
    for (const k of ["rate", "distortion", "neg_elbo"]) readouts[k].textContent = n[k] === null ? "–" : n[k].toFixed(2);
    scatter.src = pics[index].scatter;
    recon.src = pics[index].reconstructions;
    samples.src = pics[index].samples;
    const visible = n.rate !== null && n.distortion !== null;
    for (const c of [rim, ring]) {
      c.setAttribute("visibility", visible ? "visible" : "hidden");
      if (visible) { const [px, py] = rd.map(n.rate, n.distortion); c.setAttribute("cx", px); c.setAttribute("cy", py); }
    }
  }
  const ac = new AbortController();
  slider.addEventListener("input", () => { index = Number(slider.value); draw(); sync(); }, { signal: ac.signal });
  const fromKernel = () => {
    const i = nearestOption(opts, model.get("beta"));
    if (i !== index) { index = i; slider.value = i; draw(); }
  };
  model.on("change:beta", fromKernel);

  const body = h("div", "vae-body");
  body.append(col(row, table, scatter), rd.box, col(h("small", null, T.reconstructions), recon, h("small", null, T.samples), samples));
  root.append(h("div", "vae-title", spec.title), body);
  root.vae = {
    state: () => ({ index, beta: opts[index].beta }),
    numbers: (i) => betaNumbers(opts[i]),
    setIndex: (i) => { index = i; slider.value = i; draw(); },
  };
  applySizes(root, spec);
  el.append(root);
  draw();
  return () => { ac.abort(); model.off("change:beta", fromKernel); urls.forEach((u) => URL.revokeObjectURL(u)); URL.revokeObjectURL(rd.img.src); };
}

export default { render };
