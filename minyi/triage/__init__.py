"""AI-assisted dispatch (智能派单) for 12345 appeals, usable without Django.

Import the submodules you need (``minyi.triage.model``, ``.suggest``,
``.pii``, ``.urgency``, ``.routing``, ``.dedup``, ``.cli``); this package
module stays empty so that importing the Django app does not pull in numpy
or load a model.
"""
