#!/usr/bin/env bash
# Private Docker-compatible engines for berth's tests, each confined to one
# short directory. Nothing outside that directory is touched (but for the
# host-global docker_gwbridge of an engine that was in a swarm, which stop
# deletes), and engines are stopped by the pid they recorded, never by name.
#
#   scripts/engine.sh start dockerd     DIR           dockerd from PATH (Debian 12: 20.10)
#   scripts/engine.sh start dockerd-26  DIR           dockerd 26.1 from Debian trixie's .debs (fetched once)
#   scripts/engine.sh start dockerd-28  DIR           dockerd 28.5 from Debian sid's .debs (fetched once)
#   scripts/engine.sh start dockerd-tls DIR [PORT]    dockerd + tcp://127.0.0.1:PORT with mutual TLS (certs in DIR/certs)
#   scripts/engine.sh start podman      DIR           podman's compat API
#   scripts/engine.sh stop  DIR                       stops whatever DIR holds, removes its containers,
#                                                     leaves its swarm and deletes its docker_gwbridge
#   scripts/engine.sh image SOCKET [TAG]              a busybox image built FROM scratch (needs busybox-static)
#   scripts/engine.sh containers SOCKET               every container on the engine: "ID NAME" per line
#   scripts/engine.sh fetch SUITE                     downloads and unpacks a suite's docker.io (trixie|sid)
#   scripts/engine.sh certs DIR                       CA, server, client and a rogue client certificate
#   scripts/engine.sh registry DIR [PORT] [--htpasswd USER:PASS]
#                                                     a private registry (distribution 2.8) on 127.0.0.1:PORT
#   scripts/engine.sh swarm-init  SOCKET ADVERTISE_IP [PORT]
#        makes a dockerd the first manager of a new swarm, listening on ADVERTISE_IP:PORT
#        (default 2377); prints "ADVERTISE_IP:PORT WORKER_TOKEN"
#   scripts/engine.sh swarm-join  SOCKET ADVERTISE_IP MANAGER_ADDR TOKEN [PORT]
#        joins a dockerd to the swarm of MANAGER_ADDR (ip:port), listening on ADVERTISE_IP:PORT
#   scripts/engine.sh swarm-leave SOCKET              leaves the swarm (force) and deletes docker_gwbridge
#
# Swarm on one machine: docker_gwbridge is a host-global interface name and
# gossip binds ADVERTISE_IP:7946, so one swarm at a time, and one node per
# loopback address (127.0.0.1, 127.0.0.2, … need no setup). Services cannot
# publish ports here (no IPVS): give tasks host networking.
#
# `start` prints the engine's DOCKER_HOST on stdout (for dockerd-tls: the
# tcp:// URL); details go to DIR/engine.log. `registry` prints HOST:PORT and
# keeps its storage, config.yml and log in DIR; with --htpasswd it asks for
# basic auth (bcrypt). `stop DIR` stops it too. podman talks plain HTTP only
# to registries named in BERTH_INSECURE_REGISTRIES (space-separated
# HOST:PORT) when it starts; dockerd already trusts 127.0.0.0/8. Env: BERTH_ENGINE_CACHE (where
# fetched engines live, default .cache/engines in the repository).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BERTH_ENGINE_CACHE:-$HERE/../.cache/engines}

die() { echo "engine.sh: $*" >&2; exit 1; }

