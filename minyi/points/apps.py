from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "minyi.points"
    verbose_name = "点位码与服务网点"

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from minyi.workflow.models import NOTE_LABELS

        # The notes this app writes on an appeal's timeline, named like the others.
        NOTE_LABELS.setdefault("point_report", gettext_noop("扫码反映"))
        NOTE_LABELS.setdefault("point_reward", gettext_noop("随手拍奖励认定"))
