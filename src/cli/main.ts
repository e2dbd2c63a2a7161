// The `spendguard` command. This first version carries the operator's pricing tools; the admin
// commands of the seed's CLI come with the generated API client.
import { CliIo, processIo, UsageError } from './cli-io';
import { PRICING_HELP, runPricing } from './pricing.command';

const HELP = `spendguard — budget control plane for LLM agents

Commands:
  spendguard pricing keygen|sign|verify   signed price documents (see: spendguard pricing --help)

${PRICING_HELP}`;

export function run(argv: string[], io: CliIo = processIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'pricing':
        return runPricing(rest, io);
      case '--help':
      case '-h':
      case 'help':
        io.out(HELP);
        return 0;
      default:
        throw new UsageError(command ? `unknown command '${command}'` : 'no command given', HELP);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`spendguard: ${err.message}\n\n${err.help}`);
      return 2;
    }
    io.err(`spendguard: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = run(process.argv.slice(2));
