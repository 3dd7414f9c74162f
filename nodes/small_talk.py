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

_GREETING = (r"(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|morning|afternoon|evening"
             r"|g'?day|kia ora|bonjour|hola|ciao|hej|hallo|salut|namaste)(?:\s+(?:there|again|you|all|friend|mate))?")
_WHEN = r"(?:\s+(?:today|tonight|so far|lately|these days|this (?:morning|afternoon|evening|week)))?"
_HOW_ARE_YOU = (
    r"how(?:'re| are) (?:you|ya|u)(?: (?:doing|keeping|getting on|holding up|feeling))?" + _WHEN
    + r"|how(?:'s| is| has) (?:it|things|everything|life|your (?:day|week|weekend|morning|afternoon|evening|night))"
    r"(?: been)?(?: (?:going|treating you|been))?" + _WHEN
    + r"|how are things" + _WHEN + r"|how have (?:you|things) been" + _WHEN
    + r"|(?:are )?(?:you|ya) (?:alright|all right|ok|okay|well)" + _WHEN
    + r"|how do you do|nice to meet you|hope you(?:'re| are) (?:well|good|doing well)|ça va"
)
_CLOSING = (r"(?:thanks|thank you(?: (?:so|very) much)?|many thanks|cheers|ta|bye(?: for now)?|goodbye|good ?night"
            r"|see (?:you|ya)(?: (?:later|soon|around))?|take care|have a (?:good|nice|great) (?:day|one|evening|weekend))")
_SMALL_TALK = re.compile(rf"^\W*(?:(?:{_GREETING}|{_HOW_ARE_YOU}|{_CLOSING})(?:\W+|$))+$", re.IGNORECASE)
_WORD = re.compile(r"\w")


def is_small_talk(text: str) -> bool:
    """Greetings, "how are you"s and goodbyes with nothing else in the message."""
    return bool(_WORD.search(text)) and bool(_SMALL_TALK.match(text.strip()))
