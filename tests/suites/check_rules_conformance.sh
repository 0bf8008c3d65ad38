#!/bin/sh
# Conformance of `heed check rules` with promtool (Prometheus 3.x).
#
# Part 1: every file in ../shared/conformance/rulefmt/ and promtool/ gets the
# verdict Prometheus 3 gives it. Expectations come from upstream's own tests:
# model/rulefmt/rulefmt_test.go (TestParseFileSuccess, TestParseFileFailure and
# their error substrings; TestParseFileSuccessWithAliases) and
# cmd/promtool/main_test.go (TestCheckRules*, TestCheckDuplicates, exit codes),
# plus cmd/promtool/unittest_test.go for the rule files its tests load.
# Part 2: where Debian's promtool is installed (2.42), heed's exit code and
# distinct output lines must equal it, except where 3.x behaves differently
# (listed below with the reason).
set -u
HEED=${HEED:-$(cd "$(dirname "$0")/../.." && pwd)/bin/heed}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
SHARED=${SHARED:-$ROOT/../shared}
RULEFMT=$SHARED/conformance/rulefmt
PROMTOOL_DIR=$SHARED/conformance/promtool
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok $1: $2"; }

if [ ! -d "$RULEFMT" ] || [ ! -d "$PROMTOOL_DIR" ]; then
    echo "conformance data not found under $SHARED"
    echo "0 passed, 1 failed"
    exit 1
fi

# Whether heed checks expressions and templates yet: probes with a broken
# expression and a broken template. Until the PromQL parser and the template
# engine are merged, cases that need them are reported as skipped, not passed.
probe=$tmp/probe.yml
printf 'groups:\n- name: g\n  rules:\n  - record: x\n    expr: "("\n' >"$probe"
have_parser=0
"$HEED" check rules "$probe" >/dev/null 2>&1 || have_parser=1
printf 'groups:\n- name: g\n  rules:\n  - alert: x\n    expr: "1"\n    annotations: {a: "{{"}\n' >"$probe"
have_templates=0
"$HEED" check rules "$probe" >/dev/null 2>&1 || have_templates=1
skipped=0
skip() { skipped=$((skipped + 1)); echo "skip $1: $2"; }

# check NAME FILE WANT_EXIT WANT_SUBSTRING [FLAGS...]: runs heed on FILE and
# compares the exit code and, when given, a substring of the output.
check() {
    name=$1 file=$2 want_exit=$3 want=$4
    shift 4
    "$HEED" check rules "$@" "$file" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" != "$want_exit" ]; then
        not_ok "$name" "exit $got, want $want_exit; output: $(head -c 400 "$tmp/out")"
    elif [ -n "$want" ] && ! grep -qF -- "$want" "$tmp/out"; then
        not_ok "$name" "output lacks '$want': $(head -c 400 "$tmp/out")"
    else
        ok "$name"
    fi
}

needs() { # needs parser|templates NAME: 0 if heed can run the case
    if [ "$1" = parser ] && [ $have_parser = 0 ]; then skip "$2" "needs the PromQL parser (not merged yet)"; return 1; fi
    if [ "$1" = templates ] && [ $have_templates = 0 ]; then skip "$2" "needs the template engine (not merged yet)"; return 1; fi
    return 0
}

echo "# rulefmt (model/rulefmt/testdata)"
cd "$RULEFMT" || exit 2
# TestParseFileSuccess: accepted. test.yaml and test_aliases.yaml repeat rules on purpose,
# so the default duplicate-rules lint reports them and the exit code stays 0.
check test.yaml test.yaml 0 "Metric: HighErrors"
# TestParseFileSuccessWithAliases; 3.x names the alias targets (HighAlert), not the anchors.
check test_aliases.yaml test_aliases.yaml 0 "Metric: HighAlert2"
check test_aliases.yaml/no-lint test_aliases.yaml 0 "SUCCESS: 8 rules found" --lint=none
check utf-8_lname.good.yaml utf-8_lname.good.yaml 0 "SUCCESS: 1 rules found"
check utf-8_annotation.good.yaml utf-8_annotation.good.yaml 0 "SUCCESS: 1 rules found"
check legacy_validation_annotation.good.yaml legacy_validation_annotation.good.yaml 0 "SUCCESS: 1 rules found"
# Bad only under the legacy name scheme; promtool 3.x validates names as UTF-8 and accepts it
# (the legacy rejection is covered by tests/unit/rulefile_test.c).
check legacy_validation_annotation.bad.yaml legacy_validation_annotation.bad.yaml 0 "SUCCESS: 1 rules found"
# TestParseFileFailure: rejected, with its error substring.
check duplicate_grp.bad.yaml duplicate_grp.bad.yaml 1 'groupname: "yolo" is repeated in the same file'
needs parser bad_expr.bad.yaml && check bad_expr.bad.yaml bad_expr.bad.yaml 1 "parse error"
check record_and_alert.bad.yaml record_and_alert.bad.yaml 1 "only one of 'record' and 'alert' must be set"
check no_rec_alert.bad.yaml no_rec_alert.bad.yaml 1 "one of 'record' or 'alert' must be set"
check noexpr.bad.yaml noexpr.bad.yaml 1 "field 'expr' must be set in rule"
check invalid_record_name.bad.yaml invalid_record_name.bad.yaml 1 \
    'braces present in the recording rule name; should it be in expr?: strawberry{flavor="sweet"}'
check bad_field.bad.yaml bad_field.bad.yaml 1 "field annotation not found"
check invalid_label_name.bad.yaml invalid_label_name.bad.yaml 1 "invalid label name"
check record_and_for.bad.yaml record_and_for.bad.yaml 1 "invalid field 'for' in recording rule"
check record_and_keep_firing_for.bad.yaml record_and_keep_firing_for.bad.yaml 1 \
    "invalid field 'keep_firing_for' in recording rule"
