"""Tiny latent-variable models where log p(x) and p(z|x) are known exactly.

They let a notebook (and a test) check the claims that are only bounds on a real VAE:
ELBO <= log p(x), log p(x) = ELBO + KL(q(z|x) || p(z|x)), IWAE bounds rising with k.

``LinearGaussian``: p(z) = N(0, I_K), p(x|z) = N(W z + b, s^2 I_D) (s: the decoder's noise std). Then

* marginal:  p(x) = N(b, W W^T + s^2 I)
* posterior: p(z|x) = N(m, S),  S = (I + W^T W / s^2)^{-1},  m = S W^T (x - b) / s^2

Its ``encode`` is an amortized Gaussian encoder with a *diagonal* covariance, set by
default to the exact posterior's mean and diagonal (the *marginal* variances diag S); when the
columns of W are orthogonal, S is diagonal and q equals p(z|x) exactly, so the ELBO equals log p(x).
For correlated columns the marginal variances are not the best diagonal q: under KL(q || p(z|x))
the best one has the smaller variances 1 / diag(S^-1) (mean-field VI underestimates variance;
set ``q_logvar`` to ``-log diag(S^-1)``, or fit it, as notebook 04 does).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import validate
from .losses import LOG_2PI, gaussian_log_likelihood
from .runtime import one_thread  # noqa: F401 - also a name of this module (its old home)

__all__ = ["LinearGaussian", "NonlinearToy1D", "fit_gaussian_1d", "gaussian_kl_1d", "kl_quadrature", "mixture_log_pdf",
           "one_thread"]


class LinearGaussian(nn.Module):
    """A linear-Gaussian latent-variable model with an exact marginal and posterior.

    Works with :func:`vae_lib.losses.elbo` and :func:`vae_lib.losses.iwae_bound` (it has
    ``encode`` and ``log_likelihood``). Data ``x`` is ``[B, D]``, codes ``z`` are ``[B, K]``.
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor | None = None, s: float = 0.5) -> None:
        super().__init__()
        validate.float_tensor(W, "W (the decoder's [D, K] matrix)")
        if W.dim() != 2:
            raise ValueError(f"W must be a [D, K] matrix; got shape {list(W.shape)}")
        validate.elements(W.shape[0] ** 2, f"the {W.shape[0]} x {W.shape[0]} covariance of x")
        if b is not None and (validate.float_tensor(b, "b (the decoder's offset [D])").shape != W.shape[:1]):
            raise ValueError(f"b must have shape [{W.shape[0]}] (one offset per data dimension); got {list(b.shape)}")
        s = validate.number(s, "s (the decoder's noise standard deviation)", minimum=0.0, strict_min=True)
        if s <= 0:
            raise ValueError(f"s (the decoder's noise standard deviation) must be > 0; got {s}")
        D, K = W.shape
        self.W = nn.Parameter(W.clone().double())
        self.b = nn.Parameter((torch.zeros(D) if b is None else b.clone()).double())
        self.log_s2 = math.log(s**2)
        # the amortized encoder q(z|x) = N(A (x - b) + c, diag(exp(logvar))); start at the exact posterior's
        # mean and marginal variances (exact when S is diagonal; see the module docstring otherwise)
        m_mat, s_diag = self._posterior_maps()
        self.A = nn.Parameter(m_mat.clone())
        self.c = nn.Parameter(torch.zeros(K, dtype=torch.float64))
        self.q_logvar = nn.Parameter(s_diag.log().clone())

    @property
    def s2(self) -> float:
        """The decoder's noise variance s^2."""
        return math.exp(self.log_s2)

    def _posterior_maps(self) -> tuple[torch.Tensor, torch.Tensor]:
        """S W^T / s^2 (maps x - b to the posterior mean) and the diagonal of S."""
        K = self.W.shape[1]
        S = torch.linalg.inv(torch.eye(K, dtype=self.W.dtype) + self.W.T @ self.W / self.s2)
        return (S @ self.W.T / self.s2).detach(), torch.diagonal(S).detach()

    # --- the checks (the models of vae_lib.models have theirs in check_inputs) -----
    def check_x(self, x: torch.Tensor) -> torch.Tensor:
        """Data ``[..., D]``: a float tensor of this model's data size, finite."""
        validate.float_tensor(x, "x (the data)", min_ndim=1)
        if x.shape[-1] != self.W.shape[0]:
            raise ValueError(f"x must have shape [B, {self.W.shape[0]}] (D = {self.W.shape[0]}); got {list(x.shape)}")
        return x

    def check_z(self, z: torch.Tensor) -> torch.Tensor:
        """Codes ``[..., K]``: a float tensor of this model's latent size, without NaN."""
        validate.float_tensor(z, "z (the codes)", finite="nan", min_ndim=1)
        if z.shape[-1] != self.W.shape[1]:
            raise ValueError(f"z must have shape [..., {self.W.shape[1]}] (K = {self.W.shape[1]}); got {list(z.shape)}")
        return z

    # --- the pieces elbo() and iwae_bound() use ---------------------------------
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.check_x(x)
        mu = (x - self.b) @ self.A.T + self.c
        return mu, self.q_logvar.expand_as(mu)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log N(x; W z + b, s^2 I) per example; z is [B, K] or [S, B, K]."""
        self.check_x(x), self.check_z(z)
        return gaussian_log_likelihood(x, z @ self.W.T + self.b, self.log_s2)

    # --- exact quantities -------------------------------------------------------
    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) = log N(x; b, W W^T + s^2 I), exactly, per example."""
        self.check_x(x)
        D = self.W.shape[0]
        cov = self.W @ self.W.T + self.s2 * torch.eye(D, dtype=self.W.dtype)
        return torch.distributions.MultivariateNormal(self.b, covariance_matrix=cov).log_prob(x)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact p(z|x) = N(m, S): returns m [B, K] and the full covariance S [K, K]."""
        self.check_x(x)
        K = self.W.shape[1]
        S = torch.linalg.inv(torch.eye(K, dtype=self.W.dtype) + self.W.T @ self.W / self.s2)
        return (x - self.b) @ (S @ self.W.T / self.s2).T, S

    def log_joint(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x, z) = log p(x|z) + log p(z)."""
        return self.log_likelihood(x, z) - 0.5 * (z.pow(2) + LOG_2PI).sum(-1)


