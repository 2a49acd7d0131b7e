"""benchmarks/mutation.py's own arithmetic and guard (the tool is not part of CI; these are)."""

from __future__ import annotations

import pytest

from benchmarks import mutation


def test_sampled_scores_get_the_wilson_interval():
    # reference values of the Wilson score interval (z = 1.96), computed by hand
    assert mutation.wilson(90, 100) == (82.6, 94.5)
    assert mutation.wilson(400, 400) == (99.0, 100.0)
    assert mutation.wilson(0, 0) == (0.0, 100.0)


@pytest.mark.parametrize("module", list(mutation.MODULES))
def test_no_module_is_measured_with_tests_that_run_the_pulumi_program(module):
    """Such tests spin in mutmut's forked children until its CPU limit kills them, which mutmut
    counts as killed: external_stores.py scored 24 of 24 that way before its tests were moved."""
    assert mutation.engine_tests(module) == []


def test_the_guard_sees_a_test_file_that_imports_the_mock_engine(monkeypatch):
    monkeypatch.setitem(mutation.MODULES, "components/sizing.py", ["tests/test_components.py"])
    assert mutation.engine_tests("components/sizing.py") == ["tests/test_components.py"]
