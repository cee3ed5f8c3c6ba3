"""Logistic regression, small enough to read: the knowledge base's confidence is fitted with it.

Features are standardised (mean 0, scale 1) before fitting; the fit is plain batch gradient descent
with an L2 penalty, fixed steps and a zero start, so the same data always gives the same model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Logistic:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def logit(self, x: Sequence[float]) -> float:
        return self.bias + sum(
            w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.mean, self.scale, strict=True)
        )

    def probability(self, x: Sequence[float]) -> float:
        return sigmoid(self.logit(x))

    def to_json(self) -> dict[str, Any]:
        return {
            "bias": round(self.bias, 6),
            "features": {
                n: {"weight": round(w, 6), "mean": round(m, 6), "scale": round(s, 6)}
                for n, w, m, s in zip(self.names, self.weights, self.mean, self.scale, strict=True)
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Logistic:
        features = data["features"]
        names = tuple(features)
        return cls(
            names,
            tuple(float(features[n]["weight"]) for n in names),
            float(data["bias"]),
            tuple(float(features[n]["mean"]) for n in names),
            tuple(float(features[n]["scale"]) for n in names),
        )


def fit(
    names: Sequence[str],
    rows: Sequence[Sequence[float]],
    labels: Sequence[bool],
    l2: float = 1.0,
    steps: int = 25,
) -> Logistic:
    """The model that best separates `labels` from `rows` (each row: one value per name).

    Newton's method on the L2-penalised log-likelihood (the bias is not penalised); it converges in a
    handful of steps for a few features and a few thousand rows.
    """
    if not rows:
        raise ValueError("nothing to fit: no rows")
    n, k = len(rows), len(names)
    mean = [sum(r[j] for r in rows) / n for j in range(k)]
    scale = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in rows) / n) or 1.0 for j in range(k)]
    xs = [[1.0] + [(r[j] - mean[j]) / scale[j] for j in range(k)] for r in rows]  # column 0: the bias
    ys = [1.0 if y else 0.0 for y in labels]
    beta = [0.0] * (k + 1)
    penalty = [0.0] + [l2] * k
    for _ in range(steps):
        grad = [penalty[j] * beta[j] for j in range(k + 1)]
        hess = [[penalty[i] if i == j else 0.0 for j in range(k + 1)] for i in range(k + 1)]
        for x, y in zip(xs, ys, strict=True):
            p = sigmoid(sum(bj * xj for bj, xj in zip(beta, x, strict=True)))
            for i in range(k + 1):
                grad[i] += (p - y) * x[i]
                for j in range(i, k + 1):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(k + 1):
            for j in range(i):
                hess[i][j] = hess[j][i]
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return Logistic(tuple(names), tuple(beta[1:]), beta[0], tuple(mean), tuple(scale))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b (Gaussian elimination, partial pivoting); `a` is positive definite here."""
    size = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, size):
            factor = m[r][col] / m[col][col]
            for c in range(col, size + 1):
                m[r][c] -= factor * m[col][c]
    x = [0.0] * size
    for r in range(size - 1, -1, -1):
        x[r] = (m[r][size] - sum(m[r][c] * x[c] for c in range(r + 1, size))) / m[r][r]
    return x
