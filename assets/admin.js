// sharetrail admin: small enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // The new token: a Copy button (shown only when script runs), falling back to selecting
  // the text so the reader can copy it by hand.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function (text) { if (status) status.textContent = text; };
      var selectAll = function () {
        input.focus();
        input.select();
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        done(copied ? "Copied to the clipboard." : "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { done("Copied to the clipboard."); }, selectAll);
      } else {
        selectAll();
      }
    });
  });

  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  // Revoking cannot be undone: ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});
