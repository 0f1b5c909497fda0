/** The async queue lives in ./async/ (queue, table); this keeps the import path of its users. */
export * from './async/queue.js';
