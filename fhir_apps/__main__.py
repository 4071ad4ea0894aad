"""Entry point for `python -m fhir_apps`."""

import sys

from fhir_apps.cli import main

sys.exit(main())
