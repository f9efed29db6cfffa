"""Lifecycle cases real clusters produce, simulated with ground truth and rebuilt: native
sidecars (restartable init containers) and init container failures. The properties are those
tests/test_lifecycle_truth.py checks for every scenario, run on these: with every capture form
the rebuild matches the truth exactly; with snapshots and events restarts follow restartCount;
events alone prove every restart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_lifecycle_truth import SETTINGS
from tests.test_lifecycle_truth import (
    test_events_alone_prove_every_restart_and_probe_failure as events_alone,
)
from tests.test_lifecycle_truth import (
    test_every_capture_form_together_recovers_the_truth_exactly as every_form,
)
from tests.test_lifecycle_truth import (
    test_snapshots_and_events_give_restart_counts_equal_to_restart_count as snapshots_and_events,
)

CASES = ["native_sidecar", "init_failure"]


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(CASES))
def test_sidecars_and_init_failures_are_rebuilt_exactly(seed: int, scenario: str) -> None:
    every_form.hypothesis.inner_test(seed, [scenario])


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(CASES))
def test_sidecar_and_init_restarts_follow_restart_count_and_events(
    seed: int, scenario: str
) -> None:
    snapshots_and_events.hypothesis.inner_test(seed, [scenario])
    events_alone.hypothesis.inner_test(seed, [scenario])
