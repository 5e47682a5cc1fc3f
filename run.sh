#!/usr/bin/env bash
# One entry point for a new user and for CI:
#   ./run.sh demo   set everything up, then run the main job on the embedded SQLite database
#   ./run.sh test   set everything up, then lint, type-check and run the whole test suite
# Both are idempotent: the second run only checks that nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
STAMP="$VENV/.canvass-installed"

install_system_packages() {
    # System packages the project needs (tesseract for printed text, fonts for the worksheet).
    local missing=()
    while read -r pkg; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done < scripts/apt-packages.txt
    if ((${#missing[@]})); then
        echo "Installing system packages: ${missing[*]}" >&2
        local sudo=""
        [[ $(id -u) -ne 0 ]] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

install_python_packages() {
    local want
    want=$(cat pyproject.toml scripts/apt-packages.txt | sha256sum | cut -d' ' -f1)
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
        return
    fi
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
    echo "$want" > "$STAMP"
}

setup() {
    install_system_packages
    install_python_packages
}

case "${1:-}" in
    demo)
        shift
        setup
        exec "$VENV/bin/canvass" demo --serve "$@"
        ;;
    test)
        shift
        setup
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/mypy"
        exec "$VENV/bin/pytest" -n auto "$@"
        ;;
    setup)
        setup
        ;;
    *)
        echo "usage: ./run.sh demo|test|setup" >&2
        exit 2
        ;;
esac
