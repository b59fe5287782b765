// NO LEAK: a winston 3 logger writing JSON lines to a stream that drops them (npm, pinned in ../package.json).
'use strict';
const winston = require('winston');
const { Writable } = require('stream');
const sink = new Writable({ write(chunk, enc, cb) { cb(); } });
const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
exports.iteration = function (i) {
  logger.info('request done', { id: i, path: '/x/' + i });
};
