// reviews: two reviews of the book. v1 shows no stars; v2 asks ratings and shows
// black stars; v3 asks ratings and shows red stars (SERVICE_VERSION, ENABLE_RATINGS
// and STAR_COLOR select the behaviour, as in Istio's Bookinfo).
import { getJson, propagated, sendJson, serve } from './http-util.mjs';

const version = process.env.SERVICE_VERSION ?? 'v1';
const ratingsEnabled = (process.env.ENABLE_RATINGS ?? 'false') === 'true';
const starColor = process.env.STAR_COLOR ?? 'black';
const ratingsUrl = `http://${process.env.RATINGS_HOSTNAME ?? 'ratings'}:${process.env.RATINGS_SERVICE_PORT ?? '9080'}`;
const podName = process.env.POD_NAME ?? process.env.HOSTNAME ?? 'unknown';

const REVIEWS = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];

serve(`reviews-${version}`, async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://reviews');
  if (url.pathname === '/health') return sendJson(res, 200, { status: 'Reviews is healthy' });
  const match = /^\/reviews\/(\d+)$/.exec(url.pathname);
  if (!match) return sendJson(res, 404, { error: 'please use /reviews/<id>' });
  const id = Number(match[1]);
  let ratings;
  let ratingsError;
  if (ratingsEnabled) {
    const answer = await getJson(`${ratingsUrl}/ratings/${id}`, propagated(req), version === 'v2' ? 10_000 : 2_500);
    if (answer.status === 200 && answer.body) ratings = answer.body.ratings;
    else ratingsError = answer.error ?? `status ${answer.status}`;
  }
  const reviews = REVIEWS.map((r) => {
    const out = { reviewer: r.reviewer, text: r.text };
    if (ratingsEnabled) out.rating = ratings ? { stars: ratings[r.reviewer] ?? 0, color: starColor } : { error: 'Ratings service is currently unavailable' };
    return out;
  });
  sendJson(res, 200, { id, podname: podName, clustername: 'null', version, reviews, ...(ratingsError ? { ratingsError } : {}) });
});
