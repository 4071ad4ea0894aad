#!/usr/bin/env bash
# Render every stack of two checkouts and write one Markdown comment with the diffs.
# Usage: render-diff.sh BASE_DIR HEAD_DIR OUT_DIR   (PR_NUMBER in the environment, optional)
# Both renders use one date so that secret rotation cannot show up as a change.
set -euo pipefail
base=$(cd "$1" && pwd); head=$(cd "$2" && pwd); mkdir -p "$3"; out=$(cd "$3" && pwd)
today=$(date -u +%F)
comment="$out/comment.md"
printf '## fhir-apps render diff\n\nRendered offline (no credentials) on %s.\n' "$today" > "$comment"

stacks=$(cd "$head" && ls Pulumi.*.yaml 2>/dev/null | sed -e 's/^Pulumi\.//' -e 's/\.yaml$//' | sort)
status=0
for stack in $stacks; do
  printf '\n<details open><summary><b>%s</b></summary>\n\n' "$stack" >> "$comment"
  if ! (cd "$head" && python -m fhir_apps render --stack "$stack" --today "$today" \
        --format json --output "$out/$stack.head.json") 2> "$out/$stack.head.err"; then
    printf 'The head does not render:\n\n```\n%s\n```\n' "$(cat "$out/$stack.head.err")" >> "$comment"
    status=1
  else
    # A stack that is new in this PR, or a base from before `render` existed, diffs against
    # an empty render: everything shows as added.
    if ! (cd "$base" && python -m fhir_apps render --stack "$stack" --today "$today" \
          --format json --output "$out/$stack.base.json") 2>/dev/null; then
      echo '{"resources": [], "outputs": {}}' > "$out/$stack.base.json"
    fi
    (cd "$head" && python -m fhir_apps render --diff "$out/$stack.base.json" \
      "$out/$stack.head.json") >> "$comment"
  fi
  printf '\n</details>\n' >> "$comment"
done
printf '%s\n' "${PR_NUMBER:-}" > "$out/pr-number"
exit $status
