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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle
from matplotlib.path import Path as MplPath

__all__ = ["DIAGRAMS", "LABELS", "LANGS", "draw", "main", "path_of", "save"]

DPI = 120
ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "assets" / "figures"
FS, FS_SMALL, FS_TITLE = 15, 13, 17
INK, MUTED, GRAD, CROSS = "#222222", "#666666", "#E8710A", "#D62728"
COLORS = {  # kind -> (edge, fill)
    "enc": ("#2F6DB5", "#DCE8F7"), "dec": ("#2E8B57", "#DDF1E4"), "rand": ("#7A4EA3", "#EFE7F7"),
    "data": ("#555555", "#F0F0F0"), "loss": ("#C0392B", "#FBE3E0"), "op": ("#555555", "#FFFFFF"),
}

# Every word in the diagrams, one table per language (formulas are mathtext, the same in every language).
LABELS = {
    "en": {
        "encoder": "encoder", "decoder": "decoder", "prior": "prior", "recon": "reconstruction", "loss": "loss",
        "ae_title": "Autoencoder: one code per image", "code": "code $z$", "ae_loss": "reconstruction loss",
        "vae_title": "Variational autoencoder: a distribution per image", "sample": "sample",
        "probs": "pixel\nprobabilities", "target": "target $x$",
        "vae_loss": r"loss = reconstruction + $\beta\cdot$KL, in nats per example",
        "reparam_left": "Sampling $z$ directly", "reparam_right": "Reparameterization trick",
        "random_input": "random input\n(no gradient)",
        "blocked": "sampling has\nno derivative:\nno gradient\nreaches $\\phi$",
        "forward": "forward", "gradient": "gradient (backpropagation)", "random_node": "random node",
        "det_node": "deterministic node", "blocked_short": "gradient blocked",
        "row_logpx": "evidence", "row_elbo": r"ELBO $\mathcal{L}(x)$", "gap": "gap",
        "nats_axis": "nats (log-probability of one image; illustrative values)",
        "elbo_caption": r"maximising the ELBO over $\phi$ narrows the gap (to 0 only if $q$ can equal the posterior);"
                        "\n" r"over $\theta$ it raises $\log p_\theta(x)$ or narrows the gap",
        "pipeline_title": "One training step of the MLP VAE on a batch of B images",
        "images": "images", "bernoulli": "Bernoulli", "flatten": "flatten", "each": "each", "logits": "logits", "reshape": "reshape",
        "nats": "nats per example, averaged over the batch", "target_x": "evaluated at the images $x$",
        "pipeline_note": "B: batch size    K: latent dimensions    D = 784 pixels",
        "gaps_title": r"Two gaps between $\log p_\theta(x)$ and the ELBO of a trained VAE",
        "best_q": r"best Gaussian $q^*$:  $\max_{q\in\mathcal{Q}}\ \mathcal{L}(x; q)$", "enc_q": r"encoder:  $\mathcal{L}(x; q_\phi)$",
        "approx_gap": "approximation gap",
        "approx_how": "no Gaussian equals the posterior $p_\\theta(z\\mid x)$:\nclosing it needs a richer family for $q$",
        "amort_gap": "amortization gap",
        "amort_how": "one encoder shared by all images misses the best\nGaussian for this $x$: closing it needs a better\nencoder, or fitting $q$ to this $x$ alone",
        "nats_up": "nats (one image; illustrative values)",
        "family": r"$\mathcal{Q}$: the Gaussians with a diagonal covariance, the encoder's family",
        "gaps_note": r"total gap $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$ = approximation gap + amortization gap",
        "vq_title": "VQ-VAE: a grid of vectors, each replaced by its nearest code",
        "vq_grid": "grid of vectors", "vq_nearest": "nearest code", "vq_codes": "codes",
        "vq_codebook": "codebook", "vq_prior": "prior over codes", "vq_st": "straight-through: the gradient at $z_q$ is copied onto $z_e$",
        "vq_noderiv": "argmin: no derivative", "vq_cb_loss": "codebook loss: moves the codes",
        "vq_cm_loss": "commitment loss: moves the encoder", "vq_rec": "reconstruction",
        "vq_note": "G = 7 × 7 = 49 positions    M codes of F numbers each    sg: stop-gradient",
        "hd_top": "Hierarchical VAE: two learned latent layers, top-down inference",
        "hd_bottom": "Diffusion: T latent layers the size of $x$, and a fixed encoder",
        "hd_q2": r"$q_\phi(z_2\mid x)$: the bottom-up pass", "hd_q1": r"$q_\phi(z_1\mid x, z_2)$: bottom-up estimate" "\n" r"$\times$ top-down $p_\theta(z_1\mid z_2)$",
        "hd_p1": r"$p_\theta(z_1\mid z_2)$", "hd_px": r"$p_\theta(x\mid z_1)$",
        "hd_fixed": "fixed encoder: no parameters", "hd_learned": "learned decoder",
        "hd_q": r"$q(x_t\mid x_{t-1})=\mathcal{N}(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t I)$",
        "hd_p": r"$p_\theta(x_{t-1}\mid x_t)=\mathcal{N}(\mu_\theta(x_t, t),\ \sigma_t^2 I)$",
        "hd_elbo1": r"ELBO $=\mathbb{E}\log p_\theta(x\mid z_1)-\mathrm{KL}(q(z_2\mid x)\,\|\,\mathcal{N}(0,I))"
                    r"-\mathbb{E}\,\mathrm{KL}(q(z_1\mid x,z_2)\,\|\,p_\theta(z_1\mid z_2))$",
        "hd_elbo2": r"ELBO $=\mathbb{E}\log p_\theta(x_0\mid x_1)-\mathrm{KL}(q(x_T\mid x_0)\,\|\,\mathcal{N}(0,I))"
                    r"-\sum_{t=2}^{T}\mathbb{E}\,\mathrm{KL}(q(x_{t-1}\mid x_t,x_0)\,\|\,p_\theta(x_{t-1}\mid x_t))$",
        "hd_prior": "prior", "hd_data": "data",
    },
    "ko": {
        "encoder": "인코더", "decoder": "디코더", "prior": "사전 분포", "recon": "재구성", "loss": "손실",
        "ae_title": "오토인코더: 이미지마다 코드 하나", "code": "잠재 코드 $z$", "ae_loss": "재구성 손실",
        "vae_title": "변분 오토인코더: 이미지마다 분포 하나", "sample": "샘플링",
        "probs": "픽셀\n확률", "target": "목표 $x$",
        "vae_loss": r"손실 = 재구성 + $\beta\cdot$KL (이미지당 nats)",
        "reparam_left": "$z$를 직접 샘플링", "reparam_right": "재매개변수화 기법",
        "random_input": "무작위 입력\n(기울기 없음)",
        "blocked": "샘플링은\n미분할 수 없다:\n기울기가 $\\phi$에\n닿지 않는다",
        "forward": "순전파", "gradient": "기울기 (역전파)", "random_node": "확률 노드",
        "det_node": "결정론적 노드", "blocked_short": "기울기 차단",
        "row_logpx": "증거", "row_elbo": "증거 하한 (ELBO)", "gap": "간극",
        "nats_axis": "nats (이미지 하나의 로그 확률, 예시 값)",
        "elbo_caption": r"ELBO를 $\phi$에 대해 최대화하면 간극이 준다($q$가 사후 분포와 같아질 수 있을 때만 0)."
                        "\n" r"$\theta$에 대해 최대화하면 $\log p_\theta(x)$가 오르거나 간극이 준다",
        "pipeline_title": "MLP VAE의 학습 한 단계: 이미지 B장의 배치",
        "images": "이미지", "bernoulli": "베르누이", "flatten": "펼치기", "each": "각각", "logits": "로짓", "reshape": "모양 바꾸기",
        "nats": "이미지당 nats, 배치 평균", "target_x": "이미지 $x$에서 평가",
        "pipeline_note": "B: 배치 크기    K: 잠재 차원 수    D = 784 픽셀",
        "gaps_title": r"학습된 VAE의 ELBO와 $\log p_\theta(x)$ 사이의 두 간극",
        "best_q": r"최선의 가우시안 $q^*$:  $\max_{q\in\mathcal{Q}}\ \mathcal{L}(x; q)$", "enc_q": r"인코더:  $\mathcal{L}(x; q_\phi)$",
        "approx_gap": "근사 간극",
        "approx_how": "어떤 가우시안도 사후 분포 $p_\\theta(z\\mid x)$와 같지 않다:\n줄이려면 더 풍부한 $q$의 분포족이 필요",
        "amort_gap": "분할 상환 간극",
        "amort_how": "모든 이미지가 인코더 하나를 나눠 쓰므로 이 $x$에\n가장 좋은 가우시안을 놓친다: 줄이려면 더 나은\n인코더나, 이 $x$ 하나에 맞춘 $q$가 필요",
        "nats_up": "nats (이미지 하나, 예시 값)",
        "family": r"$\mathcal{Q}$: 대각 공분산 가우시안 전체, 인코더의 분포족",
        "gaps_note": r"전체 간극 $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$ = 근사 간극 + 분할 상환 간극",
        "vq_title": "VQ-VAE: 벡터 격자의 각 벡터를 가장 가까운 코드로 바꾼다",
        "vq_grid": "벡터 격자", "vq_nearest": "가장 가까운 코드", "vq_codes": "코드",
        "vq_codebook": "코드북", "vq_prior": "코드의 사전 분포", "vq_st": "직통 추정기: $z_q$의 기울기를 $z_e$에 그대로 복사",
        "vq_noderiv": "argmin: 미분 불가", "vq_cb_loss": "코드북 손실: 코드를 움직인다",
        "vq_cm_loss": "커밋먼트 손실: 인코더를 움직인다", "vq_rec": "재구성",
        "vq_note": "G = 7 × 7 = 49 위치    코드 M개, 각각 F개의 수    sg: 기울기 정지",
        "hd_top": "계층적 VAE: 학습하는 잠재층 두 개, 위에서 아래로 추론",
        "hd_bottom": "확산 모델: $x$와 같은 크기의 잠재층 T개, 고정된 인코더",
        "hd_q2": r"$q_\phi(z_2\mid x)$: 아래에서 위로 한 번", "hd_q1": r"$q_\phi(z_1\mid x, z_2)$: 아래에서 온 추정" "\n" r"$\times$ 위에서 온 $p_\theta(z_1\mid z_2)$",
        "hd_p1": r"$p_\theta(z_1\mid z_2)$", "hd_px": r"$p_\theta(x\mid z_1)$",
        "hd_fixed": "고정된 인코더: 매개변수 없음", "hd_learned": "학습하는 디코더",
        "hd_q": r"$q(x_t\mid x_{t-1})=\mathcal{N}(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t I)$",
        "hd_p": r"$p_\theta(x_{t-1}\mid x_t)=\mathcal{N}(\mu_\theta(x_t, t),\ \sigma_t^2 I)$",
        "hd_elbo1": r"ELBO $=\mathbb{E}\log p_\theta(x\mid z_1)-\mathrm{KL}(q(z_2\mid x)\,\|\,\mathcal{N}(0,I))"
                    r"-\mathbb{E}\,\mathrm{KL}(q(z_1\mid x,z_2)\,\|\,p_\theta(z_1\mid z_2))$",
        "hd_elbo2": r"ELBO $=\mathbb{E}\log p_\theta(x_0\mid x_1)-\mathrm{KL}(q(x_T\mid x_0)\,\|\,\mathcal{N}(0,I))"
                    r"-\sum_{t=2}^{T}\mathbb{E}\,\mathrm{KL}(q(x_{t-1}\mid x_t,x_0)\,\|\,p_\theta(x_{t-1}\mid x_t))$",
        "hd_prior": "사전 분포", "hd_data": "데이터",
    },
}
LANGS = tuple(LABELS)


