/**
 * The identity store: IAM users, access keys, roles, managed policies (with versions),
 * inline policies and attachments, and STS sessions, in SQLite (one transaction per call,
 * WAL: what a caller was told is stored survives kill -9). Names of users, roles and
 * policies are unique per account regardless of case, as in IAM.
 *
 * The store also keeps every usable credential in memory (access key id → secret, account,
 * principal, status, session token and expiry), loaded at open and updated by each write,
 * because the gateway looks one up on every request and must not read SQLite to do it.
 *
 * The store does not decide AWS errors: IAM and STS (src/services/iam, src/services/sts)
 * check existence and conflicts, then write. Everything is synchronous, so a check and the
 * write that follows it cannot interleave with another request.
 */
import type { Db } from '../storage/db.js';
import { migrate } from '../storage/db.js';
import type { AwsManagedPolicy } from './aws-managed.js';
import * as ids from './ids.js';
import { type Principal, userPrincipal } from './principal.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface UserRecord {
  accountId: string;
  userName: string;
  userId: string;
  path: string;
  arn: string;
  createDate: Date;
  tags: Tag[];
  permissionsBoundary?: string | undefined;
}

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName: string;
  status: AccessKeyStatus;
  createDate: Date;
}

export interface RoleRecord {
  accountId: string;
  roleName: string;
  roleId: string;
  path: string;
  arn: string;
  /** The trust policy as the caller sent it (JSON text). */
  assumeRolePolicyDocument: string;
  description?: string | undefined;
  maxSessionDuration: number;
  createDate: Date;
  tags: Tag[];
  permissionsBoundary?: string | undefined;
}

export interface ManagedPolicyRecord {
  /** The owning account, or `aws` for AWS managed policies. */
  accountId: string;
  policyName: string;
  policyId: string;
  path: string;
  arn: string;
  description?: string | undefined;
  defaultVersionId: string;
  createDate: Date;
  updateDate: Date;
  tags: Tag[];
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  isDefaultVersion: boolean;
  createDate: Date;
}

export type OwnerKind = 'user' | 'role';

export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  principal: Principal;
  issuedAt: Date;
  expiration: Date;
}

/** What the gateway needs to authenticate one access key id. */
export interface CredentialEntry {
  readonly secretAccessKey: string;
  readonly accountId: string;
  readonly principal: Principal;
  readonly active: boolean;
  /** Temporary credentials only: the token the request must carry, and when they expire. */
  readonly sessionToken?: string;
  readonly expiresMs?: number;
}

const MIGRATIONS = [
  `CREATE TABLE iam_users (
     account_id TEXT NOT NULL,
     user_name TEXT NOT NULL COLLATE NOCASE,
     user_id TEXT NOT NULL UNIQUE,
     path TEXT NOT NULL,
     arn TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     tags TEXT NOT NULL DEFAULT '[]',
     permissions_boundary TEXT,
     PRIMARY KEY (account_id, user_name)
   );
   CREATE TABLE iam_access_keys (
     access_key_id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     user_name TEXT NOT NULL COLLATE NOCASE,
     secret TEXT NOT NULL,
     status TEXT NOT NULL,
     created_ms INTEGER NOT NULL
   );
   CREATE INDEX iam_access_keys_user ON iam_access_keys (account_id, user_name);
   CREATE TABLE iam_roles (
     account_id TEXT NOT NULL,
     role_name TEXT NOT NULL COLLATE NOCASE,
     role_id TEXT NOT NULL UNIQUE,
     path TEXT NOT NULL,
     arn TEXT NOT NULL,
     trust_policy TEXT NOT NULL,
     description TEXT,
     max_session_duration INTEGER NOT NULL,
     created_ms INTEGER NOT NULL,
     tags TEXT NOT NULL DEFAULT '[]',
     permissions_boundary TEXT,
     PRIMARY KEY (account_id, role_name)
   );
   CREATE TABLE iam_policies (
     arn TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     policy_name TEXT NOT NULL COLLATE NOCASE,
     policy_id TEXT NOT NULL UNIQUE,
     path TEXT NOT NULL,
     description TEXT,
     default_version TEXT NOT NULL,
     next_version INTEGER NOT NULL,
     created_ms INTEGER NOT NULL,
     updated_ms INTEGER NOT NULL,
     tags TEXT NOT NULL DEFAULT '[]',
     UNIQUE (account_id, policy_name)
   );
   CREATE TABLE iam_policy_versions (
     policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) ON DELETE CASCADE,
     version_id TEXT NOT NULL,
     version_no INTEGER NOT NULL,
     document TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     PRIMARY KEY (policy_arn, version_id)
   );
   CREATE TABLE iam_inline_policies (
     account_id TEXT NOT NULL,
     owner_kind TEXT NOT NULL,
     owner_name TEXT NOT NULL COLLATE NOCASE,
     policy_name TEXT NOT NULL,
     document TEXT NOT NULL,
     PRIMARY KEY (account_id, owner_kind, owner_name, policy_name)
   );
   CREATE TABLE iam_attachments (
     account_id TEXT NOT NULL,
     owner_kind TEXT NOT NULL,
     owner_name TEXT NOT NULL COLLATE NOCASE,
     policy_arn TEXT NOT NULL,
     attached_ms INTEGER NOT NULL,
     PRIMARY KEY (account_id, owner_kind, owner_name, policy_arn)
   );
   CREATE INDEX iam_attachments_policy ON iam_attachments (policy_arn);
   CREATE TABLE sts_sessions (
     access_key_id TEXT PRIMARY KEY,
     secret TEXT NOT NULL,
     token TEXT NOT NULL,
     account_id TEXT NOT NULL,
     principal TEXT NOT NULL,
     issued_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL
   );
   CREATE INDEX sts_sessions_expiry ON sts_sessions (expires_ms);
   CREATE TABLE iam_accounts (
     account_id TEXT PRIMARY KEY,
     created_ms INTEGER NOT NULL
   );`,
];

