"""The sandboxes a submission's boxes can be made by, by their `--sandbox` name: each makes a box plan
(labkit.grading.sandbox.BoxPlan) for a uid and limits. `none` makes no box."""

from __future__ import annotations

from collections.abc import Callable

from labkit.grading.containerbox import ContainerPlan
from labkit.grading.sandbox import BoxPlan, BwrapPlan, Limits

KINDS: dict[str, Callable[[int, Limits], BoxPlan]] = {"bwrap": BwrapPlan, "container": ContainerPlan}
