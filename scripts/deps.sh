#!/bin/sh
# Installs the Debian packages heed's build, tests and benchmarks need.
# Idempotent: asks apt only for what is missing, and refreshes the package
# lists only then. Services of the installed servers are not left running:
# the tests start their own instances on 127.0.0.1.
set -eu

PKGS="make gcc re2c bison pkg-config libyaml-dev libcurl4-openssl-dev libmicrohttpd-dev
libyajl-dev libpcre2-dev libxxhash-dev libsnappy-dev openssl prometheus prometheus-alertmanager
clang libclang-rt-14-dev curl python3 valgrind libcrypt-dev chromium wrk victoria-metrics"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: need root to install packages (run 'sudo make deps')" >&2
    exit 1
fi
# Keep package scripts from starting system services (prometheus, alertmanager).
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ $had_policy = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
fi
trap '[ $had_policy = 0 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
# policy-rc.d above kept the package scripts from starting the services;
# nothing is killed by name here, so no one else's servers are touched.
