import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, parseEncryptionKeys } from '../src/codec/payload-encryption';

const key = (id: string, fill: number) => `${id}:${Buffer.alloc(32, fill).toString('base64')}`;
const payload = defaultPayloadConverter.toPayload({ customerEmails: ['owner@customer.example'] });

test('payloads are encrypted with the first key, its id in the metadata, and decrypt back', async () => {
  const codec = new EncryptionCodec(parseEncryptionKeys(key('2026-11', 1)));
  const [encrypted] = await codec.encode([payload]);
  expect(Buffer.from(encrypted.metadata!['encryption-key-id']).toString()).toBe('2026-11');
  expect(Buffer.from(encrypted.data!).includes('owner@customer.example')).toBe(false);
  const [decrypted] = await codec.decode([encrypted]);
  expect(defaultPayloadConverter.fromPayload(decrypted)).toEqual({
    customerEmails: ['owner@customer.example'],
  });
});

test('rotation: a new first key encrypts, payloads from the old key still decrypt', async () => {
  const old = new EncryptionCodec(parseEncryptionKeys(key('old', 1)));
  const [written] = await old.encode([payload]);
  const rotated = new EncryptionCodec(parseEncryptionKeys(`${key('new', 2)},${key('old', 1)}`));
  expect(defaultPayloadConverter.fromPayload((await rotated.decode([written]))[0])).toEqual({
    customerEmails: ['owner@customer.example'],
  });
  const [fresh] = await rotated.encode([payload]);
  expect(Buffer.from(fresh.metadata!['encryption-key-id']).toString()).toBe('new');
  await expect(new EncryptionCodec(parseEncryptionKeys(key('new', 2))).decode([written])).rejects.toThrow(
    /key "old", which is not configured/,
  );
});

test('a tampered payload is refused, and plain (pre-encryption) payloads pass through', async () => {
  const codec = new EncryptionCodec(parseEncryptionKeys(key('k', 3)));
  const [encrypted] = await codec.encode([payload]);
  const data = Buffer.from(encrypted.data!);
  data[20] ^= 1;
  await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow();
  expect(await codec.decode([payload])).toEqual([payload]);
});

test.each([
  ['', /empty/],
  ['nokey', /<key id>:<base64 key>/],
  ['k:c2hvcnQ=', /32 bytes/],
  [`${key('a', 1)},${key('a', 2)}`, /unique/],
])('bad HANDOFF_ENCRYPTION_KEYS %j is refused with a fix', (raw, message) => {
  expect(() => parseEncryptionKeys(raw)).toThrow(message);
});