/** Expired sessions are kept this long (so their use is answered ExpiredToken), then dropped. */
const EXPIRED_SESSION_RETENTION_MS = 24 * 3_600_000;

export interface IdentityStore {
  /** When the account was first seen (the root user's CreateDate). */
  accountCreated(accountId: string): Date;

  createUser(u: {
    accountId: string;
    userName: string;
    path: string;
    tags: Tag[];
    permissionsBoundary?: string | undefined;
  }): UserRecord;
  getUser(accountId: string, userName: string): UserRecord | undefined;
  /** Sets (a policy ARN) or removes (undefined) a user's or role's permissions boundary. */
  setPermissionsBoundary(
    accountId: string,
    kind: OwnerKind,
    name: string,
    policyArn: string | undefined,
  ): void;
  listUsers(accountId: string): UserRecord[];
  deleteUser(accountId: string, userName: string): void;

  createAccessKey(accountId: string, userName: string): AccessKeyRecord;
  getAccessKey(accessKeyId: string): AccessKeyRecord | undefined;
  listAccessKeys(accountId: string, userName: string): AccessKeyRecord[];
  updateAccessKey(accessKeyId: string, status: AccessKeyStatus): void;
  deleteAccessKey(accessKeyId: string): void;

  createRole(r: {
    accountId: string;
    roleName: string;
    path: string;
    assumeRolePolicyDocument: string;
    description?: string | undefined;
    maxSessionDuration: number;
    tags: Tag[];
    permissionsBoundary?: string | undefined;
  }): RoleRecord;
  getRole(accountId: string, roleName: string): RoleRecord | undefined;
  listRoles(accountId: string): RoleRecord[];
  updateAssumeRolePolicy(accountId: string, roleName: string, document: string): void;
  deleteRole(accountId: string, roleName: string): void;

  putInlinePolicy(
    accountId: string,
    kind: OwnerKind,
    owner: string,
    policyName: string,
    document: string,
  ): void;
  getInlinePolicy(accountId: string, kind: OwnerKind, owner: string, policyName: string): string | undefined;
  listInlinePolicies(
    accountId: string,
    kind: OwnerKind,
    owner: string,
  ): { policyName: string; document: string }[];
  deleteInlinePolicy(accountId: string, kind: OwnerKind, owner: string, policyName: string): void;

  createPolicy(p: {
    accountId: string;
    policyName: string;
    path: string;
    description?: string | undefined;
    document: string;
    tags: Tag[];
  }): ManagedPolicyRecord;
  /** A customer managed policy or an AWS managed one (`arn:aws:iam::aws:policy/...`). */
  getPolicy(arn: string): ManagedPolicyRecord | undefined;
  /** The account's customer managed policies. */
  listPolicies(accountId: string): ManagedPolicyRecord[];
  awsManagedPolicies(): ManagedPolicyRecord[];
  deletePolicy(arn: string): void;
  policyVersions(arn: string): PolicyVersionRecord[];
  createPolicyVersion(arn: string, document: string, setAsDefault: boolean): PolicyVersionRecord;
  deletePolicyVersion(arn: string, versionId: string): void;
  setDefaultPolicyVersion(arn: string, versionId: string): void;

