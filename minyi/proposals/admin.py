from django.contrib import admin

from minyi.proposals.models import CoHandler, Consultation, Proposal


class CoHandlerInline(admin.TabularInline[CoHandler, Proposal]):
    model = CoHandler
    extra = 0
    readonly_fields = ("department", "opinion", "submitted_at", "submitted_by")
    can_delete = False


class ConsultationInline(admin.TabularInline[Consultation, Proposal]):
    model = Consultation
    extra = 0
    readonly_fields = ("held_on", "place", "participants", "summary", "recorded_by", "created_at")
    can_delete = False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin[Proposal]):
    """Read-only: proposals change through the desk's actions, which keep the audit trail."""

    list_display = ("__str__", "year", "proposer_group", "classification", "assigned_on")
    list_filter = ("year", "kind", "classification")
    search_fields = ("appeal__title", "appeal__number")
    exclude = ("proposer_phone",)
    readonly_fields = [f.name for f in Proposal._meta.fields if f.name != "proposer_phone"]
    inlines = [CoHandlerInline, ConsultationInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
