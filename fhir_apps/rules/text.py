"""The building blocks of the rules: unsafe text, URLs that hide their target, display names,
repeated values. Every other rules module builds on these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import urlsplit

from fhir_apps.fhir_constants import RESOURCE_APP_KEY
from fhir_apps.safeio.text import first_unsafe, shown

__all__ = [
    "MAX_DISPLAY_NAME_LENGTH",
    "case_insensitive_duplicates",
    "display_name_problem",
    "duplicate_indices",
    "punycode",
    "reserved_client_key_problem",
    "unsafe_text_problem",
]
# joined, not_ascii_problem and url_problems are helpers of the other rules modules, which
# import them by name; they are no rules of their own, so the package does not re-export them.

# Entra's limit on an application's displayName.
MAX_DISPLAY_NAME_LENGTH: Final = 256


def joined(values: Iterable[str]) -> str:
    """Values as a message lists them."""
    return ", ".join(values)


def unsafe_text_problem(text: str) -> str | None:
    """A line break, control or bidi character (safeio.text's one definition) in `text`.

    They hide or reorder what a reviewer reads in the YAML, the portal and consent prompts.
    """
    code = first_unsafe(text)
    if code is None:
        return None
    return (
        f"must not contain {code} (a line-break, control or bidi character): it hides or "
        "reorders what a reviewer reads; remove it"
    )


def punycode(host: str) -> str | None:
    """The ASCII (punycode, `xn--`) form of an internationalized host, or None if it has none."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def not_ascii_problem(host: str) -> str | None:
    """A host written in Unicode: it can look like another host (a homograph), and Entra and
    the token's audience compare the ASCII form, so the config says that form."""
    if host.isascii():
        return None
    ascii_form = punycode(host)
    fix = f"write {ascii_form}" if ascii_form else "write its punycode (xn--) form"
    return f"'{shown(host)}' is not ASCII; {fix}"


def url_problems(uri: str) -> list[str]:
    """What hides a URL's real target: unsafe characters, a backslash, user information, a
    Unicode host. Nothing of the user information is echoed (it may hold a password)."""
    problem = unsafe_text_problem(uri)
    if problem:
        return [problem]
    problems: list[str] = []
    if "\\" in uri:
        problems.append(
            "must not contain a backslash: browsers read '\\' as '/', so the URL goes "
            "somewhere else than it reads; use '/'"
        )
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return problems  # the caller reports a URI it cannot parse
    if "@" in parts.netloc:
        problems.append(
            "must not contain user information (text and '@' before the host): the browser "
            "goes to the host after the '@', not to the one the URL starts with; remove it"
        )
    elif host:
        problem = not_ascii_problem(host)
        if problem:
            problems.append(f"host {problem}")
    return problems


def display_name_problem(name: str) -> str | None:
    """An application's display name: at most 256 characters, nothing unsafe."""
    problem = unsafe_text_problem(name)
    if problem:
        return problem
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        return (
            f"is {len(name)} characters long; Entra allows at most {MAX_DISPLAY_NAME_LENGTH} "
            "in a display name"
        )
    return None


def duplicate_indices(values: Sequence[str]) -> list[int]:
    """Indices of values that repeat an earlier one exactly (comparison is case-sensitive)."""
    seen: set[str] = set()
    repeats = []
    for index, value in enumerate(values):
        if value in seen:
            repeats.append(index)
        seen.add(value)
    return repeats


def case_insensitive_duplicates(values: Sequence[str]) -> list[tuple[int, str]]:
    """(index, earlier value) for each value equal to an earlier *different* one but for case."""
    first: dict[str, str] = {}
    found = []
    for index, value in enumerate(values):
        earlier = first.setdefault(value.casefold(), value)
        if earlier != value:
            found.append((index, earlier))
    return found


def reserved_client_key_problem(key: str) -> str | None:
    """The FHIR resource app's key (RESOURCE_APP_KEY) names its resources; no client takes it."""
    if key != RESOURCE_APP_KEY:
        return None
    return f"client key '{key}' is reserved for the FHIR resource app"
