"""Pages and htmx-friendly fragments of 小惠. Views parse, authorize and call the services only.

* ``/assistant/``                    ask page for staff and citizens (records the answer)
* ``/assistant/suggest?q=…``         fragment: suggested answer + one-time notice while a call is typed
* ``/assistant/similar/<number>``    fragment: similar past appeals and their replies (staff)
* ``/assistant/precheck/<slug>``     材料预审: page, or fragment with ``?fragment=1`` / ``HX-Request``
* ``/assistant/card/<slug>``, ``/assistant/faq/<slug>``   citation targets
* ``/assistant/kb/export.yaml``, ``/assistant/kb/card/<slug>.md``, ``/assistant/kb/import``  admin
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minyi.appeals.queries import visible_to
from minyi.assistant import kbio, services
from minyi.assistant.models import Card, Faq, Industry
from minyi.assistant.retrieval import FIELD_LABELS, render_material

MAX_FILES = 30


def kb_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Knowledge-base import/export: Django staff or the admin role."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        if not services.is_kb_admin(request.user):
            raise PermissionDenied(gettext("只有管理员可以导入或导出知识库。"))
        return view(request, *args, **kwargs)

    return wrapper


def _is_fragment(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" or request.GET.get("fragment") == "1"


def appeal_link(question: str, user: Any) -> str:
    """One click from an answered question to a new appeal, prefilled: staff → the intake form,
    citizens → the portal. The forms may read ``kind``, ``title`` and ``content`` as initial values."""
    query = urlencode({"kind": "consult", "title": question[:60], "content": question})
    name = "appeals:new" if services.is_staff_user(user) else "portal:submit"
    try:
        return f"{reverse(name)}?{query}"
    except NoReverseMatch:
        return f"{reverse('appeals:new')}?{query}"


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    question = request.GET.get("q", "").strip()
    context: dict[str, object] = {"q": question, "industries": Industry.objects.prefetch_related("cards")}
    if question:
        try:
            context["answer"] = services.ask(question, by=request.user, where="web")
            context["appeal_link"] = appeal_link(question, request.user)
        except ValidationError as exc:
            context["error"] = exc.messages[0]
    today = timezone.localdate()
    context["cards"] = Card.objects.servable(today).select_related("industry")
    return render(request, "assistant/index.html", context)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    question = request.GET.get("q", "").strip()
    answer = None
    if len(question) >= 2:
        try:
            answer = services.answer_question(question[: services.MAX_QUESTION])
        except ValidationError:
            answer = None
    return render(request, "assistant/_suggest.html", {"answer": answer, "q": question})


@login_required
@require_GET
def similar(request: HttpRequest, number: str) -> HttpResponse:
    appeal = visible_to(request.user).filter(number=number).first()
    if appeal is None:
        raise Http404(gettext("诉求不存在或您无权查看"))
    try:
        items = services.similar_for_appeal(appeal, by=request.user)
    except PermissionDenied:
        raise
    return render(request, "assistant/_similar.html", {"appeal": appeal, "items": items})


def _card_or_404(slug: str) -> Card:
    try:
        return services.servable_card(slug)
    except Card.DoesNotExist as exc:
        raise Http404(gettext("明白卡不存在或已失效")) from exc


@require_GET
def card(request: HttpRequest, slug: str) -> HttpResponse:
    obj = _card_or_404(slug)
    materials = [render_material(m) for m in obj.material_items()]
    fields = [(name, FIELD_LABELS[name], getattr(obj, name)) for name in ("summary", "conditions", "procedure", "time_limit", "fees")]
    return render(request, "assistant/card.html", {"card": obj, "materials": materials, "fields": fields})


@require_GET
def faq(request: HttpRequest, slug: str) -> HttpResponse:
    obj = Faq.objects.servable(timezone.localdate()).filter(slug=slug).first()
    if obj is None:
        raise Http404(gettext("常见问题不存在或未发布"))
    return render(request, "assistant/faq.html", {"faq": obj})


@require_http_methods(["GET", "POST"])
def precheck(request: HttpRequest, slug: str) -> HttpResponse:
    obj = _card_or_404(slug)
    result = None
    if request.method == "POST":
        names = [f.name or "" for f in request.FILES.getlist("files")]  # only names are read; nothing is stored
        names += [line.strip() for line in request.POST.get("names", "").splitlines() if line.strip()]
        if len(names) > MAX_FILES:
            return HttpResponse(gettext("一次最多预审%(n)d个文件。") % {"n": MAX_FILES}, status=400)
        _card, result = services.precheck_card(slug, names)
    template = "assistant/_precheck.html" if _is_fragment(request) else "assistant/precheck.html"
    return render(request, template, {"card": obj, "result": result, "materials": [render_material(m) for m in obj.material_items()]})


@kb_admin_required
@require_GET
def kb_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(kbio.export_yaml(), content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="minyi-kb.yaml"'
    return response


@kb_admin_required
@require_GET
def kb_card_markdown(request: HttpRequest, slug: str) -> HttpResponse:
    obj = Card.objects.filter(slug=slug).first()
    if obj is None:
        raise Http404(gettext("明白卡不存在"))
    response = HttpResponse(kbio.export_markdown(obj), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{obj.slug}.md"'
    return response


@kb_admin_required
@require_POST
def kb_import(request: HttpRequest) -> HttpResponse:
    from django.contrib import messages

    uploads = request.FILES.getlist("files")
    if not uploads:
        messages.error(request, gettext("请选择要导入的 YAML 或 Markdown 文件。"))
        return redirect("admin:assistant_card_changelist")
    for upload in uploads:
        try:
            text = upload.read().decode("utf-8")
            result = kbio.import_text(text, upload.name or "")
        except (UnicodeDecodeError, ValidationError) as exc:
            detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else gettext("文件不是 UTF-8 编码")
            messages.error(request, gettext("导入 %(name)s 失败：%(detail)s") % {"name": upload.name, "detail": detail})
        else:
            messages.success(request, gettext("已导入 %(name)s：%(summary)s") % {"name": upload.name, "summary": result.summary()})
    return redirect("admin:assistant_card_changelist")
