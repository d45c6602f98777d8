"""Command line: ``minyi triage train|eval|predict|duplicates``.

Django-free on purpose; the project's management command forwards argv
here and may pass extra training examples read from the database via
``main(argv, extra_examples=...)``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .evaluate import DataError, evaluate, read_csv, train

__all__ = ["DEFAULT_MODEL_ENV", "build_parser", "default_model_path", "main"]

DEFAULT_MODEL_ENV = "MINYI_TRIAGE_MODEL"
_DEFAULT_MODEL = Path("var") / "triage" / "model.npz"
EXIT_BAD_INPUT = 2


def default_model_path() -> Path:
    return Path(os.environ.get(DEFAULT_MODEL_ENV) or _DEFAULT_MODEL)


def _cols(value: str) -> list[str]:
    cols = [c.strip() for c in value.replace("，", ",").split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError("至少需要一列 / need at least one column")
    return cols


def build_parser(prog: str = "minyi triage") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="12345 诉求智能分派 / appeal triage")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p: argparse.ArgumentParser, label: bool, required: bool = True) -> None:
        p.add_argument(
            "--data",
            action="append",
            required=required,
            metavar="FILE.csv",
            help="UTF-8 CSV (BOM allowed); repeat for several files",
        )
        p.add_argument(
            "--text-col",
            type=_cols,
            default=["留言主题", "留言详情"],
            help="comma-separated text columns; the first is the title (default: 留言主题,留言详情)",
        )
        if label:
            p.add_argument("--label-col", default="一级标签", help="label column (default: 一级标签)")

    p_train = sub.add_parser("train", help="train a model, promote it if not worse than the champion")
    data_args(p_train, label=True, required=False)
    p_train.add_argument("--out", required=True, metavar="MODEL", help="where to write the model (.npz)")
    p_train.add_argument("--champion", metavar="MODEL", help="current model to beat (default: --out if it exists)")
    p_train.add_argument("--target-precision", type=float, default=0.98)
    p_train.add_argument("--val-fraction", type=float, default=0.2)
    p_train.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="retrain the promoted model on all rows, validation included (default; --no-refit keeps the model that was validated)",
    )
    p_train.add_argument("--seed", type=int, default=0)

    p_eval = sub.add_parser("eval", help="evaluate a model on labelled CSV")
    p_eval.add_argument("--model", type=Path, help=f"model file (default: ${DEFAULT_MODEL_ENV} or {_DEFAULT_MODEL})")
    data_args(p_eval, label=True)
    p_eval.add_argument("--json", action="store_true", help="print one JSON object")
    p_eval.add_argument("--no-timing", action="store_true", help="skip throughput/latency measurement")

    p_pred = sub.add_parser("predict", help="classify one appeal text")
    p_pred.add_argument("text", help="appeal text; a first line is treated as the title")
    p_pred.add_argument("--model", type=Path)
    p_pred.add_argument("-k", type=int, default=3)
    p_pred.add_argument("--priority", default="normal", help="current priority (normal/urgent/critical)")
    p_pred.add_argument("--json", action="store_true")

    p_dup = sub.add_parser("duplicates", help="find duplicate / related appeals in a CSV")
    data_args(p_dup, label=False)
    p_dup.add_argument("--id-col", default="留言编号")
    p_dup.add_argument("--submitter-col", default=None, help="e.g. 留言用户; same submitter lowers the bar")
    p_dup.add_argument("--threshold", type=float, default=0.6, help="text similarity for a duplicate")
    p_dup.add_argument("--related-threshold", type=float, default=0.3)
    p_dup.add_argument("--json", action="store_true")
    return parser


def _load_model(path: Path | None) -> Any:
    from .model import TriageModel

    p = path or default_model_path()
    if not p.is_file():
        raise DataError(f"模型文件不存在 / model file not found: {p} (use --model or ${DEFAULT_MODEL_ENV})")
    try:
        return TriageModel.load(p)
    except (ValueError, KeyError, OSError) as exc:
        raise DataError(f"无法读取模型 / cannot read model {p}: {exc}") from exc


def _read_all(files: Sequence[str], text_cols: Sequence[str], label_col: str | None) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for f in files:
        t, lab = read_csv(f, text_cols, label_col)
        texts += t
        labels += lab
    return texts, labels


def _cmd_train(args: argparse.Namespace, out: TextIO, extra: Iterable[tuple[str, str]] | None) -> int:
    texts: list[str] = []
    labels: list[str] = []
    if args.data:
        texts, labels = _read_all(args.data, args.text_col, args.label_col)
    extra_list = list(extra or [])
    if not texts and not extra_list:
        raise DataError("没有训练数据 / no training data: give --data FILE.csv")
    champion = Path(args.champion) if args.champion else Path(args.out)
    if args.champion and not champion.is_file():
        raise DataError(f"冠军模型不存在 / champion model not found: {champion}")
    result = train(
        texts,
        labels,
        extra=extra_list,
        out_path=args.out,
        champion_path=champion,
        val_fraction=args.val_fraction,
        target_precision=args.target_precision,
        refit=args.refit,
        seed=args.seed,
        echo=lambda s: print(s, file=out),
    )
    print(
        f"threshold {result.model.threshold:.4f}  classes {len(result.model.classes)}  "
        f"n_train {result.model.metadata.get('n_train')}",
        file=out,
    )
    return 0


def _cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    model = _load_model(args.model)
    texts, labels = _read_all(args.data, args.text_col, args.label_col)
    report = evaluate(model, texts, labels, timing=not args.no_timing)
    if args.json:
        print(json.dumps(report, ensure_ascii=False), file=out)
    else:
        ab = report["abstain"]
        print(f"n={report['n']} accuracy={report['accuracy']} macro_f1={report['macro_f1']}", file=out)
        print(
            f"threshold={ab['threshold']} coverage={ab['coverage']} precision={ab['precision']} "
            f"(target {ab['target_precision']})",
            file=out,
        )
        for lab, m in report["per_class"].items():
            print(f"  {lab}: P={m['precision']} R={m['recall']} F1={m['f1']} n={m['support']}", file=out)
    return 0


def _cmd_predict(args: argparse.Namespace, out: TextIO) -> int:
    from .pii import pii_kinds
    from .urgency import PRIORITY_LABELS, assess_urgency

    model = _load_model(args.model)
    text = args.text.replace("\\n", "\n")
    pred = model.predict([text], k=args.k)[0]
    try:
        priority, flags = assess_urgency(text, args.priority)
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    result = {
        "top": [{"label": s.label, "probability": s.probability} for s in pred.top],
        "reason_terms": list(pred.reason_terms),
        "abstain": pred.abstain,
        "threshold": round(pred.threshold, 6),
        "priority": priority,
        "urgency_flags": [{"code": f.code, "priority": f.priority, "reason": f.reason, "evidence": f.evidence} for f in flags],
        "pii": list(pii_kinds(text)),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False), file=out)
        return 0
    for i, s in enumerate(pred.top, 1):
        print(f"{i}. {s.label}  {s.probability:.3f}", file=out)
    print(f"理由 reason: {'、'.join(pred.reason_terms) or '-'}", file=out)
    print("分派 dispatch: " + ("人工 manual (below threshold)" if pred.abstain else "可自动 auto"), file=out)
    print(
        f"紧急程度 priority: {PRIORITY_LABELS[priority]} ({priority})"
        + "".join(f"\n  - {f.reason}: …{f.evidence}…" for f in flags),
        file=out,
    )
    print(f"个人信息 PII: {', '.join(result['pii']) or '-'}", file=out)
    return 0


def _cmd_duplicates(args: argparse.Namespace, out: TextIO) -> int:
    import csv

    from .dedup import DupRecord, find_duplicate_pairs

    if not 0 < args.related_threshold <= args.threshold <= 1:
        raise DataError("需要 0 < related-threshold <= threshold <= 1")
    records: list[DupRecord] = []
    for f in args.data:
        texts, _ = read_csv(f, args.text_col)  # validates path, columns, emptiness
        with open(f, encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if "\n".join((r.get(c) or "").strip() for c in args.text_col).strip()]
        for col in filter(None, [args.submitter_col]):
            if rows and col not in rows[0]:
                raise DataError(f"缺少列 / missing column {col} in {f}")
        for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
            rid = (row.get(args.id_col) or "").strip() or f"{Path(f).name}:{i + 2}"
            sub = (row.get(args.submitter_col) or "").strip() if args.submitter_col else None
            records.append(DupRecord(rid, text, submitter=sub or None))
    pairs = find_duplicate_pairs(records, text_threshold=args.threshold, related_threshold=args.related_threshold)
    report = {
        "n": len(records),
        "pairs": [{"a": a, "b": b, "score": s, "reason": r} for a, b, s, r in pairs],
        "n_pairs": len(pairs),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str), file=out)
    else:
        print(f"{len(records)} appeals, {len(pairs)} candidate pairs", file=out)
        for a, b, s, r in pairs:
            print(f"{a}\t{b}\t{s:.3f}\t{r}", file=out)
    return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    extra_examples: Iterable[tuple[str, str]] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit status (2 for bad input)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return int(exc.code) if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        if args.command == "train":
            return _cmd_train(args, out, extra_examples)
        if args.command == "eval":
            return _cmd_eval(args, out)
        if args.command == "predict":
            return _cmd_predict(args, out)
        return _cmd_duplicates(args, out)
    except DataError as exc:
        print(f"错误 / error: {exc}", file=err)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
