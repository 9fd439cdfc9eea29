"""The spec language: what the files in ``specs/`` import to declare training methods.

One module per kind of spec (``optimizer``, ``schedule``, ``controller``, ``initializer``, ``estimator``),
the pieces they share (``common``), and the vocabulary of optimizer relations
(``relations``). Pure data and SymPy: nothing here generates anything.
"""

from codegen.language.controller import ControllerSpec
from codegen.language.estimator import EstimatorSpec
from codegen.language.initializer import InitializerSpec
from codegen.language.optimizer import OptimizerSpec
from codegen.language.schedule import ScheduleSpec

SPEC_TYPES = (OptimizerSpec, ScheduleSpec, ControllerSpec, InitializerSpec, EstimatorSpec)
"""Every kind of spec, by its class; each has a ``kind`` class attribute (``"optimizer"``)."""
