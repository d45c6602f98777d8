from minyi.core.templatetags.minyi import isotime


def test_isotime_shows_utc_metadata_in_shanghai_time() -> None:
    assert isotime("2026-12-01T18:30:00+00:00") == "2026-12-02 02:30"


def test_isotime_leaves_what_it_cannot_place_alone() -> None:
    assert isotime(None) == ""
    assert isotime("") == ""
    assert isotime("not a time") == "not a time"
    assert isotime("2026-12-01T18:30:00") == "2026-12-01T18:30:00"  # naive: no zone to convert from
