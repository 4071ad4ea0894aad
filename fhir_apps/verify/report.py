"""What verify found: per check a status and one line, per client its checks and waits.

`fail` fails the run (exit 1); `skip` says what could not be checked here and why; `warn` is
worth acting on soon (a secret about to end); `info` is for the reader (the authorize URL).
Every line is built from `shown()` text and names no secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Check", "ClientReport", "Report", "Status"]

Status = Literal["ok", "fail", "skip", "warn", "info"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


@dataclass
class ClientReport:
    """One client (or the server, key `server`): its checks and the waits retries took."""

    key: str
    kind: str
    credential: str | None = None
    platform: str | None = None  # public clients: spa, mobile or desktop
    checks: list[Check] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)

    def add(self, name: str, status: Status, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    @property
    def status(self) -> str:
        states = {check.status for check in self.checks}
        if "fail" in states:
            return "failed"
        if "ok" in states or "warn" in states:
            return "ok"
        return "skipped"

    def failures(self) -> list[str]:
        return [f"{self.key}: {c.detail}" for c in self.checks if c.status == "fail"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "platform": self.platform,
            "credentialType": self.credential,
            "status": self.status,
            "checks": [check.as_dict() for check in self.checks],
            "waits": list(self.waits),
        }


@dataclass
class Report:
    stack: str
    environment: str
    server_kind: str
    fhir_url: str | None
    server: ClientReport
    clients: list[ClientReport] = field(default_factory=list)

    def failures(self) -> list[str]:
        lines = self.server.failures()
        for client in self.clients:
            lines += client.failures()
        return lines

    @property
    def ok(self) -> bool:
        return not self.failures()

    def as_json(self) -> str:
        document = {
            "stack": self.stack,
            "environment": self.environment,
            "ok": self.ok,
            "server": {
                "kind": self.server_kind,
                "url": self.fhir_url,
                "checks": [check.as_dict() for check in self.server.checks],
                "waits": list(self.server.waits),
            },
            "clients": [client.as_dict() for client in self.clients],
            "failures": self.failures(),
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def as_text(self) -> str:
        lines = [
            f"verify stack {self.stack} (environment {self.environment}): {self.server_kind} "
            f"FHIR server {self.fhir_url or '(no URL)'}"
        ]
        for part in (self.server, *self.clients):
            about = ", ".join(x for x in (part.kind, part.platform, part.credential) if x)
            heading = part.key if part.key == "server" else f"{part.key} ({about})"
            lines.append(f"  {heading}")
            # The waits came first: the checks shown are those of the last attempt.
            lines += [f"    wait  {wait}" for wait in part.waits]
            lines += [f"    {c.status:<5} {c.name}: {c.detail}" for c in part.checks]
        lines.append(self._summary())
        return "\n".join(lines) + "\n"

    def _summary(self) -> str:
        count = {"ok": 0, "failed": 0, "skipped": 0}
        for client in self.clients:
            count[client.status] += 1
        failures = len(self.failures())
        verdict = "OK" if not failures else f"FAILED ({failures} failure{'s' * (failures != 1)})"
        return (
            f"{verdict}: {len(self.clients)} client(s): {count['ok']} ok, {count['failed']} "
            f"failed, {count['skipped']} skipped"
        )
