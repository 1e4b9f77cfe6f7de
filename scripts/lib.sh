# Shared set-up for the scripts in this folder: sourced, not run.
# Creates the virtualenv in .venv (or $CRM_PLUS_VENV) with the module
# installed in development mode, once; later calls only check it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${CRM_PLUS_VENV:-$ROOT/.venv}
PYTHON=$VENV/bin/python

ensure_venv() {
    local stamp=$VENV/.crm_plus-installed
    if [ ! -x "$PYTHON" ]; then
        echo "Creating the virtualenv in $VENV" >&2
        python3 -m venv "$VENV"
    fi
    # Reinstall when the distribution's requirements changed.
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "Installing trytond-crm-plus and its dependencies" >&2
        "$PYTHON" -m pip install --quiet --disable-pip-version-check \
            --upgrade pip
        "$PYTHON" -m pip install --quiet --disable-pip-version-check \
            -e "$ROOT[postgresql,test]"
        touch "$stamp"
    fi
    export PATH=$VENV/bin:$PATH
}
