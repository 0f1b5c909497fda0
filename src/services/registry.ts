/** The one explicit map of services the gateway serves. Add a service here. */
import type { BlobStore } from '../storage/blob-store.js';
import type { Db } from '../storage/db.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { createLambdaService } from './lambda/index.js';
import type { Service } from './service.js';

export interface ServiceDeps {
  config: Config;
  db: Db;
  blobs: BlobStore;
  logger: Logger;
}

export const SERVICE_FACTORIES: Readonly<Record<string, (deps: ServiceDeps) => Service>> = {
  lambda: createLambdaService,
};

export function createServices(deps: ServiceDeps): Service[] {
  return Object.values(SERVICE_FACTORIES).map((create) => create(deps));
}
