// ratings: two reviewers' stars for a book.
import { sendJson, serve } from './http-util.mjs';

serve('ratings', (req, res) => {
  const url = new URL(req.url ?? '/', 'http://ratings');
  if (url.pathname === '/health') return sendJson(res, 200, { status: 'Ratings is healthy' });
  const match = /^\/ratings\/(\d+)$/.exec(url.pathname);
  if (!match) return sendJson(res, 404, { error: 'please use /ratings/<id>' });
  sendJson(res, 200, { id: Number(match[1]), ratings: { Reviewer1: 5, Reviewer2: 4 } });
});
