// HMAC-SHA256 signatures for project-completed webhooks: `X-Handoff-Signature: t=<unix seconds>,v1=<hex>`,
// where hex = HMAC(secret, `${t}.${rawBody}`). The timestamp bounds replays; several secrets allow rotation.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-handoff-signature';
export const REPLAY_WINDOW_SECONDS = 300;

export function signWebhook(
  secret: string,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const digest = createHmac('sha256', secret).update(`${nowSeconds}.${rawBody}`).digest('hex');
  return `t=${nowSeconds},v1=${digest}`;
}

/** Why the signature is not acceptable, or undefined when one of the secrets signed this body recently. */
export function signatureProblem(
  secrets: string[],
  header: string | undefined,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | undefined {
  if (!header) return `missing ${SIGNATURE_HEADER} header: sign the body with HANDOFF_WEBHOOK_SECRET`;
  const parts = Object.fromEntries(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/i.test(parts.v1 ?? '')) {
    return `malformed ${SIGNATURE_HEADER}: expected t=<unix seconds>,v1=<hex HMAC-SHA256>`;
  }
  if (Math.abs(nowSeconds - t) > REPLAY_WINDOW_SECONDS) {
    return `signature timestamp is outside the ${REPLAY_WINDOW_SECONDS} s window: sign each request when sending it`;
  }
  const given = Buffer.from(parts.v1, 'hex');
  const valid = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  return valid
    ? undefined
    : 'signature does not match the body: check the secret and sign the exact bytes sent';
}
