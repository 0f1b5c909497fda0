import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { CHECKSUM_ALGORITHMS, CHECKSUM_LENGTH, checksumBase64, createChecksum } from './checksums.js';

const check = Buffer.from('123456789');

describe('checksums', () => {
  test('the catalogued check values of "123456789"', async () => {
    const hex = async (a: Parameters<typeof checksumBase64>[0]) =>
      Buffer.from(await checksumBase64(a, check), 'base64').toString('hex');
    assert.equal(await hex('CRC32'), 'cbf43926');
    assert.equal(await hex('CRC32C'), 'e3069283');
    assert.equal(await hex('CRC64NVME'), 'ae8b14860a799888');
    assert.equal(await hex('SHA1'), 'f7c3bc1d808e04732adf679965ccc34ca7ae3441');
    assert.equal(await hex('SHA256'), '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
  });

  test('fed in uneven pieces, each equals the one-shot digest and the SDK’s own CRCs', async () => {
    const data = randomBytes(100_003);
    const sdk32c = new Crc32cJs();
    sdk32c.update(data);
    const sdk64 = new Crc64NvmeJs();
    sdk64.update(data);
    const fromSdk: Record<string, string> = {
      CRC32C: Buffer.from(await sdk32c.digest()).toString('base64'),
      CRC64NVME: Buffer.from(await sdk64.digest()).toString('base64'),
    };
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const running = createChecksum(algorithm);
      for (let i = 0, step = 1; i < data.length; i += step, step = ((step * 7 + 3) % 9001) + 1) {
        running.update(data.subarray(i, i + step));
      }
      const digest = await running.digest();
      assert.equal(digest.length, CHECKSUM_LENGTH[algorithm]);
      assert.equal(digest.toString('base64'), await checksumBase64(algorithm, data), algorithm);
      if (fromSdk[algorithm] !== undefined)
        assert.equal(digest.toString('base64'), fromSdk[algorithm], algorithm);
    }
  });
});
