"""Single-sample stochastic gradient descent: every step uses the gradient of one example.

The mini-batch estimator with B = 1: N steps per epoch, each one gradient
evaluation, each as noisy as one example's gradient.
"""

from codegen.language.estimator import derive, g_bar, sigma
from specs.training.mini_batch import SPEC as MINI_BATCH

SPEC = derive(
    MINI_BATCH,
    {MINI_BATCH.batch_size: 1},
    name="SingleSample",
    aliases=("single_sample",),
    title="Single-sample stochastic gradient descent",
    legend="SGD (one example)",
    summary="Each step uses the gradient of one example, visited in a fresh random order every epoch.",
    mean=g_bar,
    variance=sigma**2,
    description=(
        "Stochastic gradient descent (SGD) in its original sense. The examples are visited in a random "
        "order that changes every epoch (random reshuffling), as training loops do; each step's example is "
        "uniform over the training set, so the estimate is unbiased."
    ),
    references=(
        "H. Robbins, S. Monro. A Stochastic Approximation Method. Annals of Mathematical Statistics 22(3), 1951.",
    ),
)
