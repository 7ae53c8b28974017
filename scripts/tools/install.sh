#!/usr/bin/env bash
# Installs the external validators that `npm run verify` runs, each at the version pinned in versions.env, into a
# git-ignored cache (.cache/tools, or $VERIFY_TOOLS_DIR). A tool whose version stamp matches is reused, so a second
# run only checks. Everything comes from the package registries by name: Go modules through the Go module proxy
# (go install), Python packages from PyPI (pip), shellcheck from Debian (apt). Nothing else is downloaded.
#
# Per tool it prints what it installs, how, and how long that took, and writes a status file
# (.cache/tools/status/<tool>: "ok <version>" or "unavailable <reason>") that verify reads. A tool that cannot be
# had here (a module the proxy refuses, no apt) is reported and skipped; the script still exits 0 so that the
# other validators run. It exits non-zero only when a tool that is to be had fails to build or install.
#
# Usage: bash scripts/tools/install.sh [--quiet]
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=versions.env
source "$root/scripts/tools/versions.env"
cache="${VERIFY_TOOLS_DIR:-$root/.cache/tools}"
bin="$cache/bin"
stamps="$cache/stamps"
status_dir="$cache/status"
providers_dir="$cache/providers"
mkdir -p "$bin" "$stamps" "$status_dir" "$providers_dir" "$cache/tmp"
export CHECKPOINT_DISABLE=1
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export PATH="$bin:$PATH"

failed=0
summary=()

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[tools] %s\n' "$*"; }
is_fresh() { # NAME VERSION FILE: the stamp says VERSION and FILE is there
  [[ -f "$stamps/$1" && "$(cat "$stamps/$1")" == "$2" && -e "$3" ]]
}
mark_ok() { # NAME VERSION
  printf '%s\n' "$2" >"$stamps/$1"
  printf 'ok %s\n' "$2" >"$status_dir/$1"
}
mark_unavailable() { # NAME REASON
  rm -f "$stamps/$1"
  printf 'unavailable %s\n' "$2" >"$status_dir/$1"
  summary+=("$(printf '%-22s unavailable: %s' "$1" "$2")")
}
mark_failed() { # NAME REASON
  rm -f "$stamps/$1"
  printf 'failed %s\n' "$2" >"$status_dir/$1"
  say "$1: FAILED: $2"
  summary+=("$(printf '%-22s FAILED: %s' "$1" "$2")")
  failed=1
}
reused() { # NAME VERSION
  printf 'ok %s\n' "$2" >"$status_dir/$1"
  summary+=("$(printf '%-22s %-14s reused from the cache' "$1" "$2")")
}
installed() { # NAME VERSION START HOW
  local secs
  secs="$(elapsed "$3")"
  mark_ok "$1" "$2"
  say "$1 $2 installed in ${secs}s ($4)"
  summary+=("$(printf '%-22s %-14s installed in %ss (%s)' "$1" "$2" "$secs" "$4")")
}
need_go() {
  command -v go >/dev/null 2>&1
}
# The proxy's refusal for MODULE@VERSION on one line (the proxy's address shortened to <GOPROXY>), or nothing when
# the proxy serves it.
proxy_refusal() {
  local out
  if out="$(go list -m -json "$1@$2" 2>&1)"; then
    return 0
  fi
  printf '%s' "$out" | tr '\n' ' ' | sed -E -e 's#https?://[^/ ]+/#<GOPROXY>/#g' -e 's/[[:space:]]+/ /g' -e 's/ $//'
}
go_tool() { # NAME MODULE VERSION BINARY
  local name="$1" module="$2" version="$3" binary="$4" start log
  if is_fresh "$name" "$version" "$bin/$binary"; then reused "$name" "$version"; return; fi
  if ! need_go; then mark_unavailable "$name" "go is not on PATH: cannot build $module@$version"; return; fi
  say "installing $name $version: go install $module@$version (Go module proxy) ..."
  start="$(now)"
  log="$cache/tmp/$name.log"
  if GOBIN="$bin" go install "$module@$version" >"$log" 2>&1; then
    installed "$name" "$version" "$start" "go install $module@$version"
  else
    tail -n 20 "$log" >&2
    mark_failed "$name" "go install $module@$version failed (log: $log)"
  fi
}

