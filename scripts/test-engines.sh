#!/usr/bin/env bash
# Starts the engines berth's integration tests run against, in one short temp
# directory, with a busybox test image on each; writes DIR/engines.json.
#
#   scripts/test-engines.sh up [NAMES]     prints DIR; NAMES like "dockerd-20.10 dockerd-tls podman-4.3 registry"
#   scripts/test-engines.sh down DIR
#   scripts/test-engines.sh leftovers DIR  lists containers left on the engines (exit 1 if any)
#
# Without NAMES, every engine that can run here is started: dockerd 20.10
# (plain and TLS) when dockerd is installed, podman when installed, dockerd
# 26.1 and 28.5 when scripts/engine.sh fetched them before (BERTH_FETCH=1
# fetches them now), and two private registries (`registry`: one open, one
# asking for basic auth) when docker-registry is installed. Engines that
# cannot start are left out and listed in DIR/missing; tests then skip them,
# or fail when BERTH_REQUIRE_ENGINES asks. The registries start first, on
# free ports (or BERTH_REGISTRY_PORTS="OPEN AUTH"), so that podman is told
# to speak plain HTTP to them; their addresses and the test credentials go
# to engines.json as "registries".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ENGINE="$HERE/engine.sh"
CACHE=${BERTH_ENGINE_CACHE:-$HERE/../.cache/engines}

up() {
  local names=${1:-}
  if [ -z "$names" ]; then
    names=""
    if [ "$(id -u)" = 0 ] && command -v dockerd > /dev/null; then names="dockerd-20.10 dockerd-tls"; fi
    if [ "$(id -u)" = 0 ] && command -v podman > /dev/null; then names="$names podman-4.3"; fi
    if [ "$(id -u)" = 0 ]; then
      if [ -x "$CACHE/trixie/bin/dockerd" ] || [ "${BERTH_FETCH:-}" = 1 ]; then names="$names dockerd-26.1"; fi
      if [ -x "$CACHE/sid/bin/dockerd" ] || [ "${BERTH_FETCH:-}" = 1 ]; then names="$names dockerd-28.5"; fi
    fi
    if [ -x "${REGISTRY_BIN:-/usr/bin/docker-registry}" ]; then names="$names registry"; fi
  fi
  local dir; dir=$(mktemp -d /tmp/bte.XXXX)
  : > "$dir/missing"
  local n
  case " $names " in *" registry "*)
    names=$(echo " $names " | sed 's/ registry / /')
    if registries "$dir" > "$dir/registries.err" 2>&1; then
      export BERTH_INSECURE_REGISTRIES; BERTH_INSECURE_REGISTRIES=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["open"], r["auth"])' "$dir/registries.json")
    else
      echo "registry: $(tail -n 3 "$dir/registries.err" | tr '\n' ' ')" >> "$dir/missing"
      rm -f "$dir/registries.json"
    fi ;;
  esac
  for n in $names; do
    (
      case "$n" in
        dockerd-20.10) host=$("$ENGINE" start dockerd "$dir/$n") ;;
        dockerd-26.1) host=$("$ENGINE" start dockerd-26 "$dir/$n") ;;
        dockerd-28.5) host=$("$ENGINE" start dockerd-28 "$dir/$n") ;;
        dockerd-tls) host=$("$ENGINE" start dockerd-tls "$dir/$n") ;;
        podman-4.3) host=$("$ENGINE" start podman "$dir/$n") ;;
        *) echo "unknown engine $n" >&2; exit 1 ;;
      esac || exit 1
      sock="$dir/$n/docker.sock"; [ "$n" = podman-4.3 ] && sock="$dir/$n/podman.sock"
      imageid=$("$ENGINE" image "$sock" busybox:test) || exit 1
      version=$(curl -s --unix-socket "$sock" http://engine/version | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Version"]+" "+d["ApiVersion"])')
      certs=""; [ "$n" = dockerd-tls ] && certs="$dir/$n/certs"
      python3 - "$n" "$host" "$sock" "$imageid" "$version" "$certs" > "$dir/$n.json" <<'PY'
import json, sys
name, host, sock, image, version, certs = sys.argv[1:7]
v, api = version.split(" ")
print(json.dumps({"name": name, "host": host, "socket": "unix://" + sock, "imageId": image,
                  "image": "busybox:test", "version": v, "apiVersion": api,
                  "kind": "podman" if name.startswith("podman") else "dockerd", "dir": sys.argv[3].rsplit("/", 1)[0],
                  **({"certs": certs} if certs else {})}))
PY
    ) > "$dir/$n.out" 2> "$dir/$n.err" &
    echo "$!" > "$dir/$n.starter"
  done
  for n in $names; do
    if ! wait "$(cat "$dir/$n.starter")" || [ ! -s "$dir/$n.json" ]; then
      echo "$n: $(tail -n 3 "$dir/$n.err" | tr '\n' ' ')" >> "$dir/missing"
      rm -f "$dir/$n.json"
    fi
    rm -f "$dir/$n.starter"
  done
  python3 - "$dir" > "$dir/engines.json" <<'PY'
import glob, json, os, sys
d = sys.argv[1]
skip = ("engines.json", "registries.json")
engines = [json.load(open(f)) for f in sorted(glob.glob(d + "/*.json")) if not f.endswith(skip)]
out = {"dir": d, "engines": engines}
if os.path.exists(d + "/registries.json"):
    out["registries"] = json.load(open(d + "/registries.json"))
print(json.dumps(out, indent=2))
PY
  echo "$dir"
}

# two registries: DIR/registry (open) and DIR/registry-auth (basic auth,
# user berth and a fresh password); writes DIR/registries.json
registries() {
  local dir=$1 open_port="" auth_port=""
  read -r open_port auth_port <<< "${BERTH_REGISTRY_PORTS:-}"
  local password; password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  local open auth
  open=$("$ENGINE" registry "$dir/registry" $open_port) || return 1
  auth=$("$ENGINE" registry "$dir/registry-auth" $auth_port --htpasswd "berth:$password") || return 1
  python3 - "$open" "$auth" "$password" > "$dir/registries.json" <<'PY'
import json, sys
print(json.dumps({"open": sys.argv[1], "auth": sys.argv[2], "user": "berth", "password": sys.argv[3]}))
PY
}

# lists the containers still on each engine of DIR (one line per engine that
# has any: "NAME: N containers: name1 name2 …"); exits 1 when there are any
leftovers() {
  local dir=${1:?dir} found=0 f
  for f in "$dir"/*.json; do
    case "$f" in */engines.json|*/registries.json) continue ;; esac
    local name sock names
    read -r name sock < <(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["name"], e["socket"][len("unix://"):])' "$f")
    if ! names=$("$ENGINE" containers "$sock" 2> /dev/null | cut -d ' ' -f 2 | sort | tr '\n' ' '); then
      echo "$name: not answering"; found=1; continue
    fi
    if [ -n "$names" ]; then echo "$name: $(wc -w <<< "$names") containers: ${names% }"; found=1; fi
  done
  return $found
}

down() {
  local dir=${1:?dir}
  [ -d "$dir" ] || return 0
  local d
  for d in "$dir"/*/; do
    [ -d "$d" ] || continue
    "$ENGINE" stop "${d%/}" > /dev/null 2>&1 &
  done
  wait
  rm -rf "$dir"
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down "${2:-}" ;;
  leftovers) leftovers "${2:-}" ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
