// bench/leak_peers cases: calls an express (or any `(req, res)`) app in-process, without a
// network: a real http.IncomingMessage and http.ServerResponse on a stream that swallows
// what is written. Not a case itself (no `iteration` export).
'use strict';

const http = require('http');
const { Duplex } = require('stream');

// Resolves with the status code once the app has finished the response to GET `url`.
function request(app, url, headers = {}) {
  return new Promise((resolve, reject) => {
    const socket = new Duplex({ read() {}, write(chunk, encoding, done) { done(); } });
    const req = new http.IncomingMessage(socket);
    req.method = 'GET';
    req.url = url;
    req.headers = { host: 'localhost', ...headers };
    req.push(null);
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => {
      res.detachSocket(socket);
      socket.destroy();
      resolve(res.statusCode);
    });
    res.on('error', reject);
    app(req, res);
  });
}

module.exports = { request };
