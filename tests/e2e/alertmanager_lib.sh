# alertmanager_lib.sh: start/stop a real prometheus-alertmanager on 127.0.0.1
# for end-to-end tests. Source it; it defines:
#   am_free_port                 print a free TCP port on 127.0.0.1
#   am_start DIR PORT            start Alertmanager (null receiver, no cluster,
#                                storage in DIR) and wait until it is ready
#   am_stop                      stop the instance am_start started (by its pid)
#   am_get PATH                  GET http://127.0.0.1:$AM_PORT$PATH to stdout
# The caller sets a trap that calls am_stop. Needs curl; python3 for ports
# when available.

AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
AM_PID=
AM_PORT=

am_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    # Without python: try random high ports until one is not listening.
    while :; do
        p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

am_start() {
    dir=$1
    AM_PORT=$2
    mkdir -p "$dir/data"
    cat >"$dir/alertmanager.yml" <<'YML'
route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
YML
    "$AM_BIN" --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
        --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
        --log.level=warn >>"$dir/alertmanager.log" 2>&1 &
    AM_PID=$!
    i=0
    while [ $i -lt 100 ]; do
        if curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$AM_PID" 2>/dev/null; then
            echo "alertmanager exited; log:" >&2
            tail -n 20 "$dir/alertmanager.log" >&2
            AM_PID=
            return 1
        fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "alertmanager not ready on port $AM_PORT after 10s" >&2
    return 1
}

am_stop() {
    if [ -n "$AM_PID" ]; then
        kill "$AM_PID" 2>/dev/null
        wait "$AM_PID" 2>/dev/null
        AM_PID=
    fi
}

am_get() {
    curl -fsS "http://127.0.0.1:$AM_PORT$1"
}
