// roomgate web SDK as an ES module. The implementation is roomgate-web.js
// (a classic script that sets globalThis.ZegoExpressEngine); importing it here
// runs it once, so both ways of loading give the same class.
//   import { ZegoExpressEngine } from '/sdk/roomgate-web.mjs';
import './roomgate-web.js';

export const ZegoExpressEngine = globalThis.ZegoExpressEngine;
export default ZegoExpressEngine;
