"""`bninit status` on what a user may mistype: a dir that is not there, two dirs, a file. Each is
one line naming the bad value on stderr, exit 2, and nothing is created."""

import pytest

from bninit.cli.main import main


def status_error(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["status", *args])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_missing_runs_dir_is_named_and_not_created(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    err = status_error(capsys, "nowhere")
    assert err == "bninit status: error: runs dir 'nowhere' does not exist or is not a directory\n"
    assert list(tmp_path.iterdir()) == []


def test_the_default_runs_dir_missing_is_named_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert "runs dir 'runs' does not exist" in status_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_file_is_not_a_runs_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "study.csv").write_text("dataset\n")
    assert "runs dir 'study.csv' does not exist or is not a directory" in status_error(capsys, "study.csv")


def test_two_dirs_name_the_second_and_the_usage(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    err = status_error(capsys, "a", "b")
    assert err == "bninit status: error: unexpected argument 'b'; usage: bninit status [RUNS_DIR]\n"


def test_an_empty_runs_dir_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    assert main(["status", "runs"]) == 0
    assert capsys.readouterr().out == "no runs under runs\n"
