"""ReduceLROnPlateau written by hand, in ``trainspec verify``'s ``module:name`` form for controllers: a class called
with the spec's argument names whose ``step(metric)`` returns the rate for the next epoch. One follows PyTorch's
documented algorithm; the others each make one classic slip, which the referee must name."""

from __future__ import annotations

import math


class TorchPlateau:
    """PyTorch's ReduceLROnPlateau as its documentation states it; ``cut_at_patience`` cuts after ``patience`` bad
    epochs instead of more than ``patience`` (Keras's count)."""

    cut_at_patience = False

    def __init__(self, learning_rate, factor, patience, threshold, cooldown, min_lr, eps, mode, threshold_mode):
        self.rate, self.factor, self.patience, self.threshold = learning_rate, factor, patience, threshold
        self.cooldown, self.min_lr, self.eps, self.mode, self.threshold_mode = (
            cooldown,
            min_lr,
            eps,
            mode,
            threshold_mode,
        )
        self.best = math.inf if mode == "min" else -math.inf
        self.bad = self.cooling = 0

    def _better(self, metric: float) -> bool:
        if self.threshold_mode == "rel":
            bound = self.best * (1 - self.threshold) if self.mode == "min" else self.best * (1 + self.threshold)
        else:
            bound = self.best - self.threshold if self.mode == "min" else self.best + self.threshold
        return metric < bound if self.mode == "min" else metric > bound

    def step(self, metric: float) -> float:
        if self._better(metric):
            self.best, self.bad = metric, 0
        else:
            self.bad += 1
        if self.cooling > 0:
            self.cooling -= 1
            self.bad = 0
        if self.bad >= self.patience if self.cut_at_patience else self.bad > self.patience:
            new = max(self.rate * self.factor, self.min_lr)
            if self.rate - new > self.eps:
                self.rate = new
            self.cooling, self.bad = self.cooldown, 0
        return self.rate


class TorchPlateauCuttingEarly(TorchPlateau):
    cut_at_patience = True
