from pathlib import Path

import pytest

from .files import TINY, write


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write(tmp_path, TINY)
