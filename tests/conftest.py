"""Settings for the whole test session, made before any test module (or what it imports) is loaded."""

import os

# Triton reads this when its language module is first imported (its library functions, such as tl.sum, are jitted
# then), not only when a kernel is defined: set before anything in the session can import Triton, every kernel runs
# in the interpreter, on the CPU tensors of the tests.
os.environ["TRITON_INTERPRET"] = "1"
