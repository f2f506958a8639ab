// InPageCodebookExplorer's view (vae_lib/widgets/inpage_codebook.py): a VQ-VAE's codes decoded in this page
// (convNetwork of conv.js on the embedded grid z_q = e_c), one position of a test image's grid set to code m.
// The prior's -log p of every single-position edit of each offered image comes precomputed (`priors`).
//
// Test hook: the root element carries `vae` = {state(), numbers(), decode(codes)}.

/** z_q [F, G, G] (CHW) of a grid of code indices [G * G]: position (r, c) holds the code vector e_{codes[r, c]}. */
function embedCodes(codes, book, F) {
  const P = codes.length, z = new Float64Array(F * P);
  for (let q = 0; q < P; q++) for (let f = 0; f < F; f++) z[f * P + q] = book[codes[q] * F + f];
  return z;
}

/** Pixel probabilities [784] of a grid of codes: sigmoid(decoder(z_q)) (what model.decode_codes gives). */
function decodeCodes(net, book, F, codes) {
  return Float64Array.from(net.run(embedCodes(codes, book, F)), sigmoid);
}

/** What an edit does: the pixels whose probability moved by more than `threshold`, and |edited - recon|. */
function editDiff(edited, recon, threshold) {
  const diff = new Float64Array(edited.length);
  let changed = 0;
  for (let i = 0; i < diff.length; i++) { diff[i] = Math.abs(edited[i] - recon[i]); if (diff[i] > threshold) changed++; }
  return { diff, changed };
}

