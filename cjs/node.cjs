'use strict';
module.exports = require('./load.cjs')('../dist/node.js', 'rnnkit/node');
