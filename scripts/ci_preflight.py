#!/usr/bin/env python3
"""Before `pulumi preview`/`up` in CI: is the stack set up the way the workflows need it?

    python scripts/ci_preflight.py --stack STACK

The workflows support one setup (docs/ci.md): state in a self-managed Azure Blob backend
(`PULUMI_BACKEND_URL=azblob://...`, reached through `azure/login`), and stack secrets encrypted by
Azure Key Vault. Without a `secretsprovider` in `Pulumi.<stack>.yaml` Pulumi falls back to a
passphrase, which CI never has; without `azblob://` it would try Pulumi Cloud, which the
workflows do not log in to. Each problem is one line naming the file or variable and the fix
(a GitHub error annotation under Actions), exit 1; exit 0 when the stack is ready.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

KEY_VAULT = "azurekeyvault://"
FIX_PROVIDER = (
    "run `pulumi stack init {stack} --secrets-provider "
    "azurekeyvault://<vault>.vault.azure.net/keys/<key>` (an existing stack: `pulumi stack "
    "change-secrets-provider`) and commit the lines it writes (docs/deploy.md, section 2)"
)


def backend_problems(env: dict[str, str]) -> list[str]:
    url = env.get("PULUMI_BACKEND_URL", "")
    if not url.startswith("azblob://"):
        return [
            f"PULUMI_BACKEND_URL: {'is not set' if not url else 'is not azblob://...'}; the "
            "workflows use a self-managed Azure Blob backend: set the repository variable to "
            "azblob://<container> (docs/ci.md)"
        ]
    if "storage_account=" not in url and not env.get("AZURE_STORAGE_ACCOUNT"):
        return [
            "AZURE_STORAGE_ACCOUNT: is not set; set the repository variable to the storage "
            "account of the state container, or add ?storage_account=<account> to "
            "PULUMI_BACKEND_URL (docs/ci.md)"
        ]
    return []


def stack_file_problems(project_dir: Path, stack: str) -> list[str]:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return [f"{path.name}: does not exist; {FIX_PROVIDER.format(stack=stack)}"]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return [f"{path.name}: cannot be read as YAML; fix it"]
    data = data if isinstance(data, dict) else {}
    provider = data.get("secretsprovider")
    if not isinstance(provider, str) or not provider.startswith(KEY_VAULT):
        found = "is missing" if provider is None else "is not azurekeyvault://..."
        why = "Pulumi would ask for a passphrase CI does not have"
        return [
            f"{path.name}: secretsprovider: {found} ({why}); {FIX_PROVIDER.format(stack=stack)}"
        ]
    if not data.get("encryptedkey"):
        return [
            f"{path.name}: encryptedkey: is missing (written with secretsprovider); "
            f"{FIX_PROVIDER.format(stack=stack)}"
        ]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/ci_preflight.py", description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--project-dir", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    problems = backend_problems(dict(os.environ)) + stack_file_problems(
        args.project_dir, args.stack
    )
    prefix = "::error::" if os.environ.get("GITHUB_ACTIONS") == "true" else ""
    for problem in problems:
        print(f"{prefix}{problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
