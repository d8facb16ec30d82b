"""Translation catalogs: both languages say the same things, with the same blanks."""

from __future__ import annotations

import string

from liveroom.i18n import LANGUAGES, catalog, language_from_query, translate


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
