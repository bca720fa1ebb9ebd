/**
 * Public surface of the web checker: `startWebChecker` (the node:http page and JSON API behind
 * `dane-mta web`), its limiter and the page renderer.
 */
export { startWebChecker, type WebChecker, type WebCheckerOptions } from './checker.ts';
export { CheckLimiter, type Refusal } from './limits.ts';
export { escapeHtml, renderPage, type PageBody } from './page.ts';
