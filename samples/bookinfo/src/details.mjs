// details: the book's facts.
import { sendJson, serve } from './http-util.mjs';

serve('details', (req, res) => {
  const url = new URL(req.url ?? '/', 'http://details');
  if (url.pathname === '/health') return sendJson(res, 200, { status: 'Details is healthy' });
  const match = /^\/details\/(\d+)$/.exec(url.pathname);
  if (!match) return sendJson(res, 404, { error: 'please use /details/<id>' });
  sendJson(res, 200, {
    id: Number(match[1]),
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
  });
});
