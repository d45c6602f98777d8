from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "minyi.workflow"
    verbose_name = "流程与时限"
