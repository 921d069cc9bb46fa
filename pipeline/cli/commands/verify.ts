import type { Command } from 'commander';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check a file against its signature; exit 1 when it does not match')
    .argument('<file>', 'the signed file')
    .requiredOption('--key <key>', 'the ECDSA P-256 public key (PEM file)')
    .option('--signature <file>', 'the signature (default: FILE.sig)')
    .addHelpText(
      'after',
      '\nAccepts what cosign sign-blob and osimage sign write.\n\n' +
        'Example:\n' +
        '  $ osimage verify measurements.yaml --key .osimage/state/signing/development-key.pub.pem\n' +
        '  verified measurements.yaml',
    )
    .action(async (file: string, options: { key: string; signature?: string }) => {
      const { verifyCommand } = await import('./verify-action.js');
      await verifyCommand(file, options);
    });
}
