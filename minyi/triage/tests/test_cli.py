from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from minyi.triage.cli import build_parser, main

from . import make_dataset, write_csv


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    texts, labels = make_dataset(n_per_class=25, seed=11)
    write_csv(d / "train.csv", texts, labels, bom=True)
    t2, l2 = make_dataset(n_per_class=8, seed=12)
    write_csv(d / "test.csv", t2, l2, bom=False)
    model = d / "model.npz"
    code, out, err = run(
        [
            "train",
            "--data",
            str(d / "train.csv"),
            "--text-col",
            "留言主题,留言详情",
            "--label-col",
            "一级标签",
            "--out",
            str(model),
        ]
    )
    assert code == 0, err
    assert "challenger macro-F1" in out
    assert "champion" in out
    return {"dir": d, "train": d / "train.csv", "test": d / "test.csv", "model": model}


def test_parser_has_subcommands() -> None:
    p = build_parser()
    for cmd in (["train", "--out", "m"], ["eval", "--data", "x"], ["predict", "t"], ["duplicates", "--data", "x"]):
        assert p.parse_args(cmd).command == cmd[0]


def test_eval_json_shape(files: dict[str, Path]) -> None:
    code, out, err = run(
        [
            "eval",
            "--model",
            str(files["model"]),
            "--data",
            str(files["test"]),
            "--text-col",
            "留言主题,留言详情",
            "--label-col",
            "一级标签",
            "--json",
        ]
    )
    assert code == 0, err
    report = json.loads(out)
    assert set(report) >= {"n", "accuracy", "macro_f1", "per_class", "abstain", "throughput_per_s", "latency_ms"}
    assert set(report["abstain"]) == {"target_precision", "threshold", "coverage", "precision"}
    assert set(report["latency_ms"]) == {"p50", "p99"}
    assert report["n"] == 32
    assert report["macro_f1"] > 0.8
    some = next(iter(report["per_class"].values()))
    assert set(some) == {"precision", "recall", "f1", "support"}


def test_predict(files: dict[str, Path]) -> None:
    code, out, _ = run(["predict", "--model", str(files["model"]), "--json", "小区燃气泄漏没人管\n物业不管，电话13912345678"])
    assert code == 0
    res = json.loads(out)
    assert len(res["top"]) == 3
    assert res["priority"] == "critical"
    assert res["pii"] == ["phone"]
    code, out, _ = run(["predict", "--model", str(files["model"]), "公交线路突然取消"])
    assert code == 0
    assert "交通运输" in out.splitlines()[0]


def test_duplicates_json(files: dict[str, Path]) -> None:
    code, out, _ = run(["duplicates", "--data", str(files["train"]), "--json"])
    assert code == 0
    report = json.loads(out)
    assert report["n"] == 100
    assert all(0 <= p["score"] <= 1 for p in report["pairs"])


def test_bad_path_exit_2() -> None:
    code, _, err = run(["eval", "--model", "nope.npz", "--data", "/nonexistent/x.csv"])
    assert code == 2
    assert "error" in err


def test_missing_model_exit_2(files: dict[str, Path]) -> None:
    code, _, err = run(["predict", "--model", str(files["dir"] / "missing.npz"), "文本"])
    assert code == 2
    assert "model" in err


def test_corrupt_model_exit_2(files: dict[str, Path]) -> None:
    bad = files["dir"] / "bad.npz"
    bad.write_bytes(b"not a zip")
    code, _, err = run(["predict", "--model", str(bad), "文本"])
    assert code == 2
    assert "cannot read model" in err


def test_missing_column_exit_2(files: dict[str, Path]) -> None:
    code, _, err = run(["eval", "--model", str(files["model"]), "--data", str(files["test"]), "--label-col", "二级标签"])
    assert code == 2
    assert "二级标签" in err
    assert "missing column" in err


def test_empty_file_exit_2(files: dict[str, Path]) -> None:
    empty = files["dir"] / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(["train", "--data", str(empty), "--out", str(files["dir"] / "x.npz")])
    assert code == 2
    assert "empty" in err


def test_header_only_file_exit_2(files: dict[str, Path]) -> None:
    hdr = files["dir"] / "header.csv"
    hdr.write_text("留言主题,留言详情,一级标签\n", encoding="utf-8-sig")
    code, _, err = run(["duplicates", "--data", str(hdr)])
    assert code == 2
    assert "no usable rows" in err


def test_non_utf8_exit_2(files: dict[str, Path]) -> None:
    gbk = files["dir"] / "gbk.csv"
    gbk.write_bytes("留言主题,留言详情,一级标签\n标题,正文,城乡建设\n".encode("gbk"))
    code, _, err = run(["duplicates", "--data", str(gbk)])
    assert code == 2
    assert "UTF-8" in err


def test_unknown_subcommand_exit_2() -> None:
    assert run(["frobnicate"])[0] == 2
