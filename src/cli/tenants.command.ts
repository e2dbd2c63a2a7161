// `spendguard tenants create | list`: hosted mode's tenants, made by the operator (CAP_API_KEY of
// the service). Creating one prints its first admin key, once.
import { Tenant, unwrap } from '../client/spendguard-client';
import { Command, Group, stringOption } from './command';
import { connect } from './connection';
import { fieldLine, printFields, printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const create: Command = {
  name: 'tenants create',
  summary: "Create a tenant (hosted mode, operator key). Prints its first admin key's secret once.",
  details: 'Lines: tenant_id, name, created_at, api_key_id, api_key (the secret: hand it to the tenant).',
  options: { name: { type: 'string', value: 'NAME', description: 'the tenant name', required: true } },
  api: true,
  examples: ['CAP_MODE=hosted CAP_API_KEY="$OPERATOR_KEY" spendguard tenants create --name acme'],
  async run(inv) {
    const { client } = connect(inv);
    const tenant = await unwrap(client.POST('/v1/tenants', { body: { name: stringOption(inv.values, 'name')! } }));
    if (inv.values.json) printJson(inv.io, tenant);
    else {
      printFields(inv.io, tenant, ['tenant_id', 'name', 'created_at']);
      inv.io.out(`api_key_id=${tenant.api_key.id}\napi_key=${tenant.api_key.secret}`);
    }
    return 0;
  },
};

const list: Command = {
  name: 'tenants list',
  summary: 'List the tenants (hosted mode, operator key).',
  options: PAGE_OPTIONS,
  api: true,
  examples: ['CAP_MODE=hosted CAP_API_KEY="$OPERATOR_KEY" spendguard tenants list --all'],
  async run(inv) {
    const { client } = connect(inv);
    const listing = await readListing<Tenant>('tenants', pageQuery(inv), inv.values.all === true, (q) =>
      unwrap(client.GET('/v1/tenants', { params: { query: q } })),
    );
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (t) => fieldLine(t, ['tenant_id', 'name', 'created_at']), '(no tenants)', listing.nextCursor);
    return 0;
  },
};

export const TENANTS_GROUP: Group = {
  name: 'tenants',
  summary: 'Tenants of a hosted service (operator only).',
  commands: [create, list],
};
