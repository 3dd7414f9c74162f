"""Issue 14: the fuzz suite, bounded for the test run (well under 60 s together; the long run
is bench/bench_fuzz.py). Deterministic here (derandomized, no example database), so a
failure reproduces; the targets and what each checks are in tests/fuzz_targets.py."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from tests import fuzz_targets as ft

SUITE = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much, HealthCheck.large_base_example])
pytestmark = [pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the notes target makes FIFOs"),
              pytest.mark.slow]  # hundreds of generated cases per target


@settings(SUITE, max_examples=120)
@given(ft.NOTES_FOLDER)
def test_fuzz_notes_reader_and_chunker(case) -> None:
    ft.check_notes_folder(case)


@settings(SUITE, max_examples=250)
@given(ft.note_bytes())
def test_fuzz_note_file(content) -> None:
    ft.check_note_file(content)


@settings(SUITE, max_examples=200)
@given(ft.CHUNKER)
def test_fuzz_chunker(case) -> None:
    ft.check_chunker(case)


@settings(SUITE, max_examples=200)
@given(ft.CONFIG_TOML)
def test_fuzz_config_toml(text) -> None:
    ft.check_config_toml(text)


@settings(SUITE, max_examples=150)
@given(ft.OVERRIDES)
def test_fuzz_config_overrides(overrides) -> None:
    ft.check_overrides(overrides)


@settings(SUITE, max_examples=60)
@given(ft.cli_args())
def test_fuzz_cli_boundary(case) -> None:
    ft.check_cli(case)


@settings(SUITE, max_examples=300)
@given(ft.questions(2000))
def test_fuzz_injection_screen(question) -> None:
    ft.check_injection(question)


@settings(SUITE, max_examples=40)
@given(ft.ANALYZER)
def test_fuzz_analyzer(base_config, ingested, case) -> None:
    question, history = case
    ft.check_analyzer(str(base_config.home_path), question, history)


@settings(SUITE, max_examples=40)
@given(ft.JUDGE)
def test_fuzz_judge(base_config, ingested, case) -> None:
    question, answer, found = case
    ft.check_judge(str(base_config.home_path), question, answer, found)
