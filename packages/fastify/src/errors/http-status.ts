/** How Nanite error codes become HTTP statuses: the table lives in @nanite/core, shared with @nanite/nest. */
export { NANITE_HTTP_STATUS, asNaniteError, httpStatusOf } from '@nanite/core';
