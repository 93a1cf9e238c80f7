"""Every command and code block of the user documentation runs as written, or says why not.

Documents: ``README.md``, ``configs/README.md``, ``experiments/README.md``, ``docs/*.md``.

What runs:

- every fenced ``bash`` (``sh``, ``shell``, ``console``) and ``python`` block: a bash block
  line by line (a ``simfin ...`` line in this process through the CLI's entry point, any
  other line in ``bash``), a python block with ``exec``;
- every inline command line: a code span that starts with ``simfin``, ``python``,
  ``python3`` or ``pip`` and has an option or two arguments (``simfin --version``,
  ``simfin run configs/baseline.yaml``). A bare command name (``simfin run``) and a usage
  synopsis (``simfin dashboard [CONFIG]``: brackets, ``<placeholders>`` or CAPITAL words)
  are not command lines. Spans inside the generated ``measured:NAME`` blocks of
  ``experiments/README.md`` record how numbers were made and are not run.

Each document runs in its own temporary copy of the documented folders (nothing is written
into the repository), in document order, so a command may use what an earlier one wrote.
The one change to what is written is the README's documented rule (section Development):
every ``simfin run`` gets :data:`SMALL_RUN` appended, so that a run takes seconds.

What does not run is marked in the Markdown source, with the reason:
``<!-- illustrative: reason -->`` on the line before a fenced block, or
``<!-- illustrative commands "PREFIX": reason -->`` anywhere in a document for every inline
command line of that document that starts with PREFIX. Repository paths named by an
illustrative item must still exist.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", "configs/README.md", "experiments/README.md",
             *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
COPIED = ["README.md", "configs", "experiments", "docs"]
SMALL_RUN = ["--steps", "20", "--set", "population.n_consumers=2000"]
SHELLS = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
MARK = re.compile(r"^\s*<!--\s*illustrative:\s*(.*?)\s*-->\s*$")
PREFIX_MARK = re.compile(r"<!--\s*illustrative commands\s+\"([^\"]+)\":\s*(.*?)\s*-->", re.S)
MEASURED = re.compile(r"<!-- measured:([\w-]+) -->.*?<!-- /measured:\1 -->", re.S)
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
COMMAND_START = re.compile(r"^(simfin|python3?|pip)\s")
SYNOPSIS = re.compile(r"[\[\]<>]|\.\.\.|\b[A-Z][A-Z_]{2,}\b")
REPO_PATH = re.compile(r"\b((?:configs|experiments|docs|tests|notebooks|simfin)/"
                       r"[\w./-]*\w\.(?:yaml|md|py|ipynb|png))\b")
SHELL_SYNTAX = re.compile(r"[|&;<>$`()*?]")
SHELL_OPERATOR = re.compile(r"(\s*(?:&&|\|\||;|\|)\s*)")


@dataclass
class Item:
    """One thing a document shows a user to run."""

    document: str
    line: int
    kind: str  # "bash" or "python"
    text: str
    illustrative: str | None  # the reason, or None: it runs

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _block_mark(text: str, start: int) -> str | None:
    """The reason of an ``illustrative`` marker on the last non-blank line before ``start``."""
    before = [ln for ln in text[:start].splitlines() if ln.strip()]
    match = MARK.match(before[-1]) if before else None
    return match.group(1) if match else None


def is_command_line(span: str) -> bool:
    """An inline code span that is a command a user would type (see the module doc)."""
    if not COMMAND_START.match(span) or SYNOPSIS.search(span):
        return False
    words = span.split()
    return any(w.startswith("-") for w in words[1:]) or len(words) >= 3


def items(document: str) -> list[Item]:
    """The runnable blocks and inline command lines of a document, in document order."""
    text = (ROOT / document).read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        language = match.group(1).lower()
        kind = "bash" if language in SHELLS else "python" if language == "python" else None
        if kind:
            found.append(Item(document, _line_of(text, match.start()), kind, match.group(2),
                              _block_mark(text, match.start())))
    prefixes = PREFIX_MARK.findall(text)
    # fenced blocks and generated blocks blanked (same length: line numbers hold)
    prose = FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    prose = MEASURED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), prose)
    for match in INLINE.finditer(prose):
        span = match.group(1).strip()
        if is_command_line(span):
            reason = next((why for prefix, why in prefixes if span.startswith(prefix)), None)
            found.append(Item(document, _line_of(text, match.start()), "bash", span, reason))
    return sorted(found, key=lambda item: item.line)


def command_lines(script: str) -> list[str]:
    """A bash block's commands: continuations joined, blank and comment lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [ln.strip() for ln in joined.splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def small(line: str) -> str:
    """The documented small-size rule: every ``simfin run ...`` (also after ``time``,
    ``VAR=value`` or a shell operator) gets :data:`SMALL_RUN` appended.
    """
    comment = line.find(" #")
    code, rest = (line, "") if comment < 0 else (line[:comment], line[comment:])
    parts = SHELL_OPERATOR.split(code)
    for i in range(0, len(parts), 2):  # the commands between the operators
        words = parts[i].split()
        at = [j for j, word in enumerate(words[:-1])
              if Path(word).name == "simfin" and words[j + 1] == "run"]
        if at and "--help" not in words:
            parts[i] = f"{parts[i].rstrip()} {shlex.join(SMALL_RUN)}"
    return "".join(parts) + rest


