/* sharetrail share buttons. No dependencies, no cookies, no storage; it talks only to
   the sharetrail server it was loaded from. Fills every <div data-sharetrail> with the
   markup of templates/share_buttons.html (keep the two alike: src/widget/buttons.rs). */
(function () {
  "use strict";
  var VERSION = "__SHARETRAIL_VERSION__";
  var ICONS = /*ICONS*/{};
  var doc = document, win = window, nav = navigator;
  var errors = win.__sharetrailErrors = win.__sharetrailErrors || [];
  var me = doc.currentScript;
  var base = me && me.src ? me.src.replace(/\/widget\.js(\?.*)?$/, "") : "";

  // Every failure is said on the console and kept for tests and for whoever debugs
  // a page without buttons (window.__sharetrailErrors).
  function report(message) {
    message = "sharetrail: " + message;
    errors.push(message);
    if (win.console) console.error(message);
  }

  function el(tag, attrs, children) {
    var node = tag === "svg" || tag === "path" ? doc.createElementNS("http://www.w3.org/2000/svg", tag) : doc.createElement(tag);
    for (var name in attrs) {
      var value = attrs[name];
      if (value != null && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? doc.createTextNode(child) : child);
    });
    return node;
  }

  function content(link, hint) {
    var kids = [
      el("svg", { "class": "st-icon", viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" }, [el("path", { d: ICONS[link.channel] || ICONS.native })]),
      el("span", { "class": "st-label" }, [link.label])
    ];
    if (hint) kids.push(el("span", { "class": "st-vh" }, [hint]));
    return kids;
  }

  // A share URL: a link through /share/{code}. No share URL: a copy button in a form that
  // works without script. The "native" channel: the system share sheet, where there is one.
  function item(link, title) {
    var common = { "class": "st-btn", "data-st-channel": link.channel };
    if (link.channel === "native") {
      return el("li", { "class": "st-item", hidden: true }, [el("button", assign({ type: "button" }, common, {
        "data-st-native": link.short_url, "data-st-intent": link.intent_url, "data-st-title": title
      }), content(link))]);
    }
    if (link.share_url) {
      var tab = /^https?:/.test(link.share_url);
      return el("li", { "class": "st-item" }, [el("a", assign({}, common, {
        href: link.intent_url, target: tab && "_blank", rel: tab && "noopener"
      }), content(link, tab && " (opens in a new tab)"))]);
    }
    var qr = link.show_qr ? link.qr_url : null;
    return el("li", { "class": "st-item" }, [el("form", { "class": "st-form", method: "get", action: link.intent_url }, [
      el("button", assign({ type: "submit" }, common, {
        "data-st-copy": link.short_url, "data-st-intent": link.intent_url, "data-st-qr": qr
      }), content(link, qr ? " (copy the link, show its QR code)" : " (copy the link)"))
    ])]);
  }

  function assign(target) {
    for (var i = 1; i < arguments.length; i++) for (var key in arguments[i]) target[key] = arguments[i][key];
    return target;
  }

  function render(host, minted) {
    var title = minted.content.title || "";
    host.textContent = "";
    host.classList.add("sharetrail");
    host.appendChild(el("ul", { "class": "st-list", "aria-label": "Share" }, minted.links.map(function (link) { return item(link, title); })));
    host.appendChild(el("p", { "class": "st-status", role: "status" }));
    enhance(host);
  }

  function enhance(root) {
    if (!nav.share) return;
    [].forEach.call(root.querySelectorAll("[data-st-native]"), function (button) { button.parentNode.hidden = false; });
  }

  function mint(host) {
    host.setAttribute("data-sharetrail-ready", "");
    var attr = function (name) { return host.getAttribute("data-" + name); };
    var canonical = doc.querySelector("link[rel=canonical]");
    var body = { url: attr("url") || (canonical && canonical.href) || location.href.split("#")[0] };
    // A page title may be longer than a share title can be (300 characters).
    var title = attr("title") || Array.from(doc.title || "").slice(0, 300).join("").trim();
    if (title) body.title = title;
    if (attr("channels")) body.channels = attr("channels").split(",").map(function (c) { return c.trim(); }).filter(Boolean);
    if (attr("campaign")) body.campaign = attr("campaign");
    var endpoint = base + "/api/v1/public/shares";
    fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) throw new Error(json.error ? json.error.code + ": " + json.error.message : "HTTP " + response.status);
          render(host, json);
        });
      }, function () {
        throw new Error("cannot reach " + endpoint + " from this page: the server is down, or this page's origin, " +
          location.origin + ", is not listed in SHARETRAIL_WIDGET_ORIGINS");
      })
      .catch(function (error) { report("no share buttons for " + body.url + ": " + error.message); });
  }

  function onClick(event) {
    var button = event.target.closest && event.target.closest("[data-st-copy],[data-st-native]");
    if (!button) return;
    event.preventDefault();
    var box = button.closest(".sharetrail") || doc.body;
    var status = box.querySelector(".st-status");
    beacon(button.getAttribute("data-st-intent"));
    if (button.hasAttribute("data-st-native")) {
      nav.share({ title: button.getAttribute("data-st-title") || undefined, url: button.getAttribute("data-st-native") }).catch(function () {});
      return;
    }
    var url = button.getAttribute("data-st-copy");
    var app = button.getAttribute("data-st-channel") === "copy" ? "" : button.querySelector(".st-label").textContent;
    if (button.hasAttribute("data-st-qr")) showQr(box, button.getAttribute("data-st-qr"), url, app);
    copy(url, status, app);
  }

  // Counts the tap; sendBeacon survives the page being left right after.
  function beacon(url) {
    if (nav.sendBeacon && nav.sendBeacon(url)) return;
    fetch(url, { method: "POST", mode: "no-cors", keepalive: true, credentials: "omit" }).catch(function () {});
  }

  function copy(url, status, app) {
    var copied = function () { say(status, [app ? "Link copied: paste it into " + app + "." : "Link copied."]); };
    if (nav.clipboard && win.isSecureContext) {
      nav.clipboard.writeText(url).then(copied, function () { select(url, status); });
    } else {
      select(url, status);
    }
  }

  // No Clipboard API (or no permission): select the link so that Ctrl+C copies it.
  function select(url, status) {
    var field = el("input", { "class": "st-field", type: "text", readonly: true, value: url, "aria-label": "Short link" });
    say(status, [field]);
    field.focus();
    field.select();
    var copied = false;
    try { copied = doc.execCommand("copy"); } catch (e) { copied = false; }
    status.appendChild(doc.createTextNode(copied ? " Link copied." : " Press Ctrl+C (\u2318C on a Mac) to copy it."));
  }

  function say(status, parts) {
    if (!status) return;
    status.textContent = "";
    parts.forEach(function (part) { status.appendChild(typeof part === "string" ? doc.createTextNode(part) : part); });
  }

  function showQr(box, src, url, app) {
    var old = box.querySelector(".st-qr");
    if (old) old.parentNode.removeChild(old);
    box.appendChild(el("figure", { "class": "st-qr" }, [
      el("img", { src: src, width: "160", height: "160", alt: "QR code of " + url }),
      el("figcaption", {}, ["Scan with " + (app || "your phone") + " to share"])
    ]));
  }

  function scan() {
    if (!base) return report("cannot tell which server it came from; load it with a plain <script src> tag");
    if (me.getAttribute("data-css") !== "off" && !doc.querySelector("link[data-sharetrail-css]")) {
      doc.head.appendChild(el("link", { rel: "stylesheet", href: base + "/widget.css?v=" + VERSION, "data-sharetrail-css": true }));
    }
    [].forEach.call(doc.querySelectorAll("[data-sharetrail]:not([data-sharetrail-ready])"), mint);
    [].forEach.call(doc.querySelectorAll(".sharetrail"), enhance);
  }

  if (!win.sharetrail) doc.addEventListener("click", onClick);
  // Pages that add a <div data-sharetrail> later call sharetrail.scan().
  win.sharetrail = { scan: scan, version: VERSION };
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", scan); else scan();
})();
