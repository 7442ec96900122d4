/**
 * Reads the pseudonymisation key from AWS Secrets Manager (`GetSecretValue`), for the target
 * setting `subject_key_secret_id` (see runner/cli/secrets.ts). Credentials come from the SDK's
 * default provider chain, as for the other clients. The value is returned to the caller only:
 * never logged, never part of an error.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The one call used, so that a test can hand in the real client with a faked transport. */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string; SecretBinary?: Uint8Array }>;
}

export function createSecretsClient(region: string): SecretsClient {
  return new SecretsManagerClient({ region });
}

/** The secret string of `secretId` (its current version). A binary secret is refused: the key is text. */
export async function readSecretString(client: SecretsClient, secretId: string): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (typeof out.SecretString === 'string') return out.SecretString;
  const e = new Error(`the secret holds ${out.SecretBinary ? 'binary data' : 'no value'}; store the key as a secret string`);
  e.name = 'SecretNotText';
  throw e;
}
