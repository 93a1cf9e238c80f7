"""The benchmark suite's size: ``--size tiny`` (default: each benchmark runs once, untimed,
in the normal test run), ``small`` or ``large`` (the reference figures; see README.md).
"""

from __future__ import annotations

import pytest

from simfin.bench.suite import SIZES, Size


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--size", choices=sorted(SIZES), default="tiny",
                     help="benchmark size: tiny (default), small or large")


@pytest.fixture(scope="session")
def size(request: pytest.FixtureRequest) -> Size:
    """The :class:`simfin.bench.suite.Size` chosen with ``--size``."""
    return SIZES[request.config.getoption("--size", default="tiny")]

