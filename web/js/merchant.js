// The merchant chat: the rasa-webchat widget (web/vendor/, built by scripts/build_web.sh) embedded in the page,
// talking to Rasa's socketio channel. The conversation is kept in localStorage and, with session_persistence
// in credentials.yml, continues under the same sender id after a reload.
(function () {
  "use strict";
  var mount = document.getElementById("webchat");
  var words = mount.dataset; // the widget's words are the page's (index.html #webchat data-*)
  if (!window.WebChat || !window.WebChat.default) {
    document.getElementById("chat-error").hidden = false;
    return;
  }
  window.WebChat.default(
    {
      socketUrl: window.POS_CONFIG.rasaUrl,
      socketPath: "/socket.io/",
      // The guarded socketio channel (channels/guarded.py) only reads button payloads as commands, so the
      // welcome is asked for in words.
      initPayload: "/greet",
      customData: { audience: "merchant" },
      title: words.title,
      subtitle: words.subtitle,
      inputTextFieldHint: words.inputHint,
      connectingText: words.connecting,
      embedded: true,
      showCloseButton: false,
      showFullScreenButton: false,
      hideWhenNotConnected: false,
      withRules: false,
      params: { storage: "local" },
      // A short, even pause between the bot's messages (the default waits up to 3 s per message).
      customMessageDelay: function () { return 350; },
    },
    mount
  );
})();
