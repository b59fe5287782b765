// NO LEAK: the same express app with its per-request cache bounded by an lru-cache (pinned) of 500 entries; called in-process.
'use strict';

const express = require('express');
const { LRUCache } = require('lru-cache');
const { request } = require('./inproc_http');

const rendered = new LRUCache({ max: 500 });
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
