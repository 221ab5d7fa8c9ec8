// The node install script served at GET /install.sh (POSIX sh, for `curl … | sudo sh -s -- --token T`):
// checks the machine, downloads the agent bundle, writes its config and a systemd unit (or nohup).
// The server URL it defaults to is the origin the script was downloaded from.

const SERVER_PLACEHOLDER = "__EDGEPLANE_SERVER__";

const TEMPLATE = `#!/bin/sh
# edgeplane node installer: joins this machine to the cluster as a node.
#   curl -fsSL __EDGEPLANE_SERVER__/install.sh | sudo sh -s -- --token <id.secret>
# Options: --token T, --server URL, --node-name NAME, --ca-file FILE, --prefix DIR,
#          --node-ip IP, --wireguard, --wireguard-endpoint IP:PORT, --no-network, --no-ingress,
#          --ingress-ports HTTP,HTTPS, --install-deps, --no-systemd, --uninstall, --help
set -eu

SERVER='__EDGEPLANE_SERVER__'
TOKEN=''
NODE_NAME=''
CA_FILE=''
PREFIX=''
INSTALL_DEPS=0
USE_SYSTEMD=1
NODE_IP=''
NETWORK=1
INGRESS=1
INGRESS_PORTS=''
WIREGUARD=0
WG_ENDPOINT=''
UNINSTALL=0
NODE_MIN_MAJOR=20
UNIT_NAME='edgeplane-agent.service'

say() { printf 'edgeplane: %s\\n' "$*"; }
die() { printf 'edgeplane: error: %s\\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: curl -fsSL $SERVER/install.sh | sudo sh -s -- --token <id.secret> [options]
  --token T         join token (kubectl -n kube-system ... bootstrap-token-<id>)
  --server URL      control plane URL (default: $SERVER)
  --node-name NAME  this node's name (default: the hostname)
  --ca-file FILE    CA certificate that signs the server's certificate
  --prefix DIR      install under DIR instead of / (no root needed)
  --node-ip IP      the address other nodes reach this one at (default: the first global IPv4)
  --wireguard       reach other nodes' pods over an encrypted WireGuard overlay (nodes with no
                    shared LAN, or behind NAT); default: routes through their addresses
  --wireguard-endpoint IP:PORT
                    where other nodes send this node's WireGuard traffic (default: node IP:51820)
  --no-network      leave pods on a plain Docker bridge: no Services or cluster DNS here
  --no-ingress      do not serve Ingress rules on this node (no nginx)
  --ingress-ports HTTP,HTTPS
                    the ports Ingress is served on (default: 80,443)
  --install-deps    install docker and nodejs with the package manager when missing
  --no-systemd      start the agent with nohup instead of a systemd unit
  --uninstall       stop the agent, remove its files and the node's containers
EOF
}

need_value() {
  [ "$2" -ge 2 ] || die "$1 needs a value"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) need_value "$1" $#; TOKEN=$2; shift 2 ;;
    --token=*) TOKEN=\${1#*=}; shift ;;
    --server) need_value "$1" $#; SERVER=$2; shift 2 ;;
    --server=*) SERVER=\${1#*=}; shift ;;
    --node-name) need_value "$1" $#; NODE_NAME=$2; shift 2 ;;
    --node-name=*) NODE_NAME=\${1#*=}; shift ;;
    --ca-file) need_value "$1" $#; CA_FILE=$2; shift 2 ;;
    --ca-file=*) CA_FILE=\${1#*=}; shift ;;
    --prefix) need_value "$1" $#; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=\${1#*=}; shift ;;
    --node-ip) need_value "$1" $#; NODE_IP=$2; shift 2 ;;
    --node-ip=*) NODE_IP=\${1#*=}; shift ;;
    --no-network) NETWORK=0; shift ;;
    --no-ingress) INGRESS=0; shift ;;
    --ingress-ports) need_value "$1" $#; INGRESS_PORTS=$2; shift 2 ;;
    --ingress-ports=*) INGRESS_PORTS=\${1#*=}; shift ;;
    --wireguard) WIREGUARD=1; shift ;;
    --wireguard-endpoint) need_value "$1" $#; WIREGUARD=1; WG_ENDPOINT=$2; shift 2 ;;
    --wireguard-endpoint=*) WIREGUARD=1; WG_ENDPOINT=\${1#*=}; shift ;;
    --install-deps) INSTALL_DEPS=1; shift ;;
    --no-systemd) USE_SYSTEMD=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

SERVER=\${SERVER%/}
ROOT=\${PREFIX%/}
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT"
  ROOT=$(cd "$ROOT" && pwd)
  [ "$ROOT" = / ] && ROOT=''
fi
CONFIG_DIR="$ROOT/etc/edgeplane"
CONFIG_FILE="$CONFIG_DIR/agent.json"
AGENT_DIR="$ROOT/opt/edgeplane"
AGENT_FILE="$AGENT_DIR/agent.mjs"
DATA_DIR="$ROOT/var/lib/edgeplane"
PID_FILE="$DATA_DIR/agent.pid"
LOG_FILE="$DATA_DIR/agent.log"
UNIT_FILE="$ROOT/etc/systemd/system/$UNIT_NAME"

[ "$(uname -s)" = Linux ] || die "edgeplane nodes run on Linux (this is $(uname -s))"
if [ -z "$PREFIX" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root: curl -fsSL $SERVER/install.sh | sudo sh -s -- ..."
fi

# The node name: --node-name, else the installed config's (for --uninstall), else the hostname.
if [ -z "$NODE_NAME" ] && [ -f "$CONFIG_FILE" ]; then
  NODE_NAME=$(sed -n 's/^[[:space:]]*"nodeName"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' "$CONFIG_FILE" | head -n 1)
fi
if [ -z "$NODE_NAME" ]; then
  NODE_NAME=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)
  NODE_NAME=$(printf '%s' "$NODE_NAME" | tr 'A-Z' 'a-z')
fi
printf '%s' "$NODE_NAME" | grep -Eq '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' ||
  die "node name '$NODE_NAME' is not a DNS subdomain name: pass --node-name"

have() { command -v "$1" >/dev/null 2>&1; }

systemd_usable() {
  [ "$USE_SYSTEMD" = 1 ] && have systemctl && [ -d /run/systemd/system ]
}

stop_pid_agent() {
  [ -f "$PID_FILE" ] || return 0
  pid=$(cat "$PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped the agent (pid $pid)"
  fi
  rm -f "$PID_FILE"
}

uninstall() {
  if [ -f "$UNIT_FILE" ]; then
    if have systemctl && [ -z "$PREFIX" ]; then
      systemctl disable --now "$UNIT_NAME" >/dev/null 2>&1 || true
    fi
    rm -f "$UNIT_FILE"
    if have systemctl && [ -z "$PREFIX" ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
    say "removed the systemd unit $UNIT_NAME"
  fi
  stop_pid_agent
  # The pod network's kernel state (nft table, routes, the Service sink): the agent knows it.
  if [ -f "$AGENT_FILE" ] && [ -f "$CONFIG_FILE" ] && have node; then
    node "$AGENT_FILE" --config "$CONFIG_FILE" --teardown-network && say "removed the pod network's rules and routes"
  fi
  if have docker; then
    ids=$(docker ps -aq --filter "label=io.edgeplane.node=$NODE_NAME" 2>/dev/null || true)
    if [ -n "$ids" ]; then
      printf '%s\\n' "$ids" | xargs docker rm -f >/dev/null
      say "removed $(printf '%s\\n' "$ids" | wc -l | tr -d ' ') container(s) of node $NODE_NAME"
    fi
    # The node's pod network (the agent creates edgeplane-<node>); each one holds a subnet.
    if docker network rm "edgeplane-$NODE_NAME" >/dev/null 2>&1; then say "removed the network edgeplane-$NODE_NAME"; fi
  fi
  # Secret volumes (tmpfs) and NFS claims are mounts under the data directory: unmount them first.
  if [ -d "$DATA_DIR" ] && [ -r /proc/mounts ]; then
    awk -v d="$DATA_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf "$CONFIG_DIR" "$AGENT_DIR" "$DATA_DIR"
  say "removed $CONFIG_DIR, $AGENT_DIR and $DATA_DIR"
  say "node $NODE_NAME uninstalled (delete it from the cluster with: kubectl delete node $NODE_NAME)"
}

if [ "$UNINSTALL" = 1 ]; then
  uninstall
  exit 0
fi

node_ok() {
  have node && node -e "process.exit(Number(process.versions.node.split('.')[0]) >= $NODE_MIN_MAJOR ? 0 : 1)" 2>/dev/null
}

install_packages() {
  if have apt-get; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  elif have dnf; then
    dnf install -y "$@"
  elif have yum; then
    yum install -y "$@"
  elif have apk; then
    apk add --no-cache "$@"
  else
    die "no known package manager (apt-get, dnf, yum, apk): install $* yourself"
  fi
}

if ! have docker; then
  [ "$INSTALL_DEPS" = 1 ] || die "docker is not installed (install it, or re-run with --install-deps)"
  say "installing docker"
  if have apt-get; then install_packages docker.io; else install_packages docker; fi
  if have systemctl && [ -d /run/systemd/system ]; then systemctl enable --now docker >/dev/null 2>&1 || true; fi
fi
if ! node_ok; then
  [ "$INSTALL_DEPS" = 1 ] || die "Node.js >= $NODE_MIN_MAJOR is required (install it, or re-run with --install-deps)"
  say "installing nodejs"
  install_packages nodejs
  node_ok || die "the package manager's Node.js is older than $NODE_MIN_MAJOR: install Node.js $NODE_MIN_MAJOR+ yourself"
fi
if [ "$NETWORK" = 1 ]; then
  for tool in nft ip iptables; do
    if ! have "$tool"; then
      [ "$INSTALL_DEPS" = 1 ] || die "$tool is required for the pod network (install nftables, iproute2 and iptables, re-run with --install-deps, or pass --no-network)"
      say "installing nftables, iproute2 and iptables"
      install_packages nftables iproute2 iptables
      break
    fi
  done
  if ! have conntrack && [ "$INSTALL_DEPS" = 1 ]; then
    say "installing conntrack (clears UDP flows to removed endpoints)"
    install_packages conntrack || install_packages conntrack-tools || say "could not install conntrack: stale UDP flows will wait for their timeout"
  fi
  if [ "$WIREGUARD" = 1 ] && ! have wg; then
    [ "$INSTALL_DEPS" = 1 ] || die "wg is required for --wireguard (install wireguard-tools, and wireguard-go where the kernel has no WireGuard module, or re-run with --install-deps)"
    say "installing wireguard-tools (and wireguard-go, for kernels without the module)"
    install_packages wireguard-tools
    install_packages wireguard-go || say "wireguard-go is not packaged here: the kernel's WireGuard module must be present"
  fi
fi
if [ "$INGRESS" = 1 ] && ! have nginx; then
  if [ "$INSTALL_DEPS" = 1 ]; then
    say "installing nginx (the data path of this node's ingress controller)"
    install_packages nginx
    # The agent runs its own nginx: the distribution's service would hold ports 80 and 443.
    if have systemctl && [ -d /run/systemd/system ]; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
  else
    say "nginx is not installed: this node will not serve Ingress rules (install it, re-run with --install-deps, or pass --no-ingress)"
  fi
fi
case "$INGRESS_PORTS" in
  '') ;;
  *[!0-9,]*|*,*,*|,*|*,) die "--ingress-ports takes two port numbers, HTTP,HTTPS (e.g. 8080,8443)" ;;
  *,*) ;;
  *) die "--ingress-ports takes two port numbers, HTTP,HTTPS (e.g. 8080,8443)" ;;
esac
say "found docker ($(docker --version 2>/dev/null | head -n 1)) and node $(node --version)"

if [ -z "$TOKEN" ] && [ ! -f "$DATA_DIR/credential.json" ]; then
  die "--token is required (create one with: npm run join-token)"
fi

mkdir -p "$CONFIG_DIR" "$AGENT_DIR" "$DATA_DIR"
chmod 700 "$DATA_DIR"

CA_COPY=''
if [ -n "$CA_FILE" ]; then
  [ -r "$CA_FILE" ] || die "cannot read --ca-file $CA_FILE"
  CA_COPY="$CONFIG_DIR/ca.crt"
  if [ "$CA_FILE" != "$CA_COPY" ]; then cp "$CA_FILE" "$CA_COPY"; fi
  chmod 644 "$CA_COPY"
  say "copied the CA certificate to $CA_COPY"
fi

download() {
  if have curl; then
    if [ -n "$CA_COPY" ]; then curl -fsSL --cacert "$CA_COPY" -o "$2" "$1"; else curl -fsSL -o "$2" "$1"; fi
  elif have wget; then
    if [ -n "$CA_COPY" ]; then wget -q --ca-certificate="$CA_COPY" -O "$2" "$1"; else wget -q -O "$2" "$1"; fi
  else
    die "curl or wget is required"
  fi
}

download "$SERVER/edgeplane/v1/agent.mjs" "$AGENT_FILE.tmp" || {
  rm -f "$AGENT_FILE.tmp"
  die "could not download the agent from $SERVER/edgeplane/v1/agent.mjs"
}
mv "$AGENT_FILE.tmp" "$AGENT_FILE"
say "downloaded the agent to $AGENT_FILE ($(wc -c <"$AGENT_FILE" | tr -d ' ') bytes)"

json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')"
}

umask 077
{
  printf '{\\n'
  printf '  "server": %s,\\n' "$(json_string "$SERVER")"
  if [ -n "$CA_COPY" ]; then printf '  "caFile": %s,\\n' "$(json_string "$CA_COPY")"; fi
  printf '  "nodeName": %s,\\n' "$(json_string "$NODE_NAME")"
  if [ -n "$TOKEN" ]; then printf '  "joinToken": %s,\\n' "$(json_string "$TOKEN")"; fi
  if [ -n "$NODE_IP" ]; then printf '  "nodeIP": %s,\\n' "$(json_string "$NODE_IP")"; fi
  if [ "$NETWORK" = 0 ]; then printf '  "network": { "enabled": false },\\n'; fi
  if [ "$INGRESS" = 0 ]; then printf '  "ingress": { "enabled": false },\\n'; fi
  if [ "$INGRESS" = 1 ] && [ -n "$INGRESS_PORTS" ]; then
    printf '  "ingress": { "httpPort": %s, "httpsPort": %s },\\n' "\${INGRESS_PORTS%,*}" "\${INGRESS_PORTS#*,}"
  fi
  if [ "$NETWORK" = 1 ] && [ "$WIREGUARD" = 1 ]; then
    if [ -n "$WG_ENDPOINT" ]; then
      printf '  "network": { "backend": "wireguard", "wireguardEndpoint": %s },\\n' "$(json_string "$WG_ENDPOINT")"
    else
      printf '  "network": { "backend": "wireguard" },\\n'
    fi
  fi
  printf '  "dataDir": %s\\n' "$(json_string "$DATA_DIR")"
  printf '}\\n'
} >"$CONFIG_FILE.tmp"
mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"
umask 022
say "wrote the agent configuration $CONFIG_FILE (node $NODE_NAME, server $SERVER)"

NODE_BIN=$(command -v node)
if systemd_usable; then
  mkdir -p "$(dirname "$UNIT_FILE")"
  cat >"$UNIT_FILE" <<EOF
[Unit]
Description=edgeplane node agent ($NODE_NAME)
After=network-online.target docker.service
Wants=network-online.target docker.service

[Service]
ExecStart=$NODE_BIN $AGENT_FILE --config $CONFIG_FILE
Restart=always
RestartSec=5
# Only the agent is stopped with the unit: its containers belong to dockerd and keep running.
KillMode=process

[Install]
WantedBy=multi-user.target
EOF
  say "wrote the systemd unit $UNIT_FILE"
  if [ -z "$PREFIX" ]; then
    systemctl daemon-reload
    systemctl enable "$UNIT_NAME" >/dev/null 2>&1
    systemctl restart "$UNIT_NAME"
    say "enabled and started $UNIT_NAME (logs: journalctl -u $UNIT_NAME -f)"
  else
    say "--prefix set: not enabling the unit with systemctl"
  fi
else
  if [ "$USE_SYSTEMD" = 1 ]; then say "systemd is not running here: starting the agent with nohup instead"; fi
  stop_pid_agent
  nohup "$NODE_BIN" "$AGENT_FILE" --config "$CONFIG_FILE" </dev/null >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  say "started the agent in the background (pid $(cat "$PID_FILE"), log $LOG_FILE)"
  sleep 1
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    say "warning: the agent exited at once; the end of its log:"
    tail -n 20 "$LOG_FILE" >&2 || true
  fi
fi
say "node $NODE_NAME is joining $SERVER (kubectl get node $NODE_NAME)"
`;

/** The script with `server` (an origin such as https://host:8443) as its default --server. */
export function installScript(server: string): string {
  // An origin holds no quote; refuse anything that could break out of the sh string anyway.
  if (!/^https?:\/\/[A-Za-z0-9.:\[\]-]+$/.test(server)) throw new Error(`not an origin: ${server}`);
  return TEMPLATE.split(SERVER_PLACEHOLDER).join(server);
}
