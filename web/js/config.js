// Where the Rasa server is. Order: ?rasa_port=NNNN on the page URL (same host as the page), then
// vendor/config.js (written by scripts/run.sh: window.POS_CONFIG = {rasaUrl: ...}), then port 5005 on this host.
(function () {
  "use strict";
  var config = window.POS_CONFIG || {};
  var port = new URLSearchParams(window.location.search).get("rasa_port");
  var sameHost = window.location.protocol + "//" + window.location.hostname;
  if (port && /^[0-9]{2,5}$/.test(port)) {
    config.rasaUrl = sameHost + ":" + port;
  } else if (!config.rasaUrl) {
    config.rasaUrl = sameHost + ":5005";
  }
  config.rasaUrl = config.rasaUrl.replace(/\/+$/, "");
  window.POS_CONFIG = config;
})();