  attachPolicy(accountId: string, kind: OwnerKind, owner: string, policyArn: string): void;
  detachPolicy(accountId: string, kind: OwnerKind, owner: string, policyArn: string): void;
  attachedPolicies(accountId: string, kind: OwnerKind, owner: string): string[];
  /** How many users and roles of the account have this policy attached. */
  attachmentCount(accountId: string, policyArn: string): number;
  entitiesForPolicy(accountId: string, policyArn: string): { kind: OwnerKind; name: string }[];

  createSession(s: {
    accountId: string;
    /** The session's principal (without `session`: the store fills it in). */
    principal: Principal;
    issuedAt: Date;
    expiration: Date;
    extras?: {
      policy?: string;
      policyArns?: string[];
      sourceIdentity?: string;
      environment?: boolean;
      sourceFunctionArn?: string;
    };
  }): SessionRecord;

  /** Revokes temporary credentials at once (e.g. a function's when its environment ends). */
  deleteSession(accessKeyId: string): void;

  /**
   * Revokes every execution-environment session (`extras.environment`) there is: called once at
   * start, by the process that holds the data directory, since no environment survives a
   * restart — those left are of a run that ended without revoking them (kill -9). Returns how
   * many were revoked.
   */
  revokeEnvironmentSessions(): number;

  /** The credential behind an access key id, from memory (no SQLite read). */
  credential(accessKeyId: string): CredentialEntry | undefined;

  /**
   * The identity-based policies that apply to a principal, for the policy evaluator: a
   * user's or role's inline policies and the default versions of its attached managed
   * policies, its permissions boundary's default version, and a session's own policies
   * (AssumeRole `Policy` and `PolicyArns`). The root user has none (it may do everything).
   * Reads SQLite: cache the result by principal ARN and `generation()`.
   */
  identityPolicies(principal: Principal): IdentityPolicies;
  /** Grows with every write that can change what a principal may do (a cache key). */
  generation(): number;
}

export interface IdentityPolicies {
  inline: { policyName: string; document: string }[];
  managed: { policyArn: string; document: string }[];
  permissionsBoundary?: { policyArn: string; document: string };
  session?: { policy?: string; managed: { policyArn: string; document: string }[] };
}

interface UserRow {
  account_id: string;
  user_name: string;
  user_id: string;
  path: string;
  arn: string;
  created_ms: number;
  tags: string;
  permissions_boundary: string | null;
}
interface KeyRow {
  access_key_id: string;
  account_id: string;
  user_name: string;
  secret: string;
  status: AccessKeyStatus;
  created_ms: number;
}
interface RoleRow {
  account_id: string;
  role_name: string;
  role_id: string;
  path: string;
  arn: string;
  trust_policy: string;
  description: string | null;
  max_session_duration: number;
  created_ms: number;
  tags: string;
  permissions_boundary: string | null;
}
interface PolicyRow {
  arn: string;
  account_id: string;
  policy_name: string;
  policy_id: string;
  path: string;
  description: string | null;
  default_version: string;
  next_version: number;
  created_ms: number;
  updated_ms: number;
  tags: string;
}
interface VersionRow {
  version_id: string;
  document: string;
  created_ms: number;
}
interface SessionRow {
  access_key_id: string;
  secret: string;
  token: string;
  account_id: string;
  principal: string;
  issued_ms: number;
  expires_ms: number;
}

