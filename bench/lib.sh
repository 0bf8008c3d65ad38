# Shared helpers of the whole-process benchmarks (sourced, not run).
# run NAME CMD...: one measured run, appending "wall_s cpu_s maxrss_kb" to
# $dir/NAME (wall from the clock in ns; CPU and memory from GNU time).
run() {
    name=$1
    shift
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S %M" -o "$dir/t" "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) '{ printf "%.4f %.3f %s\n", ns / 1e9, $1 + $2, $3 }' "$dir/t" >>"$dir/$name"
}

# median NAME COLUMN: median of a column of $dir/NAME
median() {
    awk -v c="$2" '{ print $c }' "$dir/$1" | sort -n |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}

# report LABEL NAME: one line of medians for the runs of NAME
report() {
    printf '  %-24s wall %7.0f ms  cpu %7.0f ms  peak %7.1f MB\n' "$1" \
        "$(median "$2" 1 | awk '{ print $1 * 1000 }')" "$(median "$2" 2 | awk '{ print $1 * 1000 }')" \
        "$(median "$2" 3 | awk '{ print $1 / 1024 }')"
}

# ratio A B COLUMN: median of A's column over B's
ratio() {
    awk -v a="$(median "$1" "$3")" -v b="$(median "$2" "$3")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# proc_cpu_s PID: CPU time (user+system, seconds) a running process has used
# so far, from /proc/PID/stat (fields 14 and 15, after the command name).
proc_cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# proc_rss_mb PID FIELD: VmRSS or VmHWM (peak) of a running process, in MB.
proc_rss_mb() {
    awk -v f="$2:" '$1 == f { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"
}

# median_of FILE COLUMN: median of a column of any file.
median_of() {
    awk -v c="$2" '{ print $c }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END { if (!NR) { print 0; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}
