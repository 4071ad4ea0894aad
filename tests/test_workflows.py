"""The GitHub workflows: valid against GitHub's schema (vendored, offline), and each one doing what
docs/ci.md says -- tested on the files themselves, on the scripts they run, and (with Node, when
it is installed) on the script that posts the render-diff comment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PULUMI_CLI = "3.259.0"
# The current Node-24 release of each action, as verified in its repository (docs/ci.md).
ACTIONS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/github-script": ("ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"),
    "azure/login": ("f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", "v3.0.1"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
}
MARKER = "<!-- fhir-apps:render-diff -->"


def _check(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    return subprocess.run(
        [exe, "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return dict(data)


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def _pulumi_steps() -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    found = []
    for path in WORKFLOWS:
        steps = _steps(_load(path.name))
        found += [(path.name, s, steps) for s in steps if _uses(s, "pulumi/actions")]
    return found


# --- the schema -----------------------------------------------------------------------------------


def test_there_are_workflows_for_ci_render_preview_and_deploy() -> None:
    names = {p.stem for p in WORKFLOWS}
    assert {"ci", "render-diff", "render-diff-comment", "preview", "deploy"} <= names, names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_github_schema(workflow: Path) -> None:
    result = _check([workflow])
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    # Guards the test above: the check must be able to fail.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: []\n", encoding="utf-8")
    result = _check([broken])
    assert result.returncode != 0
    assert "runs-on" in result.stdout + result.stderr


# --- current and pinned ---------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_to_their_current_release(workflow: Path) -> None:
    lines = [
        line.strip().removeprefix("- ")
        for line in workflow.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(- )?uses:", line)
    ]
    assert lines, workflow
    for line in lines:
        match = re.fullmatch(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v[\d.]+)", line)
        assert match, f"{workflow.name}: {line!r} is not pinned as `owner/repo@<sha> # vX.Y.Z`"
        action, sha, version = match.groups()
        assert ACTIONS.get(action) == (sha, version), f"{workflow.name}: {line}"


def test_pulumi_cli_version_is_pinned_everywhere() -> None:
    steps = _pulumi_steps()
    assert {name for name, _, _ in steps} == {"preview.yml", "deploy.yml", "rotate.yml"}
    for name, step, _ in steps:
        assert str(step["with"].get("pulumi-version")) == PULUMI_CLI, name
    for doc in ("docs/deploy.md", "docs/ci.md", "README.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert PULUMI_CLI in text, doc
        # No other CLI version is recommended anywhere.
        others = set(re.findall(r"Pulumi CLI[^.\n]*?\b(3\.\d+\.\d+)\b", text)) - {PULUMI_CLI}
        assert not others, (doc, others)


# --- render-diff: a failure still comments, the comment has its own marker ----------------------


def test_render_diff_uploads_the_comment_even_after_a_failed_step() -> None:
    steps = _steps(_load("render-diff.yml"))
    upload = next(s for s in steps if _uses(s, "actions/upload-artifact"))
    assert upload.get("if") in ("${{ !cancelled() }}", "${{ always() }}", "always()")
    assert upload["with"]["path"] == "render-diff/"
    # Before anything can fail, a comment and the PR number are already there to upload.
    first = steps[0]
    assert "uses" not in first
    assert "render-diff/pr-number" in first["run"] and "render-diff/comment.md" in first["run"]
    assert "PR_NUMBER" in first["env"] and "RUN_URL" in first["env"]


def test_comment_workflow_also_runs_after_a_failed_render_diff() -> None:
    workflow = _load("render-diff-comment.yml")
    assert workflow["on"] == {
        "workflow_run": {"workflows": ["render-diff"], "types": ["completed"]}
    }
    condition = workflow["jobs"]["comment"]["if"]
    assert "== 'success'" not in condition
    assert "!= 'cancelled'" in condition
    assert "github.event.workflow_run.event == 'pull_request'" in condition
    # It never runs the PR's code.
    assert not any(_uses(s, "actions/checkout") for s in _steps(workflow))


def test_no_workflow_edits_the_bot_s_last_comment() -> None:
    for path in WORKFLOWS:
        assert "--edit-last" not in path.read_text(encoding="utf-8"), path.name


def _copy_project(target: Path) -> Path:
    target.mkdir()
    for name in ("fhir_apps", "components", "config"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, target / name)
    return target


def _render_diff(tmp_path: Path, base: Path, head: Path) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PR_NUMBER": "17",
    }
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "render-diff.sh"), str(base), str(head), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    return result.returncode, (out / "comment.md").read_text(encoding="utf-8"), out


def test_render_diff_script_writes_why_the_head_does_not_render(tmp_path: Path) -> None:
    base = _copy_project(tmp_path / "base")
    head = _copy_project(tmp_path / "head")
    bad = head / "config" / "environments" / "dev.yaml"
    bad.write_text(bad.read_text(encoding="utf-8") + "clients: {dashboard: {kind: nope}}\n")
    code, comment, out = _render_diff(tmp_path, base, head)
    assert code == 1
    assert "**The head does not render:**" in comment
    assert "config/environments/dev.yaml: clients.dashboard.kind: must be one of" in comment
    assert (out / "pr-number").read_text(encoding="utf-8") == "17\n"
    assert "stopped before it finished" not in comment


def test_render_diff_script_applies_the_guardrails_to_the_head(tmp_path: Path) -> None:
    base = _copy_project(tmp_path / "base")
    head = _copy_project(tmp_path / "head")
    config = head / "config" / "environments" / "dev.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "http://localhost:3000/", "http://localhost:3001/"
        )
    )
    code, comment, _ = _render_diff(tmp_path, base, head)
    assert code == 0, comment
    assert "### Changed" in comment and "http://localhost:3001/" in comment
    assert "**Guardrails:** policies: 0 violations" in comment


STUB_CHECK = """
HELP = "a check whose policies fail, standing in for a PR that breaks a guardrail"
def add_arguments(parser):
    for flag in ("--stack", "--today", "--environment"):
        parser.add_argument(flag)
    parser.add_argument("--policies", action="store_true")