const toUser = (r: UserRow): UserRecord => ({
  accountId: r.account_id,
  userName: r.user_name,
  userId: r.user_id,
  path: r.path,
  arn: r.arn,
  createDate: new Date(r.created_ms),
  tags: JSON.parse(r.tags) as Tag[],
  permissionsBoundary: r.permissions_boundary ?? undefined,
});
const toKey = (r: KeyRow): AccessKeyRecord => ({
  accessKeyId: r.access_key_id,
  secretAccessKey: r.secret,
  accountId: r.account_id,
  userName: r.user_name,
  status: r.status,
  createDate: new Date(r.created_ms),
});
const toRole = (r: RoleRow): RoleRecord => ({
  accountId: r.account_id,
  roleName: r.role_name,
  roleId: r.role_id,
  path: r.path,
  arn: r.arn,
  assumeRolePolicyDocument: r.trust_policy,
  description: r.description ?? undefined,
  maxSessionDuration: r.max_session_duration,
  createDate: new Date(r.created_ms),
  tags: JSON.parse(r.tags) as Tag[],
  permissionsBoundary: r.permissions_boundary ?? undefined,
});
const toPolicy = (r: PolicyRow): ManagedPolicyRecord => ({
  accountId: r.account_id,
  policyName: r.policy_name,
  policyId: r.policy_id,
  path: r.path,
  arn: r.arn,
  description: r.description ?? undefined,
  defaultVersionId: r.default_version,
  createDate: new Date(r.created_ms),
  updateDate: new Date(r.updated_ms),
  tags: JSON.parse(r.tags) as Tag[],
});
const fromAws = (p: AwsManagedPolicy): ManagedPolicyRecord => ({
  accountId: 'aws',
  policyName: p.name,
  policyId: p.policyId,
  path: p.path,
  arn: p.arn,
  defaultVersionId: p.defaultVersionId,
  createDate: p.createDate,
  updateDate: p.updateDate,
  tags: [],
});

