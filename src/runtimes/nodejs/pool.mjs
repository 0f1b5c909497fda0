// Entry point of a pre-started Node runtime (Lambent's pool of function-agnostic sandboxes): started
// with no function, no code at /var/task and a minimal environment. It loads everything bootstrap.mjs
// needs, then blocks on stdin until the platform assigns a function: one JSON object
// `{"env": {...}}` with the function's complete environment, written after its code, layers and /tmp
// were mounted. It then becomes exactly what `node bootstrap.mjs` would have been with that
// environment, and runs bootstrap.mjs, which loads the handler as a normal start does.
//
// The platform only pools functions whose environment does not change how node itself starts
// (NODE_OPTIONS, LD_*, TZ, ...): see poolEligible in src/invoke/launch.ts.

import { fs, Module, net, path, url } from './builtins.mjs';
// bootstrap.mjs's dependencies: compiled and evaluated now, so the assignment only evaluates
// bootstrap.mjs itself. None of them reads the function's environment when loaded.
import './errors.mjs';
import './log-patch.mjs';
import { RapidClient, useTokenRoute } from './rapid-client.mjs';
import './streaming.mjs';
import './user-function.mjs';

const here = path.dirname(url.fileURLToPath(import.meta.url));

// First uses cost more than later ones (lazy loading inside node, code not yet compiled): pay them
// now rather than in the function's INIT. A require() of a file (the CommonJS loader), and one
// Runtime API round trip over loopback with the bootstrap's own client, against a throwaway server.
Module.createRequire(path.join(here, 'pool.mjs'))('./warm.cjs');
await new Promise((resolve) => {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.end('HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: warm\r\nContent-Length: 2\r\n\r\n{}');
    });
  });
  const done = () => server.close(() => resolve());
  server.on('error', () => resolve());
  setTimeout(resolve, 2000).unref(); // a warm-up never holds the pool up
  server.listen(0, '127.0.0.1', () => {
    const client = new RapidClient(`127.0.0.1:${server.address().port}`);
    client
      .next()
      .then(
        (res) => JSON.parse(res.body.toString('utf8')),
        () => {},
      )
      .finally(done);
  });
});

// Tells the platform this runtime is loaded and waiting (before any function: no function sees it).
fs.writeSync(1, 'lambent-pool-ready\n');
let text;
try {
  text = fs.readFileSync(0, 'utf8');
} catch {
  process.exit(0);
}
if (!text) process.exit(0); // the platform went away before assigning a function
const { env, runtimeRoute } = JSON.parse(text);
if (runtimeRoute) useTokenRoute(runtimeRoute.port, runtimeRoute.token);

for (const key of Object.keys(process.env)) if (!Object.hasOwn(env, key)) delete process.env[key];
for (const [key, value] of Object.entries(env)) process.env[key] = value;
// The code was mounted over /var/task after this process chdir'ed there: enter the new one.
process.chdir(env.LAMBDA_TASK_ROOT || '/var/task');
// NODE_PATH is read when node starts: recompute require()'s global paths from the new one.
Module._initPaths?.();
const bootstrap = path.join(here, 'bootstrap.mjs');
process.argv[1] = bootstrap;
await import(bootstrap);
