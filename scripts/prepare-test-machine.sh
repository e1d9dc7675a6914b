#!/usr/bin/env bash
# Installs the system packages the test suite needs; run by `make test` (and so by .ci/run).
# Idempotent and quick (a few file checks) when everything is present.  As root it installs
# what is missing with apt-get; otherwise it stops with one line naming what to install.
#   dataset-fashion-mnist    Fashion-MNIST IDX files (data, metrics, conditional tests)
#   fonts-noto-color-emoji   the emoji data source
#   chromium chromium-driver headless-browser test of the studio
#   g++                      torch.compile on CPU builds C++ kernels
#   unicode-data             emoji-test.txt: the test that rebuilds the committed emoji group table
set -euo pipefail

have_file() { [ -f "$1" ]; }
have_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 && return 0; done; return 1; }

missing=()
have_file /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz || missing+=(dataset-fashion-mnist)
have_file /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || missing+=(fonts-noto-color-emoji)
have_cmd chromium chromium-browser || missing+=(chromium)
have_cmd chromedriver || missing+=(chromium-driver)
have_cmd g++ c++ || missing+=(g++)
have_file /usr/share/unicode/emoji/emoji-test.txt || missing+=(unicode-data)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ]; then
    echo "prepare-test-machine: the tests need ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]} (or run scripts/prepare-test-machine.sh as root)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "prepare-test-machine: the tests need the Debian packages ${missing[*]} and this machine has no apt-get; install their equivalents and rerun" >&2
    exit 1
fi
echo "prepare-test-machine: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
