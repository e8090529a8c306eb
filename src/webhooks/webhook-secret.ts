import { randomBytes } from 'node:crypto';
import { SecretBox, secretKeyMaterial } from '../accounts/secret-box.ts';
import type { Config } from '../config.ts';

export type KeyConfig = Pick<Config, 'secret' | 'database'>;

// Its own HKDF purpose: a sealed webhook secret can never be opened as a two-factor seed, nor the reverse.
const PURPOSE = 'webhook-signing-secret-v1';
const SECRET_PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a password manager. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function context(webhookId: number): string {
  return `webhooks.secret_sealed:${webhookId}`;
}

/** Why this server cannot keep webhook secrets, or null when it can; creates no key file. */
export function webhookSecretsUnavailableReason(config: KeyConfig): string | null {
  if (config.secret !== null || config.database.engine === 'sqlite') return null;
  return (
    'Webhooks need a server secret to encrypt their signing secrets, and none is set. ' +
    'The operator must set COMMUNIQUE_SECRET (at least 32 characters, e.g. from `openssl rand -base64 48`) and restart.'
  );
}

/** Encrypts a signing secret, bound to its webhook so it cannot be copied onto another one. */
export function sealWebhookSecret(config: KeyConfig, webhookId: number, secret: string): string {
  return new SecretBox(secretKeyMaterial(config), PURPOSE).seal(secret, context(webhookId));
}

/** The signing secret, or null when it was sealed under another key or tampered with. */
export function openWebhookSecret(
  config: KeyConfig,
  webhookId: number,
  sealed: string,
): string | null {
  return new SecretBox(secretKeyMaterial(config), PURPOSE).open(sealed, context(webhookId));
}
