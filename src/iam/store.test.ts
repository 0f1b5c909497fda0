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

test('identityPolicies: what applies to a user, a role session and root; generation grows with changes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-iam-store-'));
  try {
    const db = openDatabase(path.join(dir, 'db.sqlite'));
    const store = createIdentityStore(db, loadAwsManagedPolicies());
    const acct = '111122223333';
    const doc = (a: string) => JSON.stringify({ Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] });
    const user = store.createUser({ accountId: acct, userName: 'u', path: '/', tags: [] });
    const g0 = store.generation();
    store.putInlinePolicy(acct, 'user', 'u', 'inline', doc('s3:GetObject'));
    const custom = store.createPolicy({
      accountId: acct,
      policyName: 'c',
      path: '/',
      document: doc('sqs:*'),
      tags: [],
    });
    store.createPolicyVersion(custom.arn, doc('sqs:SendMessage'), true);
    store.attachPolicy(acct, 'user', 'u', custom.arn);
    store.attachPolicy(acct, 'user', 'u', 'arn:aws:iam::aws:policy/AdministratorAccess');
    assert.ok(store.generation() > g0);
    const forUser = store.identityPolicies({
      type: 'user',
      accountId: acct,
      arn: user.arn,
      userId: user.userId,
      userName: 'u',
    });
    assert.deepEqual(forUser.inline, [{ policyName: 'inline', document: doc('s3:GetObject') }]);
    assert.deepEqual(
      forUser.managed.map((m) => [m.policyArn, JSON.parse(m.document).Statement[0].Action]),
      [
        [custom.arn, 'sqs:SendMessage'],
        ['arn:aws:iam::aws:policy/AdministratorAccess', '*'],
      ],
    );

    const role = store.createRole({
      accountId: acct,
      roleName: 'r',
      path: '/',
      assumeRolePolicyDocument: '{}',
      maxSessionDuration: 3600,
      tags: [],
    });
    store.putInlinePolicy(acct, 'role', 'r', 'self', doc('lambda:GetFunction'));
    const session = store.createSession({
      accountId: acct,
      principal: {
        type: 'assumed-role',
        accountId: acct,
        arn: `arn:aws:sts::${acct}:assumed-role/r/s`,
        userId: `${role.roleId}:s`,
        roleName: 'r',
        roleArn: role.arn,
        sessionName: 's',
      },
      issuedAt: new Date(),
      expiration: new Date(Date.now() + 60_000),
      extras: { policy: doc('lambda:*'), policyArns: [custom.arn] },
    });
    const forSession = store.identityPolicies(session.principal);
    assert.deepEqual(
      forSession.inline.map((p) => p.policyName),
      ['self'],
    );
    assert.equal(forSession.session?.policy, doc('lambda:*'));
    assert.deepEqual(
      forSession.session?.managed.map((m) => m.policyArn),
      [custom.arn],
    );
    assert.deepEqual(store.identityPolicies(rootPrincipal(acct)), { inline: [], managed: [] });
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
