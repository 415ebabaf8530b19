/**
 * What went wrong with the broker connection, told from the error's code
 * (Node's TLS verification codes, MQTT's CONNACK codes), never from its text.
 */
export type BrokerProblem =
  | { kind: 'certificate'; code: string; reason: string }
  | { kind: 'other'; reason: string };

/** OpenSSL's X509 verification results as Node reports them, plus its own host name check. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function brokerProblem(err: Error): BrokerProblem {
  const code = 'code' in err && typeof err.code === 'string' ? err.code : null;
  if (code !== null && CERTIFICATE_CODES.has(code)) return { kind: 'certificate', code, reason: err.message };
  return { kind: 'other', reason: err.message };
}
