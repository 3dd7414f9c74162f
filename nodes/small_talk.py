"""Small talk: a greeting, a "how are you" or a goodbye, nothing else ("Kia ora! How's your day
going?", "Evening! How are you doing?", "Thanks, bye!"). The notes hold no answer to it, so the analyzer does not
retrieve for it: the embedding classifier sent 8 of 15 such messages, written to probe it, to
retrieval (twenty-ninth session), where they got "I have no note about that" or a quote from
whatever note was closest; and after a question a short "Hi!" was read as a follow-up of it
(nodes/rewrite.py). A message that asks anything more ("How's your garden doing?", "What's new
with you?", "Thanks! And where do you live now?") is not small talk.
"""

from __future__ import annotations

import re

from nodes.guards.refusals import pick_variant, prompt_variants

_GREETING = (r"(?:hi|hello|hey|heya|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|morning|afternoon"
             r"|evening|g'?day|kia ora|bonjour|hola|ciao|hej|hallo|salut|namaste)"
             r"(?:,?\s+(?:there|again|you|all|friend|mate|(?-i:[A-Z][a-z]+)))?")  # "Hi Sara": the twin by name
_WHEN = r"(?:\s+(?:today|tonight|so far|lately|these days|this (?:morning|afternoon|evening|week)))?"
_HOW_ARE_YOU = (
    r"how(?:'re| are)? (?:you|ya|u)(?: (?:doing|keeping|getting on|holding up|feeling))?" + _WHEN
    + r"|how(?:'s| is| has) (?:it|things|everything|life|your (?:day|week|weekend|morning|afternoon|evening|night))"
    r"(?: been(?: going| treating you)?| going| treating you)?" + _WHEN  # one way to match each: no blow-up
    + r"|how are things" + _WHEN + r"|how have (?:you|things) been" + _WHEN
    + r"|(?:are )?(?:you|ya) (?:alright|all right|ok|okay|well)" + _WHEN
    + r"|how do you do|nice to meet you(?: too)?|hope you(?:'re| are) (?:well|good|doing well)|[çc]a va"
)
_CLOSING = (r"(?:(?:ok|okay|great|cool|perfect|lovely)(?: thanks)?|thanks(?: a lot)?|thank you(?: (?:so|very) much)?"
            r"|many thanks|cheers|ta|bye(?: for now)?|goodbye|good ?night|night|talk (?:soon|later)"
            r"|see (?:you|ya)(?: (?:later|soon|around|tomorrow))?|take care"
            r"|have a (?:good|nice|great) (?:day|one|evening|night|weekend))")
_SMALL_TALK = re.compile(rf"^\W*(?:(?:{_GREETING}|{_HOW_ARE_YOU}|{_CLOSING})(?:\W+|$))+$", re.IGNORECASE)
_WORD = re.compile(r"\w")


def is_small_talk(text: str) -> bool:
    """Greetings, "how are you"s and goodbyes with nothing else in the message."""
    return bool(_WORD.search(text)) and bool(_SMALL_TALK.match(text.strip()))


KINDS = ("greeting", "how_are_you", "thanks", "goodbye")
_ASKED = re.compile(r"\bhow\b|\b(?:you|ya) (?:alright|all right|ok|okay|well)\b|[çc]a va", re.I)
_GOODBYE = re.compile(r"\b(?:bye|goodbye|good ?night|night|see (?:you|ya)|take care|talk (?:soon|later)|have a)\b", re.I)
_THANKS = re.compile(r"\b(?:thanks|thank you|cheers|ta)\b", re.I)


def small_talk_kind(text: str) -> str:
    """Which reply small talk wants: a "how are you", a goodbye, thanks or a greeting (in that order:
    "How's your night been?" asks how you are; "Great, how are you?" too)."""
    for kind, pattern in (("how_are_you", _ASKED), ("goodbye", _GOODBYE), ("thanks", _THANKS)):
        if pattern.search(text):
            return kind
    return "greeting"


def small_talk_reply(text: str, person: str) -> str:
    """An in-voice reply to small talk from ``prompts/small_talk.md``, the same for the same message."""
    variants = prompt_variants("small_talk", KINDS)[small_talk_kind(text)]
    return pick_variant(variants, text).format(person=person)
