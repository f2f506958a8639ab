r"""Diagrams of what the math says, drawn with matplotlib, as committed PNGs that the notebooks show.

    python -m vae_tools.diagrams                        # every diagram, both languages, into assets/figures/
    python -m vae_tools.diagrams --lang en --out /tmp/figs vae_gaps

English images go to ``assets/figures/NAME.png``, Korean ones to ``assets/figures/ko/NAME.png``; a
notebook shows one with ``![...](../assets/figures/NAME.png)``. Every word comes from :data:`LABELS`
(one table per language); the math is mathtext in the series' notation. The colours mean the same in
every diagram: encoder blue, decoder green, random nodes purple ellipses (deterministic ones are
boxes), losses red, gradients dashed orange. The output is deterministic (fixed sizes, dpi and fonts,
no metadata), so ``tests/test_diagrams.py`` compares it with the committed images pixel for pixel.

Korean needs a Korean font: the NanumGothic files that ``koreanize-matplotlib`` bundles (registered
here without importing that package, whose import changes rcParams globally), else a system NanumGothic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.path import Path as MplPath

from vae_lib.i18n import LANGUAGES
from vae_tools.diagram_canvas import COLORS, CROSS, DPI, FS, FS_SMALL, FS_TITLE, GRAD, INK, MUTED, _Canvas, _minus, edge
from vae_tools.diagram_labels import LABELS

__all__ = ["DIAGRAMS", "LABELS", "LANGS", "draw", "main", "path_of", "save"]

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "assets" / "figures"
LANGS = LANGUAGES   # vae_lib.i18n's languages: diagram_labels has a table for each (tests/test_diagrams.py)


# ------------------------------------------------------------------------------------------------ diagrams
def _ae_vs_vae(c: _Canvas) -> None:
    t, X = c.t, {"x": 0.7, "enc": 2.2, "mid": 3.95, "smp": 5.75, "dec": 7.85, "out": 10.05}
    for panel, (y0, y1, y) in {"ae": (5.1, 7.85, 6.6), "vae": (0.15, 4.9, 2.35)}.items():
        c.panel(0.15, y0, 11.35, y1, t[f"{panel}_title"])
        x = c.node(X["x"], y, "$x$", "data")
        if panel == "ae":
            enc = c.node(X["enc"], y, t["encoder"], "enc", shape="enc", w=1.6)
            code = c.node((X["mid"] + X["smp"]) / 2, y, t["code"], "op")
            dec = c.node(X["dec"], y, t["decoder"], "dec", shape="dec", w=1.6)
            out = c.node(X["out"], y, r"$\hat{x}$", "data")
            chain, loss = (x, enc, code, dec, out), c.node(9.3, y0 + 0.55, t["ae_loss"], "loss")
        else:
            enc = c.node(X["enc"], y, t["encoder"] + "\n" + r"$q_\phi(z\mid x)$", "enc", shape="enc", w=1.6)
            stats = c.node(X["mid"], y, "$\\mu$\n$\\log\\sigma^2$", "op")
            smp = c.node(X["smp"], y, t["sample"] + "\n" + r"$z\sim\mathcal{N}(\mu,\sigma^2)$", "rand", shape="ellipse")
            dec = c.node(X["dec"], y, t["decoder"] + "\n" + r"$p_\theta(x\mid z)$", "dec", shape="dec", w=1.6)
            out = c.node(X["out"], y, t["probs"], "data")
            chain, loss = (x, enc, stats, smp, dec, out), c.node(9.3, 0.95, t["recon"] + r"  $-\log p_\theta(x\mid z)$", "loss")
            kl = c.node(X["mid"], 3.95, r"$\beta\cdot\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))$", "loss")
            prior = c.node(7.3, 3.95, t["prior"] + "\n" + r"$p(z)=\mathcal{N}(0, I)$", "rand", shape="ellipse")
            c.arrow(stats, kl)
            c.arrow(prior, kl)
            c.text(4.6, 0.45, t["vae_loss"], FS_SMALL, MUTED)
        for a, b in zip(chain, chain[1:]):
            c.arrow(a, b)
        c.arrow(out, loss)
        ly = loss.geom[1]
        c.route([edge(x, "s"), (X["x"], ly), edge(loss, "w")], MUTED, t["target"], (2.0, ly + 0.22))


def _reparameterization(c: _Canvas) -> None:
    t = c.t
    for i, x0 in enumerate((0.15, 5.95)):
        c.panel(x0, 1.0, x0 + 5.6, 7.85, t["reparam_right" if i else "reparam_left"])
        cx = x0 + 2.3
        xin = c.node(x0 + 0.6, 6.6, "$x$", "data")
        enc = c.node(cx + 0.5, 6.6, t["encoder"] + r" ($\phi$)", "enc")
        mu = c.node(cx - 1.15, 5.05, r"$\mu$", "op", w=0.9)
        sd = c.node(cx + 1.15, 5.05, r"$\sigma$", "op", w=0.9)
        if i:
            z = c.node(cx, 3.4, r"$z=\mu+\sigma\odot\varepsilon$", "op")
            eps = c.node(x0 + 4.5, 3.4, r"$\varepsilon\sim\mathcal{N}(0,I)$", "rand", shape="ellipse")
            c.text(x0 + 4.5, 2.6, t["random_input"], FS_SMALL, COLORS["rand"][0])
            c.arrow(eps, z)
        else:
            z = c.node(cx, 3.4, r"$z\sim\mathcal{N}(\mu,\sigma^2)$", "rand", shape="ellipse")
            c.text(x0 + 4.5, 3.4, t["blocked"], FS_SMALL, CROSS)
        loss = c.node(cx, 1.85, t["recon"] + "\n" + r"$-\log p_\theta(x\mid z)$", "loss")
        c.arrow(xin, enc)
        for a, b, s in ((enc, mu, 0.08), (enc, sd, -0.08), (mu, z, 0.1), (sd, z, -0.1), (z, loss, -0.13)):
            c.arrow(a, b, shift=(s, 0))
        c.arrow(loss, z, GRAD, True, shift=(0.13, 0))
        g_mu = c.arrow(z, mu, GRAD, True, shift=(-0.12, -0.05))
        g_sd = c.arrow(z, sd, GRAD, True, shift=(0.12, -0.05))
        if i:
            c.text(g_mu[0] - 0.25, g_mu[1], r"$\partial z/\partial\mu=1$", FS_SMALL, GRAD, ha="right")
            c.text(g_sd[0] + 0.25, g_sd[1], r"$\partial z/\partial\sigma=\varepsilon$", FS_SMALL, GRAD, ha="left")
            c.arrow(mu, enc, GRAD, True, shift=(-0.12, 0))
            c.arrow(sd, enc, GRAD, True, shift=(0.12, 0))
        else:
            c.cross(*g_mu)
            c.cross(*g_sd)
    handles = [Line2D([], [], color=INK, lw=2, label=t["forward"]),
               Line2D([], [], color=GRAD, lw=2.2, ls=(0, (4, 2.5)), label=t["gradient"]),
               Line2D([], [], ls="", marker="o", ms=15, mfc=COLORS["rand"][1], mec=COLORS["rand"][0], mew=2,
                      label=t["random_node"]),
               Line2D([], [], ls="", marker="s", ms=13, mfc="white", mec=COLORS["op"][0], mew=2, label=t["det_node"]),
               Line2D([], [], ls="", marker="x", ms=13, mec=CROSS, mew=4, label=t["blocked_short"])]
    c.ax.legend(handles=handles, loc="center", bbox_to_anchor=(0.5, 0.5 / 8.0), ncol=5, frameon=False,
                fontsize=FS_SMALL, handlelength=2.0, handletextpad=0.5, columnspacing=1.2)


def _elbo_identity(c: _Canvas) -> None:
    t, lo, hi, x0, x1 = c.t, -105.0, 0.0, 2.5, 11.1
    log_px, rec, kl = -92.0, -72.0, 28.0
    elbo, ya, yb, bh, base = rec - kl, 4.55, 3.2, 0.75, 2.1

    def X(n):
        return x0 + (n - lo) / (hi - lo) * (x1 - x0)

    def bar(a, b, y, kind, text=None, hatch=None):
        ec, fc = COLORS[kind]
        c.ax.add_patch(Rectangle((X(a), y - bh / 2), X(b) - X(a), bh, fc=fc, ec=ec, lw=2, hatch=hatch, zorder=3))
        if text:
            c.text((X(a) + X(b)) / 2, y, text, FS_SMALL)

    c.text(5.75, 6.55, r"$\log p_\theta(x)=\mathcal{L}(x)+\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$")
    c.text(5.75, 6.0, r"$\mathcal{L}(x)=\mathbb{E}_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]"
                      r"-\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))$")
    bar(log_px, 0, ya, "data", r"$\log p_\theta(x)$")
    bar(elbo, log_px, ya, "loss", hatch="//")
    bar(rec, 0, yb, "dec", t["recon"] + r"  $\mathbb{E}_q[\log p_\theta(x\mid z)]$")
    bar(elbo, rec, yb, "rand", r"$-\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))$")
    c.text(X(lo) - 0.1, ya, t["row_logpx"], ha="right")
    c.text(X(lo) - 0.1, yb, t["row_elbo"], ha="right")
    gap_y = ya + bh / 2 + 0.42
    c.text(X(elbo) + 0.45, gap_y, t["gap"] + r"  $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))\geq 0$",
           FS_SMALL, COLORS["loss"][0], ha="left")
    c.route([(X(elbo) + 0.4, gap_y), ((X(elbo) + X(log_px)) / 2, ya + bh / 2 + 0.04)], COLORS["loss"][0])
    c.line([X(lo), X(hi)], [base, base])
    for n in range(-100, 1, 10):
        c.line([X(n), X(n)], [base, base - 0.08])
        c.text(X(n), base - 0.3, _minus(n), FS_SMALL, MUTED)
    c.text((X(lo) + X(hi)) / 2, base - 0.75, t["nats_axis"], FS_SMALL, MUTED)
    for n in (log_px, elbo):
        c.line([X(n), X(n)], [base, ya + bh / 2 + 0.12], lw=1.3, ls=(0, (2, 2)), zorder=2)
    c.text(X(log_px) + 0.08, base + 0.25, r"$\log p_\theta(x)$", FS_SMALL, ha="left")
    c.text(X(elbo) - 0.08, base + 0.25, r"$\mathcal{L}(x)$", FS_SMALL, ha="right")
    c.text(5.75, 0.5, t["elbo_caption"], FS, COLORS["enc"][0])


def _vae_pipeline(c: _Canvas) -> None:
    t, L, M, R, rows = c.t, 1.75, 5.75, 9.75, (6.95, 5.55, 4.15, 2.75)
    c.text(M, 8.05, t["pipeline_title"], FS_TITLE, fontweight="bold")
    x = c.node(L, rows[0], t["images"] + " $x$", "data", sub="[B, 1, 28, 28]", w=2.3)
    flat = c.node(L, rows[1], t["flatten"], "op", sub="[B, 784]", w=2.3)
    enc = c.node(L, rows[2], t["encoder"] + " MLP", "enc", sub="784 → 512 → 256 → 2K", shape="enc", w=2.9)
    stats = c.node(L, rows[3], r"$\mu$, $\log\sigma^2$", "op", sub=t["each"] + " [B, K]", w=2.3)
    z = c.node(M, rows[3], r"$z=\mu+\sigma\odot\varepsilon$", "op", sub="[B, K]")
    eps = c.node(M, 1.3, r"$\varepsilon\sim\mathcal{N}(0,I)$", "rand", sub="[B, K]", shape="ellipse")
    dec = c.node(R, rows[3], t["decoder"] + " MLP", "dec", sub="K → 256 → 512 → 784", shape="dec", w=2.9)
    logits = c.node(R, rows[2], t["logits"], "op", sub="[B, 784]", w=2.3)
    shape = c.node(R, rows[1], t["reshape"], "op", sub="[B, 1, 28, 28]", w=2.3)
    bern = c.node(R, rows[0], t["bernoulli"] + r" $p_\theta(x\mid z)$", "dec", sub=r"$=\mathrm{sigmoid}$(" + t["logits"] + ")")
    chain = (x, flat, enc, stats, z, dec, logits, shape, bern)
    for a, b in zip(chain, chain[1:]):
        c.arrow(a, b)
    c.arrow(eps, z)
    loss = c.node(M, 4.95, t["loss"] + "\n" + r"$-\frac{1}{B}\sum_{b=1}^{B}\left[\sum_{d=1}^{784}\log p_\theta(x_d\mid z)"
                  r"-\sum_{j=1}^{K}\mathrm{KL}_j\right]$", "loss",
                  sub=r"$\mathrm{KL}_j=\frac{1}{2}(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)$" + "\n" + t["nats"])
    c.arrow(edge(stats, "n", 0.7), loss, COLORS["loss"][0], label=r"$\mathrm{KL}_j$", label_xy=(3.55, 3.45))
    c.arrow(edge(bern, "s", -0.7), loss, COLORS["loss"][0], label=r"$\log p_\theta(x_d\mid z)$",
            label_xy=(7.7, 6.3), ha="right")
    c.route([edge(x, "e"), edge(bern, "w")], MUTED, t["target_x"], (M - 0.4, rows[0] + 0.25))
    c.text(M, 0.3, t["pipeline_note"], FS_SMALL, MUTED)


def _vae_gaps(c: _Canvas) -> None:
    t, lo, hi, y0, y1, ax_x = c.t, -102.0, -89.0, 0.95, 5.65, 1.3

    def Y(n):
        return y0 + (n - lo) / (hi - lo) * (y1 - y0)

    c.text(5.5, 7.2, t["gaps_title"], FS_TITLE, fontweight="bold")
    c.text(5.5, 6.55, r"$\log p_\theta(x)\ \geq\ \max_{q\in\mathcal{Q}}\ \mathcal{L}(x; q)"
                      r"\ \geq\ \mathcal{L}(x; q_\phi(\cdot\mid x))$", FS + 1)
    c.text(5.5, 6.0, t["family"], FS_SMALL, MUTED)
    c.line([ax_x, ax_x], [y0, y1])
    for n in range(int(lo), int(hi) + 1, 2):
        c.line([ax_x - 0.08, ax_x], [Y(n), Y(n)])
        c.text(ax_x - 0.15, Y(n), _minus(n), FS_SMALL, MUTED, ha="right")
    c.text(0.3, (y0 + y1) / 2, t["nats_up"], FS_SMALL, MUTED, rotation=90)
    for n, name, color in ((-91.0, r"$\log p_\theta(x)$", INK), (-95.0, t["best_q"], COLORS["rand"][0]),
                           (-100.0, t["enc_q"], COLORS["enc"][0])):
        c.line([ax_x, 5.3], [Y(n), Y(n)], color, lw=3)
        c.text(ax_x + 0.2, Y(n) + 0.32, name, FS, color, ha="left")
    for a, b, key, color in ((-91.0, -95.0, "approx", COLORS["rand"][0]), (-95.0, -100.0, "amort", COLORS["enc"][0])):
        c.ax.add_patch(FancyArrowPatch((5.65, Y(a)), (5.65, Y(b)), arrowstyle="<|-|>", mutation_scale=18, color=color,
                                       lw=2, shrinkA=0, shrinkB=0, zorder=4))
        c.text(5.9, (Y(a) + Y(b)) / 2 + 0.1, t[f"{key}_gap"], FS, color, ha="left", va="bottom", fontweight="bold")
        c.text(5.9, (Y(a) + Y(b)) / 2 - 0.05, t[f"{key}_how"], FS_SMALL, INK, ha="left", va="top")
    c.text(5.5, 0.35, t["gaps_note"], FS_SMALL, MUTED)


def _vq_pipeline(c: _Canvas) -> None:
    t, row = c.t, 4.7
    c.text(6.4, 7.05, t["vq_title"], FS_TITLE, fontweight="bold")
    x = c.node(0.85, row, "$x$", "data", sub="28 × 28", w=1.2)
    enc = c.node(2.55, row, t["encoder"], "enc", sub="conv", shape="enc", w=1.7)
    ze = c.node(4.6, row, "$z_e(x)$", "op", sub=t["vq_grid"] + "\n[G, F]", w=1.9)
    near = c.node(7.0, row, t["vq_nearest"], "op",
                  sub=r"$c_i=\arg\min_m\,\|z_e(x)_i-e_m\|^2$", w=2.3)
    zq = c.node(9.35, row, "$z_q(x)$", "op", sub=r"$z_q(x)_i=e_{c_i}$" + "\n[G, F]", w=1.7)
    dec = c.node(11.3, row, t["decoder"], "dec", sub=r"$p_\theta(x\mid z_q)$", shape="dec", w=1.7)
    for a, b in ((x, enc), (enc, ze), (ze, near), (near, zq), (zq, dec)):
        c.arrow(a, b)
    book = c.node(7.0, 2.55, t["vq_codebook"] + r" $e_1,\dots,e_M$", "data", sub="[M, F]")
    c.arrow(book, near)
    prior = c.node(10.6, 2.55, t["vq_prior"] + "\n" + r"$p_\lambda(c)=\prod_i p_\lambda(c_i\mid c_{<i})$", "rand",
                   shape="ellipse")
    c.arrow(edge(near, "s", 0.9), prior, label=t["vq_codes"] + r" $c(x)\in\{1..M\}^G$", label_xy=(9.55, 3.75), ha="left")
    # the straight-through gradient: from the decoder back to z_q, then around the argmin onto z_e
    yg = row + 1.25
    c.arrow(edge(dec, "n", -0.3), (edge(dec, "n", -0.3)[0], yg), GRAD, dashed=True)
    c.ax.add_patch(FancyArrowPatch(path=MplPath([(edge(dec, "n", -0.3)[0], yg), (edge(ze, "n")[0], yg),
                                                 edge(ze, "n")]),
                                   **_Canvas._arrow_style(GRAD, True)))
    c.text(7.6, yg + 0.3, t["vq_st"], FS_SMALL, GRAD)
    c.cross(7.0, row + 0.72, r=0.13)
    c.text(7.3, row + 0.72, t["vq_noderiv"], FS_SMALL, CROSS, ha="left")
    loss = c.node(3.1, 1.55, t["vq_cb_loss"] + "\n" + t["vq_cm_loss"], "loss",
                  sub=r"$\|\mathrm{sg}[z_e]-e\|^2\quad+\quad\kappa\,\|z_e-\mathrm{sg}[e]\|^2$")
    c.arrow(edge(ze, "s"), edge(loss, "n", 1.5), COLORS["loss"][0])
    c.arrow(book, loss, COLORS["loss"][0])
    c.text(6.4, 0.3, t["vq_note"], FS_SMALL, MUTED)


def _hierarchy_vs_diffusion(c: _Canvas) -> None:
    t, blue, green = c.t, COLORS["enc"][0], COLORS["dec"][0]
    c.panel(0.2, 4.45, 12.8, 9.4, t["hd_top"])
    y = 6.45
    x = c.node(1.5, y, "$x$", "data", sub=t["hd_data"], w=1.3)
    z1 = c.node(5.4, y, "$z_1$", "rand", sub="K = 20", shape="ellipse", w=1.6)
    z2 = c.node(9.3, y, "$z_2$", "rand", sub="10", shape="ellipse", w=1.6)
    pz = c.node(11.85, y, r"$\mathcal{N}(0, I)$", "rand", sub=t["hd_prior"], shape="ellipse")
    # inference (blue, above): x -> z2 in one bottom-up pass, then z2 -> z1 top down
    yb = y + 1.8
    c.route([edge(x, "n"), (1.5, yb), (9.3, yb), edge(z2, "n")], blue, t["hd_q2"], (5.4, yb + 0.28))
    c.arrow(z2, z1, blue, shift=(0, 0.28))
    c.arrow(edge(x, "e", 0.28), edge(z1, "w", 0.28), blue)
    c.text(7.35, y + 0.62, t["hd_q1"], FS_SMALL, blue, va="bottom")
    # generation (green, below)
    c.arrow(z2, z1, green, shift=(0, -0.28))
    c.arrow(edge(z1, "w", -0.28), edge(x, "e", -0.28), green)
    c.text(7.35, y - 0.62, t["hd_p1"], FS_SMALL, green)
    c.text(3.45, y - 0.62, t["hd_px"], FS_SMALL, green)
    c.arrow(pz, z2, green)
    c.text(6.5, 4.85, t["hd_elbo1"], FS_SMALL)
    c.panel(0.2, 0.2, 12.8, 4.25, t["hd_bottom"])
    y = 2.35
    nodes = [c.node(1.5, y, "$x_0$", "data", sub=t["hd_data"], w=1.3)]
    for xx, s in ((3.9, "$x_1$"), (6.1, "$x_2$"), (9.3, "$x_T$")):
        nodes.append(c.node(xx, y, s, "rand", shape="ellipse", w=1.3))
    c.text(7.7, y, r"$\cdots$", FS + 4)
    pz = c.node(11.85, y, r"$\mathcal{N}(0, I)$", "rand", sub=t["hd_prior"], shape="ellipse")
    for a, b in zip(nodes[:-1], nodes[1:]):
        if b is nodes[-1]:  # x_2 -> ... -> x_T: two half arrows around the dots
            for sh, col in ((0.28, blue), (-0.28, green)):
                p, q = edge(a, "e", sh), (7.2, y + sh)
                r, s_ = (8.2, y + sh), edge(b, "w", sh)
                c.arrow(p, q, col) if col == blue else c.arrow(q, p, col)
                c.arrow(r, s_, col) if col == blue else c.arrow(s_, r, col)
            continue
        c.arrow(edge(a, "e", 0.28), edge(b, "w", 0.28), blue)
        c.arrow(edge(b, "w", -0.28), edge(a, "e", -0.28), green)
    c.arrow(pz, nodes[-1], green)
    c.text(5.6, y + 0.95, t["hd_fixed"] + ":", FS, blue, ha="right", fontweight="bold")
    c.text(5.75, y + 0.95, t["hd_q"], FS_SMALL, blue, ha="left")
    c.text(5.6, y - 0.95, t["hd_learned"] + ":", FS, green, ha="right", fontweight="bold")
    c.text(5.75, y - 0.95, t["hd_p"], FS_SMALL, green, ha="left")
    c.text(6.5, 0.5, t["hd_elbo2"], FS_SMALL)


#: name -> (drawing function, figure size in inches, the notebook meant to show it)
DIAGRAMS = {
    "ae_vs_vae": (_ae_vs_vae, (11.5, 8.0), "02_from_ae_to_vae"),
    "elbo_identity": (_elbo_identity, (11.5, 7.0), "04_elbo"),
    "reparameterization": (_reparameterization, (11.7, 8.0), "05_reparameterization"),
    "vae_pipeline": (_vae_pipeline, (11.5, 8.4), "06_training_a_vae"),
    "vae_gaps": (_vae_gaps, (11.2, 7.6), "a later notebook on closing the gaps"),
    "vq_pipeline": (_vq_pipeline, (12.6, 7.5), "12_discrete_latents"),
    "hierarchy_vs_diffusion": (_hierarchy_vs_diffusion, (13.0, 9.6), "13_deep_hierarchies"),
}


# ------------------------------------------------------------------------------------------------ output
def _korean_font() -> str:
    """NanumGothic, registered with matplotlib by :func:`vae_lib.i18n.korean_font` (the one place that does it)."""
    from vae_lib.i18n import korean_font

    return korean_font()


def _rc(lang: str) -> dict:
    family = [_korean_font(), "DejaVu Sans"] if lang == "ko" else ["DejaVu Sans"]
    return {"font.family": family, "mathtext.fontset": "dejavusans", "font.size": FS, "hatch.linewidth": 1.0,
            "savefig.facecolor": "white"}


def draw(name: str, lang: str = "en") -> Figure:
    """Draw one diagram (a key of :data:`DIAGRAMS`) with the words of ``lang``; returns the figure."""
    if name not in DIAGRAMS:
        raise ValueError(f"unknown diagram {name!r}; choose from {sorted(DIAGRAMS)}")
    if lang not in LABELS:
        raise ValueError(f"unknown language {lang!r}; choose from {sorted(LABELS)}")
    func, (w, h), _ = DIAGRAMS[name]
    with matplotlib.rc_context(_rc(lang)):
        canvas = _Canvas(w, h, lang)
        func(canvas)
    return canvas.fig


def path_of(name: str, lang: str = "en", out: Path | str = FIGURES) -> Path:
    """Where a diagram's PNG lives: ``out/NAME.png`` in English, ``out/LANG/NAME.png`` otherwise."""
    return Path(out) / ("" if lang == "en" else lang) / f"{name}.png"


def save(name: str, lang: str = "en", out: Path | str = FIGURES) -> Path:
    """Draw a diagram and write it (no metadata, so the same drawing gives the same bytes)."""
    path = path_of(name, lang, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(_rc(lang)):
        draw(name, lang).savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the series' diagrams as PNGs.")
    parser.add_argument("names", nargs="*", help=f"diagrams to draw (default: all of {', '.join(DIAGRAMS)})")
    parser.add_argument("--out", default=str(FIGURES), help="folder to write into (default: assets/figures)")
    parser.add_argument("--lang", choices=[*LANGS, "all"], default="all")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(DIAGRAMS))
    if unknown:
        parser.error(f"unknown diagram(s) {unknown}; choose from {sorted(DIAGRAMS)}")
    for lang in LANGS if args.lang == "all" else (args.lang,):
        for name in args.names or DIAGRAMS:
            print(save(name, lang, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
