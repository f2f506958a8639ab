// Convolutions in the page, for small networks (the VQ-VAE's decoder of notebook 12): a chain of layers
// {type: "conv" | "convT", c_in, c_out, k, stride, pad, h_in, w_in, h_out, w_out, w, b, act} run on CHW
// Float64Arrays, with the float32 weights that vae_lib.widgets.inpage_codebook.export_conv exports (PyTorch's
// layouts: Conv2d W[c_out][c_in][k][k], ConvTranspose2d W[c_in][c_out][k][k]) and ACTIVATIONS of mlp.js.
//
//   conv:  out[o, y, x] = b[o] + sum_{i, u, v} W[o, i, u, v] in[i, s y - p + u, s x - p + v]
//   convT: out[o, s y' - p + u, s x' - p + v] += W[i, o, u, v] in[i, y', x']   (the transpose of a conv)

function convLayer(L, W) {
  const out = new Float64Array(L.c_out * L.h_out * L.w_out);
  const act = ACTIVATIONS[L.act];
  if (!act) throw new Error(`unknown activation ${L.act}`);
  const { c_in: ci, c_out: co, k, stride: s, pad: p, h_in: hi, w_in: wi, h_out: ho, w_out: wo } = L;
  const plane = ho * wo;
  return (x) => {
    for (let o = 0; o < co; o++) out.fill(W[L.b + o], o * plane, (o + 1) * plane);
    if (L.type === "conv") {
      for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) {
        const wv = W[L.w + ((o * ci + i) * k + u) * k + v];
        for (let y = 0; y < ho; y++) {
          const yy = s * y - p + u;
          if (yy < 0 || yy >= hi) continue;
          for (let xx0 = 0; xx0 < wo; xx0++) {
            const xx = s * xx0 - p + v;
            if (xx >= 0 && xx < wi) out[o * plane + y * wo + xx0] += wv * x[(i * hi + yy) * wi + xx];
          }
        }
      }
    } else {
      for (let i = 0; i < ci; i++) for (let y = 0; y < hi; y++) for (let xx = 0; xx < wi; xx++) {
        const a = x[(i * hi + y) * wi + xx];
        if (a === 0) continue;
        for (let o = 0; o < co; o++) for (let u = 0; u < k; u++) {
          const yy = s * y - p + u;
          if (yy < 0 || yy >= ho) continue;
          for (let v = 0; v < k; v++) {
            const xo = s * xx - p + v;
            if (xo >= 0 && xo < wo) out[o * plane + yy * wo + xo] += W[L.w + ((i * co + o) * k + u) * k + v] * a;
          }
        }
      }
    }
    if (L.act !== "none") for (let j = 0; j < out.length; j++) out[j] = act(out[j], L.alpha ?? 1.0);
    return out;
  };
}

/** A chain of conv / convT layers; run(x) gives the last layer's output (CHW, a Float64Array reused per call). */
function convNetwork(spec, weights) {
  const W = float32(weights);
  for (const L of spec.layers) {
    const n = L.type === "conv" ? L.c_out * L.c_in * L.k * L.k : L.c_in * L.c_out * L.k * L.k;
    if (L.w + n > W.length || L.b + L.c_out > W.length) throw new Error("weights too short");
  }
  const layers = spec.layers.map((L) => convLayer(L, W));
  return { run: (x) => layers.reduce((h, f) => f(h), x) };
}
