"""Entra's rules for client credentials: secret lifetimes under the rotation scheme, federated
identity credentials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from fhir_apps.rules.text import url_problems

__all__ = [
    "MAX_FEDERATED_CREDENTIALS",
    "MAX_SECRET_LIFETIME_DAYS",
    "SECRET_SLOTS_LIFETIME_FACTOR",
    "federated_audiences_problem",
    "federated_count_problem",
    "federated_issuer_problem",
    "federated_subject_problem",
    "public_client_credential_problem",
    "secret_lifetime_problem",
    "secret_rotation_problem",
]

MAX_FEDERATED_CREDENTIALS: Final = 20
# Entra's hard ceiling for a client secret: 24 months.
MAX_SECRET_LIFETIME_DAYS: Final = 730
# Zero-downtime rotation keeps two secrets (slots) whose rotations are staggered by one period, so
# each one lives for two rotation periods.
SECRET_SLOTS_LIFETIME_FACTOR: Final = 2


def secret_rotation_problem(rotation_days: int, max_lifetime_days: int) -> str | None:
    """Each of two staggered secret slots lives two rotation periods; that must fit the policy."""
    lifetime = rotation_days * SECRET_SLOTS_LIFETIME_FACTOR
    if lifetime <= max_lifetime_days:
        return None
    return (
        f"rotationDays {rotation_days} gives each secret a lifetime of {lifetime} days (two "
        f"staggered slots each live two rotation periods), more than "
        f"policy.maxSecretLifetimeDays {max_lifetime_days}; use at most "
        f"{max_lifetime_days // SECRET_SLOTS_LIFETIME_FACTOR}"
    )


def secret_lifetime_problem(lifetime_days: float, max_lifetime_days: int) -> str | None:
    """A secret's lifetime (end date minus start date, in days) against the policy and Entra."""
    ceiling = min(max_lifetime_days, MAX_SECRET_LIFETIME_DAYS)
    if lifetime_days <= ceiling:
        return None
    return (
        f"secret lifetime of {lifetime_days:g} days exceeds {ceiling} days (the tenant policy, "
        f"and Entra's ceiling of {MAX_SECRET_LIFETIME_DAYS}); prefer a certificate or a "
        "federated credential"
    )


def federated_issuer_problem(issuer: str) -> str | None:
    """A federated credential's issuer is an https URL."""
    hidden = url_problems(issuer)
    if hidden:
        return hidden[0]
    try:
        parts = urlsplit(issuer)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        return (
            "must be an https URL, e.g. https://token.actions.githubusercontent.com for GitHub "
            "Actions"
        )
    return None


def federated_subject_problem(subject: str) -> str | None:
    """A federated credential's subject identifies the external workload."""
    if not subject.strip():
        return "must not be empty; e.g. repo:contoso/ingest:environment:prod"
    return None


def federated_count_problem(count: int) -> str | None:
    """Entra's limit on federated identity credentials per application."""
    if count == 0:
        return "needs at least one subject (subject or subjects)"
    if count > MAX_FEDERATED_CREDENTIALS:
        return (
            f"has {count} subjects; Entra allows at most {MAX_FEDERATED_CREDENTIALS} federated "
            "credentials per application"
        )
    return None


def federated_audiences_problem(audiences: Sequence[str]) -> str | None:
    """Entra accepts exactly one audience on a federated identity credential."""
    if len(audiences) != 1:
        return (
            f"must hold exactly one audience (got {len(audiences)}); the usual value is "
            "api://AzureADTokenExchange"
        )
    return None


def public_client_credential_problem(has_credential: bool) -> str | None:
    """A public client (SPA, mobile or desktop app) runs where no secret stays secret."""
    if not has_credential:
        return None
    return (
        "public clients cannot keep a secret, so they have no credential of any kind; remove "
        "it, or use kind confidential if the app runs on a server"
    )
