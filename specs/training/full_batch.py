"""Full-batch (batch) gradient descent: every step uses the gradient of the whole training set.

The mini-batch estimator with B = N: one batch per epoch, the exact gradient,
no variance, and N gradient evaluations per step.
"""

from codegen.language.estimator import N, derive, g_bar
from specs.training.mini_batch import SPEC as MINI_BATCH

SPEC = derive(
    MINI_BATCH,
    {MINI_BATCH.batch_size: N},
    name="FullBatch",
    aliases=("full_batch",),
    title="Full-batch gradient descent",
    legend="full-batch GD",
    summary="Each step uses the gradient of every example: the exact gradient of the training loss.",
    mean=g_bar,
    variance=0,
    description=(
        "Also called batch gradient descent (BGD). Each step is exact and costs N gradient evaluations; "
        "the order of the examples does not matter, so nothing is shuffled."
    ),
)