function render({ model, el }) {
  const spec = model.get("spec"), T = model.get("labels");
  const M = spec.codebook_size, F = spec.code_dim, G = spec.grid, P = G * G;
  const W = float32(model.get("weights"));
  const book = W.subarray(0, M * F);
  const net = convNetwork(spec.decoder, W);
  const u8 = (() => { const b = model.get("images"); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); })();
  const priors = float32(model.get("priors"));
  const st = { index: model.get("index"), code: model.get("code"), row: model.get("row"), col: model.get("col") };
  const which = () => spec.offered.indexOf(st.index);
  let recon = null, alone = null, now = null;

  const root = h("div", "vae-inpage vae-codebook-page");
  root.dataset.vaeExplorer = "codebook";
  root.dataset.vaeZoo = JSON.stringify(spec.zoo);  // the model's zoo name (null: not the zoo's)
  const controls = h("div", "vae-controls");
  const select = h("select", "vae-image");
  for (const i of spec.offered) select.append(new Option(String(i), String(i)));
  const r0 = h("label", "vae-row");
  r0.append(h("span", null, T.image), select);
  controls.append(r0);
  const sliders = {}, outs = {};
  const readout = (name) => { const s = h("span", "vae-readout"); s.dataset.vaeValue = name; outs[name] = s; return s; };
  for (const [k, hi] of [["code", M - 1], ["row", G - 1], ["col", G - 1]]) {
    const row = h("label", "vae-row");
    const s = h("input", `vae-slider vae-${k}`);
    Object.assign(s, { type: "range", min: 0, max: hi, step: 1, value: st[k] });
    row.append(h("span", "vae-name", T[k]), s, readout(k));
    controls.append(row);
    sliders[k] = s;
  }
  const cans = {};
  const panels = ["x", "recon", "edited", "diff", "alone"].map((k) => {
    cans[k] = pixelCanvas(spec.scale, `vae-cb-${k}`);
    const p = h("div", "vae-controls");
    p.style.width = `${28 * spec.scale + 16}px`;
    p.append(h("b", null, T[k]), cans[k].canvas);
    return p;
  });
  const grid = h("table", "vae-terms vae-code-grid");
  grid.style.fontFamily = "monospace";
  const terms = h("table", "vae-terms");
  for (const k of ["was", "changed", "prior_nll", "edited_prior_nll", "index"]) {
    const tr = h("tr");
    const td = h("td");
    td.append(readout(k));
    tr.append(h("td", null, k === "index" ? T.image : T[k]), td);
    terms.append(tr);
  }

  let syncing = false;  // model.set fires change events at once: the page's own values are not the kernel's
  const sync = throttle(() => {
    syncing = true;
    for (const k of ["index", "code", "row", "col"]) model.set(k, st[k]);
    syncing = false;
    model.save_changes();
  }, 50);
  function newImage() {  // the image and its reconstruction from its own codes
    const w = which();
    cans.x.paint(Float64Array.from(u8.subarray(784 * w, 784 * (w + 1))));
    recon = decodeCodes(net, book, F, spec.codes[w]);
    cans.recon.paint(recon);
  }
  function newCode() { alone = decodeCodes(net, book, F, new Array(P).fill(st.code)); cans.alone.paint(alone); }
  function draw() {  // per move: decode the edited grid
    const w = which(), codes = spec.codes[w], q = st.row * G + st.col;
    const edited = codes.slice();
    edited[q] = st.code;
    const image = decodeCodes(net, book, F, edited);
    const d = editDiff(image, recon, spec.threshold);
    cans.edited.paint(image);
    cans.diff.paint(d.diff);
    now = { was: codes[q], changed: d.changed, prior_nll: priors[(w * P + q) * M + codes[q]],
            edited_prior_nll: priors[(w * P + q) * M + st.code], edited, image };
    for (const k of ["code", "row", "col", "index"]) outs[k].textContent = String(st[k]);
    outs.was.textContent = String(now.was);
    outs.changed.textContent = String(now.changed);
    outs.prior_nll.textContent = now.prior_nll.toFixed(2);
    outs.edited_prior_nll.textContent = now.edited_prior_nll.toFixed(2);
    grid.replaceChildren(...Array.from({ length: G }, (_, r) => {
      const tr = h("tr");
      for (let c = 0; c < G; c++) {
        const td = h("td", null, String(edited[r * G + c]));
        td.style.border = r === st.row && c === st.col ? "3px solid #E8710A" : "1px solid #ccc";
        td.style.textAlign = "right";
        tr.append(td);
      }
      return tr;
    }));
  }
  const ac = new AbortController();
  const opts = { signal: ac.signal };
  for (const k of ["code", "row", "col"]) {
    sliders[k].addEventListener("input", () => { st[k] = Number(sliders[k].value); if (k === "code") newCode(); draw(); sync(); }, opts);
  }
  select.addEventListener("change", () => { st.index = Number(select.value); newImage(); draw(); sync(); }, opts);
  const fromKernel = () => {
    if (syncing) return;
    const v = { index: model.get("index"), code: model.get("code"), row: model.get("row"), col: model.get("col") };
    if (["index", "code", "row", "col"].every((k) => v[k] === st[k])) return;
    const img = v.index !== st.index, code = v.code !== st.code;
    Object.assign(st, v);
    select.value = String(st.index);
    for (const k of ["code", "row", "col"]) sliders[k].value = st[k];
    if (img) newImage();
    if (code) newCode();
    draw();
  };
  for (const k of ["index", "code", "row", "col"]) model.on(`change:${k}`, fromKernel);

  const body = h("div", "vae-body");
  body.append(...panels);
  const bottom = h("div", "vae-body");
  const gbox = h("div", "vae-controls");
  gbox.append(h("b", null, T.grid), grid);
  bottom.append(controls, gbox, terms);
  root.append(h("div", "vae-title", spec.title), body, bottom);
  root.vae = {
    state: () => ({ ...st }),
    numbers: () => ({ was: now.was, changed: now.changed, prior_nll: now.prior_nll, edited_prior_nll: now.edited_prior_nll }),
    decode: (codes) => Array.from(decodeCodes(net, book, F, codes)),
  };
  applySizes(root, spec);
  el.append(root);
  select.value = String(st.index);
  newImage();
  newCode();
  draw();
  return () => { ac.abort(); for (const k of ["index", "code", "row", "col"]) model.off(`change:${k}`, fromKernel); };
}

export default { render };
