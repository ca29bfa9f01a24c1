// AES-256-GCM encryption of every payload Temporal stores (customer emails, statuses, audit trails), so the
// history holds no personal data in clear. The key id travels in each payload's metadata: several keys can be
// configured at once, the first encrypts, all decrypt — rotation never strands a running handoff.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const ENCODING_KEY = 'encoding';
const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** Parses `id1:<base64 32 bytes>,id0:<base64 32 bytes>`; the first key encrypts. Errors name the variable. */
export function parseEncryptionKeys(raw: string, variable = 'HANDOFF_ENCRYPTION_KEYS'): EncryptionKey[] {
  const keys = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf(':');
      const id = part.slice(0, at).trim();
      const key = Buffer.from(part.slice(at + 1).trim(), 'base64');
      if (at <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
        throw new Error(
          `${variable}: each entry must look like <key id>:<base64 key>, got an entry without a valid id`,
        );
      }
      if (key.length !== 32) {
        throw new Error(
          `${variable}: key "${id}" must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length}`,
        );
      }
      return { id, key };
    });
  if (keys.length === 0) throw new Error(`${variable} is empty: set <key id>:<base64 32-byte key>`);
  if (new Set(keys.map((k) => k.id)).size !== keys.length)
    throw new Error(`${variable}: key ids must be unique`);
  return keys;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: EncryptionKey[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0];
    return Promise.resolve(
      payloads.map((payload) => {
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
        return {
          metadata: {
            [ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
            [KEY_ID_KEY]: Buffer.from(id),
          },
          data,
        };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    // Inside the executor, a bad payload becomes a rejection rather than a synchronous throw.
    return new Promise((resolve) =>
      resolve(
        payloads.map((payload) => {
          const encoding = payload.metadata?.[ENCODING_KEY];
          // Payloads written before encryption was turned on stay readable.
          if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
          const keyId = Buffer.from(payload.metadata?.[KEY_ID_KEY] ?? []).toString();
          const key = this.byId.get(keyId);
          if (!key) {
            throw new Error(
              `Payload encrypted with key "${keyId}", which is not configured: add it to HANDOFF_ENCRYPTION_KEYS`,
            );
          }
          const data = Buffer.from(payload.data ?? []);
          const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
          decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
          const plain = Buffer.concat([
            decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
            decipher.final(),
          ]);
          return temporal.api.common.v1.Payload.decode(plain);
        }),
      ),
    );
  }
}
