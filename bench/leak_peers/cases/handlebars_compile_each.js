// NO LEAK: handlebars 4 compiling a template each iteration, rendered and dropped (npm, pinned in ../package.json).
'use strict';
const Handlebars = require('handlebars');
exports.iteration = function (i) {
  const t = Handlebars.compile('<p>{{name}} has {{#each items}}{{this}},{{/each}}</p>');
  return t({ name: 'u' + i, items: [i, i + 1, i + 2] }).length;
};
