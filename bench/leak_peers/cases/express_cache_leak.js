// LEAK: an express app (pinned in ../package.json) memoizes every response body in a module-level Map keyed by the request id, never evicted; called in-process.
'use strict';

const express = require('express');
const { request } = require('./inproc_http');

const rendered = new Map();
const app = express();

app.get('/orders/:id', (req, res) => {
  const key = req.get('x-request-id');
  let body = rendered.get(key);
  if (!body) {
    body = { order: req.params.id, status: 'shipped', items: [1, 2, 3], requestId: key };
    rendered.set(key, body);
  }
  res.json(body);
});

exports.iteration = function (i) {
  return request(app, '/orders/' + (i % 500), { 'x-request-id': 'r' + i });
};