def run(args):
    assert args.policies
    print("ok")
    print("mandatory entra-redirect-uris urn:pulumi:dev::fhir-apps::app: a wildcard")
    print("policies: 1 violation")
    return 1
"""


def test_render_diff_script_fails_with_the_violations_of_a_broken_guardrail(
    tmp_path: Path,
) -> None:
    base = _copy_project(tmp_path / "base")
    head = _copy_project(tmp_path / "head")
    (head / "fhir_apps" / "commands" / "check.py").write_text(STUB_CHECK, encoding="utf-8")
    code, comment, _ = _render_diff(tmp_path, base, head)
    assert code == 1
    assert "**Guardrails fail** (`check --policies`):" in comment
    assert "mandatory entra-redirect-uris urn:pulumi:dev::fhir-apps::app: a wildcard" in comment


# The comment script, run by Node the way actions/github-script runs it (an async function of
# require, github, context, core), against a fake GitHub that records what is called.
HARNESS = """
const fs = require('fs');
const [scriptFile, stateFile] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const calls = [];
const github = {
  rest: {
    pulls: { get: async (p) => { calls.push(['pulls.get', p]);
      return { data: { head: { sha: state.prHeadSha } } }; } },
    issues: {
      listComments: 'issues.listComments',
      updateComment: async (p) => { calls.push(['updateComment', p]); },
      createComment: async (p) => { calls.push(['createComment', p]); },
    },
  },
  paginate: async (route, p) => { calls.push([route, p]); return state.comments; },
};
const context = { repo: { owner: 'o', repo: 'r' },
  payload: { workflow_run: { head_sha: state.runHeadSha } } };
const core = { setFailed: (m) => calls.push(['setFailed', m]),
  notice: (m) => calls.push(['notice', m]) };
