"""Translation catalogs: both languages say the same things, with the same blanks."""

from __future__ import annotations

import string

from liveroom.domain.errors import IllegalTransition, InvalidCommand
from liveroom.i18n import LANGUAGES, catalog, language_from_query, refusal, translate


def blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_every_language_with_the_same_blanks():
    indonesian = catalog("id")
    for lang in LANGUAGES:
        assert set(catalog(lang)) == set(indonesian), lang
        for key, text in catalog(lang).items():
            assert blanks(text) == blanks(indonesian[key]), key
            assert text.strip(), key


def test_language_comes_from_the_address_and_defaults_to_indonesian():
    assert language_from_query("?lang=en") == "en"
    assert language_from_query("?lang=fr") == "id" == language_from_query(None)
    assert translate("home.feed", "en") == "Latest reports"
    assert translate("home.feed", "xx") == "Laporan terbaru"


def test_refusals_are_said_in_the_screens_language_with_their_values():
    from liveroom.access import Action
    from tests.conftest import person

    operator = person("opi", "operator")
    try:
        operator.check(Action.REASSIGN, "damkar")
    except Exception as exc:
        assert refusal(exc, "id") == "Anda tidak berwenang mengalihkan tugas."
        assert refusal(exc, "en") == "You may not reassign tasks."
    moved = IllegalTransition("incident X is assigned; it cannot become resolved",
                              incident="X", status="assigned", target="resolved")
    assert refusal(moved, "id") == "Laporan X berstatus Ditugaskan; tidak bisa menjadi " \
        "Selesai ditangani."
    reason = InvalidCommand("reassigning incident X needs a reason", rule="reassign_reason",
                            incident="X")
    assert (reason.code, refusal(reason, "id")) == ("reassign_reason", "Pengalihan X perlu alasan.")
    plain = InvalidCommand("unknown category 'x'")  # no entry for it: its own words
    assert refusal(plain, "id") == "unknown category 'x'"
