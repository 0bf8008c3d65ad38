#!/bin/sh
# Golden tests (tests/golden/*/).
exec "$(dirname "$0")/../golden.sh"
