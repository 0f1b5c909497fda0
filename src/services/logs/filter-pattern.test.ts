/** Filter pattern parser and matcher, with the examples of AWS's filter pattern syntax page. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileFilterPattern, FilterPatternError, splitFields } from './filter-pattern.js';

function matching(pattern: string, messages: readonly string[]): string[] {
  const p = compileFilterPattern(pattern);
  return messages.filter((m) => p.matches(m));
}

const LINES = [
  '[ERROR 400] BAD REQUEST',
  '[ERROR 401] UNAUTHORIZED REQUEST',
  '[ERROR 419] MISSING ARGUMENTS',
  '[ERROR 420] INVALID ARGUMENTS',
  '[WARN] Failed to process the request',
  '[INFO] all good',
  'Exiting with ERRORCODE: -1',
];

describe('unstructured terms', () => {
  test('empty, blank and " " patterns match everything', () => {
    for (const p of ['', '   ', '" "', '""']) assert.deepEqual(matching(p, LINES), LINES, p);
    assert.equal(compileFilterPattern(undefined).kind, 'all');
  });

  test('a term matches as a case-sensitive substring', () => {
    assert.deepEqual(matching('ERROR', LINES), [...LINES.slice(0, 4), 'Exiting with ERRORCODE: -1']);
    assert.deepEqual(matching('error', LINES), []);
  });

  test('several terms must all appear', () => {
    assert.deepEqual(matching('ERROR ARGUMENTS', LINES), [
      '[ERROR 419] MISSING ARGUMENTS',
      '[ERROR 420] INVALID ARGUMENTS',
    ]);
    assert.deepEqual(matching('Failed to process the request', LINES), [
      '[WARN] Failed to process the request',
    ]);
  });

  test('?terms: any of them', () => {
    assert.deepEqual(matching('?WARN ?INFO', LINES), [
      '[WARN] Failed to process the request',
      '[INFO] all good',
    ]);
  });

  test('-terms exclude', () => {
    assert.deepEqual(matching('ERROR -Exiting', LINES), LINES.slice(0, 4));
    assert.deepEqual(matching('ERROR -ARGUMENTS -Exiting', LINES), LINES.slice(0, 2));
  });

  test('plain, ? and - terms combine', () => {
    assert.deepEqual(matching('ERROR ?400 ?401 -UNAUTHORIZED', LINES), ['[ERROR 400] BAD REQUEST']);
  });

  test('quoted phrases match exactly, escapes included', () => {
    assert.deepEqual(matching('"BAD REQUEST"', LINES), ['[ERROR 400] BAD REQUEST']);
    assert.deepEqual(matching('"REQUEST BAD"', LINES), []);
    assert.deepEqual(matching('"ERRORCODE: -1"', LINES), ['Exiting with ERRORCODE: -1']);
    assert.deepEqual(matching('"say \\"hi\\""', ['he said say "hi" twice', 'say hi']), [
      'he said say "hi" twice',
    ]);
    assert.deepEqual(matching('-"BAD REQUEST" ERROR', LINES.slice(0, 2)), [
      '[ERROR 401] UNAUTHORIZED REQUEST',
    ]);
  });

  test('required substrings let storage pre-filter: only the AND terms', () => {
    assert.deepEqual(compileFilterPattern('ERROR "BAD REQUEST" ?x -y').requiredSubstrings, [
      'ERROR',
      'BAD REQUEST',
    ]);
  });

  test('an unterminated quote is an error', () => {
    assert.throws(() => compileFilterPattern('"oops'), FilterPatternError);
  });

  test('%regex% matches a regular expression', () => {
    assert.deepEqual(
      matching('%AUTHORIZED%', [
        '[ERROR 401] UNAUTHORIZED REQUEST',
        '[SUCCESS 200] AUTHORIZED REQUEST',
        'nope',
      ]),
      ['[ERROR 401] UNAUTHORIZED REQUEST', '[SUCCESS 200] AUTHORIZED REQUEST'],
    );
    assert.deepEqual(matching('%^\\[ERROR 4[01]9?%', LINES), [
      '[ERROR 400] BAD REQUEST',
      '[ERROR 401] UNAUTHORIZED REQUEST',
      '[ERROR 419] MISSING ARGUMENTS',
    ]);
    assert.throws(() => compileFilterPattern('%(a)%'), FilterPatternError);
  });
});

const EVENT = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '123.123.123.123',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  cluster: { name: 'prod', nodes: 3 },
  ThisFlag: true,
  OtherFlag: false,
  bandwidth: 80,
  latency: 20,
  refreshRate: 60,
  responseTime: 5,
  errorCode: 400,
  number: [0.001, 1000],
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [{ id: 2, email: 'John.Doe@example.com' }],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 30],
    [0, 40],
  ],
  'dashed-key': 'x',
});

function jsonMatches(pattern: string, message = EVENT): boolean {
  return compileFilterPattern(pattern).matches(message);
}

describe('JSON patterns', () => {
  test('string equality, inequality and wildcards', () => {
    assert.equal(jsonMatches('{ $.eventType = "UpdateTrail" }'), true);
    assert.equal(jsonMatches('{ $.eventType = UpdateTrail }'), true);
    assert.equal(jsonMatches('{$.eventType="UpdateTrail"}'), true);
    assert.equal(jsonMatches('{ $.eventType = "Update*" }'), true);
    assert.equal(jsonMatches('{ $.eventType = "*Trail" }'), true);
    assert.equal(jsonMatches('{ $.eventType = "Delete*" }'), false);
    assert.equal(jsonMatches('{ $.sourceIPAddress != 123.123.* }'), false);
    assert.equal(jsonMatches('{ $.sourceIPAddress != 124.* }'), true);
    assert.equal(jsonMatches('{ $.eventType != "UpdateTrail" }'), false);
    assert.equal(jsonMatches('{ $.eventType = %Update[A-Z]% }'), true);
    assert.equal(jsonMatches('{ $.dashed-key = "x" }'), true);
  });

  test('nested fields and array indexes', () => {
    assert.equal(jsonMatches('{ $.cluster.name = "prod" }'), true);
    assert.equal(jsonMatches('{ $.arrayKey[0] = "value" }'), true);
    assert.equal(jsonMatches('{ $.arrayKey[1] = "value" }'), false);
    assert.equal(jsonMatches('{ $.objectList[1].id = 2 }'), true);
    assert.equal(jsonMatches('{ $.coordinates[1][1] = 40 }'), true);
    assert.equal(jsonMatches('{ $.arrayKey[9] = "value" }'), false);
  });

  test('numeric comparisons, exponents included', () => {
    assert.equal(jsonMatches('{ $.bandwidth > 75 }'), true);
    assert.equal(jsonMatches('{ $.latency < 50 }'), true);
    assert.equal(jsonMatches('{ $.refreshRate = 60 }'), true);
    assert.equal(jsonMatches('{ $.responseTime <= 5 }'), true);
    assert.equal(jsonMatches('{ $.responseTime >= 6 }'), false);
    assert.equal(jsonMatches('{ $.errorCode = 400 }'), true);
    assert.equal(jsonMatches('{ $.errorCode != 500 }'), true);
    assert.equal(jsonMatches('{ $.number[0] = 1e-3 }'), true);
    assert.equal(jsonMatches('{ $.number[1] != 1e+3 }'), false);
    assert.equal(jsonMatches('{ $.eventType > 3 }'), false);
  });

  test('IS NULL, NOT EXISTS, IS TRUE, IS FALSE', () => {
    assert.equal(jsonMatches('{ $.SomeObject IS NULL }'), true);
    assert.equal(jsonMatches('{ $.cluster IS NULL }'), false);
    assert.equal(jsonMatches('{ $.SomeOtherObject NOT EXISTS }'), true);
    assert.equal(jsonMatches('{ $.SomeObject NOT EXISTS }'), false);
    assert.equal(jsonMatches('{ $.ThisFlag IS TRUE }'), true);
    assert.equal(jsonMatches('{ $.OtherFlag IS FALSE }'), true);
    assert.equal(jsonMatches('{ $.OtherFlag IS TRUE }'), false);
  });

  test('&&, || (&& binds tighter) and parentheses', () => {
    assert.equal(jsonMatches('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }'), true);
    assert.equal(
      jsonMatches('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }'),
      false,
    );
    assert.equal(
      jsonMatches(
        '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
      ),
      true,
    );
    assert.equal(
      jsonMatches('{ ($.user.email = "x" || $.coordinates[0][1] = 30) && $.actions[2] = "DELETE" }'),
      true,
    );
    assert.equal(
      jsonMatches('{ ($.user.email = "x" || $.coordinates[0][1] = 31) && $.actions[2] = "DELETE" }'),
      false,
    );
  });

  test('a missing field fails = and != alike; non-JSON messages never match', () => {
    assert.equal(jsonMatches('{ $.missing = "x" }'), false);
    assert.equal(jsonMatches('{ $.missing != "x" }'), false);
    assert.equal(jsonMatches('{ $.eventType = "UpdateTrail" }', 'plain text'), false);
    assert.equal(jsonMatches('{ $.eventType = "UpdateTrail" }', '{"broken": '), false);
  });

  test('syntax errors are FilterPatternErrors', () => {
    for (const bad of [
      '{ $.a = }',
      '{ a = 1 }',
      '{ $.a = 1',
      '{ $.a IS MAYBE }',
      '{ $.a ~ 1 }',
      '{ ($.a = 1 }',
      '{ $.a = 1 } extra',
    ]) {
      assert.throws(() => compileFilterPattern(bad), FilterPatternError, bad);
    }
  });
});

describe('space-delimited patterns', () => {
  const ACCESS = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 310',
    '10.0.0.1 - - [10/Oct/2000:13:50:35 -0700] "GET /x.html HTTP/1.0" 500 12',
  ];

  test('fields split at spaces, "" and [] grouping', () => {
    assert.deepEqual(splitFields(ACCESS[0] as string), [
      '127.0.0.1',
      '-',
      'frank',
      '10/Oct/2000:13:25:15 -0700',
      'GET /apache_pb.gif HTTP/1.0',
      '200',
      '1534',
    ]);
  });

  test('positional fields with conditions', () => {
    assert.deepEqual(matching('[ip, identity, user, timestamp, request, status_code = 404, bytes]', ACCESS), [
      ACCESS[1],
    ]);
    assert.deepEqual(
      matching(
        '[ip, identity, user, timestamp, request = "*html*", status_code = 4* || status_code = 5*, bytes]',
        ACCESS,
      ),
      [ACCESS[1], ACCESS[2]],
    );
    assert.deepEqual(
      matching('[ip, identity, user, timestamp, request, status_code, bytes > 1000]', ACCESS),
      [ACCESS[0]],
    );
    assert.deepEqual(matching('[ip=127.0.0.1, ...]', ACCESS), [ACCESS[0], ACCESS[1]]);
    assert.deepEqual(matching('[..., status_code != 200, bytes]', ACCESS), [ACCESS[1], ACCESS[2]]);
    assert.deepEqual(matching('[a, b]', ACCESS), []);
  });
});
