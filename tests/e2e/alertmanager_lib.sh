# alertmanager_lib.sh: start and stop real prometheus-alertmanager instances
# on 127.0.0.1 for end-to-end tests. Source it. Each instance lives in its own
# directory (config, storage, log, pid file):
#   am_available          true if the Alertmanager binary is installed
#   am_free_port          print a free TCP port on 127.0.0.1
#   am_start DIR PORT [WEBCFG]
#                         start an instance (null receiver, no clustering,
#                         storage in DIR/data) and wait until it answers;
#                         DIR may be reused to restart it with its storage.
#                         WEBCFG: an Alertmanager --web.config.file (TLS,
#                         basic auth); readiness is then probed over https
#                         with the extra curl arguments in $AM_CURL_ARGS
#   am_stop DIR           stop that instance (by the pid it recorded)
#   am_stop_all           stop every instance started here (use in a trap)
#   am_get PORT PATH      GET http://127.0.0.1:PORT/PATH to stdout
#   am_curl ARGS...       curl that ignores any proxy from the environment
# Needs curl; python3 for picking ports when available.

AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}

am_curl() {
    curl --noproxy '*' "$@"
}
AM_DIRS=

am_available() {
    [ -x "$AM_BIN" ]
}

am_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    # Without python: random high ports until one has no listener.
    while :; do
        p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
        if ! am_curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then
            echo "$p"
            return
        fi
    done
}

am_start() {
    am_dir=$1
    am_port=$2
    am_web=${3:-}
    mkdir -p "$am_dir/data"
    cat >"$am_dir/alertmanager.yml" <<'YML'
route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
YML
    set -- --config.file="$am_dir/alertmanager.yml" --storage.path="$am_dir/data" \
        --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= --log.level=warn
    [ -n "$am_web" ] && set -- "$@" --web.config.file="$am_web"
    "$AM_BIN" "$@" >>"$am_dir/alertmanager.log" 2>&1 &
    echo $! >"$am_dir/pid"
    case " $AM_DIRS " in *" $am_dir "*) ;; *) AM_DIRS="$AM_DIRS $am_dir" ;; esac
    am_i=0
    while [ $am_i -lt 150 ]; do
        if [ -z "$am_web" ]; then
            am_curl -fsS -o /dev/null "http://127.0.0.1:$am_port/-/ready" 2>/dev/null && return 0
        else
            # Any HTTP status means the TLS listener is up.
            # shellcheck disable=SC2086
            am_code=$(am_curl -s -o /dev/null -w '%{http_code}' $AM_CURL_ARGS "https://127.0.0.1:$am_port/-/ready")
            [ "$am_code" != 000 ] && return 0
        fi
        if ! kill -0 "$(cat "$am_dir/pid")" 2>/dev/null; then
            echo "alertmanager exited; its log:" >&2
            tail -n 20 "$am_dir/alertmanager.log" >&2
            rm -f "$am_dir/pid"
            return 1
        fi
        sleep 0.1
        am_i=$((am_i + 1))
    done
    echo "alertmanager not ready on 127.0.0.1:$am_port after 15s" >&2
    return 1
}

am_stop() {
    [ -f "$1/pid" ] || return 0
    am_pid=$(cat "$1/pid")
    rm -f "$1/pid"
    kill "$am_pid" 2>/dev/null
    # Wait for it to exit (it is our child when started from this shell).
    wait "$am_pid" 2>/dev/null
    am_i=0
    while kill -0 "$am_pid" 2>/dev/null && [ $am_i -lt 50 ]; do
        sleep 0.1
        am_i=$((am_i + 1))
    done
}

am_stop_all() {
    for am_d in $AM_DIRS; do
        am_stop "$am_d"
    done
}

am_get() {
    am_curl -fsS --max-time 5 "http://127.0.0.1:$1$2"
}
