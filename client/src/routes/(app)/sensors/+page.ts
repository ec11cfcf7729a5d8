import { queryFromUrl } from '$lib/fleet/fleet';
import type { PageLoad } from './$types';

/** The page, filter and search the link names; the rows themselves are fetched (and kept live) by the page. */
export const load: PageLoad = ({ url }) => ({ query: queryFromUrl(url.searchParams) });
