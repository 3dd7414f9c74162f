"""Turn a runner result into what the panels show: card summaries, trace tables, source rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from twin.config import NODE_NAMES

if TYPE_CHECKING:
    from graph.result import TurnResult

VERDICT_STYLE = {"pass": "green", "redacted": "yellow", "blocked": "bold red", "skipped": "dim"}
NODE_ORDER = ("analyze", "retrieve", "generate", "judge")


def one_line(text: str, limit: int) -> str:
    """``text`` as one line (a pasted question's line breaks become spaces), cut to ``limit``
    characters with an ellipsis: labels and captions stay one row each."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def total_ms(result: TurnResult) -> float:
    return sum(float(v) for v in result.get("timings_ms", {}).values())


def seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def short_model(label: str) -> str:
    """"/long/path/SmolLM2-135M.gguf + 1 adapter(s)" -> "SmolLM2-135M.gguf + 1 adapter(s)"."""
    name, plus, rest = label.partition(" + ")
    return name.rstrip("/").rsplit("/", 1)[-1] + (plus + rest if plus else "")


def model_line(result: TurnResult) -> str:
    """Which weights answered, and whether the persona adapter was in play."""
    gen = result.get("decisions", {}).get("generate", {})
    toggles = result.get("toggles", {})
    label = short_model(str(gen.get("model", "?")))
    if not toggles.get("adapter", True):
        return f"{label} · base model (adapter switched off)"
    if gen.get("adapter"):
        return f"{label} · persona adapter on"
    return f"{label} · no adapter trained"


def answered_by_base(result: TurnResult) -> bool:
    return not result.get("toggles", {}).get("adapter", True)


def card_summary(result: TurnResult) -> str:
    """One line under an answer: route, sources, verdict, time."""
    verdict = result.get("judge", {}).get("verdict", "skipped")
    n = len(result.get("sources", []))
    parts = [
        f"route {result.get('route') or '?'}",
        f"{n} source{'s' if n != 1 else ''}",
        f"judge {verdict}",
        seconds(total_ms(result)),
    ]
    if answered_by_base(result):
        parts.append("base model")
    return " · ".join(parts)


def toggles_text(toggles: dict[str, bool]) -> Text:
    off = [n for n in NODE_NAMES if not toggles.get(n, True)]
    if not off:
        return Text("all nodes on", style="green")
    return Text("off: " + ", ".join(off), style="red")


def _kv(table: Table, key: str, value: Any) -> None:
    table.add_row(Text(key, style="bold"), value if isinstance(value, Text) else Text(str(value)))


SHOWN_ELSEWHERE = {"route", "score", "by", "query", "input_flags", "model"}


def _value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _decision_text(decision: Any) -> Text:
    if not isinstance(decision, dict):
        return Text(str(decision), style="dim")
    rows = [f"{k}: {_value(v)}" for k, v in decision.items() if k not in SHOWN_ELSEWHERE]
    return Text("\n".join(rows), style="dim")


def timings_text(result: TurnResult) -> Text:
    timings = result.get("timings_ms", {})
    nodes = [n for n in NODE_ORDER if n in timings] + [n for n in timings if n not in NODE_ORDER]
    text = Text()
    for node in nodes:
        text.append(f"{node:<9}{seconds(float(timings[node])):>8}\n")
    text.append(f"{'total':<9}{seconds(total_ms(result)):>8}", style="bold")
    return text


def trace_renderable(result: TurnResult) -> Any:
    """The full trace of one answer as a key/value grid."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    decisions = result.get("decisions", {})
    analyze = decisions.get("analyze", {})
    route = Text(result.get("route") or "?", style="bold")
    if analyze:
        route.append(f"  p={analyze.get('score', 0):.2f} by {analyze.get('by', '?')}", style="dim")
    rerouted = decisions.get("judge", {}).get("rerouted")
    if rerouted:
        route.append(f"  (analyzer: {analyze.get('route', '?')}; judge: {rerouted})", style="yellow")
    _kv(table, "route", route)
    _kv(table, "query", result.get("query") or "")
    _kv(table, "model", model_line(result))
    judge = result.get("judge", {})
    verdict = judge.get("verdict", "skipped")
    _kv(table, "judge", Text(verdict, style=VERDICT_STYLE.get(verdict, "")))
    for reason in judge.get("reasons", []):
        _kv(table, "", Text(f"• {reason}", style="yellow"))
    if result.get("answered_by"):
        answered = Text(result["answered_by"], style="bold")
        why = decisions.get("judge", {}).get("why")
        if why:
            answered.append(f"  ({why})", style="dim")
        _kv(table, "answered", answered)
    if result.get("input_flags"):
        _kv(table, "input", Text(", ".join(result["input_flags"]), style="yellow"))
    _kv(table, "time", timings_text(result))
    _kv(table, "nodes", toggles_text(result.get("toggles", {})))
    for node in ("retrieve", "generate"):
        text = _decision_text(decisions.get(node, {}))
        if text.plain:
            _kv(table, node, text)
    return table


def traces_renderable(results: list[tuple[str, dict[str, Any]]]) -> Any:
    """One or two traces (compare mode), stacked."""
    parts: list[Any] = []
    for label, result in results:
        if parts:
            parts.append(Text(""))
        if label:
            parts.append(Text(f" {label} ", style="bold reverse"))
        parts.append(trace_renderable(result))
    return Group(*parts)


def source_prompt(index: int, source: dict[str, Any]) -> Text:
    """A source row: title; date, score and file; the heading path inside the note; why a rule
    put it first, when one did ("the newest note on where you live")."""
    title = source.get("title") or source.get("path", "?")
    text = Text()
    text.append(f"{index}. ", style="dim")
    text.append(title, style="bold")
    text.append(f"\n   {source.get('date', '?')}  score {float(source.get('score', 0)):.2f}", style="cyan")
    text.append(f"  {source.get('path', '')}", style="dim")
    heading = (source.get("heading") or "").removeprefix(title).removeprefix(" > ").strip()
    if heading:
        text.append(f"\n   § {heading}", style="italic")
    if source.get("why"):
        text.append(f"\n   ↑ {source['why']}", style="green")
    return text