const AsyncFunction = Object.getPrototypeOf(async () => null).constructor;
const source = fs.readFileSync(scriptFile, 'utf8');
const fn = new AsyncFunction('require', 'github', 'context', 'core', source);
fn(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)))
  .catch((e) => { console.error(e); process.exit(1); });
"""


def _post_comment(
    tmp_path: Path, comments: list[dict[str, Any]], *, pr_number: str = "17", moved: bool = False
) -> list[list[Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (GitHub's runners have it)")
    step = next(
        s for s in _steps(_load("render-diff-comment.yml")) if _uses(s, "actions/github-script")
    )
    (tmp_path / "script.js").write_text(step["with"]["script"], encoding="utf-8")
    (tmp_path / "harness.js").write_text(HARNESS, encoding="utf-8")
    artifact = tmp_path / "render-diff"
    artifact.mkdir(exist_ok=True)
    (artifact / "pr-number").write_text(pr_number + "\n", encoding="utf-8")
    (artifact / "comment.md").write_text("## fhir-apps render diff\n\nbody\n", encoding="utf-8")
    state = {
        "prHeadSha": "b" * 40 if moved else "a" * 40,
        "runHeadSha": "a" * 40,
        "comments": comments,
    }
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    result = subprocess.run(
        [node, "harness.js", "script.js", "state.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


BOT = {"login": "github-actions[bot]"}
PULUMI_COMMENT = {"id": 1, "user": BOT, "body": "#### :tropical_drink: `preview` on fhir-apps/dev"}


def test_comment_updates_its_own_comment_not_the_pulumi_preview(tmp_path: Path) -> None:
    ours = {"id": 2, "user": BOT, "body": f"{MARKER}\n## fhir-apps render diff\n\nold\n"}
    calls = _post_comment(tmp_path, [ours, PULUMI_COMMENT])  # Pulumi's is the bot's last comment
    body = f"{MARKER}\n## fhir-apps render diff\n\nbody\n"
    assert calls[-1] == [
        "updateComment",
        {"owner": "o", "repo": "r", "comment_id": 2, "body": body},
    ]


def test_comment_is_created_when_only_others_carry_the_marker(tmp_path: Path) -> None:
    # A person quoting the marker does not make their comment ours (the token could edit it).
    quoted = {"id": 3, "user": {"login": "mallory"}, "body": f"{MARKER}\nmine"}
    calls = _post_comment(tmp_path, [PULUMI_COMMENT, quoted])
    assert [c[0] for c in calls] == ["pulls.get", "issues.listComments", "createComment"]
    assert calls[-1][1]["issue_number"] == 17
    assert calls[-1][1]["body"].startswith(MARKER + "\n")


def test_comment_goes_only_to_the_pull_request_the_run_built(tmp_path: Path) -> None:
    # The artifact was written by the PR's code: a number that names another PR is not trusted.
    calls = _post_comment(tmp_path, [], moved=True)
    assert [c[0] for c in calls] == ["pulls.get", "notice"]
    assert _post_comment(tmp_path, [], pr_number="17; rm -rf /") == [
        ["setFailed", "render-diff/pr-number: not a pull request number"]
    ]


# --- Pulumi in CI: self-managed backend, Key Vault secrets, policy pack, least privilege -------


def test_pulumi_steps_use_the_self_managed_backend_and_a_ready_stack() -> None:
    for name, step, steps in _pulumi_steps():
        assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}", name
        runs = [str(s.get("run", "")) for s in steps[: steps.index(step)]]
        assert any("scripts/ci_preflight.py --stack" in run for run in runs), name
        login = [s for s in steps[: steps.index(step)] if _uses(s, "azure/login")]
        assert login, f"{name}: the state backend and Key Vault need the Azure CLI login"
    for path in WORKFLOWS:
        assert "PULUMI_ACCESS_TOKEN" not in path.read_text(encoding="utf-8"), path.name


def test_pulumi_runs_with_the_policy_pack_and_the_stack_s_policy_config() -> None:
    for name, step, steps in _pulumi_steps():
        assert step["with"]["policyPacks"] == "policy", name
        config = step["with"]["policyPackConfigs"]
        assert config == "${{ runner.temp }}/policy-config.json", name
        earlier = " ".join(str(s.get("run", "")) for s in steps[: steps.index(step)])
        assert "scripts/policy_pack.py config --stack" in earlier, name
        assert '--output "$RUNNER_TEMP/policy-config.json"' in earlier, name
        # The pack's PulumiPolicy.yaml runs in ../.venv: the workflow must create it.
        assert "python -m venv .venv" in earlier, name


def test_previews_use_the_read_only_identity_and_deploys_the_gated_one() -> None:
    preview, deploy = _load("preview.yml"), _load("deploy.yml")
    preview_text = (ROOT / ".github" / "workflows" / "preview.yml").read_text(encoding="utf-8")
    assert "AZURE_DEPLOY_CLIENT_ID" not in preview_text
    job = preview["jobs"]["preview"]
    assert "environment" not in job
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    login = next(s for s in _steps(preview) if _uses(s, "azure/login"))
    assert login["with"]["client-id"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    up = deploy["jobs"]["up"]
    assert up["environment"] == "${{ matrix.stack }}"
    assert up["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_DEPLOY_CLIENT_ID }}"
    login = next(s for s in _steps(deploy) if _uses(s, "azure/login"))
    assert login["with"]["client-id"] == "${{ vars.AZURE_DEPLOY_CLIENT_ID }}"
    assert set(deploy["on"]) == {"push", "workflow_dispatch"}  # never on pull requests


def test_every_matrix_stack_has_a_stack_file() -> None:
    for name in ("preview.yml", "deploy.yml"):
        job = next(iter(_load(name)["jobs"].values()))
        for stack in job["strategy"]["matrix"]["stack"]:
            assert (ROOT / f"Pulumi.{stack}.yaml").is_file(), (name, stack)


def test_ci_runs_lint_and_the_tests_on_every_pull_request() -> None:
    workflow = _load("ci.yml")
    assert "pull_request" in workflow["on"]
    assert "paths-ignore" not in (workflow["on"]["pull_request"] or {})
    assert [s.get("run") for s in _steps(workflow) if "run" in s] == [".ci/run"]
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "ruff check" in ci_run and "-m pytest" in ci_run


# --- scripts/ci_preflight.py ----------------------------------------------------------------------

READY = "secretsprovider: azurekeyvault://kv.vault.azure.net/keys/pulumi\nencryptedkey: ZW5j\n"
ENV = {"PULUMI_BACKEND_URL": "azblob://state", "AZURE_STORAGE_ACCOUNT": "fhirstate"}


def _preflight(tmp_path: Path, stack_file: str | None, env: dict[str, str]) -> tuple[int, str]:
    if stack_file is not None:
        (tmp_path / "Pulumi.dev.yaml").write_text(stack_file, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if k not in (*ENV, "GITHUB_ACTIONS")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ci_preflight.py"), "--stack", "dev"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean, **env},
        check=False,
    )
    return result.returncode, result.stderr


def test_preflight_accepts_a_key_vault_stack_on_azure_blob(tmp_path: Path) -> None:
    assert _preflight(tmp_path, "config: {}\n" + READY, ENV) == (0, "")


@pytest.mark.parametrize(
    ("stack_file", "env", "expected"),
    [
        ("config: {}\n", ENV, "Pulumi.dev.yaml: secretsprovider: is missing (Pulumi would ask "
         "for a passphrase CI does not have); run `pulumi stack init dev --secrets-provider "
         "azurekeyvault://"),
        ("encryptionsalt: v1:abc\n", ENV, "Pulumi.dev.yaml: secretsprovider: is missing"),
        ("secretsprovider: passphrase\n", ENV, "Pulumi.dev.yaml: secretsprovider: is not "
         "azurekeyvault://"),
        ("secretsprovider: azurekeyvault://kv.vault.azure.net/keys/k\n", ENV,
         "Pulumi.dev.yaml: encryptedkey: is missing"),
        (None, ENV, "Pulumi.dev.yaml: does not exist"),
        (READY, {}, "PULUMI_BACKEND_URL: is not set; the workflows use a self-managed Azure Blob "
         "backend"),
        (READY, {"PULUMI_BACKEND_URL": "https://api.pulumi.com"}, "PULUMI_BACKEND_URL: is not "
         "azblob://"),
        (READY, {"PULUMI_BACKEND_URL": "azblob://state"}, "AZURE_STORAGE_ACCOUNT: is not set"),
    ],
    ids=["no-provider", "passphrase-salt", "passphrase", "no-key", "no-file", "no-backend",
         "cloud", "no-account"],
)  # fmt: skip
def test_preflight_names_the_file_or_variable_and_the_fix(
    tmp_path: Path, stack_file: str | None, env: dict[str, str], expected: str
) -> None:
    code, err = _preflight(tmp_path, stack_file, env)
    assert code == 1
    assert err.startswith(expected), err
    assert err.count("\n") == 1


def test_preflight_account_may_be_in_the_backend_url(tmp_path: Path) -> None:
    env = {"PULUMI_BACKEND_URL": "azblob://state?storage_account=fhirstate"}
    assert _preflight(tmp_path, READY, env) == (0, "")


# --- the docs agree -----------------------------------------------------------------------------

DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]


def _section(doc: str, heading: str) -> str:
    """The text under `heading` up to the next heading of its level or higher (code blocks,
    whose `# comments` look like headings, are skipped over)."""
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    level = len(heading.split(" ")[0])
    fenced = False
    for end in range(start + 1, len(lines)):
        line = lines[end]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{1,{level}}} ", line):
            return "\n".join(lines[start + 1 : end])
    return "\n".join(lines[start + 1 :])


def _graph_permissions(text: str) -> set[str]:
    found = re.findall(
        r"\b((?:Application|AppRoleAssignment|DelegatedPermissionGrant|Directory)\.[A-Za-z]+\.All"
        r"|Application\.ReadWrite\.OwnedBy)\b",
        text,
    )
    return set(found)


def test_graph_permission_lists_agree() -> None:
    deployer = {
        "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All",
        "Application.Read.All",
        "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
    }
    readme = _section("README.md", "## Deploy")
    ci = _section("docs/ci.md", "## One-time setup")
    deploy = _section(
        "docs/deploy.md", "### Microsoft Graph permissions of the deploying principal"
    )
    for name, text in (("README", readme), ("ci.md", ci), ("deploy.md", deploy)):
        assert deployer <= _graph_permissions(text), name
    # The preview identity reads only.
    preview = _section("docs/ci.md", "### 4. The preview identity")
    assert "Application.Read.All" in preview
    assert not {p for p in _graph_permissions(preview) if "ReadWrite" in p}


def test_docs_say_how_to_add_the_healthcare_apis_service_principal() -> None:
    command = "az ad sp create --id 4f6778d8-5aef-43dc-a1ff-b073724b9495"
    assert command in (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_docs_say_the_workflows_use_the_self_managed_backend_only() -> None:
    ci = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "PULUMI_ACCESS_TOKEN" not in ci  # no workflow maps it
    for doc in ("README.md", "docs/ci.md", "docs/deploy.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "self-managed" in text and "azblob://" in text, doc
        assert re.search(r"--secrets-provider \"?azurekeyvault://", text), doc


@pytest.mark.parametrize("doc", DOCS)
def test_docs_point_only_at_files_in_the_repository(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert "DESIGN.md" not in text and "/work/" not in text
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
            continue
        resolved = ((ROOT / doc).parent / target).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), (doc, target)


# --- rotate: scheduled, targeted, with deploy's identity and protection ---------------------------


def _glob(pattern: str) -> re.Pattern[str]:
    """Pulumi's `--target` glob (pkg/resource/deploy/deployment.go, getMatcher, v3.259.0):
    `**` matches anything, `*` anything within a URN segment (no `:`), the rest literally."""
    parts = [
        "[^:]*".join(re.escape(piece) for piece in segment.split("*"))
        for segment in pattern.split("**")
    ]
    return re.compile("^" + ".*".join(parts) + "$")


def _rotate_targets() -> list[re.Pattern[str]]:
    (step,) = [s for s in _steps(_load("rotate.yml")) if _uses(s, "pulumi/actions")]
    return [_glob(line.strip()) for line in step["with"]["target"].splitlines() if line.strip()]


def test_rotate_runs_on_a_schedule_as_deploy_does_in_each_stack_environment() -> None:
    rotate, deploy = _load("rotate.yml"), _load("deploy.yml")
    assert rotate["on"]["schedule"] and "workflow_dispatch" in rotate["on"]
    assert rotate["concurrency"]["group"] == deploy["concurrency"]["group"]
    assert rotate["permissions"] == deploy["permissions"]
    job, up = rotate["jobs"]["rotate"], deploy["jobs"]["up"]
    assert job["environment"] == up["environment"] == "${{ matrix.stack }}"
    assert job["env"] == up["env"]
    assert job["if"] == up["if"]
    login = [s for s in _steps(rotate) if _uses(s, "azure/login")]
    assert login == [s for s in _steps(deploy) if _uses(s, "azure/login")]
    (step,) = [s for s in _steps(rotate) if _uses(s, "pulumi/actions")]
    assert step["with"]["command"] == "up" and step["with"]["target"]


@pytest.mark.parametrize(
    ("event", "schedule", "chosen", "stacks"),
    [
        ("schedule", "17 5 * * *", "", ["dev", "dev-eu"]),
        ("schedule", "23 6 * * 1", "", ["prod"]),
        ("workflow_dispatch", "", "dev-eu", ["dev-eu"]),
    ],
)
def test_rotate_picks_the_stacks_of_each_schedule(
    tmp_path: Path, event: str, schedule: str, chosen: str, stacks: list[str]
) -> None:
    rotate = _load("rotate.yml")
    crons = {entry["cron"] for entry in rotate["on"]["schedule"]}
    assert event != "schedule" or schedule in crons
    (step,) = rotate["jobs"]["plan"]["steps"]
    output = tmp_path / "output"
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output)}
    env |= {"EVENT": event, "SCHEDULE": schedule, "CHOSEN": chosen}
    subprocess.run(["bash", "-c", step["run"]], env=env, check=True)
    (line,) = output.read_text(encoding="utf-8").splitlines()
    assert json.loads(line.removeprefix("stacks=")) == stacks
    # Together the schedules rotate every stack that deploy deploys.
    assert {"dev", "dev-eu", "prod"} == set(
        _load("deploy.yml")["jobs"]["up"]["strategy"]["matrix"]["stack"]
    )


def test_rotate_targets_exactly_what_a_rotation_changes() -> None:
    import datetime as dt

    from fhir_apps.render.diff import diff_renders
    from fhir_apps.render.engine import render

    def rendered(day: dt.date) -> dict[str, Any]:
        return render(environment="dev", stack="dev-ahds", today=day).as_dict()

    # dev's dashboard rotates every 30 days: slot a's window ends on 2024-03-01 (epoch
    # 2024-01-01 + 60 days), so the first run that day renews it and its Key Vault copy.
    diff = diff_renders(rendered(dt.date(2024, 2, 29)), rendered(dt.date(2024, 3, 1)))
    changed = set(diff.changed) | set(diff.added) | set(diff.removed)
    assert changed, "a rotation day must change something"
    targets = _rotate_targets()
    for urn in changed:
        assert any(t.match(urn) for t in targets), urn
    # Nothing else a render holds is targeted: no registration, role or service.
    others = [
        r["urn"]
        for r in rendered(dt.date(2024, 3, 1))["resources"]
        if not r["type"].endswith(("ApplicationPassword", "keyvault:Secret"))
    ]
    assert others
    for urn in others:
        assert not any(t.match(urn) for t in targets), urn
