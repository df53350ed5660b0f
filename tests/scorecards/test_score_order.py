"""A score must not depend on the process that computes it.

Python orders a set of strings differently in each process (hash randomisation). Summed in
that order, the same marks gave scores a last bit apart, and rounding to two places then
stored 55.84 one night and 55.85 the next: a figure rewritten, or restated in a reopened
month, with nothing changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCORES = """
import random, django
django.setup()
from scorecards.compute.formulas import subject_score, weights_and_targets
from scorecards.compute.results import Figure, Overrides
from vendors.metrics import SCORED
weights, targets = weights_and_targets(None, "technician", Overrides())
rng = random.Random(3)
for _ in range(200):
    figures = {code: Figure(rng.uniform(0, 100), sample_size=50) for code in sorted(SCORED)}
    print(repr(subject_score(figures, weights, targets).score))
"""


def scores_with_hash_seed(seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    done = subprocess.run(
        [sys.executable, "-c", SCORES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.split()


def test_the_same_marks_give_the_same_score_in_every_process():
    first = scores_with_hash_seed("1")
    assert len(first) == 200
    for seed in ("2", "3", "4"):
        assert scores_with_hash_seed(seed) == first