# ----------------------------------------------------------------------------------------------- helpers
class _Canvas:
    """A figure whose data units are inches (one axes over all of it), with the drawing primitives."""

    def __init__(self, w: float, h: float, lang: str) -> None:
        self.fig = Figure(figsize=(w, h), dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set(xlim=(0, w), ylim=(0, h), aspect="equal")
        self.ax.axis("off")
        self.t = LABELS[lang]
        self._renderer = self.fig.canvas.get_renderer()

    def text(self, x, y, s, fs=FS, color=INK, **kw):
        kw = {"ha": "center", "va": "center", "linespacing": 1.3, "zorder": 6, **kw}
        return self.ax.text(x, y, s, fontsize=fs, color=color, **kw)

    def node(self, x, y, s, kind, sub=None, w=0.0, h=0.0, shape="box"):
        """A node centred at (x, y), grown to fit its lines of text (and grey ``sub`` lines below them).
        shape: "box" (deterministic), "ellipse" (random), "enc" / "dec" (narrowing / widening trapezoids)."""
        lines = [(line, FS, INK) for line in s.split("\n")] + [(line, FS_SMALL, MUTED) for line in (sub or "").split("\n") if line]
        texts = [self.text(x, y, *line, va="baseline") for line in lines]
        # ink extents (a Text's own extent is one line high, even for a tall formula); at least a line's height
        sizes = [[v / DPI for v in self._renderer.get_text_width_height_descent(s, t.get_fontproperties(), "$" in s)]
                 for t, (s, fs, _) in zip(texts, lines)]
        above = [max(h - d, 0.78 * fs / 72) for (_, h, d), (_, fs, _) in zip(sizes, lines)]
        below = [max(d, 0.24 * fs / 72) for (_, _, d), (_, fs, _) in zip(sizes, lines)]
        tw, th = max(s[0] for s in sizes), sum(above) + sum(below) + 0.07 * (len(texts) - 1)
        top = y + th / 2
        for t, a, b in zip(texts, above, below):
            t.set_y(top - a)
            top -= a + b + 0.07
        if shape == "ellipse":
            w, h = max(w, 1.42 * tw + 0.1), max(h, 1.42 * th + 0.15)
        else:
            w, h = max(w, tw + 0.4), max(h, (th + 0.3) / (0.72 if shape in ("enc", "dec") else 1))
        edge, fill = COLORS[kind]
        style = {"edgecolor": edge, "facecolor": fill, "linewidth": 2.0, "zorder": 3}
        if shape == "ellipse":
            patch = Ellipse((x, y), w, h, **style)
        elif shape in ("enc", "dec"):
            a, b = (h / 2, 0.72 * h / 2) if shape == "enc" else (0.72 * h / 2, h / 2)
            patch = Polygon([(x - w / 2, y - a), (x + w / 2, y - b), (x + w / 2, y + b), (x - w / 2, y + a)], **style)
        else:
            patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12", **style)
        self.ax.add_patch(patch)
        patch.geom = (x, y, w, h)
        return patch

    def arrow(self, a, b, color=INK, dashed=False, shift=(0.0, 0.0), label=None, label_xy=None, **text_kw):
        """A straight arrow from node (or point) a to node (or point) b, clipped at the node edges and moved
        by ``shift``; returns its middle."""
        (xa, ya), (xb, yb) = (a.geom[:2] if hasattr(a, "geom") else a), (b.geom[:2] if hasattr(b, "geom") else b)
        pa, pb = (xa + shift[0], ya + shift[1]), (xb + shift[0], yb + shift[1])
        self.ax.add_patch(FancyArrowPatch(pa, pb, patchA=a if hasattr(a, "geom") else None,
                                          patchB=b if hasattr(b, "geom") else None, shrinkA=3, shrinkB=3,
                                          **self._arrow_style(color, dashed)))
        if label:
            self.text(*label_xy, label, FS_SMALL, color, **text_kw)
        return (pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2

    def route(self, points, color=INK, label=None, label_xy=None):
        """A polyline arrow through ``points`` (the first and the last on node edges)."""
        self.ax.add_patch(FancyArrowPatch(path=MplPath(points), **self._arrow_style(color, False)))
        if label:
            self.text(*label_xy, label, FS_SMALL, color)

    @staticmethod
    def _arrow_style(color, dashed):
        return {"arrowstyle": "-|>", "mutation_scale": 20, "color": color, "zorder": 4, "linewidth": 2.2 if dashed else 2.0,
                "linestyle": (0, (4, 2.5)) if dashed else "-"}

    def line(self, xs, ys, color=INK, **kw):
        self.ax.add_line(Line2D(xs, ys, color=color, **{"lw": 1.5, "zorder": 4, **kw}))

    def cross(self, x, y, r=0.16):
        for s in (1, -1):
            self.line([x - r, x + r], [y - s * r, y + s * r], CROSS, lw=4, zorder=7)

    def panel(self, x0, y0, x1, y1, title):
        self.ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.18",
                                         facecolor="#FAFAFA", edgecolor="#CCCCCC", linewidth=1.2, zorder=1))
        self.text(x0 + 0.2, y1 - 0.32, title, FS_TITLE, ha="left", fontweight="bold")


def edge(p, side: str, f: float = 0.0):
    """The middle of a node's side ("n", "s", "e", "w"), moved by f inches along that side."""
    x, y, w, h = p.geom
    return {"n": (x + f, y + h / 2), "s": (x + f, y - h / 2), "e": (x + w / 2, y + f), "w": (x - w / 2, y + f)}[side]


def _minus(n: float) -> str:
    return f"{n:g}".replace("-", "−")


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
