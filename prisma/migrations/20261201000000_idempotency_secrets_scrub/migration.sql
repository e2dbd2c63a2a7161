-- Secrets are shown once and never stored (SPEC §7, issue 10 point 5). Idempotency records
-- written before this release kept the answers of POST /v1/api-keys (`secret`) and
-- POST /v1/tenants (`api_key.secret`) whole; their secrets become null, as in every record
-- written since. (A replay of such a record answers `secret: null` either way.)

UPDATE "idempotency_keys"
   SET "response_body" = jsonb_set("response_body", '{secret}', 'null'::jsonb)
 WHERE jsonb_typeof("response_body" -> 'secret') = 'string';

UPDATE "idempotency_keys"
   SET "response_body" = jsonb_set("response_body", '{api_key,secret}', 'null'::jsonb)
 WHERE jsonb_typeof("response_body" -> 'api_key' -> 'secret') = 'string';
