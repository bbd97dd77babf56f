// The admin API, as the console calls it: relative URLs on this listener, the admin token from
// sessionStorage (gone with the tab) sent as `Authorization: Bearer`, never in a URL or a cookie.

const KEY = 'scim-seat.admin-token';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  save: (token) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};

// A refusal of the API: the HTTP status and the `{error, detail}` body (plus any preview in it).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `the appliance answered ${status}`);
    this.status = status;
    this.code = body?.error;
    this.detail = body?.detail || this.message;
    this.body = body || {};
  }
}

let lost = () => {};
// Called when the API refuses the saved token (revoked or wrong): the app signs out.
export function onTokenRefused(fn) {
  lost = fn;
}

// `?k=v&…` of the non-empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

// One call. `json` is sent as a JSON body, `csv` as a text/csv body; `token` overrides the saved
// token (sign-in). Answers the parsed JSON, or the text of a non-JSON answer (CSV, metrics).
export async function api(method, path, { json, csv, token } = {}) {
  const headers = { Authorization: `Bearer ${token ?? session.token() ?? ''}` };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (csv !== undefined) {
    headers['Content-Type'] = 'text/csv; charset=utf-8';
    body = csv;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error' });
  } catch (err) {
    throw new ApiError(0, { error: 'unreachable', detail: `The appliance did not answer (${err.message}).` });
  }
  const type = res.headers.get('content-type') || '';
  const payload = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = new ApiError(res.status, payload && typeof payload === 'object'
      ? payload
      : { error: `http_${res.status}`, detail: `the appliance answered ${res.status}: ${payload || res.statusText}` });
    if (res.status === 401 && token === undefined) lost(err);
    throw err;
  }
  return payload;
}

// Downloads what `path` answers as a file (CSV reports): fetched with the token, saved from memory.
export async function download(path, filename) {
  const text = await api('GET', path);
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return text;
}