def run_simfin(argv: list[str]) -> int:
    """``simfin ARGV`` through the CLI's entry point, in this process (no start-up cost)."""
    from simfin import cli

    saved = sys.argv
    sys.argv = ["simfin", *argv]
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return code


def run_bash_line(line: str, cwd: Path, capfd) -> None:
    line = small(line)
    words = shlex.split(line, comments=True)
    if words and words[0] == "simfin" and not SHELL_SYNTAX.search(line.split(" #")[0]):
        code = run_simfin(words[1:])
        err = capfd.readouterr().err
    else:
        env = {**os.environ, "MPLBACKEND": "Agg",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                           os.environ.get("PYTHONPATH")]))}
        proc = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)
        code, err = proc.returncode, proc.stderr
    assert code == 0, f"{line!r} exited {code}: {err[-1500:]}"


def run_item(item: Item, cwd: Path, capfd) -> None:
    if item.kind == "python":
        namespace = {"__name__": "__docs__"}
        exec(compile(item.text, item.where, "exec"), namespace)  # noqa: S102
        return
    for line in command_lines(item.text):
        run_bash_line(line, cwd, capfd)


def _copy(tmp: Path) -> Path:
    import shutil

    copy = tmp / "repo"
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            shutil.copy2(source, copy / name)
    return copy


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_example_runs_as_written(document, tmp_path, monkeypatch, capfd):
    found = items(document)
    assert found, f"{document}: no block or command line found"  # precondition: extracted
    runnable = [item for item in found if item.illustrative is None]
    copy = _copy(tmp_path)
    before = sorted(ROOT.glob("runs/*"))
    monkeypatch.chdir(copy)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ran = []
    for item in runnable:
        try:
            run_item(item, copy, capfd)
        except BaseException as exc:  # name the block that failed
            raise AssertionError(f"{item.where}: {type(exc).__name__}: {exc}") from exc
        ran.append(item.where)
    assert ran == [item.where for item in runnable]  # every unmarked item ran
    assert sorted(ROOT.glob("runs/*")) == before  # runs went to the copy, not the repository


def test_illustrative_items_give_a_reason_and_name_files_that_exist():
    marked = [item for doc in DOCUMENTS for item in items(doc) if item.illustrative is not None]
    assert marked  # precondition: the README marks its install and benchmark commands
    for item in marked:
        assert len(item.illustrative) >= 15, f"{item.where}: give the reason"
        for path in REPO_PATH.findall(item.text):
            assert (ROOT / path).exists(), f"{item.where}: {path} does not exist"


def test_every_marker_marks_something():
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        blocks = {m.start() for m in FENCE.finditer(text)}
        lines = text.splitlines(keepends=True)
        offset = 0
        for number, line in enumerate(lines):
            if MARK.match(line):
                rest = text[offset + len(line):]
                following = rest.lstrip("\n")
                start = len(text) - len(following)
                assert start in blocks, f"{document}:{number + 1}: marker before no block"
            offset += len(line)
        for prefix, _ in PREFIX_MARK.findall(text):
            assert any(item.text.startswith(prefix) for item in items(document)), \
                f"{document}: no command line starts with {prefix!r}"


def test_the_extraction_finds_blocks_and_inline_commands():
    readme = items("README.md")
    assert sum(item.kind == "python" for item in readme) >= 3
    assert any(item.text == "simfin --version" for item in readme)
    assert is_command_line("simfin run configs/baseline.yaml")
    assert not is_command_line("simfin run")
    assert not is_command_line("simfin dashboard [CONFIG]")
    assert not is_command_line("simfin run RUN_DIR/config.yaml")
    assert small("simfin run a.yaml --out x  # note") == \
        "simfin run a.yaml --out x " + " ".join(SMALL_RUN) + " # note"
    assert small("simfin experiment e.yaml") == "simfin experiment e.yaml"
    assert small("time simfin run a.yaml | tail -1") == \
        "time simfin run a.yaml " + " ".join(SMALL_RUN) + " | tail -1"
