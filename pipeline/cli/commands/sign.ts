import type { Command } from 'commander';

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('sign a file as cosign sign-blob does, writing FILE.sig')
    .argument('<file>', 'the file to sign (a measurements file or a lookup table)')
    .requiredOption('--key <key>', 'ECDSA P-256 private key: a PEM file or env:NAME (PKCS#8, SEC1 or cosign-encrypted)')
    .option('--out <file>', 'where to write the signature (default: FILE.sig)')
    .addHelpText(
      'after',
      '\nThe signature is base64 of a DER ECDSA signature over SHA-256 of the exact bytes; a cosign-encrypted key\n' +
        'takes its password from COSIGN_PASSWORD.\n\n' +
        'Examples:\n' +
        '  $ openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt > key.pem\n' +
        '  $ osimage sign measurements.yaml --key key.pem          # writes measurements.yaml.sig\n' +
        '  $ osimage sign images/v2.2.0.json --key env:OSIMAGE_SIGNING_KEY',
    )
    .action(async (file: string, options: { key: string; out?: string }) => {
      const { signCommand } = await import('./sign-action.js');
      await signCommand(file, options);
    });
}
