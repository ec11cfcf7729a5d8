// A single-page app: the browser renders every route; the server only serves the shell.
export const ssr = false;
export const prerender = false;
