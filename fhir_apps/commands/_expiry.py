"""The secret expiry warning of `check` and `render`: its arguments and its lines.

Kept apart from both commands so that they say the same thing the same way (see
`fhir_apps.secret_schedule.expiry_warnings` for what is judged and why).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fhir_apps.commands._target import iso_date

if TYPE_CHECKING:
    from fhir_apps.spec.model import Spec

__all__ = ["add_expiry_arguments", "print_expiry_warnings", "warn_days"]


def warn_days(text: str) -> int:
    """An argparse type for `--warn-days N`: a whole number of days, 0 to 730."""
    try:
        days = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if not 0 <= days <= 730:
        raise argparse.ArgumentTypeError(f"must be 0 to 730 days, got {days}")
    return days


def add_expiry_arguments(parser: argparse.ArgumentParser, *, last_up: bool) -> None:
    parser.add_argument(
        "--warn-days",
        type=warn_days,
        metavar="N",
        help="warn when a client's current secret ends within N days of --today (default: "
        "policy.secretExpiryWarningDays, 14; 0: only secrets that have ended)",
    )
    if last_up:
        parser.add_argument(
            "--last-up",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="judge the secrets as the last `pulumi up`, on this day, left them (default: "
            "the day the stack pins with fhir-apps:today, else --today)",
        )


def print_expiry_warnings(
    spec: Spec, args: argparse.Namespace, *, project_dir: Path | None
) -> None:
    """One `warning: ` line on stderr per secret that ends within the window at --today.

    project_dir: where a stack's `Pulumi.<stack>.yaml` may pin `fhir-apps:today` (`check`
    passes the current directory, as `pulumi` runs there; `render` passes None: it computes
    from --today alone, as it renders).
    """
    from fhir_apps.secret_schedule import expiry_warnings

    today: date = args.today or date.today()
    for line in expiry_warnings(
        spec,
        today,
        warn_days=args.warn_days,
        last_up=getattr(args, "last_up", None),
        project_dir=project_dir,
    ):
        print(f"warning: {line}", file=sys.stderr)
