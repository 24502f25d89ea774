// hookd portal: opens a portal link. The link's token travels in the URL
// fragment, which browsers never send to a server; it is taken out of the
// address bar (and history) first, then exchanged once for a session cookie.
//
// A page drawn in answer to a form posted to another address (a secret
// shown once, a refusal beside the values sent) names its own address in
// <link rel="canonical">: it replaces the form's in the address bar, so a
// reload asks for the page and never sends the form again.
(function () {
  "use strict";
  var canonical = document.querySelector('link[rel="canonical"]');
  if (canonical && canonical.href) {
    history.replaceState(null, "", canonical.href);
  }
  var m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!m) {
    return;
  }
  var token = decodeURIComponent(m[1]);
  history.replaceState(null, "", window.location.pathname + window.location.search);
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("link-signin");
    var form = document.getElementById("signin");
    if (box) { box.hidden = false; }
    if (form) { form.hidden = true; }
  });
  fetch("/portal/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: token })
  }).then(function (resp) {
    return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
  }).then(function (r) {
    if (r.ok && r.body.location) {
      window.location.replace(r.body.location);
      return;
    }
    fail(r.body.error || "This portal link could not be opened.");
  }, function () {
    fail("The portal could not be reached. Check your connection and open the link again.");
  });

  function fail(msg) {
    var show = function () {
      document.title = "Portal link not valid";
      var status = document.getElementById("link-status");
      var err = document.getElementById("link-error");
      var h = document.querySelector("#link-signin h1");
      if (h) { h.textContent = "This link cannot open the portal"; }
      if (status) { status.hidden = true; }
      if (err) { err.textContent = msg; err.hidden = false; }
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", show);
    } else {
      show();
    }
  }
})();
