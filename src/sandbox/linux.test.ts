import { sandboxConformance } from './conformance.js';
import { createLinuxProvider } from './linux/provider.js';

const skip =
  process.platform === 'linux' && process.geteuid?.() === 0 ? false : 'the Linux sandbox needs root on Linux';

sandboxConformance({
  name: 'linux',
  provider: (dataDir) => createLinuxProvider({ dataDir }),
  skip,
  containment: true,
});

// Launchers started on demand instead of parked ahead of time: the other path to a sandbox.
sandboxConformance({
  name: 'linux, no parked launchers',
  provider: (dataDir) => createLinuxProvider({ dataDir, prestart: 0 }),
  skip,
  containment: false,
});
