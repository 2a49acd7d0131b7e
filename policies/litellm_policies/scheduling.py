"""N4, the other half of a PodDisruptionBudget: it must let a node drain proceed.

litellm-n4-replicas-and-pdb checks that a PDB keeps a proxy pod available; a PDB can also keep
every one of them: maxUnavailable 0, or minAvailable at (or above) the fewest replicas the
workload runs, a percentage counted as Kubernetes' disruption controller counts it (rounded up:
60 % of 2 replicas is 2). Then no voluntary eviction is ever allowed, and `kubectl drain` (a node upgrade,
the cluster autoscaler) waits forever on the proxy's nodes.
"""

from __future__ import annotations

import math
from typing import Any

from .detect import Stack, k8s_namespace, pod_labels, selector_matches
from .model import Finding, deferred, fmt, is_unknown, violation
from .registry import ADVISORY, stack_policy
from .values import get, to_number
from .workloads import min_instances


def _blocks_drains(pdb_spec: Any, fewest: Any) -> Any:
    """Why the PDB allows no eviction at `fewest` replicas (None: it allows one), or UNKNOWN."""
    ma, mu = get(pdb_spec, "minAvailable"), get(pdb_spec, "maxUnavailable")
    if is_unknown(ma) or is_unknown(mu):
        return ma if is_unknown(ma) else mu
    if mu is not None:
        # a percentage is rounded up too: any share above 0 % lets at least one pod go
        n = to_number(str(mu).rstrip("%"))
        return f"maxUnavailable {fmt(mu)}" if n == 0 else None
    if ma is None:
        return None
    if isinstance(ma, str) and ma.endswith("%"):
        pct = to_number(ma[:-1])
        if pct is None:
            return None  # no number: litellm-n4-replicas-and-pdb reports it
        if pct >= 100:
            return f"minAvailable {ma}"  # every pod, at any replica count
        if is_unknown(fewest):
            return fewest
        # the disruption controller rounds a percentage up (intstr.GetScaledValueFromIntOrPercent,
        # roundUp true): 60% of 2 replicas is ceil(1.2) = 2 pods, all of them
        need = -(-pct * fewest // 100) if isinstance(pct, int) and isinstance(fewest, int) else math.ceil(pct * fewest / 100)
        return f"minAvailable {ma} with {fmt(fewest)} replicas (rounded up: {fmt(need)} of {fmt(fewest)} must stay available)" if need >= fewest else None
    if is_unknown(fewest):
        return fewest
    n = to_number(ma)
    return f"minAvailable {fmt(ma)} with {fmt(fewest)} replicas" if n is not None and n >= fewest else None


@stack_policy(
    "litellm-n4-pdb-allows-drain",
    "N4",
    "N4: a PodDisruptionBudget selecting the proxy pods allows at least one eviction at the fewest replicas the "
    "workload runs (replicas, or the HPA's minReplicas): not maxUnavailable 0, not minAvailable ≥ that count, nor a "
    "minAvailable percentage that, rounded up as Kubernetes does, is that count (60% of 2 = 2), so a node drain can "
    "proceed pod by pod. Fix: maxUnavailable: 1 (or minAvailable below the replicas).",
    ADVISORY,
    "kubernetes proxy workloads + HorizontalPodAutoscaler + PodDisruptionBudget",
)
def n4_pdb_allows_drain(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    workloads = {c.res.urn: c.res for c in stack.proxies if c.platform == "k8s"}
    for pdb in stack.k8s("PodDisruptionBudget"):
        for res in workloads.values():
            ns_p, ns_r = k8s_namespace(pdb), k8s_namespace(res)
            if isinstance(ns_p, str) and isinstance(ns_r, str) and ns_p != ns_r:
                continue
            matches = selector_matches(get(pdb.props, "spec.selector"), pod_labels(res))
            fewest, how = min_instances(stack, res)
            if not is_unknown(fewest) and fewest < 2:
                continue  # one replica: litellm-n4-replicas-and-pdb asks for two, then a PDB can allow one
            why = _blocks_drains(get(pdb.props, "spec"), fewest) if matches is True else matches
            if is_unknown(why):
                out.append(deferred("N4", pdb.label, f"whether it allows an eviction of {res.label} ({how})", urn=pdb.urn))
            elif why:
                out.append(
                    violation(
                        "N4", pdb.label, f"{why} for {res.label} ({how}): no eviction is ever allowed, a node drain never ends",
                        "at least one proxy pod may be evicted at a time", "set maxUnavailable: 1", urn=pdb.urn,
                    )  # fmt: skip
                )
    return out
