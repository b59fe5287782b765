// LEAK: the same fastify app recording every request's headers in a module-level array (npm, pinned in ../package.json).
import Fastify from 'fastify';
const seen = [];
const app = Fastify();
app.get('/u/:id', async (req) => { seen.push({ id: req.params.id, headers: req.headers }); return { ok: true }; });
export async function setup() { await app.ready(); }
export async function iteration(i) {
  const r = await app.inject({ method: 'GET', url: '/u/' + i });
  return r.statusCode;
}
export async function teardown() { await app.close(); }
