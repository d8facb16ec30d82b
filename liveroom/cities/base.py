"""What every model of a city pack is built from: the frozen base model, slugs and texts
in Indonesian and English (`cities.model` and `cities.dispatch` share them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG)]
Text = Annotated[str, Field(min_length=1)]
#: an answer to a category's question: one value, or several (a multivaluelist)
Answer = str | list[str]
MAX_WORKING_DAYS = 60  # about three months: a longer SLA is a typing mistake


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class LocalizedText(_Model):
    """Text in Indonesian (`id`, the default) and English (`en`)."""

    id: Text
    en: Text

    def get(self, lang: str) -> str:
        """The text in `lang` ("id", "en", "en-GB", ...), falling back to Indonesian."""
        return self.en if lang.split("-")[0].lower() == "en" else self.id