# --- Helm, actionlint ---------------------------------------------------------------------------------------------
go_tool helm "$HELM_MODULE" "$HELM_VERSION" helm
go_tool actionlint "$ACTIONLINT_MODULE" "$ACTIONLINT_VERSION" actionlint

# --- shellcheck (Debian) ------------------------------------------------------------------------------------------
# Preferred: `apt-get download` the pinned .deb and unpack its binary into the cache (no change to the system).
# Fallback, as root: `apt-get install shellcheck=VERSION`, then link the system binary into the cache.
install_shellcheck() {
  local version="$SHELLCHECK_DEB_VERSION" start work deb
  if is_fresh shellcheck "$version" "$bin/shellcheck" && "$bin/shellcheck" --version >/dev/null 2>&1; then
    reused shellcheck "$version"; return
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    mark_unavailable shellcheck "apt-get is not available: install Debian's shellcheck $version by hand"; return
  fi
  say "installing shellcheck $version (Debian package) ..."
  start="$(now)"
  if [[ -z "$(apt-cache madison shellcheck 2>/dev/null | awk -v v="$version" '$3 == v')" ]]; then
    if [[ "$(id -u)" == 0 ]]; then
      say "shellcheck: apt lists lack $version; running apt-get update"
      apt-get update -qq >"$cache/tmp/apt-update.log" 2>&1 || true
    else
      mark_unavailable shellcheck "apt lists lack shellcheck=$version and this is not root: run 'apt-get update' as root"; return
    fi
  fi
  work="$(mktemp -d "$cache/tmp/shellcheck.XXXXXX")"
  if (cd "$work" && apt-get download -q "shellcheck=$version" >"$cache/tmp/shellcheck.log" 2>&1); then
    deb="$(ls "$work"/shellcheck_*.deb)"
    dpkg-deb -x "$deb" "$work/root"
    cp "$work/root/usr/bin/shellcheck" "$bin/shellcheck.new"
    mv -f "$bin/shellcheck.new" "$bin/shellcheck"
    rm -rf "$work"
    if "$bin/shellcheck" --version >/dev/null 2>&1; then
      installed shellcheck "$version" "$start" "apt-get download shellcheck=$version, unpacked into the cache"; return
    fi
    rm -f "$bin/shellcheck"
    say "shellcheck: the unpacked binary does not run here (missing libraries?); trying apt-get install"
  else
    rm -rf "$work"
  fi
  if [[ "$(id -u)" != 0 ]]; then
    mark_unavailable shellcheck "cannot download shellcheck=$version, and apt-get install needs root"; return
  fi
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "shellcheck=$version" >>"$cache/tmp/shellcheck.log" 2>&1; then
    ln -sf "$(command -v shellcheck)" "$bin/shellcheck"
    installed shellcheck "$version" "$start" "apt-get install shellcheck=$version"
  else
    tail -n 20 "$cache/tmp/shellcheck.log" >&2
    mark_failed shellcheck "apt-get install shellcheck=$version failed (log: $cache/tmp/shellcheck.log)"
  fi
}
install_shellcheck

