import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerializationException, ValidationException } from './errors.js';
import { structure, validateInput } from './shapes.js';

const shape = structure({
  MemorySize: { type: 'integer', min: 128, max: 10240 },
  Name: { type: 'string', required: true, pattern: '[a-z]+' },
  Architectures: {
    type: 'list',
    max: 1,
    member: { type: 'string', enum: ['x86_64', 'arm64'], required: true },
  },
  Weights: {
    type: 'map',
    key: { type: 'string', pattern: '[0-9]+' },
    value: { type: 'double', min: 0, max: 1, required: true },
  },
  Env: { type: 'structure', members: { Size: { type: 'integer', min: 512 } } },
});

const message = (input: Record<string, unknown>): string => {
  try {
    validateInput(shape, input);
  } catch (err) {
    if (err instanceof ValidationException) return err.message;
    throw err;
  }
  return 'valid';
};

test('valid input passes', () => {
  assert.equal(
    message({ Name: 'abc', MemorySize: 128, Architectures: ['arm64'], Weights: { '2': 0.5 } }),
    'valid',
  );
});

test('AWS wording for missing, bounds, patterns and nested members, in declaration order', () => {
  assert.equal(
    message({ MemorySize: 64, Env: { Size: 1 } }),
    "3 validation errors detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128; " +
      "Value null at 'name' failed to satisfy constraint: Member must not be null; " +
      "Value '1' at 'env.size' failed to satisfy constraint: Member must have value greater than or equal to 512",
  );
  assert.equal(
    message({ Name: 'ABC' }),
    "1 validation error detected: Value 'ABC' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+",
  );
});

test('list members and map values are described as AWS does (recorded wording)', () => {
  assert.equal(
    message({ Name: 'a', Architectures: ['X86_64'] }),
    "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
  );
  assert.equal(
    message({ Name: 'a', Weights: { '2': 2 } }),
    "1 validation error detected: Value '{2=2.0}' at 'weights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
  );
});

test('a wrong JSON type is a SerializationException, not a validation message', () => {
  assert.throws(() => validateInput(shape, { Name: 'a', MemorySize: 'big' }), SerializationException);
  assert.throws(() => validateInput(shape, { Name: ['a'] }), SerializationException);
});
