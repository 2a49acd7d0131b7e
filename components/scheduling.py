"""Where the prod pods run: the `scheduling` setting (node selector, tolerations, priority class,
image pull secrets) and how the proxy's replicas spread across nodes and zones.

The spread is `preferred` (ScheduleAnyway) by default on purpose: with `required`
(DoNotSchedule) a pod evicted by a node drain stays Pending when no other node keeps the skew,
and the PodDisruptionBudget (maxUnavailable 1) then holds the drain until it is Ready. Zones
count only nodes that carry `topology.kubernetes.io/zone`; `required` zones need every node
labelled. Rendered by components/platforms/kubernetes.py.
"""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from components.errors import Problem
from components.setting_model import SettingModel

_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


class Toleration(SettingModel):
    """A pod toleration, as Kubernetes writes it."""

    key: str | None = None
    operator: Literal["Equal", "Exists"] = "Equal"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> "Toleration":
        if self.operator == "Exists" and self.value is not None:
            raise ValueError("operator Exists takes no value")
        if self.key is None and self.operator != "Exists":
            raise ValueError("a toleration without key needs operator Exists")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError("tolerationSeconds only with effect NoExecute")
        return self


class Spread(SettingModel):
    """How the proxy's replicas spread: `preferred` (ScheduleAnyway), `required` (DoNotSchedule)."""

    nodes: Literal["preferred", "required"] = "preferred"
    zones: Literal["preferred", "required", "off"] = "preferred"


class SchedulingSettings(SettingModel):
    """Applied to every pod of the stack (proxy, migration Job, in-cluster Postgres and Redis);
    the spread to the proxy's."""

    node_selector: dict[str, str] = {}
    tolerations: tuple[Toleration, ...] = ()
    priority_class_name: str | None = Field(default=None, pattern=_NAME, max_length=253)
    image_pull_secrets: tuple[Annotated[str, StringConstraints(pattern=_NAME, max_length=253)], ...] = ()
    spread: Spread = Spread()


def scheduling_problems(platform: str, scheduling: SchedulingSettings) -> list[Problem]:
    if platform != "kubernetes" and scheduling != SchedulingSettings():
        return [Problem("scheduling", "set", "only on platform kubernetes")]
    return []
