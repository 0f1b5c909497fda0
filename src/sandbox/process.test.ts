import { sandboxConformance } from './conformance.js';
import { createProcessProvider } from './process/provider.js';

sandboxConformance({
  name: 'process',
  provider: (dataDir) => createProcessProvider({ dataDir }),
  skip: process.platform === 'win32' ? 'POSIX only' : false,
  containment: false,
});
