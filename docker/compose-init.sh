#!/bin/sh
# docker-compose.yml's one-shot `init` service: everything a hosted SpendGuard needs that a new
# user does not have yet, made on the first `docker compose up` and kept in two volumes.
#   - A price-signing key pair of its own, and the bundled price table signed with it (hosted mode
#     prices only with a signed table). The private key stays in SIGNING_DIR, which the service
#     never mounts; the table is signed again on every start, so a new image brings its new table.
#   - The operator key, unless CAP_API_KEY is set: generated once and printed once.
#   - The key that encrypts tenants' provider keys, unless CAP_PROVIDER_KEY_ENCRYPTION_KEY is set.
# It runs as root to write into fresh volumes, and hands the service's files to SERVICE_UID.
set -eu
config=${SPENDGUARD_CONFIG_DIR:?set SPENDGUARD_CONFIG_DIR (shared with the service, read-only there)}
signing=${SPENDGUARD_SIGNING_DIR:?set SPENDGUARD_SIGNING_DIR (the init service alone mounts it)}
service_uid=${SPENDGUARD_SERVICE_UID:-1000}
spendguard() { node bin/spendguard.js "$@"; }
random_key() { node -e "process.stdout.write(require('node:crypto').randomBytes($1).toString('$2'))"; }
umask 077

if [ ! -s "$signing/pricing-private-key" ] || [ ! -s "$signing/pricing-public-key" ]; then
  pair=$(spendguard pricing keygen)
  echo "$pair" | sed -n 's/^private_key=//p' > "$signing/pricing-private-key"
  echo "$pair" | sed -n 's/^public_key=//p' > "$signing/pricing-public-key"
  echo "init: made a price-signing key pair"
fi
cp "$signing/pricing-public-key" "$config/pricing-public-key"
spendguard pricing sign --in src/pricing/bundled/default-pricing.json --out "$config/pricing.json" \
  --key-file "$signing/pricing-private-key"
# Refuse here, with the reason (e.g. verdict=expired), rather than start a service that cannot price.
if ! verdict=$(spendguard pricing verify "$config/pricing.json" --key "$(cat "$config/pricing-public-key")"); then
  echo "init: the signed price table is not usable:" $verdict >&2
  exit 1
fi
echo "init: pricing" $verdict
chmod 644 "$config/pricing-public-key" "$config/pricing.json"

if [ -n "${CAP_API_KEY:-}" ]; then
  echo "init: operator key: CAP_API_KEY from your environment"
elif [ ! -s "$config/operator-key" ]; then
  random_key 24 base64url > "$config/operator-key"
  cat <<BANNER
init: ======================================================================
init:  Operator key, generated now and printed only this once:
init:
init:    $(cat "$config/operator-key")
init:
init:  Send it as x-api-key to create tenants (README "Hosted mode"). It is
init:  kept in the config volume; to read it again:
init:    docker compose exec spendguard cat /etc/spendguard/operator-key
init:  Set CAP_API_KEY before \`docker compose up\` to use your own instead.
init: ======================================================================
BANNER
else
  echo "init: operator key: kept from the first start (docker compose exec spendguard cat /etc/spendguard/operator-key)"
fi

if [ -z "${CAP_PROVIDER_KEY_ENCRYPTION_KEY:-}" ] && [ ! -s "$config/provider-key-encryption-key" ]; then
  random_key 32 base64 > "$config/provider-key-encryption-key"
  echo "init: made the key that encrypts tenants' provider keys (back it up with the database)"
fi
for secret in operator-key provider-key-encryption-key; do
  if [ -e "$config/$secret" ]; then
    chown "$service_uid" "$config/$secret"
    chmod 600 "$config/$secret"
  fi
done
