from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "minyi.proposals"
    verbose_name = "建议提案"

    def ready(self) -> None:
        from minyi.proposals import deadlines, hooks, services
        from minyi.workflow import services as wf
        from minyi.workflow import sla
        from minyi.workflow.models import NOTE_LABELS

        for event, label in services.NOTE_LABELS.items():
            NOTE_LABELS.setdefault(event, label)

        if deadlines.proposal_deadline not in sla.FIXED_DEADLINES:
            sla.FIXED_DEADLINES.append(deadlines.proposal_deadline)
        if hooks.on_transition not in wf.AFTER_TRANSITION:
            wf.AFTER_TRANSITION.append(hooks.on_transition)
