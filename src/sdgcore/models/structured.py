"""Structured output: lenient JSON parsing, a schema check, and the re-ask message.

Model output is data, never code: it is parsed with :mod:`json` only, never evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}


def parse_json(text: str) -> Any:
    """The JSON value in ``text``: the whole text, a fenced block, or the first object/array
    in it. Raises :class:`ValueError` saying what was wrong."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError as exc:
        first_error = exc
    for block in _FENCE.findall(stripped):
        try:
            return json.loads(block.strip())
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for i, char in enumerate(stripped):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(stripped, i)
                return value
            except ValueError:
                continue
    if not stripped:
        raise ValueError("the reply is empty")
    raise ValueError(f"no JSON value found ({first_error})")


def schema_problems(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (type, properties, required, items, enum,
    additionalProperties: false); an empty list when it fits. A practical subset of JSON
    Schema, enough to catch a reply of the wrong shape."""
    problems: list[str] = []
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    if kinds:
        ok = any(isinstance(value, _TYPES.get(k, object)) and not (
            k in ("integer", "number") and isinstance(value, bool)) for k in kinds)
        if not ok:
            return [f"{path}: expected {' or '.join(kinds)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                problems.append(f"{path}.{name}: required key missing")
        for name, sub in props.items():
            if name in value:
                problems += schema_problems(value[name], sub, f"{path}.{name}")
        if schema.get("additionalProperties") is False:
            problems += [f"{path}.{k}: unexpected key" for k in value if k not in props]
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{path}[{i}]")
    return problems


def parse_structured(text: str, schema: Mapping[str, Any]) -> Any:
    """Parse ``text`` and check it against ``schema``; :class:`ValueError` if either fails."""
    value = parse_json(text)
    problems = schema_problems(value, schema)
    if problems:
        raise ValueError("; ".join(problems[:5]))
    return value


def schema_instruction(schema: Mapping[str, Any]) -> str:
    """The line added to a prompt when the backend cannot constrain output itself."""
    return ("Reply with only a JSON value, no other text, matching this JSON schema: "
            + json.dumps(schema, separators=(",", ":")))


def reask(messages: tuple[dict[str, Any], ...], reply: str, error: str,
          schema: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """``messages`` plus the unusable reply and a request to answer again, with the reason."""
    return (*messages, {"role": "assistant", "content": reply},
            {"role": "user", "content": f"That reply could not be used: {error}. "
                                        + schema_instruction(schema)})
