#!/bin/sh
# The image's entrypoint. For each secret below, NAME_FILE=/path sets NAME from that file (the
# Docker and Kubernetes secrets convention), so keys need not sit in the environment that
# `docker inspect` shows; a NAME set and non-empty wins over its file. Then it becomes the command.
set -eu
for name in CAP_API_KEY CAP_PRICING_SIGNING_PUBLIC_KEY CAP_PROVIDER_KEY_ENCRYPTION_KEY DATABASE_URL \
  REDIS_URL OPENAI_API_KEY XAI_API_KEY GROK_API_KEY ANTHROPIC_API_KEY GEMINI_API_KEY; do
  eval "file=\${${name}_FILE:-} value=\${${name}:-}"
  [ -n "$file" ] || continue
  if [ -z "$value" ]; then
    if [ ! -r "$file" ]; then
      echo "entrypoint: ${name}_FILE: cannot read $file" >&2
      exit 1
    fi
    # The file's content up to its first newline: `echo key > file` must not end the key in one.
    value=$(head -n 1 "$file")
    export "$name=$value"
  fi
  unset "${name}_FILE"
done
exec "$@"
