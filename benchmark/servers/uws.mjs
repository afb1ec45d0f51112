// uWebSockets.js 20.30 (@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0). The native addon
// is required directly (never the package entry, which silently falls back to a ws-based
// implementation). Limits raised to match the others; sends that report a drop are printed.
import { MAX_PAYLOAD, options, peerRequire, ready, reportDrop } from './common.mjs';

const { port, deflate } = options();
const pkg = peerRequire('@trufflesuite/uws-js-unofficial/package.json');
if (pkg.version !== '20.30.0-unofficial.0') throw new Error(`uws ${pkg.version}`);
const binary = `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
const uws = peerRequire(binary);
if (typeof uws.App !== 'function' || !peerRequire.resolve(binary).endsWith('.node')) {
  throw new Error('uWebSockets.js is not the native addon');
}

const compression = deflate ? uws.DEDICATED_COMPRESSOR_256KB | uws.DEDICATED_DECOMPRESSOR : uws.DISABLED;
uws
  .App()
  .ws('/*', {
    compression,
    maxPayloadLength: MAX_PAYLOAD,
    maxBackpressure: MAX_PAYLOAD,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    message: (ws, message, isBinary) => {
      if (ws.send(message, isBinary, deflate) === 2) reportDrop('uws send');
    },
  })
  .listen('127.0.0.1', port, (token) => {
    if (!token) throw new Error(`uws could not listen on ${port}`);
    ready(uws.us_socket_local_port(token));
  });
