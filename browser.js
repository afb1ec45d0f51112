'use strict';

module.exports = function () {
  throw new Error(
    'ferrows does not work in the browser. Browser clients must use the native ' +
      'WebSocket object'
  );
};
