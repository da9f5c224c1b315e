"""`kairos lift` against an independent computation.

A log with a known lift comes from `kairos gen --exposures`. Python reads it with its own JSON
parser and applies the attribution rule of docs/measurement.md itself; statsmodels and SciPy then
compute every interval and p-value the report gives. Counts must agree exactly, figures to 1e-9.
"""

import json
import math
import os
import subprocess
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

ROOT = Path(__file__).resolve().parents[2]
KAIROS = os.environ.get("KAIROS_BIN", str(ROOT / "target" / "debug" / "kairos"))
BUNDLE = str(ROOT / "examples" / "demo" / "rules.json")
WITHIN_MS = 7 * 24 * 3600 * 1000
HOLDOUT_SHARE = 0.10  # examples/demo/rules.json: holdout 10 %


def kairos(*args):
    done = subprocess.run([KAIROS, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def epoch_ms(text):
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log = tmp_path_factory.mktemp("lift") / "log.ndjson"
    kairos("gen", "--exposures", "--bundle", BUNDLE, "--customers", "30000", "--days", "14",
           "--seed", "11", "--base-rate", "0.08", "--lift", "0.02", "--value-mean", "40", "-o", str(log))
    report = json.loads(kairos("lift", "--bundle", BUNDLE, "--events", str(log),
                               "--conversion", "Order Completed", "--value", "revenue",
                               "--within", "7d", "--format", "json"))
    return log, report


def attribute(log):
    """Per slot, per visitor: (holdout, variant, converted, value), by the rule in the docs."""
    first = defaultdict(dict)  # slot -> visitor -> [at, holdout, variant, converted, value]
    with open(log, encoding="utf-8") as lines:
        for text in lines:
            e = json.loads(text)
            who = e.get("userId") or e["anonymousId"]
            at = epoch_ms(e["timestamp"])
            props = e["properties"]
            if e["event"] == "Experiment Viewed":
                first[props["slot"]].setdefault(who, [at, props["holdout"], props["variant"], False, 0.0])
            elif e["event"] == "Order Completed":
                for seen in first.values():
                    s = seen.get(who)
                    if s and 0 <= at - s[0] <= WITHIN_MS:
                        s[3] = True
                        s[4] += props["revenue"]
    return first


def close(a, b, tol=1e-9):
    assert a == pytest.approx(b, rel=tol, abs=tol), (a, b)


def check_against_holdout(got, group, holdout):
    """`got`: the report's figures for `group` (a list of (converted, value) pairs) against the holdout."""
    x1, n1 = sum(c for c, _ in group), len(group)
    x2, n2 = sum(c for c, _ in holdout), len(holdout)
    assert (got["visitors"], got["conversions"]) == (n1, x1)
    close(got["rate"], x1 / n1)
    close(got["lift_abs"], x1 / n1 - x2 / n2)
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=0.05)
    close(got["lift_abs_ci95"][0], lo)
    close(got["lift_abs_ci95"][1], hi)
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio", alpha=0.05)
    close(got["lift_rel"], (x1 / n1) / (x2 / n2) - 1)
    close(got["lift_rel_ci95"][0], lo - 1)
    close(got["lift_rel_ci95"][1], hi - 1)
    a = np.array([v for _, v in group])
    b = np.array([v for _, v in holdout])
    close(got["value_per_visitor"], a.mean())
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    close(got["value_diff"], a.mean() - b.mean())
    close(got["value_diff_ci95"][0], welch.low, 1e-8)
    close(got["value_diff_ci95"][1], welch.high, 1e-8)


def test_counts_and_intervals_match_statsmodels_and_scipy(run):
    log, report = run
    first = attribute(log)
    assert set(report["slots"]) == set(first) == {"cta", "hero", "offer"}
    for slot, seen in first.items():
        got = report["slots"][slot]
        holdout = [(s[3], s[4]) for s in seen.values() if s[1]]
        treated = [(s[3], s[4]) for s in seen.values() if not s[1]]
        assert (got["holdout"]["visitors"], got["holdout"]["conversions"]) == (len(holdout), sum(c for c, _ in holdout))
        check_against_holdout({**got["treated"], **got}, treated, holdout)
        variants = defaultdict(list)
        for s in seen.values():
            if not s[1]:
                variants[s[2]].append((s[3], s[4]))
        assert set(got["variants"]) == set(variants)
        for name, group in variants.items():
            check_against_holdout(got["variants"][name], group, holdout)
        n = len(holdout) + len(treated)
        chi = stats.chisquare([len(holdout), len(treated)], [n * HOLDOUT_SHARE, n * (1 - HOLDOUT_SHARE)])
        close(got["srm_p"], chi.pvalue, 1e-9)


def test_a_forced_holdout_share_shows_as_a_sample_ratio_mismatch(tmp_path):
    log = tmp_path / "srm.ndjson"
    kairos("gen", "--exposures", "--bundle", BUNDLE, "--customers", "20000", "--days", "7",
           "--seed", "3", "--holdout-share", "0.15", "-o", str(log))
    report = json.loads(kairos("lift", "--bundle", BUNDLE, "--events", str(log),
                               "--conversion", "Order Completed", "--format", "json"))
    hero = report["slots"]["hero"]
    h, t = hero["holdout"]["visitors"], hero["treated"]["visitors"]
    assert 0.14 < h / (h + t) < 0.16
    chi = stats.chisquare([h, t], [(h + t) * HOLDOUT_SHARE, (h + t) * (1 - HOLDOUT_SHARE)])
    assert chi.pvalue < 0.001 and hero["srm_p"] < 0.001
    assert math.isclose(hero["srm_p"], chi.pvalue, rel_tol=1e-6, abs_tol=1e-15)
