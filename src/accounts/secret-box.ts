import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Config } from '../config.ts';

/** Stored secrets cannot be sealed or opened because the server has no key material. */
export class SecretKeyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyUnavailableError';
  }
}

const KEY_FILE_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';
// A fixed, public salt is fine for HKDF: the key material itself is secret and high-entropy.
const HKDF_SALT = Buffer.from('communique secret-box salt v1');

// Key files are read once per process; ':memory:' databases get a key that dies with them.
const keyFileCache = new Map<string, Buffer>();
let memoryDatabaseKey: Buffer | undefined;

/** The key file for a SQLite database: `<database file>.key` beside it. */
export function keyFilePath(databaseFile: string): string {
  return `${databaseFile}.key`;
}

function readOrCreateKeyFile(file: string): Buffer {
  const cached = keyFileCache.get(file);
  if (cached !== undefined) return cached;
  let key: Buffer;
  try {
    // O_EXCL: two processes starting together can never both write a key.
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    key = randomBytes(KEY_FILE_BYTES);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SecretKeyUnavailableError(
        `Cannot create the key file ${file}: ${(error as Error).message}. Set COMMUNIQUE_SECRET instead.`,
      );
    }
    key = readFileSync(file);
  }
  if (key.length !== KEY_FILE_BYTES) {
    // Never overwrite a damaged key file: that would make every stored secret unreadable for good.
    throw new SecretKeyUnavailableError(
      `The key file ${file} should hold ${KEY_FILE_BYTES} bytes but holds ${key.length}. Restore it from a backup.`,
    );
  }
  keyFileCache.set(file, key);
  return key;
}

/** Why this server cannot keep encrypted secrets, or null when it can; creates nothing. */
export function missingSecretMessage(config: Pick<Config, 'secret' | 'database'>): string | null {
  if (config.secret !== null || config.database.engine === 'sqlite') return null;
  return (
    'Two-factor sign-in needs a server secret to encrypt the authenticator keys, and none is set. ' +
    'The operator must set COMMUNIQUE_SECRET (at least 32 characters, e.g. from `openssl rand -base64 48`) and restart.'
  );
}

/** The key material for stored secrets: COMMUNIQUE_SECRET, else a key file beside a SQLite database. */
export function secretKeyMaterial(config: Pick<Config, 'secret' | 'database'>): Buffer {
  if (config.secret !== null) return Buffer.from(config.secret, 'utf8');
  if (config.database.engine === 'sqlite') {
    if (config.database.file === ':memory:') {
      memoryDatabaseKey ??= randomBytes(KEY_FILE_BYTES);
      return memoryDatabaseKey;
    }
    return readOrCreateKeyFile(keyFilePath(config.database.file));
  }
  throw new SecretKeyUnavailableError(missingSecretMessage(config) ?? 'No server secret is set.');
}

/**
 * AES-256-GCM under a key derived with HKDF-SHA256 for one purpose, so a value sealed for
 * one use (e.g. a stored seed) can never be opened as another (e.g. a form token).
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(keyMaterial: Buffer, purpose: string) {
    this.#key = Buffer.from(
      hkdfSync('sha256', keyMaterial, HKDF_SALT, `communique:${purpose}`, 32),
    );
  }

  /** Encrypts text; `context` (e.g. the owning user id) must be given again to open it. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([body, cipher.getAuthTag()]);
    return `${FORMAT}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** Decrypts a sealed value, or returns null when it was tampered with, sealed elsewhere or under another key. */
  open(sealed: string, context: string): string | null {
    const parts = sealed.split('.');
    if (parts.length !== 3 || parts[0] !== FORMAT) return null;
    const iv = Buffer.from(parts[1] ?? '', 'base64url');
    const data = Buffer.from(parts[2] ?? '', 'base64url');
    if (iv.length !== IV_BYTES || data.length < TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(0, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      return null;
    }
  }
}
