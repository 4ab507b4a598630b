"""The WS-Man SOAP codec (lab/wsman/soap.py)."""

from __future__ import annotations

import pytest

from lab.wsman.soap import parse_duration


@pytest.mark.parametrize("text,seconds", [("PT20S", 20), ("PT20.000S", 20), ("PT1M30S", 90), ("P1D", None)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
