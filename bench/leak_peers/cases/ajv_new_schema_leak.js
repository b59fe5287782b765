// LEAK: ajv 8 compiling an equal schema written anew each iteration: ajv caches by the schema object (npm, pinned in ../package.json).
'use strict';
const Ajv = require('ajv');
const ajv = new Ajv();
exports.iteration = function (i) {
  const validate = ajv.compile({ type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] });
  return validate({ id: i });
};
