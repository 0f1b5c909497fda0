import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../storage/db.js';
import { createAuthenticator, ExpiredTokenException } from './authenticator.js';
import { loadAwsManagedPolicies } from './aws-managed.js';
import { rootPrincipal } from './principal.js';
import { createIdentityStore } from './store.js';

test('the credential index follows writes and is rebuilt from SQLite on open', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-iam-store-'));
  const file = path.join(dir, 'db.sqlite');
  let t = 1_000_000;
  try {
    const db = openDatabase(file);
    const store = createIdentityStore(db, loadAwsManagedPolicies(), () => t);
    store.createUser({ accountId: '111122223333', userName: 'Ann', path: '/', tags: [] });
    assert.equal(store.getUser('111122223333', 'ann')?.userName, 'Ann', 'names are found regardless of case');
    const key = store.createAccessKey('111122223333', 'ann');
    assert.equal(store.credential(key.accessKeyId)?.principal.arn, 'arn:aws:iam::111122223333:user/Ann');
    store.updateAccessKey(key.accessKeyId, 'Inactive');
    assert.equal(store.credential(key.accessKeyId)?.active, false);
    const session = store.createSession({
      accountId: '111122223333',
      principal: rootPrincipal('111122223333'),
      issuedAt: new Date(t),
      expiration: new Date(t + 900_000),
    });
    const auth = createAuthenticator([], store);
    const identity = {
      accessKeyId: session.accessKeyId,
      accountId: '111122223333',
      region: 'us-east-1',
      service: 'sts',
      sessionToken: session.sessionToken,
    };
    assert.equal(auth.principalOf(identity, new Date(t)).arn, 'arn:aws:iam::111122223333:root');
    assert.throws(() => auth.principalOf(identity, new Date(t + 900_000)), ExpiredTokenException);
    db.close();

    const reopened = createIdentityStore(openDatabase(file), loadAwsManagedPolicies(), () => t);
    assert.equal(reopened.credential(key.accessKeyId)?.active, false);
    assert.equal(reopened.credential(session.accessKeyId)?.sessionToken, session.sessionToken);
    reopened.deleteSession(session.accessKeyId);
    assert.equal(reopened.credential(session.accessKeyId), undefined);
    // A day after expiry a session is forgotten (it would be InvalidClientTokenId by then).
    const second = reopened.createSession({
      accountId: '111122223333',
      principal: rootPrincipal('111122223333'),
      issuedAt: new Date(t),
      expiration: new Date(t + 1000),
    });
    t += 25 * 3_600_000;
    const later = createIdentityStore(openDatabase(file), loadAwsManagedPolicies(), () => t);
    assert.equal(later.credential(second.accessKeyId), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
