/**
 * What every HTTP request must pass before the router or the static file server sees it. Both
 * trusted Node to have handed them something sane: `new URL()` threw on targets such as `//a:99999/`
 * and `decodeURIComponent` on `%E0%A4%A` (answered 500), and sirv's Range parsing turned
 * `bytes=100-5` into a negative length and a read stream that throws after the head was sent (the
 * request hung). Here such requests become a BAD_REQUEST, in one place.
 */
import type { IncomingMessage } from 'node:http';
import { errors } from '../error-catalogue.ts';

export interface RequestTarget {
  /** The path as sent (still percent-encoded), checked to decode. */
  pathname: string;
  /** The query string as sent, without `?`. */
  query: string;
  searchParams: URLSearchParams;
}

/** The request's target, or a BAD_REQUEST; rewrites `req.url` to origin-form and `Range` to what sirv reads right. */
export function guardRequest(req: IncomingMessage): RequestTarget {
  const target = requestTarget(req.url ?? '');
  req.url = target.pathname + (target.query ? `?${target.query}` : '');
  const range = req.headers.range;
  if (range !== undefined) {
    const kept = simpleRange(range);
    if (kept) req.headers.range = kept;
    else delete req.headers.range;
  }
  return target;
}

function requestTarget(raw: string): RequestTarget {
  // Absolute-form (`GET http://host/path`) is legal HTTP/1.1; only its path concerns us.
  const path = /^https?:\/\/[^/?#]*/i.test(raw)
    ? raw.replace(/^https?:\/\/[^/?#]*/i, '') || '/'
    : raw;
  if (!path.startsWith('/')) throw errors.targetNotPath();
  const end = path.search(/[?#]/);
  const pathname = end === -1 ? path : path.slice(0, end);
  const query = end === -1 || path[end] === '#' ? '' : path.slice(end + 1).split('#')[0]!;
  try {
    decodeURIComponent(pathname);
  } catch {
    throw errors.badPercentEncoding();
  }
  // URLSearchParams never throws: a bad escape in the query stays as it was sent.
  return { pathname, query, searchParams: new URLSearchParams(query) };
}

/** One path segment of a route, decoded (the whole path was checked to decode). */
export function pathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badPercentEncoding();
  }
}

/**
 * `bytes=<first>-[<last>]` with first <= last passes (sirv serves it); a suffix range (`bytes=-500`)
 * or several ranges are dropped, which RFC 9110 allows (the whole file is served), since sirv would
 * read them wrongly; anything else is not a range at all and is refused.
 */
function simpleRange(range: string): string | null {
  const text = range.trim();
  const single = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(text);
  if (single) {
    const [, first, last] = single;
    if (last === '' || Number(first) <= Number(last)) return text;
    throw errors.rangeBackwards();
  }
  if (/^bytes=\s*(\d*-\d*)(\s*,\s*\d*-\d*)*$/.test(text) && /\d/.test(text)) return null;
  throw errors.rangeMalformed();
}
