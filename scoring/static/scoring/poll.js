// Live status without a page reload: every element with data-poll-url is replaced by what
// that URL returns, every data-poll-interval milliseconds (2000 by default), until the
// response says "X-Poll: stop" (the job finished, failed or was cancelled).
(function () {
  "use strict";

  // Scripts inserted with innerHTML do not run (and the Content-Security-Policy refuses
  // inline ones anyway): announce the swap, so js/charts.js draws the partial's charts.
  function announce(element) {
    var event;
    if (typeof window.CustomEvent === "function") {
      event = new CustomEvent("portal:swapped", { bubbles: true });
    } else {
      event = document.createEvent("CustomEvent");
      event.initCustomEvent("portal:swapped", true, false, null);
    }
    element.dispatchEvent(event);
  }

  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    var interval = parseInt(element.getAttribute("data-poll-interval") || "2000", 10);
    if (!url || element.getAttribute("data-poll") === "stop") {
      return;
    }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.text().then(function (html) {
            element.innerHTML = html;
            announce(element);
            if (response.headers.get("X-Poll") === "stop") {
              element.setAttribute("data-poll", "stop");
            } else {
              poll(element);
            }
          });
        })
        .catch(function () {
          // A network hiccup: try again a little later rather than stop for good.
          window.setTimeout(function () { poll(element); }, interval * 2);
        });
    }, interval);
  }

  document.querySelectorAll("[data-poll-url]").forEach(poll);
})();
