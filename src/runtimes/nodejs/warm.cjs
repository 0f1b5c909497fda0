// Required once by pool.mjs before a pre-started runtime is assigned a function: the first require()
// of a file pays for the CommonJS loader's lazy set-up, which a handler's require then does not.
module.exports = {};
