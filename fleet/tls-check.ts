import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The pure half of the fleet's TLS: which hosts a certificate may name, the
 * server certificate's extensions, and whether files already on disk are
 * still good enough to keep. fleet/tls.ts does the openssl work.
 */

/** Renew this long before expiry, so a fleet restarted now and then never serves an expired certificate. */
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
export const CA_DAYS = 3650;
export const SERVER_DAYS = 825;

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export class TlsError extends Error {
  override readonly name = 'TlsError';
}

/** Every host that is neither an IP address nor a DNS name, at once. */
export function badHosts(hosts: readonly string[]): string[] {
  if (hosts.length === 0) return ['no host names: the certificate must name the host boxes connect to'];
  return hosts.filter((h) => isIP(h) === 0 && !DNS_NAME.test(h)).map((h) => `${JSON.stringify(h)} is neither an IP address nor a DNS name`);
}

/** The openssl extension file for the server certificate. Hosts must have passed badHosts. */
export function serverExtensions(hosts: readonly string[]): string {
  const names = hosts.map((h) => (isIP(h) === 0 ? `DNS:${h}` : `IP:${h}`));
  return [
    `subjectAltName=${names.join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n');
}

/** Why the CA cannot be kept; empty when it can. Replacing the CA locks out every enrolled box, so only a broken or expiring one is. */
export function caProblems(caPem: string, caKeyPem: string, now: Date): string[] {
  try {
    const ca = new X509Certificate(caPem);
    const problems: string[] = [];
    if (!ca.ca) problems.push('the CA certificate is not a CA');
    if (!ca.checkPrivateKey(createPrivateKey(caKeyPem))) problems.push('the CA key does not match its certificate');
    if (Date.parse(ca.validTo) - now.getTime() < RENEW_BEFORE_MS) problems.push(`the CA expires ${ca.validTo}`);
    return problems;
  } catch (e) {
    return [`the CA files do not parse: ${e instanceof Error ? e.message : String(e)}`];
  }
}

/** Why the server certificate must be issued again (expiring, another CA, a host missing); empty when it can be kept. */
export function serverProblems(caPem: string, certPem: string, keyPem: string, hosts: readonly string[], now: Date): string[] {
  try {
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(certPem);
    const problems: string[] = [];
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) problems.push('the server certificate was not issued by this CA');
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) problems.push('the server key does not match its certificate');
    if (Date.parse(cert.validFrom) > now.getTime()) problems.push(`the server certificate is valid only from ${cert.validFrom}`);
    if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS) problems.push(`the server certificate expires ${cert.validTo}`);
    for (const host of hosts) {
      // subject 'never': only the subjectAltName counts, as in every current TLS client.
      const covered = isIP(host) === 0 ? cert.checkHost(host, { subject: 'never' }) !== undefined : cert.checkIP(host) !== undefined;
      if (!covered) problems.push(`the server certificate does not name ${host}`);
    }
    return problems;
  } catch (e) {
    return [`the server files do not parse: ${e instanceof Error ? e.message : String(e)}`];
  }
}
