/**
 * A request to a front door that answers before reading the body (an unknown function URL, an
 * unknown HTTP API) must not have its body read to the end: the client gets the answer, and the
 * connection closes while the client is still sending. A raw socket sends a 64 MiB body slowly
 * (about 10 MB/s, so the whole would take over 6 s); the server answers at once and the socket
 * closes long before the last byte could have been written.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const BODY_BYTES = 64 * 1024 * 1024;
const PIECE = Buffer.alloc(256 * 1024, 0x61);
const PACE_MS = 25;

interface Outcome {
  /** The response as the client read it. */
  response: string;
  /** Body bytes the client wrote before the connection ended. */
  written: number;
}

/** Sends a POST with a large declared body, slowly, until the server ends the connection. */
function slowPost(port: number, path: string, host: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let written = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      resolve({ response, written });
    };
    socket.on('data', (d: Buffer) => {
      response += d.toString('latin1');
    });
    socket.on('close', finish);
    socket.on('error', () => undefined); // EPIPE/ECONNRESET while writing: the close follows
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
      );
      timer = setInterval(() => {
        if (socket.destroyed || written >= BODY_BYTES) {
          clearInterval(timer);
          // All of it went out: the server read it (the failure this test is about).
          if (written >= BODY_BYTES) {
            finish();
            socket.destroy();
          }
          return;
        }
        socket.write(PIECE);
        written += PIECE.length;
      }, PACE_MS);
    });
    setTimeout(() => reject(new Error(`still open after ${written} bytes`)), 60_000).unref();
  });
}

describe('front doors leave an unwanted body unread', () => {
  let server: TestServer;
  let port: number;

  before(async () => {
    server = await startServer();
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('an unknown function URL answers 403 and closes before the body ends', {
    timeout: 90_000,
  }, async () => {
    const id = 'a'.repeat(32);
    const { response, written } = await slowPost(port, `/_aws/lambda-url/${id}/x`, `127.0.0.1:${port}`);
    assert.match(response, /^HTTP\/1\.1 403 /);
    assert.match(response, /x-amzn-errortype: AccessDeniedException/i);
    assert.ok(written < BODY_BYTES / 2, `closed after ${written} of ${BODY_BYTES} bytes`);
  });

  test('an unknown function URL by Host header, likewise', { timeout: 90_000 }, async () => {
    const host = `${'b'.repeat(32)}.lambda-url.us-east-1.localhost:${port}`;
    const { response, written } = await slowPost(port, '/x', host);
    assert.match(response, /^HTTP\/1\.1 403 /);
    assert.ok(written < BODY_BYTES / 2, `closed after ${written} of ${BODY_BYTES} bytes`);
  });

  test('an unknown HTTP API answers 404 and closes before the body ends', { timeout: 90_000 }, async () => {
    const { response, written } = await slowPost(port, '/_aws/execute-api/abcdefghij/x', `127.0.0.1:${port}`);
    assert.match(response, /^HTTP\/1\.1 404 /);
    assert.match(response, /\{"message":"Not Found"\}/);
    assert.ok(written < BODY_BYTES / 2, `closed after ${written} of ${BODY_BYTES} bytes`);
  });
});
