// `spendguard serve`: starts the service in this process, exactly as `npm start` does (config
// from the environment, embedded PostgreSQL when there is no DATABASE_URL); --port and --host
// are shorthands for PORT and CAP_HOST.
import { Command, intOption, stringOption } from './command';

export const SERVE_COMMAND: Command = {
  name: 'serve',
  summary: 'Start the SpendGuard service (sidecar by default) and run until SIGTERM/SIGINT.',
  details: [
    'Configuration comes from the environment, as for `npm start` (CAP_MODE, DATABASE_URL,',
    'REDIS_URL, CAP_API_KEY, CAP_PRICING_*, provider keys …; see the README). Without',
    'DATABASE_URL a sidecar starts its own PostgreSQL under CAP_DATA_DIR (default ./.spendguard).',
  ].join('\n'),
  options: {
    port: { type: 'string', value: 'PORT', description: 'port to listen on (env PORT, default 8787)' },
    host: { type: 'string', value: 'HOST', description: 'address to bind (env CAP_HOST; a key-less sidecar binds loopback only)' },
  },
  api: false,
  examples: ['spendguard serve', 'spendguard serve --port 9000', 'CAP_MODE=hosted DATABASE_URL=… REDIS_URL=… CAP_API_KEY=… spendguard serve --host 0.0.0.0'],
  async run(inv) {
    const port = intOption(inv, 'port', 0);
    const host = stringOption(inv.values, 'host');
    if (port !== undefined) process.env.PORT = String(port);
    if (host !== undefined) process.env.CAP_HOST = host;
    // Loading the entry point starts the service; it owns the process from here (signals, exit).
    await import('../main');
    return 0;
  },
};
