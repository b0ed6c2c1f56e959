// The reveal form without a page reload: every form marked data-reveal-form is sent with
// fetch, and the element around it (data-reveal-container) is replaced by the server's
// answer: the plain values shown once, or the form again with its errors. Nothing is kept
// anywhere else: reloading the page masks the values again.
(function () {
  "use strict";

  // Included once per form on pages with several customers: listen once.
  if (window.portalRevealBound) {
    return;
  }
  window.portalRevealBound = true;

  function swap(container, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("[data-reveal-container]");
    if (!fresh) {
      return false;
    }
    container.parentNode.replaceChild(fresh, container);
    var focus = fresh.querySelector("[data-testid=revealed], [role=alert]");
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-reveal-form")) {
      return;
    }
    var container = form.closest("[data-reveal-container]");
    if (!container || !window.fetch) {
      return; // an ordinary POST: the answer is a page of its own
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          if ((response.ok || response.status === 400) && swap(container, html)) {
            return;
          }
          throw new Error("status " + response.status);
        });
      })
      .catch(function () {
        // Forbidden, gone, or the network: say so beside the form (the text comes
        // translated from the page) rather than send the request a second time.
        if (button) {
          button.disabled = false;
        }
        var note = form.querySelector("[data-reveal-failed]");
        if (!note) {
          note = document.createElement("p");
          note.className = "errorlist";
          note.setAttribute("role", "alert");
          note.setAttribute("data-reveal-failed", "");
          form.appendChild(note);
        }
        note.textContent = container.getAttribute("data-reveal-error") || "Error";
      });
  });
})();