# --- checkov, kubernetes-validate (PyPI, in a virtualenv) -----------------------------------------------------------
install_python_tools() {
  local lock="$root/scripts/tools/requirements.lock" venv="$cache/venv" start version py
  version="checkov==$CHECKOV_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION lock:$(sha256sum "$lock" | cut -c1-12)"
  if is_fresh python-tools "$version" "$venv/bin/checkov" && [[ -x "$venv/bin/kubernetes-validate" ]]; then
    reused checkov "$CHECKOV_VERSION"; reused kubernetes-validate "$KUBERNETES_VALIDATE_VERSION"
    printf 'ok %s\n' "$version" >"$status_dir/python-tools"; return
  fi
  py="$(command -v python3 || true)"
  if [[ -z "$py" ]]; then
    mark_unavailable checkov "python3 is not on PATH"; mark_unavailable kubernetes-validate "python3 is not on PATH"; return
  fi
  say "installing checkov $CHECKOV_VERSION and kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI, pip into $venv) ..."
  start="$(now)"
  rm -rf "$venv"
  if "$py" -m venv "$venv" >"$cache/tmp/pip.log" 2>&1 &&
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$lock" >>"$cache/tmp/pip.log" 2>&1 &&
    [[ "$("$venv/bin/pip" show checkov | awk '/^Version:/ {print $2}')" == "$CHECKOV_VERSION" ]] &&
    [[ "$("$venv/bin/pip" show kubernetes-validate | awk '/^Version:/ {print $2}')" == "$KUBERNETES_VALIDATE_VERSION" ]]; then
    installed python-tools "$CHECKOV_VERSION/$KUBERNETES_VALIDATE_VERSION" "$start" "checkov, kubernetes-validate: pip install -r scripts/tools/requirements.lock"
    printf '%s\n' "$version" >"$stamps/python-tools"
    printf 'ok %s\n' "$CHECKOV_VERSION" >"$status_dir/checkov"
    printf 'ok %s\n' "$KUBERNETES_VALIDATE_VERSION" >"$status_dir/kubernetes-validate"
  else
    tail -n 20 "$cache/tmp/pip.log" >&2
    mark_failed checkov "pip install failed (log: $cache/tmp/pip.log)"
    mark_failed kubernetes-validate "pip install failed (log: $cache/tmp/pip.log)"
  fi
}
install_python_tools

# --- CRD schemas (Go module proxy) ----------------------------------------------------------------------------------
# `go mod download -json MODULE@VERSION` into a throwaway module cache, the zip's hash compared with the pin, then only
# the listed files copied out (scripts/tools/crds.py extract). go may add a complaint that the module needs a newer Go
# than this one; nothing here builds it, so the verified zip is used all the same.
install_crds() { # NAME|MODULE|VERSION|SUM|FILES
  local name module version sum files dest tmp zip got error start paths
  IFS='|' read -r name module version sum files <<<"$1"
  IFS=',' read -r -a paths <<<"$files"
  dest="$cache/crds/$name"
  if is_fresh "crds-$name" "$version $sum" "$dest"; then reused "crds-$name" "$version"; return; fi
  if ! need_go; then mark_unavailable "crds-$name" "go is not on PATH: cannot download $module@$version"; return; fi
  if ! command -v python3 >/dev/null 2>&1; then mark_unavailable "crds-$name" "python3 is not on PATH"; return; fi
  say "downloading the $name CRDs: go mod download $module@$version (Go module proxy) ..."
  start="$(now)"
  tmp="$(mktemp -d "$cache/tmp/crds-$name.XXXXXX")"
  GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" GOFLAGS="-mod=mod -modcacherw" \
    go mod download -json "$module@$version" >"$tmp/download.json" 2>"$tmp/download.log" || true
  zip="$(sed -n 's/^[[:space:]]*"Zip": "\(.*\)",*$/\1/p' "$tmp/download.json")"
  got="$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p' "$tmp/download.json")"
  error="$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' "$tmp/download.json")"
  if [[ -z "$zip" || ! -f "$zip" ]]; then
    mark_failed "crds-$name" "go mod download $module@$version: ${error:-$(tr '\n' ' ' <"$tmp/download.log")}"
  elif [[ "$got" != "$sum" ]]; then
    mark_failed "crds-$name" "$module@$version has hash $got, versions.env pins $sum"
  else
    rm -rf "$dest"
    if python3 "$root/scripts/tools/crds.py" extract "$zip" "$module@$version" "$dest" "${paths[@]}" >"$tmp/extract.log" 2>&1; then
      installed "crds-$name" "$version $sum" "$start" "go mod download $module@$version, ${#paths[@]} file(s) into crds/$name"
    else
      tail -n 5 "$tmp/extract.log" >&2
      mark_failed "crds-$name" "extracting ${paths[*]} from $module@$version failed"
    fi
  fi
  rm -rf "$tmp"
}
for spec in "$CRDS_FLUX" "$CRDS_KYVERNO"; do
  install_crds "$spec"
