"""`secrets`: each client's secret slots on a day, the next rotation and the `up` deadline.

Offline and without the Pulumi SDK: the dates follow from the config and the day alone (see
fhir_apps.rotation). For scripts, `--format json` prints one object; the text form is for people.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from fhir_apps.commands._target import add_target_arguments, iso_date, load_target

HELP = "show each client's secret slots, the next rotation and the date by which `up` must run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--today", type=iso_date, metavar="YYYY-MM-DD", help="the day to compute (default: today)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")
    parser.set_defaults(_parser=parser)


def run(args: argparse.Namespace) -> int:
    from fhir_apps.secret_schedule import schedules

    target = load_target(args)
    if target is None:
        return 1
    spec = target.spec
    today: date = args.today or date.today()
    found = schedules(spec, today)
    if args.fmt == "json":
        document = {
            "environment": spec.environment,
            "stack": spec.stack,
            "today": today.isoformat(),
            "clients": [s.as_dict() for s in found],
        }
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return 0
    print(f"{spec.environment} (stack {spec.stack}) on {today.isoformat()}:")
    if not found:
        print("  no enabled client has a secret credential")
    for schedule in found:
        print(
            f"  {schedule.key} ({schedule.display_name}): rotates every "
            f"{schedule.rotation_days} days"
        )
        for window in schedule.windows:
            mark = "  current" if window is schedule.current else ""
            print(
                f"    slot {window.slot}: valid {window.start.isoformat()} to "
                f"{window.end.isoformat()} (exclusive){mark}"
            )
        print(
            f"    next rotation: the first `pulumi up` on or after "
            f"{schedule.next_rotation.isoformat()}"
        )
        print(
            f"    `pulumi up` must have run by {schedule.up_by.isoformat()} (the current "
            f"secret ends {schedule.current.end.isoformat()})"
        )
    return 0
