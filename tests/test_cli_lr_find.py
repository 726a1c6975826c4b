"""``nettrain lr-find``: a suggestion and a plot, and nothing else written."""
import os
import sys
from pathlib import Path

from conftest import run_cli

CLUSTERS = Path(__file__).resolve().parents[1] / "configs" / "clusters.yaml"


def test_lr_find_suggests_a_rate_draws_the_plot_and_writes_no_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["lr-find", CLUSTERS, "--steps", "60", "--start-lr", "1e-4", "--end-lr", "100",
                              "--out", "sweep.png"], capsys)
    assert code in (0, None), err
    assert "the loss diverged" in out
    suggestion = float(out.split("suggested lr: ")[1].split()[0])
    assert 1e-3 < suggestion < 10
    assert f"--set optimizer.lr={suggestion:.2e}" in out
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["sweep.png"]  # no runs/ folder, no temporary file


def test_lr_find_refuses_bad_bounds_before_building_anything(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["lr-find", CLUSTERS, "--start-lr", "1", "--end-lr", "0.1"], capsys)
    assert code == 2 and "--start-lr must be above 0 and below --end-lr" in err
    assert os.listdir(tmp_path) == []


def test_without_matplotlib_the_install_hint_keeps_its_brackets(tmp_path, capsys, monkeypatch):
    """Printed as text, not rich markup, which took "[plot]" for a tag."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["lr-find", CLUSTERS, "--steps", "10"], capsys)
    assert code in (0, None), err
    assert out.splitlines()[-1] == 'no plot: matplotlib is not installed (pip install -e ".[plot]")'
    assert os.listdir(tmp_path) == []