# --------------------------------------------------------------------------------------
# A 1-D latent model whose posterior is NOT Gaussian, computed exactly on a fine grid
# --------------------------------------------------------------------------------------

def _check_x_z(x: float, z: torch.Tensor) -> None:
    """The 1-D toy's observation ``x`` (a finite number) and codes ``z`` (a float tensor without NaN)."""
    if isinstance(x, torch.Tensor):
        validate.float_tensor(x, "x (the observations)")
    else:
        validate.number(x, "x (the observation)")
    validate.float_tensor(z, "z (the codes)", finite="nan")


def _check_q(x: float, mu: float | torch.Tensor, sigma: float | torch.Tensor) -> None:
    """An observation x and q's mean and standard deviation (sigma > 0), all finite numbers."""
    validate.number(x, "x (the observation)")
    validate.number(mu, "mu (q's mean)")
    validate.number(sigma, "sigma (q's standard deviation)", minimum=0.0, strict_min=True)


class NonlinearToy1D:
    r"""p(z) = N(0, 1), p(x|z) = N(x; f(z), s^2) with a nonlinear f: a posterior with two modes.

    The default ``f(z) = z^2 + a z`` (``a = 0.5``) maps z and -z - a to the same x, so for
    x > 0 the exact posterior p(z|x) has two bumps (near the roots ``z = -1/4 +- sqrt(x + 1/16)``) of unequal weight:
    no Gaussian q(z|x) can match it, and the gap ``KL(q || p(z|x))`` never closes.

    Everything is computed on a fixed grid of ``n`` points on ``[-L, L]`` (default
    ``L = 12``, ``n = 12001``, spacing ``h = 2e-3``) with the trapezoidal rule:

    .. math:: \log p(x) = \log \int p(x\mid z)\,p(z)\,dz
              \approx \log \sum_i w_i\, p(x\mid z_i)\,p(z_i)

    .. math:: \mathrm{ELBO}(q) = \int q(z)\,[\log p(x, z) - \log q(z)]\,dz,\qquad
              \mathrm{KL}(q\,\|\,p(z\mid x)) = \int q(z)\,[\log q(z) - \log p(z\mid x)]\,dz

    with ``log p(z|x) = log p(x, z) - log p(x)``, so that log p(x) = ELBO + KL holds on the
    grid up to float64 rounding (about 1e-12). **Grid accuracy**: the integrands are smooth
    and decay like Gaussians, for which the trapezoidal rule converges faster than any
    power of h (for a Gaussian of standard deviation sigma the error is about
    exp(-2 pi^2 sigma^2 / h^2)); with the defaults, log p(x), the ELBO and the KL agree with
    a 16x finer grid to better than 1e-8 nats (``tests/test_toy.py`` checks it), as long as
    q's standard deviation lies in ``[SIGMA_MIN, SIGMA_MAX] = [0.02, 1.5]`` (at least 10
    grid points per sigma) and
    ``|mu| <= MU_MAX = 4`` (q's mass outside the grid, beyond 5.3 sigma, is below 1e-7 and
    is accounted for by normalising q on the grid). ``clamp_q`` applies those ranges.
    """

    SIGMA_MIN = 0.02
    SIGMA_MAX = 1.5
    MU_MAX = 4.0

    def __init__(self, f=None, s: float = 0.5, *, L: float = 12.0, n: int = 12001) -> None:
        s = validate.number(s, "s (the likelihood's standard deviation)", minimum=0.0, strict_min=True)
        L = validate.number(L, "L (the grid spans [-L, L])", minimum=0.0, strict_min=True)
        n = validate.count(n, "n (grid points)", minimum=3, cap="points")
        if f is not None:
            validate.callback(f, "f (the decoder's mean, f(z) on a tensor of z)", 1)
        if s <= 0:
            raise ValueError(f"s (the likelihood's standard deviation) must be > 0; got {s}")
        if n < 3 or L <= 0:
            raise ValueError(f"the grid needs L > 0 and n >= 3 points; got L={L}, n={n}")
        self.f = f if f is not None else (lambda z: z * z + 0.5 * z)
        self.s = float(s)
        self.z = torch.linspace(-L, L, n, dtype=torch.float64)
        h = float(self.z[1] - self.z[0])
        w = torch.full((n,), h, dtype=torch.float64)
        w[0] = w[-1] = h / 2  # trapezoidal weights
        self.log_w = w.log()

    # --- the model --------------------------------------------------------------
    def log_likelihood(self, x: float, z: torch.Tensor) -> torch.Tensor:
        """log p(x|z) = log N(x; f(z), s^2)."""
        _check_x_z(x, z)
        return -0.5 * ((x - self.f(z)) / self.s) ** 2 - math.log(self.s) - 0.5 * LOG_2PI

    def log_joint(self, x: float, z: torch.Tensor) -> torch.Tensor:
        """log p(x, z) = log p(x|z) + log N(z; 0, 1)."""
        return self.log_likelihood(x, z) - 0.5 * z * z - 0.5 * LOG_2PI

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw (x, z) pairs from p(z) p(x|z); returns two float64 tensors [n]."""
        n = validate.count(n, "n", cap="samples")
        validate.generator(generator)
        z = torch.randn(n, generator=generator, dtype=torch.float64)
        x = self.f(z) + self.s * torch.randn(n, generator=generator, dtype=torch.float64)
        return x, z

    # --- exact (grid) quantities --------------------------------------------------
    def log_marginal(self, x: float) -> float:
        """log p(x) by trapezoidal quadrature on the grid (see the class docstring for accuracy)."""
        validate.number(x, "x (the observation)")
        with one_thread():
            return float(torch.logsumexp(self.log_joint(x, self.z) + self.log_w, 0))

    def log_posterior(self, x: float) -> torch.Tensor:
        """log p(z|x) on the grid ``self.z`` (a density: its trapezoidal integral is 1)."""
        return self.log_joint(x, self.z) - self.log_marginal(x)

    @classmethod
    def clamp_q(cls, mu: float, sigma: float) -> tuple[float, float]:
        """Clamp q's parameters to the range where the grid is accurate."""
        validate.number(mu, "mu (q's mean)"), validate.number(sigma, "sigma (q's standard deviation)")
        return (min(max(float(mu), -cls.MU_MAX), cls.MU_MAX),
                min(max(float(sigma), cls.SIGMA_MIN), cls.SIGMA_MAX))

    def _log_q(self, mu: torch.Tensor, log_sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log q on the grid, normalised on the grid, and the quadrature weights q_i w_i (sum 1)."""
        log_q = -0.5 * ((self.z - mu) / log_sigma.exp()) ** 2 - log_sigma - 0.5 * LOG_2PI
        log_qw = log_q + self.log_w
        norm = torch.logsumexp(log_qw, 0)
        return log_q - norm, (log_qw - norm).exp()

    def elbo_terms(self, x: float, mu: float | torch.Tensor, sigma: float | torch.Tensor) -> dict[str, float]:
        r"""Exact ``log_px``, ``elbo`` and ``kl`` = KL(q || p(z|x)) for q = N(mu, sigma^2), on the grid.

        ``log_px == elbo + kl`` to float64 rounding; ``gap = log_px - elbo - kl`` is returned too.
        """
        _check_q(x, mu, sigma)
        with one_thread(), torch.no_grad():
            mu_t = torch.as_tensor(mu, dtype=torch.float64)
            ls = torch.as_tensor(sigma, dtype=torch.float64).log()
            log_q, qw = self._log_q(mu_t, ls)
            log_joint = self.log_joint(x, self.z)
            log_px = torch.logsumexp(log_joint + self.log_w, 0)
            elbo = (qw * (log_joint - log_q)).sum()
            kl = (qw * (log_q - (log_joint - log_px))).sum()
        return {"log_px": float(log_px), "elbo": float(elbo), "kl": float(kl),
                "gap": float(log_px - elbo - kl)}

    def elbo(self, x: float, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
        """The grid ELBO as a differentiable function of (mu, log sigma) (a 0-d tensor)."""
        validate.number(x, "x (the observation)")
        validate.float_tensor(mu, "mu (q's mean, a tensor)"), validate.float_tensor(log_sigma, "log_sigma (a tensor)")
        log_q, qw = self._log_q(mu, log_sigma)
        return (qw * (self.log_joint(x, self.z) - log_q)).sum()

    def fit_q(self, x: float, mu: float = 0.0, sigma: float = 1.0, *, steps: int = 300,
              lr: float = 0.05) -> dict[str, object]:
        r"""Fit q = N(mu, sigma^2) to p(z|x) by gradient ascent on the exact ELBO (Adam on mu, log sigma).

        Maximising the ELBO is minimising KL(q || p(z|x)), since log p(x) is fixed. Returns
        ``{"mu", "sigma", "history"}`` where ``history`` holds one ``elbo_terms`` dict per step
        (plus ``mu`` and ``sigma``), the first one at the starting point.
        """
        _check_q(x, mu, sigma)
        steps = validate.count(steps, "steps", minimum=0, maximum=100_000)
        lr = validate.number(lr, "lr", minimum=0.0, strict_min=True)
        mu0, s0 = self.clamp_q(mu, sigma)
        m = torch.tensor(mu0, dtype=torch.float64, requires_grad=True)
        ls = torch.tensor(math.log(s0), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([m, ls], lr=lr)
        lo, hi = math.log(self.SIGMA_MIN), math.log(self.SIGMA_MAX)
        history = []
        with one_thread():
            self._ascend(x, m, ls, opt, steps, lo, hi, history)
        return {"mu": float(m.detach()), "sigma": math.exp(float(ls.detach())), "history": history}

    def _ascend(self, x: float, m: torch.Tensor, ls: torch.Tensor, opt: torch.optim.Optimizer, steps: int,
                lo: float, hi: float, history: list) -> None:
        for step in range(steps + 1):
            with torch.no_grad():
                mu_now, sigma_now = float(m), math.exp(float(ls))
                history.append({**self.elbo_terms(x, mu_now, sigma_now), "mu": mu_now, "sigma": sigma_now})
            if step == steps:
                break
            opt.zero_grad()
            (-self.elbo(x, m, ls)).backward()
            opt.step()
            with torch.no_grad():  # stay where the grid is accurate
                m.clamp_(-self.MU_MAX, self.MU_MAX)
                ls.clamp_(lo, hi)


# --------------------------------------------------------------------------- two 1-D densities and their KLs
# The teaching math behind notebook 03's KLExplorer (which imports it from here): KL(q || p) and KL(p || q) between a
# Gaussian q and a Gaussian or two-bump mixture p, exactly, by quadrature on a grid, and the Gaussian q that
# minimises each direction. numpy float64 throughout (scipy imported where it is used: it is slow to import).
def gaussian_kl_1d(mu_q: float, sigma_q: float, mu_p: float, sigma_p: float) -> float:
    r"""Closed-form :math:`\mathrm{KL}(\mathcal N(\mu_q, \sigma_q^2)\,\|\,\mathcal N(\mu_p, \sigma_p^2)) =
    \log\frac{\sigma_p}{\sigma_q} + \frac{\sigma_q^2 + (\mu_q-\mu_p)^2}{2\sigma_p^2} - \frac12` in float64
    (``torch.distributions.kl_divergence``; :func:`vae_lib.losses.kl_normal` is the batched one in log-variances)."""
    from torch.distributions import Normal, kl_divergence

    def normal(mu: float, sigma: float) -> Normal:
        return Normal(torch.tensor(mu, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64),
                      validate_args=False)

    return float(kl_divergence(normal(mu_q, sigma_q), normal(mu_p, sigma_p)))


def mixture_log_pdf(z, mu: float, sigma: float, separation: float, weight: float):
    r"""log of the two-bump mixture :math:`w\,\mathcal N(\mu - d, \sigma^2) + (1 - w)\,\mathcal N(\mu + d, \sigma^2)`
    at the points ``z`` (a numpy array), with :math:`d` = ``separation``, :math:`w` = ``weight``."""
    import numpy as np
    from scipy.stats import norm

    return np.logaddexp(math.log(weight) + norm.logpdf(z, mu - separation, sigma),
                        math.log(1 - weight) + norm.logpdf(z, mu + separation, sigma))


def kl_quadrature(log_q, log_p, grid) -> float:
    r""":math:`\mathrm{KL}(q\,\|\,p) = \int q\,(\log q - \log p)\,dz` by the trapezoidal rule on ``grid``, from the two
    log-densities on it (swap them for KL(p || q))."""
    import numpy as np
    from scipy.integrate import trapezoid

    return float(trapezoid(np.exp(log_q) * (log_q - log_p), grid))


def fit_gaussian_1d(log_p, grid, direction: str, start: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """The Gaussian q = N(mu, sigma^2) minimising ``"qp"``: KL(q || p) or ``"pq"``: KL(p || q), for a density p given
    by its log on ``grid``; returns ``(mu, sigma)``.

    KL(p || q) is minimised by moment matching (q gets p's mean and variance, by quadrature): mass-covering.
    KL(q || p) by a numerical search (Nelder--Mead on mu and log sigma, from ``start``): mode-seeking.
    """
    import numpy as np
    from scipy.integrate import trapezoid
    from scipy.stats import norm

    if direction not in ("qp", "pq"):
        raise ValueError(f"direction must be 'qp' (KL(q||p)) or 'pq' (KL(p||q)); got {direction!r}")
    g, lp = grid, log_p
    if direction == "pq":
        p = np.exp(lp)
        mu = float(trapezoid(p * g, g))
        return mu, math.sqrt(float(trapezoid(p * (g - mu) ** 2, g)))
    from scipy.optimize import minimize

    def kl_qp(th: np.ndarray) -> float:
        lq = norm.logpdf(g, th[0], math.exp(th[1]))
        return float(trapezoid(np.exp(lq) * (lq - lp), g))

    res = minimize(kl_qp, np.array([start[0], math.log(start[1])]), method="Nelder-Mead",
                   options={"xatol": 1e-4, "fatol": 1e-8})
    return float(res.x[0]), math.exp(float(res.x[1]))
