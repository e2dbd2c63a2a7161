// `spendguard keys create | list | revoke`: the tenant's API keys. The secret is printed once, at
// creation; only its SHA-256 is kept.
import { ApiKey, unwrap } from '../client/spendguard-client';
import { UsageError } from './cli-io';
import { Command, Group, stringOption } from './command';
import { connect } from './connection';
import { fieldLine, printFields, printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const SCOPES = ['admin', 'cap:use', 'read'] as const;
type Scope = (typeof SCOPES)[number];
const KEY_FIELDS = ['id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'] as const;

const create: Command = {
  name: 'keys create',
  summary: 'Create an API key of this tenant. Prints its secret=… once: store it now.',
  options: {
    name: { type: 'string', value: 'NAME', description: 'what the key is for', required: true },
    scopes: { type: 'string', value: 'LIST', description: 'comma-separated: admin (everything), cap:use (proxy calls only), read (GETs only)', required: true },
    environment: { type: 'string', value: 'ENV', description: 'live (sk_cynsta_live_…, default) or test (sk_cynsta_test_…)' },
  },
  api: true,
  examples: [
    'spendguard keys create --name ci-runner --scopes cap:use',
    'spendguard keys create --name dashboard --scopes read --environment test --json',
  ],
  async run(inv) {
    const scopes = stringOption(inv.values, 'scopes')!.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0 || unknown.length) throw new UsageError(`argument --scopes: choose from ${SCOPES.join(', ')}`, inv.help);
    const environment = stringOption(inv.values, 'environment');
    if (environment !== undefined && environment !== 'live' && environment !== 'test') {
      throw new UsageError("argument --environment: choose from 'live', 'test'", inv.help);
    }
    const { client } = connect(inv);
    const key = await unwrap(
      client.POST('/v1/api-keys', {
        body: { name: stringOption(inv.values, 'name')!, scopes: scopes as Scope[], ...(environment ? { environment } : {}) },
      }),
    );
    if (inv.values.json) printJson(inv.io, key);
    else printFields(inv.io, key, ['id', 'name', 'prefix', 'scopes', 'created_at', 'secret']);
    return 0;
  },
};

const list: Command = {
  name: 'keys list',
  summary: "List this tenant's API keys (never their secrets).",
  options: PAGE_OPTIONS,
  api: true,
  examples: ['spendguard keys list', 'spendguard keys list --all --json'],
  async run(inv) {
    const { client } = connect(inv);
    const listing = await readListing<ApiKey>('api_keys', pageQuery(inv), inv.values.all === true, (q) =>
      unwrap(client.GET('/v1/api-keys', { params: { query: q } })),
    );
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (k) => fieldLine(k, KEY_FIELDS), '(no keys)', listing.nextCursor);
    return 0;
  },
};

const revoke: Command = {
  name: 'keys revoke',
  summary: 'Revoke an API key; every instance refuses it within a second.',
  options: { id: { type: 'string', value: 'KEY_ID', description: 'the key id (from keys list)', required: true } },
  api: true,
  examples: ['spendguard keys revoke --id "$KEY_ID"          # revoked id=<id>'],
  async run(inv) {
    const { client } = connect(inv);
    const key = await unwrap(client.DELETE('/v1/api-keys/{id}', { params: { path: { id: stringOption(inv.values, 'id')! } } }));
    if (inv.values.json) printJson(inv.io, key);
    else inv.io.out(`revoked id=${key.id} revoked_at=${key.revoked_at}`);
    return 0;
  },
};

export const KEYS_GROUP: Group = {
  name: 'keys',
  summary: 'API keys of the tenant (needs an admin key).',
  commands: [create, list, revoke],
};
