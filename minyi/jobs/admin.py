from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from minyi.jobs import services
from minyi.jobs.models import Job, JobState, PeriodicLock


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ("id", "topic", "state", "attempts", "created_at", "available_at", "short_error")
    list_filter = ("state", "topic")
    search_fields = ("topic", "last_error")
    readonly_fields = [f.name for f in Job._meta.fields]
    actions = ["retry", "discard"]

    @admin.display(description="最近错误")
    def short_error(self, job: Job) -> str:
        return job.last_error.splitlines()[-1][:120] if job.last_error else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="重试所选失败任务")
    def retry(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        n = services.retry_jobs(list(queryset.values_list("pk", flat=True)), by=request.user)
        self.message_user(request, f"已重新排队 {n} 个任务", messages.SUCCESS)

    @admin.action(description="放弃所选失败任务")
    def discard(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        n = services.discard_jobs(list(queryset.filter(state=JobState.DEAD).values_list("pk", flat=True)), by=request.user)
        self.message_user(request, f"已放弃 {n} 个任务", messages.SUCCESS)


@admin.register(PeriodicLock)
class PeriodicLockAdmin(admin.ModelAdmin[PeriodicLock]):
    list_display = ("name", "last_run_at", "last_ok", "holder", "until")
    readonly_fields = ("name", "holder", "until", "last_run_at", "last_ok", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
