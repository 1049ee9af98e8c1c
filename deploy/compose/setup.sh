#!/usr/bin/env bash
# What docker-compose.yml needs and the repository must never hold, generated on this machine with openssl:
#   <dir>/signing-key.pem          Ed25519 private key that signs caller tokens (AUTH_PRIVATE_KEY_FILE for `npm run token`)
#   <dir>/services/audit-tree-head-key.pem  Ed25519 key audit-service signs tree heads with (AUDIT_TREE_HEAD_KEY_FILE)
#   <dir>/ca.key, client.pem/.key  the development CA's key; an operator client certificate (grpcurl, mTLS)
#   <dir>/compose.env              read by every service container (GRPC_TLS_CLIENT_CA_FILE: mTLS on or off)
#   <dir>/services/                mounted read-only at /run/tagguard: signing-key.pub.pem, ca.pem,
#                                  <service>.pem/.key (SAN: the service name, localhost, 127.0.0.1)
# Usage: deploy/compose/setup.sh [--force] [--mtls] [dir]   (dir defaults to deploy/compose/secrets, gitignored)
# Keys and certificates are kept unless --force; compose.env is rewritten each run: with --mtls every
# service requires client certificates signed by the CA, without it TLS is server-only.
set -euo pipefail

force=false mtls=false out=""
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --mtls) mtls=true ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "setup.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) out="$arg" ;;
  esac
done
out="${out:-$(cd "$(dirname "$0")" && pwd)/secrets}"
command -v openssl >/dev/null || { echo "setup.sh: openssl is required" >&2; exit 1; }

services=(tag-service permission-service mute-service audit-service sync-service)
mkdir -p "$out/services"
chmod 700 "$out"
# The containers run as another user (node): what they read is world-readable inside a private directory.
chmod 755 "$out/services"
umask 077
s="$out/services"

if $force || [ ! -f "$out/signing-key.pem" ]; then
  openssl genpkey -algorithm ed25519 -out "$out/signing-key.pem" 2>/dev/null
  openssl pkey -in "$out/signing-key.pem" -pubout -out "$s/signing-key.pub.pem"
  echo "setup.sh: new token-signing key pair"
fi

# Kept across runs even with --force: a new key would leave every tree head already witnessed unverifiable.
if [ ! -f "$s/audit-tree-head-key.pem" ]; then
  openssl genpkey -algorithm ed25519 -out "$s/audit-tree-head-key.pem" 2>/dev/null
  echo "setup.sh: new audit tree-head signing key"
fi

if $force || [ ! -f "$out/ca.key" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/ca.key" \
    -out "$s/ca.pem" -days 825 -subj "/CN=TagGuard compose development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  force=true # a new CA: every certificate below must be reissued
  echo "setup.sh: new development CA"
fi

issue() { # name, extendedKeyUsage, subjectAltName, directory
  local name="$1" eku="$2" san="$3" dir="$4"
  $force || [ ! -f "$dir/$name.pem" ] || return 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$name.key" \
    -out "$out/$name.csr" -subj "/CN=$name" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$eku" "${san:+subjectAltName=$san}" >"$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$s/ca.pem" -CAkey "$out/ca.key" \
    -CAserial "$out/ca.srl" -CAcreateserial \
    -out "$dir/$name.pem" -days 825 -extfile "$out/$name.ext" 2>/dev/null
  rm -f "$out/$name.csr" "$out/$name.ext"
  echo "setup.sh: certificate $name"
}
# A service's certificate serves its port and identifies it as a client of the others (mTLS).
for svc in "${services[@]}"; do issue "$svc" serverAuth,clientAuth "DNS:$svc,DNS:localhost,IP:127.0.0.1" "$s"; done
issue client clientAuth "" "$out"
chmod 644 "$s"/*

if $mtls; then ca_line="GRPC_TLS_CLIENT_CA_FILE=/run/tagguard/ca.pem"; else ca_line="GRPC_TLS_CLIENT_CA_FILE="; fi
printf '%s\n' "# Written by deploy/compose/setup.sh (each run); docker compose refuses to start without it." \
  "# GRPC_TLS_CLIENT_CA_FILE set (setup.sh --mtls): every service requires client certificates." \
  "$ca_line" >"$out/compose.env"
echo "setup.sh: ready in $out"
