// `spendguard pricing show | keygen | sign | verify`: the table a service prices with, and the
// operator's tools for signed price documents, compatible with the seed's signer (Ed25519 over
// Python-canonical JSON, raw keys in base64).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENGINE_NAME, ENGINE_VERSION } from '../pricing/engine';
import { loadPriceTable } from '../pricing/load-price-table';
import { generateKeyPair, signPriceDocument, verifyPriceDocument } from '../pricing/signature';
import { Pricing, unwrap } from '../client/spendguard-client';
import { CliIo, UsageError } from './cli-io';
import { Command, runCommand } from './command';
import { connect } from './connection';
import { printFields, printJson, pyValue } from './output';

export const PRICING_HELP = `spendguard pricing — the price table in force, and signed price documents

  spendguard pricing show [--base-url URL] [--api-key KEY] [--json]
      The table the service prices with (GET /v1/pricing): available, source, version,
      dates, verified, last_error, then one rate=<provider>/<model> line per card.

  spendguard pricing keygen
      Prints a new Ed25519 key pair (base64 of the raw 32-byte keys):
        public_key=…   put it in CAP_PRICING_SIGNING_PUBLIC_KEY
        private_key=…  keep it secret; sign with it

  spendguard pricing sign --in prices.json [--out signed.json] [--key-file key.b64]
      Signs a document (any existing signature is replaced). The private key comes from
      --key-file or CAP_PRICING_SIGNING_PRIVATE_KEY. Writes to --out, else stdout.

  spendguard pricing verify FILE [--key KEY[,KEY…]]
      Checks the signature and the document rules; prints verdict=valid|invalid-signature|
      expired|invalid-document and exits 0 only when valid. Keys default to
      CAP_PRICING_SIGNING_PUBLIC_KEY.

Examples:
  spendguard pricing show
  spendguard pricing keygen > keys.txt
  CAP_PRICING_SIGNING_PRIVATE_KEY=… spendguard pricing sign --in prices.json --out signed.json
  spendguard pricing verify signed.json --key "$PUBLIC_KEY"
`;

const PRICING_FIELDS = ['available', 'source', 'source_ref', 'version', 'generated_at', 'expires_at', 'fetched_at', 'verified', 'last_error'] as const;

function rateLines(pricing: Pricing): string[] {
  const lines: string[] = [];
  for (const [provider, models] of Object.entries(pricing.rates)) {
    for (const [model, card] of Object.entries(models)) {
      const fields = Object.entries(card).map(([k, v]) => `${k}=${pyValue(v)}`);
      lines.push([`rate=${provider}/${model}`, ...fields].join(' '));
    }
  }
  return lines;
}

const SHOW: Command = {
  name: 'pricing show',
  summary: 'Show the price table the service is using (GET /v1/pricing).',
  details: 'Rates are cents per 1M tokens; a card\'s aliases print comma-separated.',
  options: {},
  api: true,
  examples: ['spendguard pricing show', 'spendguard pricing show --json'],
  async run(inv) {
    const { client } = connect(inv);
    const pricing = await unwrap(client.GET('/v1/pricing'));
    if (inv.values.json) return printJson(inv.io, pricing), 0;
    printFields(inv.io, pricing, PRICING_FIELDS);
    for (const line of rateLines(pricing)) inv.io.out(line);
    return 0;
  },
};

export function runPricing(args: string[], io: CliIo): number | Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'show':
      return runCommand(SHOW, rest, io);
    case 'keygen':
      return keygen(rest, io);
    case 'sign':
      return sign(rest, io);
    case 'verify':
      return verify(rest, io);
    case undefined:
    case '--help':
    case '-h':
      io.out(PRICING_HELP);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown pricing command '${sub}'`, PRICING_HELP);
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

function options(
  args: string[],
  spec: OptionSpec,
  positionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...spec, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message, PRICING_HELP);
  }
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function keygen(args: string[], io: CliIo): number {
  const { values } = options(args, { json: { type: 'boolean' } });
  if (values.help) return io.out(PRICING_HELP), 0;
  const pair = generateKeyPair();
  if (values.json) io.out(JSON.stringify({ public_key: pair.publicKeyB64, private_key: pair.privateKeyB64 }, null, 2));
  else io.out(`public_key=${pair.publicKeyB64}\nprivate_key=${pair.privateKeyB64}`);
  return 0;
}

function sign(args: string[], io: CliIo): number {
  const { values } = options(args, { in: { type: 'string' }, out: { type: 'string' }, 'key-file': { type: 'string' } });
  if (values.help) return io.out(PRICING_HELP), 0;
  const input = str(values.in);
  if (!input) throw new UsageError('sign needs --in FILE', PRICING_HELP);
  const keyFile = str(values['key-file']);
  const key = keyFile ? readFileSync(keyFile, 'utf8').trim() : io.env.CAP_PRICING_SIGNING_PRIVATE_KEY;
  if (!key) throw new UsageError('no private key: pass --key-file or set CAP_PRICING_SIGNING_PRIVATE_KEY', PRICING_HELP);
  const signed = signPriceDocument(readFileSync(input, 'utf8'), key);
  const out = str(values.out);
  if (out) writeFileSync(out, signed);
  else io.out(signed.trimEnd());
  return 0;
}

function verify(args: string[], io: CliIo): number {
  const { values, positionals } = options(args, { key: { type: 'string' } }, true);
  if (values.help) return io.out(PRICING_HELP), 0;
  if (positionals.length !== 1) throw new UsageError('verify needs exactly one FILE', PRICING_HELP);
  const keys = (str(values.key) ?? io.env.CAP_PRICING_SIGNING_PUBLIC_KEY ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) throw new UsageError('no public key: pass --key or set CAP_PRICING_SIGNING_PUBLIC_KEY', PRICING_HELP);
  const text = readFileSync(positionals[0], 'utf8');
  const signature = verifyPriceDocument(text, keys);
  if (!signature.ok) {
    io.out(`verdict=invalid-signature\nreason=${signature.reason}`);
    return 1;
  }
  const loaded = loadPriceTable(text, {
    verifySignature: false,
    publicKeysB64: keys,
    engineName: ENGINE_NAME,
    engineVersion: ENGINE_VERSION,
    now: new Date(),
  });
  if (!loaded.ok) {
    io.out(`verdict=${loaded.reason === 'expired' ? 'expired' : 'invalid-document'}\nreason=${loaded.reason}\ndetail=${loaded.detail}`);
    return 1;
  }
  io.out(
    [
      'verdict=valid',
      `key_index=${signature.keyIndex}`,
      `version=${loaded.table.version}`,
      `generated_at=${loaded.table.generatedAt.toISOString()}`,
      `expires_at=${loaded.table.expiresAt.toISOString()}`,
      `cards=${new Set(loaded.table.cards.values()).size}`,
      ...loaded.droppedCards.map((d) => `dropped=${d.provider}/${d.model}: ${d.reason}`),
    ].join('\n'),
  );
  return 0;
}
