"""Input side of the guardrails: screen the question, frame retrieved notes as data.

``screen_input`` returns flags for the analyze node to store in ``state["input_flags"]``:

- ``prompt_injection``: the question tries to override the twin's instructions;
- ``jailbreak``: DAN-style personas, "no restrictions", developer mode, ...;
- ``sysprompt_extraction``: asks for the system prompt, the notes verbatim, ...;
- ``secret_request``: asks for private notes, codes, passwords, bank or ID numbers;
- ``obfuscation`` / ``roleplay``: asks to encode, reverse or spell, or to play a role
  (not refused on their own; they make the output checks stricter);
- ``off_limits:<topic>``: the question is about a topic in ``judge.off_limits_topics``.

The judge refuses, in the owner's voice, questions with a blocking flag (see
``judge.on_injection``) and any off-limits question.
"""

from __future__ import annotations

from nodes.context import TwinContext
from nodes.guards.frame import wrap_notes_as_data
from nodes.guards.runtime import judge_for

__all__ = ["screen_input", "wrap_notes_as_data"]


def screen_input(ctx: TwinContext, question: str) -> list[str]:
    """Flags for ``question`` ([] when nothing is suspicious). Cached per question."""
    return judge_for(ctx).screen(question)
