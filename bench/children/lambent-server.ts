/**
 * Lambent in its own process, started the way `lambent up` starts it (createLambent +
 * start), with the configuration the orchestrator passes as JSON in argv[2]. Tells the
 * parent its URL over IPC; stops cleanly on 'stop' or when the parent goes away. On
 * request it records a V8 CPU profile of itself between 'profile-start' and 'profile-stop'.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { createLambent } from '../../src/server.js';
import { type ConfigInput, parseConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';

const input = JSON.parse(process.argv[2] ?? '{}') as ConfigInput;
const lambent = await createLambent(parseConfig({ port: 0, ...input }), createLogger());
const { url } = await lambent.start();
process.send?.({ ready: true, url });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await lambent.stop();
  } finally {
    process.exit(0);
  }
};

let session: Session | undefined;
const post = (method: string, params: object = {}) =>
  new Promise<unknown>((resolve, reject) =>
    session?.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );

process.on('message', (msg: { stop?: boolean; profile?: 'start' | 'stop'; file?: string }) => {
  if (msg.stop) void stop();
  if (msg.profile === 'start') {
    session = new Session();
    session.connect();
    void post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 100 }))
      .then(() => post('Profiler.start'))
      .then(() => process.send?.({ profiling: true }));
  }
  if (msg.profile === 'stop' && msg.file) {
    const file = msg.file;
    void post('Profiler.stop').then((result) => {
      fs.writeFileSync(file, JSON.stringify((result as { profile: unknown }).profile));
      session?.disconnect();
      session = undefined;
      process.send?.({ profiled: file });
    });
  }
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
