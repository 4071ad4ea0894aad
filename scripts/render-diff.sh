#!/usr/bin/env bash
# Render every stack of two checkouts, diff them and apply the guardrail policies to the head;
# write one Markdown comment with the results, whatever happens.
# Usage: render-diff.sh BASE_DIR HEAD_DIR OUT_DIR   (PR_NUMBER in the environment, optional)
# Writes OUT_DIR/comment.md and OUT_DIR/pr-number; exits 1 when a stack of the head does not
# render or breaks a mandatory policy -- after writing the comment, which says why, so that the
# workflow can still upload it and the comment workflow post it.
# Both renders use one date so that secret rotation cannot show up as a change.
set -euo pipefail
base=$(cd "$1" && pwd); head=$(cd "$2" && pwd); mkdir -p "$3"; out=$(cd "$3" && pwd)
today=$(date -u +%F)
comment="$out/comment.md"
printf '%s\n' "${PR_NUMBER:-}" > "$out/pr-number"
printf '## fhir-apps render diff\n\nRendered offline (no credentials) on %s.\n' "$today" > "$comment"

finished=no
# Anything unexpected (a crash of this script itself) still leaves a comment that says so.
trap 'code=$?; if [ "$finished" != yes ]; then
  printf "\n**render-diff stopped before it finished (exit %s)**; the job log has the details.\n" \
    "$code" >> "$comment"; fi' EXIT

fence() {  # a file as a code block, or a placeholder when it is empty
  if [ -s "$1" ]; then printf '\n```text\n%s\n```\n' "$(cat "$1")"; else printf '\n(no output)\n'; fi
}

stacks=$(cd "$head" && ls Pulumi.*.yaml 2>/dev/null | sed -e 's/^Pulumi\.//' -e 's/\.yaml$//' | sort)
status=0
for stack in $stacks; do
  printf '\n<details open><summary><b>%s</b></summary>\n\n' "$stack" >> "$comment"
  if ! (cd "$head" && python -m fhir_apps render --stack "$stack" --today "$today" \
        --format json --output "$out/$stack.head.json") 2> "$out/$stack.head.err"; then
    printf '**The head does not render:**\n' >> "$comment"
    fence "$out/$stack.head.err" >> "$comment"
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
    # The guardrails, as `pulumi preview --policy-pack policy` would apply them.
    if (cd "$head" && python -m fhir_apps check --stack "$stack" --policies --today "$today") \
         > "$out/$stack.policies.txt" 2>&1; then
      summary=$(tail -n 1 "$out/$stack.policies.txt")
      printf '\n**Guardrails:** %s\n' "$summary" >> "$comment"
      if [ "$summary" != "policies: 0 violations" ]; then  # advisory ones: shown, not failing
        grep -E '^(advisory|mandatory) ' "$out/$stack.policies.txt" > "$out/$stack.advisory.txt" || true
        fence "$out/$stack.advisory.txt" >> "$comment"
      fi
    else
      printf '\n**Guardrails fail** (`check --policies`):\n' >> "$comment"
      fence "$out/$stack.policies.txt" >> "$comment"
      status=1
    fi
  fi
  printf '\n</details>\n' >> "$comment"
done
[ -n "$stacks" ] || { printf '\nNo stack files (Pulumi.<stack>.yaml) in the head.\n' >> "$comment"; }
finished=yes
exit $status
