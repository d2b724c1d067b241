// productpage: the page a reader sees, built from details and reviews. The user
// who logged in (a `user` cookie, set by /login) travels downstream as the
// `end-user` header, which is what header-based routing rules match on.
import { getJson, propagated, sendJson, serve } from './http-util.mjs';

const detailsUrl = `http://${process.env.DETAILS_HOSTNAME ?? 'details'}:9080`;
const reviewsUrl = `http://${process.env.REVIEWS_HOSTNAME ?? 'reviews'}:9080`;
const TIMEOUT_MS = 3000;

function userOf(req) {
  const cookie = /(?:^|;\s*)user=([^;]+)/.exec(req.headers.cookie ?? '');
  return cookie ? decodeURIComponent(cookie[1]) : req.headers['end-user'];
}

function downstreamHeaders(req) {
  const headers = propagated(req);
  const user = userOf(req);
  if (user) headers['end-user'] = user;
  return headers;
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function stars(rating) {
  if (!rating) return '';
  if (rating.error) return `<p class="rating-error">${escape(rating.error)}</p>`;
  return `<p class="stars" style="color:${escape(rating.color)}">${'★'.repeat(rating.stars)}${'☆'.repeat(5 - rating.stars)}</p>`;
}

function page(user, details, reviews) {
  const detailsHtml = details.body
    ? `<dl>${Object.entries(details.body).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>`
    : `<p class="error">Error fetching product details: ${escape(details.error ?? details.status)}</p>`;
  const reviewsHtml = reviews.body
    ? `${reviews.body.reviews.map((r) => `<blockquote><p>${escape(r.text)}</p><small>${escape(r.reviewer)}</small>${stars(r.rating)}</blockquote>`).join('')}<p class="served-by">Reviews served by: ${escape(reviews.body.podname)} (reviews-${escape(reviews.body.version)})</p>`
    : `<p class="error">Error fetching product reviews: ${escape(reviews.error ?? reviews.status)}</p>`;
  return `<!DOCTYPE html>
<html><head><title>Simple Bookstore App</title></head>
<body>
<p>${user ? `Signed in as ${escape(user)}` : 'Not signed in'}</p>
<h1>The Comedy of Errors</h1>
<h2>Book Details</h2>
${detailsHtml}
<h2>Book Reviews</h2>
${reviewsHtml}
</body></html>
`;
}

serve('productpage', async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://productpage');
  const headers = downstreamHeaders(req);
  switch (url.pathname) {
    case '/health':
      return sendJson(res, 200, { status: 'Product page is healthy' });
    case '/':
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html><body><a href="/productpage">Bookinfo</a></body></html>\n');
    case '/login': {
      const user = url.searchParams.get('username') ?? 'jason';
      res.writeHead(302, { 'set-cookie': `user=${encodeURIComponent(user)}; Path=/`, location: '/productpage' });
      return res.end();
    }
    case '/logout':
      res.writeHead(302, { 'set-cookie': 'user=; Path=/; Max-Age=0', location: '/productpage' });
      return res.end();
    case '/productpage': {
      const [details, reviews] = await Promise.all([getJson(`${detailsUrl}/details/0`, headers, TIMEOUT_MS), getJson(`${reviewsUrl}/reviews/0`, headers, TIMEOUT_MS)]);
      const html = page(userOf(req), details, reviews);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-request-id': headers['x-request-id'] });
      return res.end(html);
    }
    case '/api/v1/products':
      return sendJson(res, 200, [{ id: 0, title: 'The Comedy of Errors', descriptionHtml: 'Wikipedia Summary: The Comedy of Errors is one of William Shakespeare\'s early plays.' }]);
  }
  const product = /^\/api\/v1\/products\/(\d+)(\/reviews|\/ratings)?$/.exec(url.pathname);
  if (product) {
    const target = product[2] === '/reviews' ? `${reviewsUrl}/reviews/${product[1]}` : product[2] === '/ratings' ? `http://ratings:9080/ratings/${product[1]}` : `${detailsUrl}/details/${product[1]}`;
    const answer = await getJson(target, headers, TIMEOUT_MS);
    return sendJson(res, answer.status === 0 ? 503 : answer.status, answer.body ?? { error: answer.error });
  }
  sendJson(res, 404, { error: 'not found' });
});
