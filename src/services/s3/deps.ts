import type { S3Store } from './store.js';

export interface S3Deps {
  store: S3Store;
  clock: () => number;
}
