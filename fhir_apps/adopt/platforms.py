"""Redirect URIs and web URLs of an adopted app: the ones the config keeps, and a finding for
each one the first `pulumi up` removes (a URI Entra's rules refuse, or on a platform the
client's kind does not use)."""

from __future__ import annotations

from collections.abc import Sequence

from fhir_apps import rules
from fhir_apps.adopt.classify import redirect_uris
from fhir_apps.adopt.context import App, Context
from fhir_apps.safeio.text import shown

__all__ = ["fallback", "other_platforms", "redirects", "web_urls"]


def redirects(ctx: Context, app: App, source: str, platform: str) -> list[str]:
    """The redirect URIs of Graph platform `source` that the rules accept for `platform`."""
    kept = []
    for uri in redirect_uris(app, source):  # type: ignore[arg-type]
        problems = rules.redirect_uri_problems(uri, platform)
        if problems:
            ctx.add(
                app,
                f"{source}.redirectUris",
                f"'{shown(uri)}' {'; '.join(problems)}: adoption removes it from the app",
                change=True,
            )
        else:
            kept.append(uri)
    return sorted(set(kept))


def web_urls(ctx: Context, app: App, *, keep: bool) -> dict[str, str]:
    """`homepageUrl`/`logoutUrl` a web client keeps; any other app's are removed (reported)."""
    web = app.get("web") or {}
    kept: dict[str, str] = {}
    for graph_name, config_name in (("homePageUrl", "homepageUrl"), ("logoutUrl", "logoutUrl")):
        url = web.get(graph_name)
        if not url:
            continue
        problems = rules.redirect_uri_problems(url, "web") if keep else []
        if keep and not problems:
            kept[config_name] = url
        elif keep:
            message = f"'{shown(url)}' {'; '.join(problems)}: removed"
            ctx.add(app, f"web.{graph_name}", message, change=True)
        else:
            message = f"'{shown(url)}' is removed: only web clients keep one"
            ctx.add(app, f"web.{graph_name}", message, change=True)
    return kept


def other_platforms(ctx: Context, app: App, platforms: Sequence[str]) -> None:
    for platform in platforms:
        for uri in redirect_uris(app, platform):  # type: ignore[arg-type]
            ctx.add(
                app,
                f"{platform}.redirectUris",
                f"'{shown(uri)}' is removed: a client has one platform in the config, and this "
                "app is adopted as another",
                change=True,
            )


def fallback(ctx: Context, app: App) -> None:
    if app.get("isFallbackPublicClient"):
        ctx.add(
            app,
            "isFallbackPublicClient",
            "is true; adoption sets it to false (only mobile and desktop clients keep it)",
            change=True,
        )