done

# --- terraform ----------------------------------------------------------------------------------------------------
install_terraform() {
  local want="${TERRAFORM_VERSION#v}" minor system_tf have
  minor="${want%.*}"
  system_tf="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd:)" command -v terraform || true)"
  if [[ -n "$system_tf" ]]; then
    have="$(TF_CLI_CONFIG_FILE=/dev/null "$system_tf" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')"
    if [[ "$have" == "$minor".* ]]; then
      if [[ "$(readlink "$bin/terraform" 2>/dev/null)" != "$system_tf" ]]; then
        ln -sf "$system_tf" "$bin/terraform"
      fi
      printf 'ok %s\n' "$have" >"$status_dir/terraform"
      summary+=("$(printf '%-22s %-14s the machine'"'"'s own (%s)' terraform "$have" "$system_tf")")
      return
    fi
  fi
  [[ -L "$bin/terraform" ]] && rm -f "$bin/terraform"
  go_tool terraform "$TERRAFORM_MODULE" "$TERRAFORM_VERSION" terraform
}
install_terraform

# --- Terraform providers (Go module proxy) --------------------------------------------------------------------------
# Each is built with `go install MODULE@VERSION` into providers/<name>/, which the CLI config below hands to
# Terraform through dev_overrides. When the proxy refuses the module, the refusal is recorded and verify skips
# `terraform validate`.
install_provider() { # NAME|SOURCE|MODULE|VERSION
  local name source module version refusal start dir bytes
  IFS='|' read -r name source module version <<<"$1"
  dir="$providers_dir/$name"
  if is_fresh "provider-$name" "$version" "$dir/terraform-provider-$name"; then reused "provider-$name" "$version"; return; fi
  if ! need_go; then mark_unavailable "provider-$name" "go is not on PATH: cannot build $module@$version"; return; fi
  refusal="$(proxy_refusal "$module" "$version")"
  if [[ -n "$refusal" ]]; then
    mark_unavailable "provider-$name" "module $module@$version not served by the Go module proxy: $refusal"; return
  fi
  say "building provider $source $version: go install $module@$version (Go module proxy; takes minutes) ..."
  start="$(now)"
  mkdir -p "$dir"
  if GOBIN="$dir" go install "$module@$version" >"$cache/tmp/provider-$name.log" 2>&1; then
    # go install names the binary after the module's last element; a /vN suffix is dropped.
    [[ -x "$dir/terraform-provider-$name" ]] || mv "$dir"/terraform-provider-* "$dir/terraform-provider-$name"
    bytes="$(stat -c %s "$dir/terraform-provider-$name")"
    installed "provider-$name" "$version" "$start" "go install $module@$version, $((bytes / 1048576)) MiB"
  else
    tail -n 20 "$cache/tmp/provider-$name.log" >&2
    mark_failed "provider-$name" "go install $module@$version failed (log: $cache/tmp/provider-$name.log)"
  fi
}
for spec in "$PROVIDER_AZURERM" "$PROVIDER_HELM" "$PROVIDER_GITHUB"; do
  install_provider "$spec"
done

# A CLI config of our own: only the providers built above, never a network install.
{
  printf '# Written by scripts/tools/install.sh. Providers built from the Go module proxy; nothing is installed from the network.\n'
  printf 'provider_installation {\n  dev_overrides {\n'
  for spec in "$PROVIDER_AZURERM" "$PROVIDER_HELM" "$PROVIDER_GITHUB"; do
    IFS='|' read -r name source _ _ <<<"$spec"
    if [[ -x "$providers_dir/$name/terraform-provider-$name" ]]; then
      printf '    "%s" = "%s"\n' "$source" "$providers_dir/$name"
    fi
  done
  printf '  }\n}\n'
} >"$cache/terraformrc"

say "summary (cache: $cache):"
for line in "${summary[@]}"; do printf '[tools]   %s\n' "$line"; done
exit "$failed"
