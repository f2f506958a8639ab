// What the in-page twins of the toy explorers share (vae_lib/widgets/twin.py): labelled sliders and
// buttons, small SVG plots (axes drawn once per range, curves and bars moved per event), a table of numbers
// whose cells carry data-vae-value="<name>" (a test reads them), and the root element with
// data-vae-explorer="<kind>". Needs h(), throttle(), applySizes() of mlp.js (prepended by Python).

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(parent, name, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.append(e);
  return e;
}

/** About n round tick values between lo and hi (1, 2 or 5 times a power of ten apart). */
function niceTicks(lo, hi, n = 5) {
  const raw = (hi - lo) / n, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 ? 0 : v);
  return out;
}

/** A plot panel: axes (linear, or logarithmic in x), a title, labels; curves, bars and markers in data units. */
function plotPanel({ width, height, xlim, ylim, xlabel = "", ylabel = "", title = "", xlog = false, cls = "",
  xticks = null }) {
  const m = { l: 54, r: 10, t: title ? 22 : 8, b: 38 };
  const svg = svgEl(null, "svg", { width, height, class: `vae-plot ${cls}`, "font-size": 11 });
  const axes = svgEl(svg, "g", { class: "vae-axes" });
  const clipId = `vae-clip-${Math.random().toString(36).slice(2)}`;  // what is drawn stays inside the frame
  svgEl(svgEl(svg, "clipPath", { id: clipId }), "rect", { x: m.l, y: m.t, width: width - m.l - m.r,
    height: height - m.t - m.b });
  const data = svgEl(svg, "g", { "clip-path": `url(#${clipId})` });
  const fx = xlog ? Math.log10 : (v) => v;
  let lim = { x: xlim, y: ylim };
  const x = (v) => m.l + (fx(v) - fx(lim.x[0])) / (fx(lim.x[1]) - fx(lim.x[0])) * (width - m.l - m.r);
  const y = (v) => height - m.b - (v - lim.y[0]) / (lim.y[1] - lim.y[0]) * (height - m.t - m.b);
  const clip = (v) => Math.min(1e4, Math.max(-1e4, v));  // a finite coordinate (the clip path cuts it at the frame)
  function drawAxes() {
    axes.replaceChildren();
    const [x0, x1, y0, y1] = [m.l, width - m.r, height - m.b, m.t];
    svgEl(axes, "rect", { x: x0, y: y1, width: x1 - x0, height: y0 - y1, fill: "none", stroke: "#444" });
    const xt = xticks ?? (xlog ? Array.from({ length: 9 }, (_, i) => 10 ** (i - 4)).filter((v) => v >= lim.x[0] && v <= lim.x[1])
      : niceTicks(...lim.x)).map((v) => [v, String(+v.toFixed(6))]);
    for (const [v, text] of xt) {
      svgEl(axes, "line", { x1: x(v), x2: x(v), y1: y0, y2: y0 + 4, stroke: "#444" });
      svgEl(axes, "text", { x: x(v), y: y0 + 15, "text-anchor": "middle" }, text);
    }
    for (const v of niceTicks(...lim.y)) {
      svgEl(axes, "line", { x1: x0 - 4, x2: x0, y1: y(v), y2: y(v), stroke: "#444" });
      svgEl(axes, "text", { x: x0 - 6, y: y(v) + 4, "text-anchor": "end" }, String(+v.toFixed(6)));
    }
    svgEl(axes, "text", { x: (x0 + x1) / 2, y: height - 6, "text-anchor": "middle" }, xlabel);
    svgEl(axes, "text", { x: 12, y: (y0 + y1) / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${(y0 + y1) / 2})` },
      ylabel);
    if (title) svgEl(axes, "text", { x: (x0 + x1) / 2, y: 14, "text-anchor": "middle", "font-weight": "bold" }, title);
  }
  drawAxes();
  const panel = {
    svg, x, y, lim: () => lim,
    setYlim(lo, hi) { if (lo !== lim.y[0] || hi !== lim.y[1]) { lim = { ...lim, y: [lo, hi] }; drawAxes(); } },
    /** A polyline; .set(xs, ys) moves it (what leaves the frame is cut off at it). */
    curve(color, attrs = {}) {
      const p = svgEl(data, "polyline", { fill: "none", stroke: color, "stroke-width": 2, ...attrs });
      p.set = (xs, ys) => {
        let s = "";
        for (let i = 0; i < xs.length; i++) s += `${x(xs[i]).toFixed(1)},${clip(y(ys[i])).toFixed(1)} `;
        p.setAttribute("points", s);
      };
      return p;
    },
    /** A bar from y = a to y = b at x (width in data units); .set(a, b). */
    bar(xc, w, color) {
      const r = svgEl(data, "rect", { fill: color });
      r.set = (a, b) => {
        const [lo, hi] = [Math.min(a, b), Math.max(a, b)];
        Object.entries({ x: x(xc - w / 2), width: x(xc + w / 2) - x(xc - w / 2), y: clip(y(hi)),
          height: Math.max(0, clip(y(lo)) - clip(y(hi))) }).forEach(([k, v]) => r.setAttribute(k, v));
      };
      return r;
    },
    /** A horizontal segment from x = a to x = b; .set(v) moves it to y = v. */
    hline(a, b, color, attrs = {}) {
      const l = svgEl(data, "line", { x1: x(a), x2: x(b), stroke: color, "stroke-width": 1, ...attrs });
      l.set = (v) => { l.setAttribute("y1", clip(y(v))); l.setAttribute("y2", clip(y(v))); };
      return l;
    },
    marker(color, r = 5) {
      const c = svgEl(data, "circle", { r, fill: color });
      c.set = (a, b) => { c.setAttribute("cx", x(a)); c.setAttribute("cy", clip(y(b))); };
      return c;
    },
    /** A legend in the top corner ("left" or "right"): [[text, color], ...]. */
    legend(items, side = "right") {
      const g = svgEl(svg, "g", { class: "vae-legend" });
      items.forEach(([text, color], i) => {
        const yy = m.t + 14 + 15 * i, xx = side === "right" ? width - m.r - 8 : m.l + 8;
        const dir = side === "right" ? -1 : 1;
        svgEl(g, "line", { x1: xx, x2: xx + dir * 18, y1: yy - 4, y2: yy - 4, stroke: color, "stroke-width": 2 });
        svgEl(g, "text", { x: xx + dir * 22, y: yy, "text-anchor": side === "right" ? "end" : "start" }, text);
      });
    },
  };
  return panel;
}

/** A labelled range slider with its readout. .value() is the value shown (the slider's, or one set from code,
 *  which the slider shows at its step); .set(v) moves it without an event. `log`: the slider moves log10(v). */
function sliderRow(label, { min, max, step, value, name, digits = 2, log = false }) {
  const row = h("label", "vae-row");
  const s = h("input", `vae-slider vae-control-${name}`);
  const toPos = (v) => (log ? Math.log10(v) : v), fromPos = (p) => (log ? 10 ** p : p);
  Object.assign(s, { type: "range", min: toPos(min), max: toPos(max), step, value: toPos(value) });
  s.dataset.vaeControl = name;
  const out = h("span", "vae-readout");
  row.append(h("span", "vae-name", label), s, out);
  let current = value;
  const show = () => { out.textContent = current.toFixed(digits); };
  show();
  s.addEventListener("input", () => { current = fromPos(Number(s.value)); show(); });
  return {
    row, input: s, value: () => current,
    set: (v) => { current = Math.min(max, Math.max(min, v)); s.value = toPos(current); show(); },
  };
}

/** A table of numbers: rows [[label, name], ...]; .set({name: number}) writes them with `digits` decimals. */
function numberTable(rows, digits = 4, header = null) {
  const table = h("table", "vae-numbers");
  if (header) {
    const tr = h("tr");
    header.forEach((t) => tr.append(h("th", "", t)));
    table.append(tr);
  }
  const cells = {};
  for (const [label, ...names] of rows) {
    const tr = h("tr");
    tr.append(h("td", "", label));
    for (const name of names) {
      const td = h("td", "vae-num");
      td.dataset.vaeValue = name;
      cells[name] = td;
      tr.append(td);
    }
    table.append(tr);
  }
  table.set = (values, fmt = (v) => v.toFixed(digits)) => {
    for (const [k, v] of Object.entries(values)) if (cells[k]) cells[k].textContent = fmt(v, k);
  };
  return table;
}

/** The root element of a twin: class vae-twin, data-vae-explorer = kind, the explorer's sizes applied. */
function twinRoot(kind, spec, title) {
  const root = h("div", `vae-twin vae-twin-${kind}`);
  root.dataset.vaeExplorer = kind;
  if (title) root.append(h("div", "vae-title", title));
  return root;
}

/** Tell the kernel the controls' values (throttled, after painting): explorer.controls reads them. */
function controlSync(model) {
  let pending = {};
  const send = throttle(() => {
    model.set("controls", { ...model.get("controls"), ...pending });
    pending = {};
    model.save_changes();
  }, 80);
  return (values) => { Object.assign(pending, values); send(); };
}

/** Wire a twin's page up and show it: `draw()` paints the controls' current values and returns {controls, values};
 *  `apply(c)` moves the controls to c (a change from the kernel, e.g. set_controls); `events`: [element, event type,
 *  action run before drawing (or null)]. Each event redraws and tells the kernel (throttled). The root element gets
 *  the test hook root.vae = {spec(), values(), controls()} (add more with Object.assign). Returns {changed, last,
 *  cleanup} (cleanup: what render returns). */
function wireTwin(model, el, root, spec, draw, apply, events) {
  const tell = controlSync(model);
  let last = null;
  const changed = () => { last = draw(); tell(last.controls); };
  const ac = new AbortController();
  for (const [target, type, action] of events) {
    target.addEventListener(type, () => { if (action) action(); changed(); }, { signal: ac.signal });
  }
  const fromKernel = () => {
    const c = model.get("controls");
    if (last && Object.keys(c).every((k) => c[k] === last.controls[k])) return;  // the page's own values came back
    apply(c);
    last = draw();
  };
  model.on("change:controls", fromKernel);
  root.vae = { spec: () => spec, values: () => last.values, controls: () => last.controls };
  applySizes(root, spec);
  el.append(root);
  last = draw();
  return { changed, last: () => last, cleanup: () => { ac.abort(); model.off("change:controls", fromKernel); } };
}
