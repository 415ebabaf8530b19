import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerProblem } from '../../device/fleet/broker-error.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('what went wrong with the broker connection', () => {
  it('tells a certificate the box does not trust by its code', () => {
    assert.deepEqual(brokerProblem(withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN')), {
      kind: 'certificate',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      reason: 'self-signed certificate in certificate chain',
    });
    assert.equal(brokerProblem(withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')).kind, 'certificate');
    assert.equal(brokerProblem(withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID')).kind, 'certificate');
  });

  it('leaves everything else alone, whatever its text says', () => {
    assert.deepEqual(brokerProblem(withCode('connect ECONNREFUSED 127.0.0.1:8883', 'ECONNREFUSED')), { kind: 'other', reason: 'connect ECONNREFUSED 127.0.0.1:8883' });
    assert.equal(brokerProblem(new Error('certificate trouble')).kind, 'other');
    assert.equal(brokerProblem(withCode('Connection refused: Not authorized', '5')).kind, 'other');
  });
});
