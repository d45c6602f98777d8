"""``minyi triage quality [--days N] [--json]``: the live quality of AI dispatch on the command line.

Plain output is a short table in Chinese; ``--json`` prints ``QualityReport.as_dict()`` as one
object. A bad ``--days`` prints ``错误 / error: …`` on stderr and returns 2, like the library's CLI.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from typing import IO, Any, NoReturn

from django.utils import timezone

from minyi.triage import quality
from minyi.triage.quality import QualityReport, Rate


class _BadArgument(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _BadArgument(message)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--days 须为整数，而不是 {text!r} / --days must be a whole number") from None
    if not 1 <= days <= quality.MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days 须在 1 到 {quality.MAX_DAYS} 之间，而不是 {days} / --days must be between 1 and {quality.MAX_DAYS}")
    return days


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="minyi triage quality", description="智能派单质量：按诉求登记时间统计的实测覆盖率、一致率和高置信准确率（只读）")
    parser.add_argument(
        "--days", type=_days, default=quality.DEFAULT_DAYS, help=f"统计最近 N 天登记的诉求（默认 {quality.DEFAULT_DAYS}，1–{quality.MAX_DAYS}）"
    )
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    return parser


def main(argv: list[str], *, stdout: IO[str] | Any, stderr: IO[str] | Any) -> int:
    try:
        options = build_parser().parse_args(argv)
    except _BadArgument as exc:
        stderr.write(f"错误 / error: {exc}\n")
        return 2
    report = quality.compute(options.days)
    if options.json:
        stdout.write(json.dumps(report.as_dict(), ensure_ascii=False) + "\n")
    else:
        stdout.write(render(report))
    return 0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _rate(rate: Rate, *, interval: bool = False) -> tuple[str, str]:
    counts = f"{rate.hits} / {rate.n}"
    bounds = rate.interval
    if interval and bounds is not None:
        counts += f"  95%区间 {pct(bounds[0])}–{pct(bounds[1])}"
    return pct(rate.value), counts


def render(report: QualityReport) -> str:
    since = timezone.localtime(report.since).date()
    until = timezone.localtime(report.until).date()
    lines = [f"智能派单质量  最近 {report.days} 天（{since} 至 {until} 登记的诉求）"]
    model = report.model
    if model is None:
        lines.append("模型：未安装（只统计已存的建议）")
    else:
        lines.append(
            f"模型：训练于 {model['trained_at']}，训练样本 {model['n_train']}，阈值 {model['threshold']}，"
            f"目标准确率 {report.target_precision}，离线覆盖率 {model['oof_coverage']}，离线 macro-F1 {model['oof_macro_f1']}"
        )
    lines.append(f"自动派单（MINYI_AUTO_DISPATCH）：{'已开启' if report.auto_dispatch_enabled else '已关闭'}")
    t = report.total
    rows: list[tuple[str, str, str]] = [
        ("登记诉求", "", str(t.appeals)),
        ("有派单建议", pct(t.suggested / t.appeals if t.appeals else None), f"{t.suggested} / {t.appeals}"),
        ("覆盖率（置信度达阈值）", *_rate(report.coverage)),
        ("建议与首次派单一致", *_rate(report.agreement_first)),
        ("建议与最终承办部门一致", *_rate(report.agreement_final)),
        ("前三建议含最终部门", *_rate(report.top3_final)),
        ("高置信建议准确率", *_rate(report.confident_precision, interval=True)),
        ("自动派单后被纠正", *_rate(report.auto_corrected, interval=True)),
        ("退单已同意、待重新派单", "", str(t.awaiting_redispatch)),
        ("模型训练后新增训练样本", "", str(report.corrections_since_model.get("total", 0))),
    ]
    label_width = max(_width(r[0]) for r in rows) + 2
    lines.append(_pad("指标", label_width) + _pad("比例", 9) + "件数")
    lines += [_pad(label, label_width) + _pad(value, 9) + counts for label, value, counts in rows]
    if report.precision_alarm:
        high = report.confident_precision.interval
        lines.append(
            f"警告：高置信建议的实测准确率上限 {pct(high[1] if high else None)} 低于目标 {pct(report.target_precision)}。"
            + ("请关闭自动派单（MINYI_AUTO_DISPATCH=0）" if report.auto_dispatch_enabled else "自动派单已关闭，暂勿开启")
            + "，并用 minyi triage train --from-db 重新训练。"
        )
    return "\n".join(lines) + "\n"
