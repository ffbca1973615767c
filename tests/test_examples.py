"""The scripts in examples/ run and do what their comments say, so they cannot rot.

Each runs in-process under the ``maildiag_offline`` fixture (a reach for the system
resolver, which answers NXDOMAIN for everything on a build machine, fails the test) and
once as a script, the way a reader would run it.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import pathlib
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from maildiag.testing import addresses

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# What checkout.py promises to do with each verdict (a customer who has not yet
# confirmed a suggestion).
ACTIONS = {"ok": "accept", "fix": "ask", "risky": "accept", "undeliverable": "refuse", "unknown": "accept"}


@pytest.mark.usefixtures("maildiag_offline")
@pytest.mark.parametrize("mode", [[], ["--async"]], ids=["sync", "async"])
def test_checkout_acts_on_every_verdict(capsys: pytest.CaptureFixture[str], mode: list[str]) -> None:
    """One action per verdict; unknown never blocks; a suggestion comes with ask only."""
    checkout = load("checkout")
    scenarios = addresses.SCENARIOS
    assert checkout.main(["--scenarios", "--json", *mode, *(s.address for s in scenarios)]) == 0
    results = json_lines(capsys.readouterr().out)
    assert [r["address"] for r in results] == [s.address for s in scenarios]
    for scenario, result in zip(scenarios, results, strict=True):
        assert result["verdict"] == scenario.verdict, result
        assert result["action"] == ACTIONS[scenario.verdict], result
        assert result["suggestion"] == scenario.suggestion
        # Refusals and warnings explain themselves; a plain accept shows nothing.
        assert bool(result["message"]) is (scenario.verdict not in ("ok", "unknown")), result


@pytest.mark.usefixtures("maildiag_offline")
def test_checkout_accepts_a_confirmed_address_and_speaks_hebrew(capsys: pytest.CaptureFixture[str]) -> None:
    """--confirmed: the customer kept what they typed; --locale he: Hebrew messages."""
    checkout = load("checkout")
    checkout.main(["--offline", "--json", "--locale", "he", addresses.TYPO_GMAIL])
    checkout.main(["--offline", "--json", "--confirmed", addresses.TYPO_GMAIL])
    asked, confirmed = json_lines(capsys.readouterr().out)
    assert asked["action"] == "ask" and any("\u05d0" <= c <= "\u05ea" for c in asked["message"])
    assert confirmed["action"] == "accept" and confirmed["suggestion"] is None


@pytest.mark.usefixtures("maildiag_offline")
def test_support_check_keeps_every_row_in_order(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Empty cells, short rows, duplicates and quoted commas each give one line, in order."""
    rows = [
        ["name", "E-mail", "plan"],
        ["Jane", addresses.TYPO_GMAIL, "gold"],
        ["Nobody", "", "free"],
        ["Bob", addresses.NULL_MX, "free"],
        ["Short"],
        ["Jane again", addresses.TYPO_GMAIL, "gold"],
        ["Cohen, Dana", addresses.FIXABLE, "gold"],
        ["Flaky", addresses.DNS_TIMEOUT, "free"],
    ]
    path = tmp_path / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    support = load("support_check")
    assert support.main([str(path), "--scenarios", "--concurrency", "2"]) == 0
    out = json_lines(capsys.readouterr().out)
    assert [r["row_number"] for r in out] == [1, 2, 3, 4, 5, 6, 7]
    assert [r["row"]["name"] for r in out] == [r[0] for r in rows[1:]]
    assert [r["verdict"] for r in out] == [
        "fix", "undeliverable", "undeliverable", "undeliverable", "fix", "fix", "unknown",
    ]
    assert out[0]["suggestion"] == "jane@gmail.com" and out[5]["suggestion"] == addresses.OK
    assert out[3]["row"]["E-mail"] is None and out[3]["address"] == ""  # a short row is kept


@pytest.mark.usefixtures("maildiag_offline")
def test_support_check_picks_the_column(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--column wins; otherwise a likely name; reading from stdin with '-'."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"id,work,Email\n1,{addresses.NULL_MX},{addresses.OK}\n"))
    support = load("support_check")
    support.main(["-", "--scenarios"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"id,work,Email\n1,{addresses.NULL_MX},{addresses.OK}\n"))
    support.main(["-", "--scenarios", "--column", "work"])
    by_name, by_option = json_lines(capsys.readouterr().out)
    assert (by_name["address"], by_name["verdict"]) == (addresses.OK, "ok")
    assert (by_option["address"], by_option["verdict"]) == (addresses.NULL_MX, "undeliverable")


@pytest.mark.parametrize(
    ("script", "args", "stdin"),
    [
        pytest.param("checkout.py", ["--scenarios", addresses.NULL_MX], "", id="checkout"),
        pytest.param("checkout.py", ["--offline", "--async", addresses.TYPO_GMAIL], "", id="checkout-async"),
        pytest.param("support_check.py", ["--offline", "-"], f"email\n{addresses.TYPO_GMAIL}\n", id="support"),
        pytest.param("pydantic_signup.py", [], "", id="pydantic-signup"),
    ],
)
def test_scripts_run_as_scripts(script: str, args: list[str], stdin: str) -> None:
    """`python examples/<script>` works from a checkout, in its offline or fake-DNS mode."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and not done.stderr


def test_signup_form_example_passes_under_the_offline_guard() -> None:
    """The copyable pytest file passes, with the real DNS forbidden in every test."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES / "test_signup_form.py"),
         "-q", "-p", "no:cacheprovider", "--maildiag-offline"],
        cwd=EXAMPLES.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
