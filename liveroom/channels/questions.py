"""A category's required questions (its Open311 attributes) asked in a chat: a list's
values numbered ("2", or "1,3" where several may be picked), other answers typed."""

from __future__ import annotations

import re

from liveroom.cities.model import LISTS, Answer, Attribute, Category
from liveroom.i18n import translate


def pending(category: Category, answers: dict[str, Answer]) -> Attribute | None:
    """The first required question not answered yet."""
    return next((a for a in category.attributes if a.required and a.code not in answers),
                None)


def ask(attribute: Attribute, lang: str) -> str:
    question = attribute.description.get(lang)
    if attribute.datatype not in LISTS:
        return question
    choices = "\n".join(f"{n}. {name.get(lang)}"
                        for n, name in enumerate(attribute.values.values(), 1))
    key = "chat.question_many" if attribute.datatype == "multivaluelist" else "chat.question"
    return translate(key, lang, question=question, choices=choices)


def understood(attribute: Attribute, text: str) -> Answer | None:
    """The answer `text` gives, checked as the citizen page checks it; None if it gives none."""
    answer: Answer = text.strip()
    if attribute.datatype in LISTS:
        codes = list(attribute.values)
        picked = [codes[int(n) - 1] for n in re.findall(r"\d+", text) if 0 < int(n) <= len(codes)]
        if not picked:
            return None
        answer = picked if attribute.datatype == "multivaluelist" else picked[0]
    try:
        return attribute.check(answer)
    except ValueError:
        return None
