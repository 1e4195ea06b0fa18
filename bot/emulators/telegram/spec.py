"""The official Bot API method table and request-parameter checking.

``bot_api_spec.json`` is a compacted copy of the machine-readable Bot API spec
(``bot-api-10.1.json`` from PaulSonOfLars/telegram-bot-api-spec, MIT licensed, see
``LICENSE-bot-api-spec`` next to it) with the descriptions dropped. Regenerate it with::

    python -m bot.emulators.telegram.spec /path/to/bot-api-X.json

Every request is checked against it: unknown methods are rejected, required parameters
must be present and values are decoded to the spec's types (PTB sends form fields whose
non-string values are JSON-encoded, e.g. ``chat_id=42`` or ``reply_markup={"inline_keyboard":...}``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.emulators.telegram.errors import bad_request

SPEC_PATH = Path(__file__).with_name("bot_api_spec.json")

#: Telegram's wording when a required parameter is missing; default is ``"<name> is empty"``.
MISSING_PARAMETER_TEXT: dict[str, str] = {
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "document": "there is no document in the request",
    "photo": "there is no photo in the request",
    "callback_query_id": "QUERY_ID_INVALID",
}

#: Parameters for which an empty string is a meaningful value (``setWebhook(url="")`` removes it).
EMPTY_ALLOWED: frozenset[str] = frozenset({"url"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One parameter of a method: its name, allowed spec types and whether it is required."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One Bot API method as the spec describes it."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BotApiSpec:
    """The whole method table, looked up case-insensitively like Telegram does."""

    version: str
    methods: dict[str, MethodSpec]

    def lookup(self, method: str) -> MethodSpec | None:
        """Returns the method named ``method`` (any letter case) or ``None``."""
        return self.methods.get(method.lower())


@cache
def load_spec(path: Path = SPEC_PATH) -> BotApiSpec:
    """Loads (once) the compact spec shipped with the package."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    methods = {
        name.lower(): MethodSpec(
            name=name,
            fields={f[0]: FieldSpec(f[0], tuple(f[1]), bool(f[2])) for f in body["fields"]},
            returns=tuple(body["returns"]),
        )
        for name, body in raw["methods"].items()
    }
    return BotApiSpec(version=raw["version"], methods=methods)


def decode_params(method: MethodSpec, raw: dict[str, Any], check_required: bool = True) -> dict[str, Any]:
    """Decodes request parameters to the spec's types and checks the required ones.

    Args:
        method: The method being called.
        raw: Parameters as received: strings from form/multipart bodies, JSON values from
            JSON bodies, or uploaded files (left untouched).
        check_required: Whether a missing required parameter is an error.

    Returns:
        The parameters with integers, booleans, floats and JSON objects decoded.
        Parameters unknown to the spec (e.g. the legacy ``reply_to_message_id``) are
        passed through undecoded.

    Raises:
        ApiError: 400 with Telegram's wording for a missing or undecodable parameter.
    """
    params: dict[str, Any] = {k: v for k, v in raw.items() if k not in method.fields}
    for name, field in method.fields.items():
        value = raw.get(name)
        if value is None or (value == "" and name not in EMPTY_ALLOWED):
            if check_required and field.required:
                raise bad_request(MISSING_PARAMETER_TEXT.get(name, f"{name} is empty"))
            continue
        params[name] = _decode(field, value)
    return params


def _decode(field: FieldSpec, value: Any) -> Any:
    """Decodes one value according to the first spec type it fits."""
    if not isinstance(value, str):
        return value  # already typed (JSON body) or an uploaded file
    types = field.types
    if "Integer" in types:
        try:
            return int(value)
        except ValueError:
            if "String" in types:
                return value
            raise bad_request(f"invalid {field.name} specified") from None
    if "Float" in types:
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"invalid {field.name} specified") from None
    if "Boolean" in types:
        return value.lower() in ("true", "1")
    if "String" in types:
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise bad_request(f"can't parse {field.name} JSON object") from None


def compact_spec(source: Path, target: Path = SPEC_PATH) -> None:
    """Writes the compact form of a full ``bot-api-*.json`` spec (descriptions dropped)."""
    full = json.loads(source.read_text(encoding="utf-8"))

    def fields(item: dict[str, Any]) -> list[list[Any]]:
        return [[f["name"], f["types"], f["required"]] for f in item.get("fields", [])]

    out = {
        "version": full["version"],
        "release_date": full["release_date"],
        "source": "Compacted from bot-api-10.1.json (PaulSonOfLars/telegram-bot-api-spec, MIT, "
        "see LICENSE-bot-api-spec): descriptions dropped.",
        "methods": {n: {"returns": m.get("returns", []), "fields": fields(m)} for n, m in full["methods"].items()},
        "types": {
            n: {k: v for k, v in {"fields": fields(t), "subtypes": t.get("subtypes")}.items() if v}
            for n, t in full["types"].items()
        },
    }
    target.write_text(json.dumps(out, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    compact_spec(Path(sys.argv[1]))
