/* The live pages' websocket client: the command centre's dashboard and map, and a volunteer's
 * phone page. One small object per page; no library.
 *
 *   var live = HuiwuLive.connect("/ws/volunteer/", {
 *     onSnapshot: function (state, info) {},   // the whole state: draw everything again.
 *                                              // info = {seq, resync: bool, at: Date}
 *     onEvent: function (kind, data, message) {}, // one change, in order, never one the last
 *                                              // snapshot already holds; message = {seq, at…}
 *     onStatus: function (status, info) {},    // "connecting" | "live" | "reconnecting" |
 *                                              // "refused"; info = {resyncedAt: Date|null}
 *     heartbeatSeconds: 10,                    // the server's (live.HEARTBEAT_SECONDS)
 *     statusElement: element,                  // optional: a [data-connection] indicator
 *     texts: {connecting, live, reconnecting, resynced, refused}  // for statusElement;
 *                                              // "resynced" holds %(time)s
 *   });
 *   live.sync();    // ask for a fresh snapshot
 *   live.status();  // the current status
 *   live.close();   // stop for good
 *
 * The protocol (huiwu/command/live.py): on connect the server sends
 * {"type": "snapshot", "seq", "state"}, then {"type": "event", "seq", "kind", "data", "at"} for
 * each change (or {"type": "batch", "seq", "events": [{kind, data, at}…]} for the frequent ones,
 * gathered for half a second) and {"type": "heartbeat", "seq"} every few seconds. A page that sees a seq jump
 * (a message dropped under load), or a heartbeat ahead of what it has (and still ahead a moment
 * later: the event may be on its way), asks {"action": "sync"} and draws the snapshot again.
 * A lost connection is retried with a growing delay (0.5 s to 15 s); the close code 4403 means
 * "not for you" and is not retried. No message for three heartbeats: the connection is dead
 * even if the browser has not noticed, and is opened again.
 */
(function () {
  "use strict";

  var REFUSED = 4403;

  function connect(path, options) {
    options = options || {};
    var heartbeat = (options.heartbeatSeconds || 10) * 1000;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    var socket = null;
    var seq = null; // the last seq drawn; null until the first snapshot
    var status = "connecting";
    var resyncedAt = null;
    var snapshots = 0;
    var attempts = 0;
    var closed = false;
    var syncPending = false;
    var retryTimer = null;
    var watchdog = null;
    var aheadTimer = null;

    function call(name) {
      var callback = options[name];
      if (typeof callback === "function") {
        try {
          callback.apply(null, Array.prototype.slice.call(arguments, 1));
        } catch (error) {
          // A drawing bug must not stop the stream; the next snapshot draws everything again.
          if (window.console) console.error(error);
        }
      }
    }

    function pad(number) {
      return (number < 10 ? "0" : "") + number;
    }

    function showStatus() {
      var element = options.statusElement;
      var texts = options.texts || {};
      if (!element) return;
      element.dataset.state = status;
      var text = texts[status] || status;
      if (status === "live" && resyncedAt && texts.resynced) {
        text = texts.resynced.replace(
          "%(time)s",
          pad(resyncedAt.getHours()) + ":" + pad(resyncedAt.getMinutes()) + ":" + pad(resyncedAt.getSeconds())
        );
      }
      var label = element.querySelector("[data-connection-text]") || element;
      label.textContent = text;
    }

    function setStatus(next) {
      status = next;
      showStatus();
      call("onStatus", status, { resyncedAt: resyncedAt });
    }

    function send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    }

    function sync() {
      if (syncPending) return;
      syncPending = true;
      send({ action: "sync" });
    }

    function feed() {
      clearTimeout(watchdog);
      watchdog = setTimeout(abandon, heartbeat * 3);
    }

    // Silent for three heartbeats: the connection is dead even if the browser has not noticed
    // (a half-open TCP connection can take minutes to close). Let it go and connect anew.
    function abandon() {
      if (!socket) return;
      var dead = socket;
      dead.onopen = dead.onmessage = dead.onclose = null;
      dead.close();
      dropped({ code: 0 });
    }

    function onMessage(raw) {
      var message;
      try {
        message = JSON.parse(raw.data);
      } catch (error) {
        return;
      }
      feed();
      if (message.type === "snapshot") {
        syncPending = false;
        seq = message.seq;
        snapshots += 1;
        // Every snapshot after the page's first one is a resync (a reconnect, a gap).
        if (snapshots > 1) resyncedAt = new Date();
        call("onSnapshot", message.state, { seq: seq, resync: snapshots > 1, at: new Date() });
        setStatus("live");
      } else if (message.type === "event" || message.type === "batch") {
        if (seq === null || message.seq <= seq) return; // the snapshot holds it already
        var gap = message.seq > seq + 1;
        seq = message.seq;
        var events = message.type === "batch" ? message.events : [message];
        for (var i = 0; i < events.length; i++) {
          var event = events[i];
          call("onEvent", event.kind, event.data, { seq: seq, kind: event.kind, data: event.data, at: event.at });
        }
        if (gap) sync();
      } else if (message.type === "heartbeat") {
        if (seq === null || message.seq === seq) return;
        // Behind the page: the server's counter started again (its cache was emptied), and
        // every event would now look old; a snapshot sets the page on the new count.
        if (message.seq < seq) return sync();
        var expected = message.seq;
        clearTimeout(aheadTimer);
        aheadTimer = setTimeout(function () {
          if (seq !== null && seq < expected) sync();
        }, 1500);
      }
    }

    function open() {
      clearTimeout(retryTimer);
      socket = new WebSocket(url);
      socket.onopen = function () {
        attempts = 0;
        syncPending = true; // the server sends a snapshot on connect
        feed();
      };
      socket.onmessage = onMessage;
      socket.onclose = dropped;
    }

    function dropped(event) {
      clearTimeout(watchdog);
      clearTimeout(aheadTimer);
      socket = null;
      syncPending = false;
      if (closed) return;
      if (event.code === REFUSED) {
        closed = true;
        setStatus("refused");
        return;
      }
      setStatus("reconnecting");
      var delay = Math.min(15000, 500 * Math.pow(2, attempts)) * (0.75 + Math.random() / 2);
      attempts += 1;
      retryTimer = setTimeout(open, delay);
    }

    setStatus("connecting");
    open();
    // A laptop waking up: try at once rather than after the back-off.
    window.addEventListener("online", function () {
      if (!closed && !socket) open();
    });

    return {
      sync: sync,
      status: function () {
        return status;
      },
      close: function () {
        closed = true;
        clearTimeout(retryTimer);
        if (socket) socket.close();
      },
    };
  }

  window.HuiwuLive = { connect: connect };
})();
