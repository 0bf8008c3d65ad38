# tests/lint/check_case.sh: sourced by the lint suites.
# lint_case FILE [EXTRA ARGS...]: lints FILE (from the current folder) with
# its "# args:" and the extra arguments, then checks its "# expect:",
# "# reject:" and "# exit:" lines (tests/lint/README.md). Returns 0 when all
# hold; otherwise prints what did not, and heed's output.
lint_case() {
    f=$1
    shift
    args=$(sed -n 's/^# args: //p' "$f")
    out=$(mktemp)
    # shellcheck disable=SC2086
    "$HEED" lint $args "$@" "$f" >"$out" 2>&1
    rc=$?
    good=1
    want_rc=$(sed -n 's/^# exit: //p' "$f")
    if [ -n "$want_rc" ] && [ "$rc" != "$want_rc" ]; then
        good=0
        echo "  exit $rc, want $want_rc"
    fi
    while read -r check pos; do
        [ -n "$check" ] || continue
        if [ -n "$pos" ]; then
            grep -q "^$f:$pos: [a-z]*: $check: " "$out" || { good=0; echo "  missing $check at $pos"; }
        else
            grep -q "^$f:[0-9]*:[0-9]*: [a-z]*: $check: " "$out" || { good=0; echo "  missing $check"; }
        fi
    done <<EOF2
$(sed -n 's/^# expect: //p' "$f")
EOF2
    for check in $(sed -n 's/^# reject: //p' "$f"); do
        if grep -q ": $check: " "$out"; then
            good=0
            echo "  unexpected $check"
        fi
    done
    if grep -q "Sanitizer\|runtime error:" "$out"; then
        good=0
        echo "  sanitizer report"
    fi
    [ $good = 1 ] || sed 's/^/    | /' "$out"
    rm -f "$out"
    [ $good = 1 ]
}
