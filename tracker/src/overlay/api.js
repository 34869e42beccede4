// The overlay's one request: GET /api/v1/sites/{site}/heatmap on footfall's server, with the
// viewing token from the page's fragment as a bearer token (never in a URL, where logs and
// referrers would keep it) and no cookies.

export const TYPES = ['click', 'move', 'scroll'];
export const DEVICES = ['mobile', 'tablet', 'desktop'];

// The token of #footfall-heatmap=TOKEN, or undefined.
export const heatmapToken = (hash) => /^#footfall-heatmap=([\w.~-]+)$/.exec(hash)?.[1];

// The request URL; `device` only when one is chosen (all devices otherwise).
export const heatmapUrl = (origin, site, path, type, device) => {
  const url = new URL(`/api/v1/sites/${encodeURIComponent(site)}/heatmap`, origin);
  url.searchParams.set('path', path);
  url.searchParams.set('type', type);
  if (device) url.searchParams.set('device', device);
  return url.href;
};

// The response's JSON, or an Error whose message is what to show: the server's {"error": ...}
// with the status, or why the server could not be reached.
export const fetchHeatmap = async (url, token, signal) => {
  let response;
  try {
    response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, credentials: 'omit', signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error(`cannot reach ${new URL(url).origin}`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status}: ${body.error || response.statusText || 'request failed'}`);
  return body;
};
