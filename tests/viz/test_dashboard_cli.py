"""``simfin dashboard``: a bad config is one line and exit code 2, before any server starts;
a good one reaches solara's server with the page, the address and the network switched off.
"""

from __future__ import annotations

import os
import sys

import pytest

from simfin.cli import main
from simfin.viz import page, server


def run_main(argv, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["simfin", *argv])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return (0 if info.value.code is None else int(info.value.code)), captured.err


@pytest.mark.parametrize(("text", "message"), [
    ("policy:\n  apr_cap: -1\n", "error: policy.apr_cap: must be >= 0"),
    ("lenders: [}\n", "not valid YAML"),
])
def test_a_bad_config_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    monkeypatch.setattr(server, "serve", lambda *a: pytest.fail("server started"))
    code, err = run_main(["dashboard", str(path)], monkeypatch, capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_missing_config_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    code, err = run_main(["dashboard", str(tmp_path / "nope.yaml")], monkeypatch, capsys)
    assert code == 2 and "file not found" in err and "Traceback" not in err


def test_the_server_serves_the_page_on_localhost_offline(tmp_path, monkeypatch, capsys):
    path = tmp_path / "market.yaml"
    path.write_text("population:\n  n_consumers: 500\n")
    calls = []
    import solara.__main__ as solara_main

    monkeypatch.setattr(solara_main.cli, "main",
                        lambda args, **kw: calls.append((args, dict(os.environ))))
    monkeypatch.delenv(page.CONFIG_ENV, raising=False)
    monkeypatch.delenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", raising=False)
    code, err = run_main(["dashboard", str(path), "--port", "9123"], monkeypatch, capsys)
    assert code == 0, err
    (args, env), = calls
    assert args[:2] == ["run", "simfin.viz.page"]
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--port") + 1] == "9123"
    assert "--no-check-version" in args and "--no-open" in args
    assert env[page.CONFIG_ENV] == str(path.resolve())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
