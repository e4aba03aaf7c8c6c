# Sourced by scripts/test and scripts/demo: the project's virtualenv in .venv, installed on the
# first run and again whenever pyproject.toml changes.
ensure_venv() {
  local extras="$1"
  local stamp=".venv/.modelreg-installed"
  local hash
  hash="$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  # An install with the test extras serves the demo too.
  if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$extras $hash" ] || [ "$(cat "$stamp")" = ".[test] $hash" ]; }; then
    return 0
  fi
  echo "Installing modelreg ($extras) into .venv; first run only ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$extras" >&2
  echo "$extras $hash" > "$stamp"
}