# every file of the folder must have a case above
for f in *; do
    grep -qF "$f" "$SELF" || not_ok "$f" "no expectation for this conformance file"
done

echo "# promtool (cmd/promtool/testdata)"
cd "$PROMTOOL_DIR" || exit 2
# TestCheckRules / TestCheckRulesWithRuleFiles
check rules.yml rules.yml 0 "SUCCESS: 5 rules found"
needs templates rules-bad.yml && check rules-bad.yml rules-bad.yml 1 'annotation "summary": template: __alert_InstanceDown:1: undefined variable "$label"'
check prometheus-rules.lint.yml prometheus-rules.lint.yml 0 "lint error 1 duplicate rule(s) found."
check prometheus-rules.lint.yml/fatal prometheus-rules.lint.yml 3 "Metric: HighRequestLatency" --lint-fatal
check prometheus-rules.lint.yml/none prometheus-rules.lint.yml 0 "SUCCESS" --lint=none --lint-fatal
# TestCheckDuplicates: one duplicate, no labels
check rules_duplicates.yml rules_duplicates.yml 0 "Metric: job:test:count_over_time1m
Label(s):
Might cause inconsistency"
# BenchmarkCheckDuplicates parses rules_large.yml without errors
check rules_large.yml rules_large.yml 3 "lint error 2 duplicate rule(s) found." --lint-fatal
check rules_large.yml/no-lint rules_large.yml 0 "SUCCESS: 10002 rules found" --lint=none
# rules_extrafields.yml carries unknown fields; --ignore-unknown-fields accepts it (unittest_test.go)
check rules_extrafields.yml rules_extrafields.yml 1 "field namespace not found in type rulefmt.RuleGroup"
check rules_extrafields.yml/ignore rules_extrafields.yml 0 "SUCCESS" --ignore-unknown-fields
# rule files of the unit tests: these load (their failures are at evaluation time)...
for f in at-modifier.yml negative-offset.yml bad-rules-error.yml; do check "$f" "$f" 0 "SUCCESS: 1 rules found"; done
# ...and this one does not (unittest_test.go expects the rule-loading error)
needs parser bad-rules-syntax.yml && check bad-rules-syntax.yml bad-rules-syntax.yml 1 "could not parse expression"
# unit-test files are not rule files: strict decoding rejects their top-level keys
for f in at-modifier-test.yml bad-input-series.yml bad-promql.yml bad-rules-error-test.yml \
    bad-rules-syntax-test.yml failing.yml long-period.yml negative-offset-test.yml \
    no-test-group-interval.yml rules_run.yml rules_run_extrafields.yml rules_run_fuzzy.yml \
    rules_run_no_fuzzy.yml start-time-test.yml unittest.yml; do
    check "$f" "$f" 1 "not found in type rulefmt.RuleGroups"
done
for f in *; do
    grep -qF "$f" "$SELF" || not_ok "$f" "no expectation for this conformance file"
done

# Part 2: side by side with the installed promtool.
# Files where promtool 2.42 and 3.x differ, and why heed follows 3.x:
known_diff() {
    case $1 in
    utf-8_lname.good.yaml | utf-8_annotation.good.yaml | legacy_validation_annotation.bad.yaml)
        echo "3.x validates names as UTF-8; 2.42 used the legacy scheme" ;;
    invalid_record_name.bad.yaml)
        echo "3.x accepts UTF-8 metric names and reports the braces instead" ;;
    no_rec_alert.bad.yaml)
        echo "3.x gives both the record and the alert position (0:0: 0:0:), 2.42 one" ;;
    bad_field.bad.yaml)
        echo "3.x decodes into rulefmt.Rule first, so the type named is rulefmt.Rule, not rulefmt.RuleNode" ;;
    test_aliases.yaml)
        echo "2.42 names the lint's duplicates by anchor (alertname), fixed in 3.x (PR 14957)" ;;
    rules-bad.yml)
        [ $have_templates = 0 ] && echo "needs the template engine (not merged yet)" ;;
    bad_expr.bad.yaml | bad-rules-syntax.yml)
        [ $have_parser = 0 ] && echo "needs the PromQL parser (not merged yet)" ;;
    esac
}
if command -v promtool >/dev/null 2>&1; then
    echo "# side by side with $(promtool --version 2>&1 | head -n 1)"
    for dir in "$RULEFMT" "$PROMTOOL_DIR"; do
        cd "$dir" || exit 2
        for f in *; do
            why=$(known_diff "$f")
            if [ -n "$why" ]; then
                skip "promtool/$f" "$why"
                continue
            fi
            # 2.42 prints a blank line after failures and reports group-level decode
            # errors once; compare exit codes and the distinct non-blank lines.
            promtool check rules "$f" 2>&1 | grep -v '^$' | sort -u >"$tmp/p"
            promtool check rules "$f" >/dev/null 2>&1
            pe=$?
            "$HEED" check rules "$f" 2>&1 | grep -v '^$' | sort -u >"$tmp/h"
            "$HEED" check rules "$f" >/dev/null 2>&1
            he=$?
            if [ $pe = $he ] && cmp -s "$tmp/p" "$tmp/h"; then
                ok "promtool/$f"
            else
                not_ok "promtool/$f" "exit heed $he promtool $pe; $(diff "$tmp/p" "$tmp/h" | head -n 6 | tr '\n' ' ')"
            fi
        done
    done
else
    echo "# promtool not installed: side-by-side part not run"
fi

echo "$skipped skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