# unix socket paths are limited to 107 bytes, and containerd nests its own
# socket several levels below the exec root
short_dir() {
  mkdir -p "$1"
  local d; d=$(cd "$1" && pwd)
  [ ${#d} -le 60 ] || die "directory path too long for unix sockets (${#d} > 60): $d"
  echo "$d"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ping_ok() { [ -S "$1" ] && [ "$(curl -s --max-time 2 --unix-socket "$1" http://engine/_ping 2>/dev/null)" = OK ]; }

# every container on the engine at SOCKET, one "ID NAME" line each; fails when the engine does not answer
containers() { # socket
  curl -sf --max-time 20 --unix-socket "$1" 'http://engine/containers/json?all=1' \
    | python3 -c 'import json,sys; [print(c["Id"], (c.get("Names") or ["/" + c["Id"][:12]])[0].lstrip("/")) for c in json.load(sys.stdin)]'
}

wait_ready() { # pid socket log seconds
  local deadline=$(( $(date +%s) + $4 ))
  until ping_ok "$2"; do
    kill -0 "$1" 2>/dev/null || { tail -n 30 "$3" >&2; die "engine exited while starting (log: $3)"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "engine not ready after $4 s (log: $3)"
    sleep 0.05
  done
}

fetch() { # suite -> prints the dockerd path
  local suite=$1 out="$CACHE/$1"
  if [ -x "$out/bin/dockerd" ]; then echo "$out/bin/dockerd"; return; fi
  mkdir -p "$out/apt/lists/partial" "$out/apt/cache/archives/partial" "$out/apt/parts" "$out/debs" "$out/root" "$out/bin"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${DEBIAN_MIRROR:-http://deb.debian.org/debian} $suite main" > "$out/apt/sources.list"
  # a private apt state: the system's package lists and cache stay as they are
  local o=(-o "Dir::Etc::SourceList=$out/apt/sources.list" -o "Dir::Etc::SourceParts=$out/apt/parts"
           -o "Dir::State::Lists=$out/apt/lists" -o "Dir::Cache=$out/apt/cache"
           -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  apt-get "${o[@]}" -q update > "$out/fetch.log" 2>&1 || { cat "$out/fetch.log" >&2; die "apt-get update for $suite failed"; }
  ( cd "$out/debs" && apt-get "${o[@]}" -q download docker.io containerd >> "$out/fetch.log" 2>&1 ) \
    || { tail -n 5 "$out/fetch.log" >&2; die "downloading docker.io from $suite failed"; }
  local deb; for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/root"; done
  # only the daemons: runc and docker-init come from the system (newer runc needs a newer glibc)
  local b; for b in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2; do
    [ -e "$out/root/$b" ] && ln -sf "$out/root/$b" "$out/bin/"
  done
  ls "$out/debs" >> "$out/fetch.log"
  rm -rf "$out/apt" "$out/debs"
  echo "$out/bin/dockerd"
}

start_dockerd() { # dir dockerd-binary [extra args]
  local dir=$1 bin=$2; shift 2
  local sock="$dir/docker.sock"
  if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo "unix://$sock"; return; fi
  mkdir -p "$dir/data" "$dir/exec"
  echo "dockerd" > "$dir/kind"
  # the binary's folder first, so a fetched dockerd finds its own containerd
  PATH="$(dirname "$bin"):$PATH" setsid "$bin" \
    --host "unix://$sock" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    --bridge=none --iptables=false --ip-masq=false "$@" \
    > "$dir/engine.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$dir/launch.pid"
  wait_ready "$pid" "$sock" "$dir/engine.log" "${READY_TIMEOUT:-90}"
  echo "unix://$sock"
}

certs() { # dir
  local d; d=$(short_dir "$1")
  [ -s "$d/client/key.pem" ] && return 0
  mkdir -p "$d/server" "$d/client" "$d/rogue"
  (
    cd "$d"
    q() { "$@" > /dev/null 2>&1; }
    q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -subj /CN=berth-test-ca -days 3650 -sha256 -out ca.pem
    q openssl req -newkey rsa:2048 -nodes -keyout server/key.pem -subj /CN=localhost -out server/req.pem
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server/ext
    q openssl x509 -req -in server/req.pem -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -sha256 -extfile server/ext -out server/cert.pem
    q openssl req -newkey rsa:2048 -nodes -keyout client/key.pem -subj /CN=berth-test-client -out client/req.pem
    printf 'extendedKeyUsage=clientAuth\n' > client/ext
    q openssl x509 -req -in client/req.pem -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -sha256 -extfile client/ext -out client/cert.pem
    # a client certificate from a CA the engine does not trust
    q openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue/ca-key.pem -subj /CN=rogue-ca -days 3650 -out rogue/ca.pem
    q openssl req -newkey rsa:2048 -nodes -keyout rogue/key.pem -subj /CN=rogue-client -out rogue/req.pem
    q openssl x509 -req -in rogue/req.pem -CA rogue/ca.pem -CAkey rogue/ca-key.pem -CAcreateserial -days 3650 -extfile client/ext -out rogue/cert.pem
    cp ca.pem server/ca.pem; cp ca.pem client/ca.pem
    rm -f ./*/req.pem ./*/ext
    chmod 600 ./*key.pem ./*/key.pem ./*/ca-key.pem 2>/dev/null || true
  ) || die "certificate generation failed"
}

start_podman() { # dir
  local dir=$1 sock="$1/podman.sock"
  command -v podman > /dev/null || die "podman is not installed (apt-get install podman)"
  if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo "unix://$sock"; return; fi
  mkdir -p "$dir/root" "$dir/run" "$dir/tmp" "$dir/volumes" "$dir/networks"
  echo "podman" > "$dir/kind"
  # Containers get the service's own hard rlimits: raising them needs
  # CAP_SYS_RESOURCE, which sandboxes often lack. runc, not crun: crun 1.8
  # refuses hybrid cgroup layouts. No systemd: cgroupfs and a file event log.
  local nofile nproc
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=1048576
  [ "$nproc" = unlimited ] && nproc=1048576
  # podman itself lowers nproc when it starts; stay under that
  [ "$nproc" -gt 32768 ] && nproc=32768
  cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
runtime = "runc"
tmp_dir = "$dir/tmp"
volume_path = "$dir/volumes"
[network]
network_config_dir = "$dir/networks"
CONF
  cat > "$dir/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$dir/root"
runroot = "$dir/run"
CONF
  # the system's registries, plus plain HTTP for the test registries named in
  # BERTH_INSECURE_REGISTRIES (podman reads this once, when it starts)
  {
    local r; for r in ${BERTH_INSECURE_REGISTRIES:-}; do
      printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$r"
    done
  } > "$dir/registries.conf"
  printf 'export CONTAINERS_CONF=%s\nexport CONTAINERS_STORAGE_CONF=%s\nexport CONTAINERS_REGISTRIES_CONF=%s\nexport TMPDIR=%s\n' \
    "$dir/containers.conf" "$dir/storage.conf" "$dir/registries.conf" "$dir/tmp" > "$dir/env"
  # shellcheck disable=SC1091
  . "$dir/env"
  setsid podman --log-level=info system service --time=0 "unix://$sock" > "$dir/engine.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$dir/pid"
  wait_ready "$pid" "$sock" "$dir/engine.log" "${READY_TIMEOUT:-60}"
  echo "unix://$sock"
}

sock_path() { echo "${1#unix://}"; }

api() { # socket method path [json body] -> body on stdout; fails on an HTTP error
  local sock; sock=$(sock_path "$1")
  local out code
  if [ $# -ge 4 ]; then
    out=$(curl -sS --max-time 60 --unix-socket "$sock" -X "$2" -H 'Content-Type: application/json' -d "$4" -w '\n%{http_code}' "http://engine$3")
  else
    out=$(curl -sS --max-time 60 --unix-socket "$sock" -X "$2" -w '\n%{http_code}' "http://engine$3")
  fi || return 1
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if [ "$code" -ge 400 ]; then echo "engine.sh: $2 $3 answered $code: $out" >&2; return 1; fi
  printf '%s' "$out"
}

json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

swarm_init() { # socket advertise-ip [port]
  local sock=$1 ip=$2 port=${3:-2377}
  api "$sock" POST /swarm/init "{\"ListenAddr\":$(json_str "$ip:$port"),\"AdvertiseAddr\":$(json_str "$ip:$port")}" > /dev/null \
    || die "swarm init on $sock failed"
  local token
  token=$(api "$sock" GET /swarm | python3 -c 'import json,sys; print(json.load(sys.stdin)["JoinTokens"]["Worker"])') \
    || die "no join token from $sock"
  echo "$ip:$port $token"
}

swarm_join() { # socket advertise-ip manager-addr token [port]
  local sock=$1 ip=$2 manager=$3 token=$4 port=${5:-2377}
  api "$sock" POST /swarm/join "{\"ListenAddr\":$(json_str "$ip:$port"),\"AdvertiseAddr\":$(json_str "$ip:$port"),\"RemoteAddrs\":[$(json_str "$manager")],\"JoinToken\":$(json_str "$token")}" > /dev/null \
    || die "swarm join of $sock to $manager failed"
}

# Leaves the swarm and deletes the engine's docker_gwbridge network (and so
# its interface); the ingress sandbox may hold it a moment after the leave.
# Prints "gwbridge" when the engine had one; fails when it stays in use
# (dockerd 20.10 sometimes keeps its ingress sandbox: stopping frees it).
swarm_leave() { # socket
  local sock=$1 i
  ping_ok "$(sock_path "$sock")" || return 0
  api "$sock" POST '/swarm/leave?force=1' > /dev/null 2>&1 || true
  api "$sock" GET /networks/docker_gwbridge > /dev/null 2>&1 || return 0
  echo gwbridge
  for i in $(seq 1 50); do
    api "$sock" DELETE /networks/docker_gwbridge > /dev/null 2>&1 && return 0
    api "$sock" GET /networks/docker_gwbridge > /dev/null 2>&1 || return 0
    sleep 0.1
  done
  echo "engine.sh: docker_gwbridge of $sock is still in use (stopping the engine frees it)" >&2
  return 1
}

bcrypt_line() { # user password -> an htpasswd line with a bcrypt hash (what distribution accepts)
  if command -v htpasswd > /dev/null; then
    printf '%s' "$2" | htpasswd -niB "$1" | head -n 1
  else
    python3 -W ignore -c 'import crypt, sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))' "$1" "$2"
  fi
}

start_registry() { # dir [port] [--htpasswd user:pass]
  local dir=$1; shift
  local port="" auth=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --htpasswd) auth=${2:?--htpasswd USER:PASS}; shift 2 ;;
      *) port=$1; shift ;;
    esac
  done
  local bin=${REGISTRY_BIN:-/usr/bin/docker-registry}
  [ -x "$bin" ] || die "no registry at $bin (apt-get install docker-registry)"
  if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then cat "$dir/address"; return; fi
  [ -n "$port" ] || port=$(free_port)
  mkdir -p "$dir/data"
  echo registry > "$dir/kind"
  echo "127.0.0.1:$port" > "$dir/address"
  local auth_conf=""
  if [ -n "$auth" ]; then
    bcrypt_line "${auth%%:*}" "${auth#*:}" > "$dir/htpasswd"
    [ -s "$dir/htpasswd" ] || die "could not write a bcrypt htpasswd file"
    auth_conf="auth:
  htpasswd:
    realm: berth-test-registry
    path: $dir/htpasswd"
  fi
  cat > "$dir/config.yml" <<CONF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth_conf
CONF
  setsid "$bin" serve "$dir/config.yml" > "$dir/engine.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$dir/pid"
  local deadline=$(( $(date +%s) + ${READY_TIMEOUT:-30} ))
  # ready when /v2/ answers: 200 open, 401 with auth
  until case "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/v2/")" in 200|401) true ;; *) false ;; esac; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir/engine.log" >&2; die "registry exited while starting (log: $dir/engine.log)"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "registry not ready (log: $dir/engine.log)"
    sleep 0.05
  done
  echo "127.0.0.1:$port"
}

stop() { # dir
  local dir; dir=$(cd "$1" 2>/dev/null && pwd) || return 0
  local kind; kind=$(cat "$dir/kind" 2>/dev/null || echo dockerd)
  if [ "$kind" = registry ]; then
    local rpid; rpid=$(cat "$dir/pid" 2>/dev/null || true)
    if [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null; then
      kill -TERM "$rpid"
      local i=0; while kill -0 "$rpid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      kill -KILL "$rpid" 2>/dev/null || true
    fi
    rm -f "$dir/pid"
    return 0
  fi
  local had_gwbridge=
  local sock="$dir/docker.sock"; [ "$kind" = podman ] && sock="$dir/podman.sock"
  # remove containers first: a stopping daemon waits for each one's grace period
  if ping_ok "$sock"; then
    local ids
    ids=$(containers "$sock" 2> /dev/null | cut -d " " -f 1 || true)
    local id; for id in $ids; do
      curl -s -o /dev/null --max-time 30 --unix-socket "$sock" -X DELETE "http://engine/containers/$id?force=1&v=1" || true
    done
    if [ "$kind" = dockerd ]; then had_gwbridge=$(swarm_leave "$sock" 2> /dev/null) || true; fi
  fi
  if [ "$kind" = podman ] && [ -s "$dir/env" ]; then
    # shellcheck disable=SC1091
    ( . "$dir/env"; podman rm --all --force --time 0 > /dev/null 2>&1 || true )
  fi
  local pid=""
  [ -s "$dir/pid" ] && pid=$(cat "$dir/pid")
  [ -z "$pid" ] && [ -s "$dir/launch.pid" ] && pid=$(cat "$dir/launch.pid")
  local cpid=""
  [ -s "$dir/exec/containerd/containerd.pid" ] && cpid=$(cat "$dir/exec/containerd/containerd.pid")
  gone() { local i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt $(( $2 * 10 )) ]; do sleep 0.1; i=$((i + 1)); done; ! kill -0 "$1" 2>/dev/null; }
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    gone "$pid" 30 || { kill -KILL "$pid" 2>/dev/null; gone "$pid" 5 || true; }
  fi
  if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
    kill -TERM "$cpid"; gone "$cpid" 10 || kill -KILL "$cpid" 2>/dev/null || true
  fi
  # shims and conmons whose command line names this directory (only ours)
  local p; for p in $(pgrep -f -- "$dir/" 2>/dev/null || true); do
    [ "$p" = "$$" ] || [ "$p" = "$PPID" ] || kill -KILL "$p" 2>/dev/null || true
  done
  sleep 0.1
  # (no mount left is the usual case: grep finding nothing must not end stop under pipefail)
  { grep -o " $dir/[^ ]*" /proc/mounts 2>/dev/null || true; } | sed 's/^ //' | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # the engine said it had docker_gwbridge: if its interface outlived the engine, it is this engine's
  if [ -n "$had_gwbridge" ] && ip link show docker_gwbridge > /dev/null 2>&1; then
    ip link delete docker_gwbridge 2>/dev/null || true
  fi
  rm -f "$dir/pid" "$dir/launch.pid"
}

image() { # socket tag
  local sock=$1 tag=${2:-busybox:test} bb=${BUSYBOX:-/bin/busybox}
  case "$(ldd "$bb" 2>&1 || true)" in *"not a dynamic"*|*"statically linked"*) ;;
    *) die "need a static busybox at $bb (apt-get install busybox-static)";; esac
  local ctx; ctx=$(mktemp -d)
  cp "$bb" "$ctx/busybox"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$ctx/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$ctx/group"
  printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' 'COPY passwd group /etc/' \
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]' 'RUN mkdir -p /tmp /root && chmod 1777 /tmp' \
    'LABEL org.berth.test=busybox' 'CMD ["/bin/sh"]' > "$ctx/Dockerfile"
  tar -C "$ctx" -cf "$ctx/context.tar" Dockerfile busybox passwd group
  local enc; enc=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$tag")
  local out; out=$(curl -sS --unix-socket "$sock" -X POST -H 'Content-Type: application/x-tar' \
    --data-binary "@$ctx/context.tar" "http://engine/build?t=$enc&rm=1&forcerm=1")
  rm -rf "$ctx"
  # the answer is a JSON-lines stream: any line with an error fails the build
  if ! printf '%s' "$out" | python3 -c '
import json, sys
bad = []
for line in sys.stdin.read().splitlines():
    line = line.strip()
    if not line: continue
    try:
        if "error" in json.loads(line) or "errorDetail" in json.loads(line): bad.append(line)
    except ValueError:
        bad.append(line)
sys.stderr.write("\n".join(bad))
sys.exit(1 if bad else 0)'; then die "building $tag failed"; fi
  curl -sS --fail --unix-socket "$sock" "http://engine/images/$enc/json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])'
}

cmd=${1:-}; shift || true
case "$cmd" in
  start)
    kind=${1:?kind}; dir=$(short_dir "${2:?dir}")
    case "$kind" in
      dockerd) start_dockerd "$dir" "$(command -v dockerd || die 'dockerd is not installed (apt-get install docker.io)')" ;;
      dockerd-26) start_dockerd "$dir" "$(fetch trixie)" ;;
      dockerd-28) start_dockerd "$dir" "$(fetch sid)" ;;
      dockerd-tls)
        port=${3:-$(free_port)}
        certs "$dir/certs"
        echo "$port" > "$dir/tls-port"
        start_dockerd "$dir" "$(command -v dockerd || die 'dockerd is not installed')" \
          --host "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$dir/certs/ca.pem" \
          --tlscert "$dir/certs/server/cert.pem" --tlskey "$dir/certs/server/key.pem" > /dev/null
        echo "tcp://127.0.0.1:$port" ;;
      podman) start_podman "$dir" ;;
      *) die "unknown engine kind $kind" ;;
    esac ;;
  stop) stop "${1:?dir}" ;;
  containers) containers "${1:?socket}" ;;
  image) image "${1:?socket}" "${2:-busybox:test}" ;;
  fetch) fetch "${1:?suite}" ;;
  certs) certs "${1:?dir}" ;;
  registry) dir=$(short_dir "${1:?dir}"); shift; start_registry "$dir" "$@" ;;
  swarm-init) swarm_init "${1:?socket}" "${2:?advertise ip}" "${3:-2377}" ;;
  swarm-join) swarm_join "${1:?socket}" "${2:?advertise ip}" "${3:?manager address}" "${4:?join token}" "${5:-2377}" ;;
  swarm-leave) swarm_leave "${1:?socket}" > /dev/null ;;
  *) sed -n '2,31p' "$0" >&2; exit 2 ;;
esac
