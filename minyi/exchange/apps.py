from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "minyi.exchange"
    verbose_name = "上级平台对接"

    def ready(self) -> None:
        from minyi.exchange import outgoing

        outgoing.connect()
