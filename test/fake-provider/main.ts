// Runs the fake provider on its own, for manual runs, the demo and the benchmark:
//   npx jiti test/fake-provider/main.ts --port 4010 [--host 127.0.0.1] [--behavior latencyMs=50,output=10]
//     [--record-limit 1000] [--api-key openai=sk-x] [--lax]
// Prints the URL on the first line, then the SpendGuard env vars that point at it. Knobs can be
// changed while it runs through the control routes under /_fake/ (see README.md).

import { parseBehaviorSpec, startFakeProvider, type FakeProviderName, type FakeProviderOptions } from './fake-provider';

const USAGE = `usage: main.ts [--port N] [--host H] [--behavior k=v,…] [--record-limit N] [--api-key provider=key]… [--lax] [--quiet]`;

function parseArgs(argv: string[]): FakeProviderOptions & { quiet: boolean } {
  const options: FakeProviderOptions & { quiet: boolean } = { port: 0, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number\n${USAGE}`);
        options.port = port;
        break;
      }
      case '--host':
        options.host = value();
        break;
      case '--behavior':
        options.behavior = parseBehaviorSpec(value());
        break;
      case '--record-limit':
        options.recordLimit = Number(value());
        break;
      case '--api-key': {
        const [provider, key] = value().split(/=(.*)/s, 2);
        if (!['openai', 'xai', 'anthropic', 'gemini'].includes(provider) || !key) throw new Error(`--api-key takes provider=key\n${USAGE}`);
        (options.apiKeys ??= {})[provider as FakeProviderName] = key;
        break;
      }
      case '--lax':
        options.strict = false;
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  if (options.port === 0 && process.env.FAKE_PROVIDER_PORT) options.port = Number(process.env.FAKE_PROVIDER_PORT);
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const fake = await startFakeProvider(options);
  console.log(fake.url);
  if (!options.quiet) {
    for (const [name, value] of Object.entries(fake.env())) console.log(`${name}=${value}`);
  }
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
