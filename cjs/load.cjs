'use strict';
/**
 * CommonJS entry points: rnnkit is an ES module. Node 20.19 and later load it through require(); older
 * versions cannot, and get one line that says how to import it instead of Node's own error.
 */
module.exports = function load(file, name) {
  try {
    return require(file);
  } catch (e) {
    if (!e || (e.code !== 'ERR_REQUIRE_ESM' && e.code !== 'ERR_REQUIRE_ASYNC_MODULE')) throw e;
    throw new Error(`${name} is an ES module: use import { … } from '${name}', or await import('${name}') in CommonJS (require('${name}') needs Node 20.19 or later)`);
  }
};