export function createIdentityStore(
  db: Db,
  awsManaged: ReadonlyMap<string, AwsManagedPolicy>,
  now: () => number = Date.now,
): IdentityStore {
  migrate(db, 'iam', MIGRATIONS);

  const q = {
    account: db.prepare<[string], { created_ms: number }>(
      'SELECT created_ms FROM iam_accounts WHERE account_id = ?',
    ),
    addAccount: db.prepare('INSERT OR IGNORE INTO iam_accounts (account_id, created_ms) VALUES (?, ?)'),
    user: db.prepare<[string, string], UserRow>(
      'SELECT * FROM iam_users WHERE account_id = ? AND user_name = ?',
    ),
    users: db.prepare<[string], UserRow>('SELECT * FROM iam_users WHERE account_id = ? ORDER BY user_name'),
    allUsers: db.prepare<[], UserRow>('SELECT * FROM iam_users'),
    addUser: db.prepare(
      `INSERT INTO iam_users (account_id, user_name, user_id, path, arn, created_ms, tags, permissions_boundary)
       VALUES (@account_id, @user_name, @user_id, @path, @arn, @created_ms, @tags, @permissions_boundary)`,
    ),
    deleteUser: db.prepare('DELETE FROM iam_users WHERE account_id = ? AND user_name = ?'),
    key: db.prepare<[string], KeyRow>('SELECT * FROM iam_access_keys WHERE access_key_id = ?'),
    keys: db.prepare<[string, string], KeyRow>(
      'SELECT * FROM iam_access_keys WHERE account_id = ? AND user_name = ? ORDER BY created_ms, access_key_id',
    ),
    allKeys: db.prepare<[], KeyRow>('SELECT * FROM iam_access_keys'),
    addKey: db.prepare(
      `INSERT INTO iam_access_keys (access_key_id, account_id, user_name, secret, status, created_ms)
       VALUES (?, ?, ?, ?, 'Active', ?)`,
    ),
    keyStatus: db.prepare('UPDATE iam_access_keys SET status = ? WHERE access_key_id = ?'),
    deleteKey: db.prepare('DELETE FROM iam_access_keys WHERE access_key_id = ?'),
    role: db.prepare<[string, string], RoleRow>(
      'SELECT * FROM iam_roles WHERE account_id = ? AND role_name = ?',
    ),
    roles: db.prepare<[string], RoleRow>('SELECT * FROM iam_roles WHERE account_id = ? ORDER BY role_name'),
    addRole: db.prepare(
      `INSERT INTO iam_roles (account_id, role_name, role_id, path, arn, trust_policy, description,
         max_session_duration, created_ms, tags, permissions_boundary)
       VALUES (@account_id, @role_name, @role_id, @path, @arn, @trust_policy, @description,
         @max_session_duration, @created_ms, @tags, @permissions_boundary)`,
    ),
    trust: db.prepare('UPDATE iam_roles SET trust_policy = ? WHERE account_id = ? AND role_name = ?'),
    deleteRole: db.prepare('DELETE FROM iam_roles WHERE account_id = ? AND role_name = ?'),
    userBoundary: db.prepare(
      'UPDATE iam_users SET permissions_boundary = ? WHERE account_id = ? AND user_name = ?',
    ),
    roleBoundary: db.prepare(
      'UPDATE iam_roles SET permissions_boundary = ? WHERE account_id = ? AND role_name = ?',
    ),
    inline: db.prepare<[string, string, string, string], { document: string }>(
      `SELECT document FROM iam_inline_policies
       WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND policy_name = ?`,
    ),
    inlines: db.prepare<[string, string, string], { policy_name: string; document: string }>(
      `SELECT policy_name, document FROM iam_inline_policies
       WHERE account_id = ? AND owner_kind = ? AND owner_name = ? ORDER BY policy_name`,
    ),
    putInline: db.prepare(
      `INSERT INTO iam_inline_policies (account_id, owner_kind, owner_name, policy_name, document)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, owner_kind, owner_name, policy_name) DO UPDATE SET document = excluded.document`,
    ),
    deleteInline: db.prepare(
      `DELETE FROM iam_inline_policies
       WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND policy_name = ?`,
    ),
    policy: db.prepare<[string], PolicyRow>('SELECT * FROM iam_policies WHERE arn = ?'),
    policies: db.prepare<[string], PolicyRow>(
      'SELECT * FROM iam_policies WHERE account_id = ? ORDER BY policy_name',
    ),
    addPolicy: db.prepare(
      `INSERT INTO iam_policies (arn, account_id, policy_name, policy_id, path, description, default_version,
         next_version, created_ms, updated_ms, tags)
       VALUES (@arn, @account_id, @policy_name, @policy_id, @path, @description, 'v1', 2, @created_ms, @created_ms, @tags)`,
    ),
    deletePolicy: db.prepare('DELETE FROM iam_policies WHERE arn = ?'),
    versions: db.prepare<[string], VersionRow>(
      'SELECT version_id, document, created_ms FROM iam_policy_versions WHERE policy_arn = ? ORDER BY version_no DESC',
    ),
    addVersion: db.prepare(
      `INSERT INTO iam_policy_versions (policy_arn, version_id, version_no, document, created_ms)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    bumpVersion: db.prepare('UPDATE iam_policies SET next_version = next_version + 1 WHERE arn = ?'),
    setDefault: db.prepare('UPDATE iam_policies SET default_version = ?, updated_ms = ? WHERE arn = ?'),
    deleteVersion: db.prepare('DELETE FROM iam_policy_versions WHERE policy_arn = ? AND version_id = ?'),
    attach: db.prepare(
      `INSERT OR IGNORE INTO iam_attachments (account_id, owner_kind, owner_name, policy_arn, attached_ms)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    detach: db.prepare(
      'DELETE FROM iam_attachments WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND policy_arn = ?',
    ),
    attached: db.prepare<[string, string, string], { policy_arn: string }>(
      `SELECT policy_arn FROM iam_attachments WHERE account_id = ? AND owner_kind = ? AND owner_name = ?
       ORDER BY attached_ms, policy_arn`,
    ),
    attachmentCount: db.prepare<[string, string], { n: number }>(
      'SELECT count(*) AS n FROM iam_attachments WHERE account_id = ? AND policy_arn = ?',
    ),
    entities: db.prepare<[string, string], { owner_kind: OwnerKind; owner_name: string }>(
      `SELECT owner_kind, owner_name FROM iam_attachments WHERE account_id = ? AND policy_arn = ?
       ORDER BY owner_kind, owner_name`,
    ),
    deleteSession: db.prepare('DELETE FROM sts_sessions WHERE access_key_id = ?'),
    addSession: db.prepare(
      `INSERT INTO sts_sessions (access_key_id, secret, token, account_id, principal, issued_ms, expires_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    liveSessions: db.prepare<[number], SessionRow>('SELECT * FROM sts_sessions WHERE expires_ms > ?'),
    pruneSessions: db.prepare('DELETE FROM sts_sessions WHERE expires_ms <= ?'),
    revokeEnvironmentSessions: db.prepare<[], { access_key_id: string }>(
      `DELETE FROM sts_sessions WHERE json_extract(principal, '$.session.environment') = 1
       RETURNING access_key_id`,
    ),
  };

  // ------------------------------------------------------------------------------------------
  // The in-memory credential index.

  const credentials = new Map<string, CredentialEntry>();
  const usersById = new Map<string, UserRecord>();

  function indexKey(k: AccessKeyRecord, user: UserRecord): void {
    credentials.set(k.accessKeyId, {
      secretAccessKey: k.secretAccessKey,
      accountId: k.accountId,
      principal: userPrincipal(user),
      active: k.status === 'Active',
    });
  }

  function indexSession(s: SessionRecord, accountId: string): void {
    credentials.set(s.accessKeyId, {
      secretAccessKey: s.secretAccessKey,
      accountId,
      principal: s.principal,
      active: true,
      sessionToken: s.sessionToken,
      expiresMs: s.expiration.getTime(),
    });
  }

  function fromSessionRow(r: SessionRow): SessionRecord {
    const stored = JSON.parse(r.principal) as Principal & {
      session?: { issuedAt: string; expiration: string };
    };
    const principal: Principal = stored.session
      ? {
          ...stored,
          session: {
            ...stored.session,
            issuedAt: new Date(stored.session.issuedAt),
            expiration: new Date(stored.session.expiration),
          },
        }
      : stored;
    return {
      accessKeyId: r.access_key_id,
      secretAccessKey: r.secret,
      sessionToken: r.token,
      principal,
      issuedAt: new Date(r.issued_ms),
      expiration: new Date(r.expires_ms),
    };
  }

  function load(): void {
    const users = new Map<string, UserRecord>();
    for (const row of q.allUsers.all()) {
      const u = toUser(row);
      users.set(`${u.accountId}/${u.userName.toLowerCase()}`, u);
      usersById.set(u.userId, u);
    }
    for (const row of q.allKeys.all()) {
      const k = toKey(row);
      const user = users.get(`${k.accountId}/${k.userName.toLowerCase()}`);
      if (user) indexKey(k, user);
    }
    const cutoff = now() - EXPIRED_SESSION_RETENTION_MS;
    q.pruneSessions.run(cutoff);
    for (const row of q.liveSessions.all(cutoff)) indexSession(fromSessionRow(row), row.account_id);
  }
  load();

  let lastPrune = now();
  function pruneExpired(): void {
    const t = now();
    if (t - lastPrune < 60_000) return;
    lastPrune = t;
    const cutoff = t - EXPIRED_SESSION_RETENTION_MS;
    for (const [id, c] of credentials) {
      if (c.expiresMs !== undefined && c.expiresMs <= cutoff) credentials.delete(id);
    }
    q.pruneSessions.run(cutoff);
  }

  // ------------------------------------------------------------------------------------------

  let generation = 0;
  const arnPath = (path: string, name: string) => `${path}${name}`;

  const store: IdentityStore = {
    accountCreated(accountId) {
      const row = q.account.get(accountId);
      if (row) return new Date(row.created_ms);
      const t = now();
      q.addAccount.run(accountId, t);
      return new Date(q.account.get(accountId)?.created_ms ?? t);
    },

    createUser(u) {
      const row: UserRow = {
        account_id: u.accountId,
        user_name: u.userName,
        user_id: ids.uniqueId('AIDA'),
        path: u.path,
        arn: `arn:aws:iam::${u.accountId}:user${arnPath(u.path, u.userName)}`,
        created_ms: now(),
        tags: JSON.stringify(u.tags),
        permissions_boundary: u.permissionsBoundary ?? null,
      };
      q.addUser.run(row);
      const user = toUser(row);
      usersById.set(user.userId, user);
      return user;
    },
    getUser: (accountId, userName) => {
      const row = q.user.get(accountId, userName);
      return row && toUser(row);
    },
    listUsers: (accountId) => q.users.all(accountId).map(toUser),
    setPermissionsBoundary(accountId, kind, name, policyArn) {
      generation++;
      (kind === 'user' ? q.userBoundary : q.roleBoundary).run(policyArn ?? null, accountId, name);
      if (kind === 'user') {
        const row = q.user.get(accountId, name);
        if (row) usersById.set(row.user_id, toUser(row));
      }
    },
    deleteUser(accountId, userName) {
      generation++;
      const user = store.getUser(accountId, userName);
      q.deleteUser.run(accountId, userName);
      if (user) usersById.delete(user.userId);
    },

    createAccessKey(accountId, userName) {
      const user = store.getUser(accountId, userName);
      if (!user) throw new Error(`no user ${userName}`);
      const key: AccessKeyRecord = {
        accessKeyId: ids.accessKeyId('AKIA'),
        secretAccessKey: ids.secretAccessKey(),
        accountId,
        userName: user.userName,
        status: 'Active',
        createDate: new Date(now()),
      };
      q.addKey.run(key.accessKeyId, accountId, user.userName, key.secretAccessKey, key.createDate.getTime());
      indexKey(key, user);
      return key;
    },
    getAccessKey: (id) => {
      const row = q.key.get(id);
      return row && toKey(row);
    },
    listAccessKeys: (accountId, userName) => q.keys.all(accountId, userName).map(toKey),
    updateAccessKey(id, status) {
      q.keyStatus.run(status, id);
      const entry = credentials.get(id);
      if (entry) credentials.set(id, { ...entry, active: status === 'Active' });
    },
    deleteAccessKey(id) {
      q.deleteKey.run(id);
      credentials.delete(id);
    },

    createRole(r) {
      const row: RoleRow = {
        account_id: r.accountId,
        role_name: r.roleName,
        role_id: ids.uniqueId('AROA'),
        path: r.path,
        arn: `arn:aws:iam::${r.accountId}:role${arnPath(r.path, r.roleName)}`,
        trust_policy: r.assumeRolePolicyDocument,
        description: r.description ?? null,
        max_session_duration: r.maxSessionDuration,
        created_ms: now(),
        tags: JSON.stringify(r.tags),
        permissions_boundary: r.permissionsBoundary ?? null,
      };
      q.addRole.run(row);
      return toRole(row);
    },
    getRole: (accountId, roleName) => {
      const row = q.role.get(accountId, roleName);
      return row && toRole(row);
    },
    listRoles: (accountId) => q.roles.all(accountId).map(toRole),
    updateAssumeRolePolicy(accountId, roleName, document) {
      generation++;
      q.trust.run(document, accountId, roleName);
    },
    deleteRole(accountId, roleName) {
      generation++;
      q.deleteRole.run(accountId, roleName);
    },

    putInlinePolicy(accountId, kind, owner, policyName, document) {
      generation++;
      q.putInline.run(accountId, kind, owner, policyName, document);
    },
    getInlinePolicy: (accountId, kind, owner, policyName) =>
      q.inline.get(accountId, kind, owner, policyName)?.document,
    listInlinePolicies: (accountId, kind, owner) =>
      q.inlines.all(accountId, kind, owner).map((r) => ({ policyName: r.policy_name, document: r.document })),
    deleteInlinePolicy(accountId, kind, owner, policyName) {
      generation++;
      q.deleteInline.run(accountId, kind, owner, policyName);
    },

    createPolicy(p) {
      const t = now();
      const arn = `arn:aws:iam::${p.accountId}:policy${arnPath(p.path, p.policyName)}`;
      db.transaction(() => {
        q.addPolicy.run({
          arn,
          account_id: p.accountId,
          policy_name: p.policyName,
          policy_id: ids.uniqueId('ANPA'),
          path: p.path,
          description: p.description ?? null,
          created_ms: t,
          tags: JSON.stringify(p.tags),
        });
        q.addVersion.run(arn, 'v1', 1, p.document, t);
      })();
      const row = q.policy.get(arn);
      if (!row) throw new Error('policy not stored');
      return toPolicy(row);
    },
    getPolicy(arn) {
      const aws = awsManaged.get(arn);
      if (aws) return fromAws(aws);
      const row = q.policy.get(arn);
      return row && toPolicy(row);
    },
    listPolicies: (accountId) => q.policies.all(accountId).map(toPolicy),
    awsManagedPolicies: () =>
      [...awsManaged.values()].map(fromAws).sort((a, b) => (a.policyName < b.policyName ? -1 : 1)),
    deletePolicy(arn) {
      generation++;
      q.deletePolicy.run(arn);
    },
    policyVersions(arn) {
      const aws = awsManaged.get(arn);
      if (aws) {
        return [
          {
            versionId: aws.defaultVersionId,
            document: aws.document,
            isDefaultVersion: true,
            createDate: aws.updateDate,
          },
        ];
      }
      const policy = q.policy.get(arn);
      if (!policy) return [];
      return q.versions.all(arn).map((v) => ({
        versionId: v.version_id,
        document: v.document,
        isDefaultVersion: v.version_id === policy.default_version,
        createDate: new Date(v.created_ms),
      }));
    },
    createPolicyVersion(arn, document, setAsDefault) {
      generation++;
      const t = now();
      let versionId = '';
      db.transaction(() => {
        const policy = q.policy.get(arn);
        if (!policy) throw new Error(`no policy ${arn}`);
        versionId = `v${policy.next_version}`;
        q.addVersion.run(arn, versionId, policy.next_version, document, t);
        q.bumpVersion.run(arn);
        if (setAsDefault) q.setDefault.run(versionId, t, arn);
      })();
      return { versionId, document, isDefaultVersion: setAsDefault, createDate: new Date(t) };
    },
    deletePolicyVersion(arn, versionId) {
      generation++;
      q.deleteVersion.run(arn, versionId);
    },
    setDefaultPolicyVersion(arn, versionId) {
      generation++;
      q.setDefault.run(versionId, now(), arn);
    },

    attachPolicy(accountId, kind, owner, policyArn) {
      generation++;
      q.attach.run(accountId, kind, owner, policyArn, now());
    },
    detachPolicy(accountId, kind, owner, policyArn) {
      generation++;
      q.detach.run(accountId, kind, owner, policyArn);
    },
    attachedPolicies: (accountId, kind, owner) =>
      q.attached.all(accountId, kind, owner).map((r) => r.policy_arn),
    attachmentCount: (accountId, policyArn) => q.attachmentCount.get(accountId, policyArn)?.n ?? 0,
    entitiesForPolicy: (accountId, policyArn) =>
      q.entities.all(accountId, policyArn).map((r) => ({ kind: r.owner_kind, name: r.owner_name })),

    createSession({ accountId, principal, issuedAt, expiration, extras }) {
      pruneExpired();
      const accessKeyId = ids.accessKeyId('ASIA');
      const session: SessionRecord = {
        accessKeyId,
        secretAccessKey: ids.secretAccessKey(),
        sessionToken: ids.sessionToken(),
        principal: {
          ...principal,
          session: { ...extras, accessKeyId, issuedAt, expiration },
        },
        issuedAt,
        expiration,
      };
      q.addSession.run(
        accessKeyId,
        session.secretAccessKey,
        session.sessionToken,
        accountId,
        JSON.stringify(session.principal),
        issuedAt.getTime(),
        expiration.getTime(),
      );
      indexSession(session, accountId);
      return session;
    },

    deleteSession(accessKeyId) {
      q.deleteSession.run(accessKeyId);
      if (credentials.get(accessKeyId)?.sessionToken !== undefined) credentials.delete(accessKeyId);
    },

    revokeEnvironmentSessions() {
      const revoked = q.revokeEnvironmentSessions.all();
      for (const { access_key_id } of revoked) credentials.delete(access_key_id);
      return revoked.length;
    },

    credential: (accessKeyId) => credentials.get(accessKeyId),

    identityPolicies(principal) {
      const defaultDocument = (policyArn: string) => {
        const v = store.policyVersions(policyArn).find((x) => x.isDefaultVersion);
        return v ? [{ policyArn, document: v.document }] : [];
      };
      const owner: { kind: OwnerKind; name: string } | undefined =
        principal.type === 'user' && principal.userName !== undefined
          ? { kind: 'user', name: principal.userName }
          : principal.type === 'assumed-role' && principal.roleName !== undefined
            ? { kind: 'role', name: principal.roleName }
            : undefined;
      const out: IdentityPolicies = { inline: [], managed: [] };
      if (owner) {
        out.inline = store.listInlinePolicies(principal.accountId, owner.kind, owner.name);
        out.managed = store
          .attachedPolicies(principal.accountId, owner.kind, owner.name)
          .flatMap(defaultDocument);
        const boundary =
          owner.kind === 'user'
            ? store.getUser(principal.accountId, owner.name)?.permissionsBoundary
            : store.getRole(principal.accountId, owner.name)?.permissionsBoundary;
        const boundaryDoc = boundary === undefined ? [] : defaultDocument(boundary);
        if (boundaryDoc[0]) out.permissionsBoundary = boundaryDoc[0];
      }
      const session = principal.session;
      if (session && (session.policy !== undefined || session.policyArns?.length)) {
        out.session = {
          ...(session.policy !== undefined ? { policy: session.policy } : {}),
          managed: (session.policyArns ?? []).flatMap(defaultDocument),
        };
      }
      return out;
    },
    generation: () => generation,
  };
  return store;
}
