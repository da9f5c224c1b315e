// Ready at import: no init call under workerd.
export { Kairos, Visitor, bucket, decide } from '../page/pkg/kairos.js';
export type * from '../page/pkg/kairos.js';
