// NO LEAK: a fastify 5 app answering app.inject() each iteration (its response ends in immediates) (npm, pinned in ../package.json).
import Fastify from 'fastify';
const app = Fastify();
app.get('/u/:id', async (req) => ({ id: req.params.id, ok: true }));
export async function setup() { await app.ready(); }
export async function iteration(i) {
  const r = await app.inject({ method: 'GET', url: '/u/' + i });
  return r.statusCode;
}
export async function teardown() { await app.close(); }
