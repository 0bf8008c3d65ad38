#!/bin/sh
# make run: heed's main job on the bundled examples, with the embedded backend.
set -eu
heed=${1:-bin/heed}
cd "$(dirname "$0")/.."
"$heed" version
