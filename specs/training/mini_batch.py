"""Mini-batch gradient descent: each step averages the gradients of B examples.

The batches of an epoch are consecutive slices of a fresh random order of the
training set, so each batch is a uniform sample of B examples drawn without
replacement. The estimate is unbiased, and its variance is the spread of one
example's gradient divided by B, times the finite-population correction
(N - B)/(N - 1): it reaches 0 at the full batch, not only as B grows without
end.
"""

from sympy import Range, oo

from codegen.language.common import Hyperparameter, Typical
from codegen.language.estimator import B, EstimatorSpec, N, g_bar, sigma

SPEC = EstimatorSpec(
    name="MiniBatch",
    aliases=("mini_batch",),
    title="Mini-batch gradient descent",
    legend="mini-batch GD",
    summary="Each step averages the gradients of batch_size examples, drawn without replacement.",
    batch_size=B,
    mean=g_bar,
    variance=sigma**2 / B * (N - B) / (N - 1),
    arguments=(
        Hyperparameter(
            B,
            "batch_size",
            32,
            Range(1, oo),
            "examples per step (the last batch of an epoch may hold fewer)",
            typical=Typical(8, 256, log=True),
        ),
    ),
    description=(
        "Between the two extremes: a step costs B gradient evaluations, and the variance of its estimate is one "
        "example's times (N - B)/(B(N - 1)), so that doubling B halves the noise only while B is small beside N."
    ),
    references=(
        "L. Bottou, F. E. Curtis, J. Nocedal. Optimization Methods for Large-Scale Machine Learning. "
        "SIAM Review 60(2), 2018.",
        "W. G. Cochran. Sampling Techniques, 3rd ed., Wiley, 1977, Theorem 2.2 (the variance of the mean of a "
        "sample drawn without replacement).",
    ),
)
