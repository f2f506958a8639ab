// The in-page twin of notebook 00's first widget (vae_lib/widgets/digits.py): a slider picks one of the test
// images that travel with the page (uint8 grey levels, value / 255) and the page paints it, ink black on white
// (grey = round(255 (1 - x)), as vae_lib.plots draws images), with its index and label.

/** Image i of the uint8 buffer as pixel values in [0, 1] (Float64Array [side * side]). */
function digitPixels(bytes, i, n) {
  const b = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
  return Float64Array.from(b.subarray(i * n, (i + 1) * n), (v) => v / 255);
}

function render({ model, el }) {
  const spec = model.get("spec"), L = model.get("labels"), n = spec.side * spec.side;
  const bytes = model.get("data");
  const slider = sliderRow(L.index, { min: 0, max: spec.count - 1, step: 1, value: model.get("controls").index,
    name: "index", digits: 0 });
  const pic = pixelCanvas(spec.scale, "vae-digit");
  const index = h("span", "vae-num"), label = h("span", "vae-num");
  index.dataset.vaeValue = "index";
  label.dataset.vaeValue = "label";
  const caption = h("div", "vae-caption");
  caption.append(`${L.image} `, index, `, ${L.label} `, label);
  const root = twinRoot("digits", spec, "");
  root.append(slider.row, caption, pic.canvas);
  function draw() {
    const i = Math.round(slider.value());
    pic.paint(digitPixels(bytes, i, n));
    index.textContent = String(i);
    label.textContent = String(spec.labels[i]);
    return { controls: { index: i }, values: { index: i, label: spec.labels[i] } };
  }
  const twin = wireTwin(model, el, root, spec, draw, (c) => slider.set(c.index), [[slider.input, "input", null]]);
  root.vae.pixels = (i) => Array.from(digitPixels(bytes, i, n));
  return twin.cleanup;
}

export default { render };
