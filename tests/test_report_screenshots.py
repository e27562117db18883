"""The README's screenshots come from a report folder, and never from a broken page."""

import re

import pytest

from tests.browser import png_size
from tests.report_screenshots import main, take_screenshots

CHART = '<svg width="200" height="100"><rect width="50" height="100"/></svg>'


def report(tmp_path, *, alice: str = CHART, bob: str = CHART):
    folder = tmp_path / "report"
    (folder / "directors").mkdir(parents=True)
    (folder / "index.html").write_text(f"<!doctype html><h1>Organisation</h1>{CHART}")
    (folder / "directors" / "alice-ng.html").write_text(f"<!doctype html>{alice}")
    (folder / "directors" / "bob-stone.html").write_text(f"<!doctype html>{bob}")
    return folder


def test_the_organisation_page_and_the_first_director_page_are_photographed(chromium, tmp_path):
    out = tmp_path / "images"

    written = take_screenshots(chromium, report(tmp_path), out)

    assert written == [out / "report-organisation.png", out / "report-director.png"]
    assert [png_size(path)[0] for path in written] == [1280, 1280]


def test_a_named_director_page_is_photographed_cut_to_a_readable_height(chromium, tmp_path):
    tall = f'<div style="height: 5000px">{CHART}</div>'
    out = tmp_path / "images"

    take_screenshots(chromium, report(tmp_path, bob=tall), out, director="bob-stone")

    assert png_size(out / "report-director.png") == (1280, 2400)


def test_a_page_that_reaches_the_network_is_not_photographed(chromium, tmp_path):
    broken = f'{CHART}<img src="https://example.com/logo.png" alt="logo">'
    out = tmp_path / "images"
    out.mkdir()
    (out / "report-organisation.png").write_bytes(b"the committed image")

    with pytest.raises(
        SystemExit, match=re.escape("blocked request: https://example.com/logo.png")
    ):
        take_screenshots(chromium, report(tmp_path, alice=broken), out)

    assert sorted(path.name for path in out.iterdir()) == ["report-organisation.png"]
    assert (out / "report-organisation.png").read_bytes() == b"the committed image"


def test_a_page_without_a_drawn_chart_is_not_photographed(chromium, tmp_path):
    with pytest.raises(SystemExit, match="no chart drawn"):
        take_screenshots(chromium, report(tmp_path, alice="<p>nothing</p>"), tmp_path / "images")


def test_a_folder_that_is_not_a_report_is_refused(chromium, tmp_path):
    with pytest.raises(SystemExit, match="not a report folder"):
        take_screenshots(chromium, tmp_path, tmp_path / "images")


def test_the_command_writes_both_images(chromium, tmp_path, capsys):
    out = tmp_path / "images"

    assert main([str(report(tmp_path)), "--out", str(out)]) == 0

    assert sorted(path.name for path in out.iterdir()) == [
        "report-director.png",
        "report-organisation.png",
    ]
    assert f"wrote {out / 'report-director.png'}" in capsys.readouterr().out
