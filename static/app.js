/* ResolutionFlow: the only application JavaScript (htmx does the rest).
 *
 * CSP-friendly: no inline scripts or handlers anywhere; behaviour is wired here through data-*
 * attributes and htmx events.
 *   - toasts: HX-Trigger {"toast": {"message", "level"}} -> a toast built with textContent
 *   - drawer (#drawer): focus on open, Esc / [data-drawer-close] closes and restores focus; on a phone
 *     (under 768 px) it is a full-screen sheet: modal (aria-modal, the page behind inert, no page scroll)
 *   - queue keys: j/k move between [data-row], Enter opens, "/" focuses the search box
 *   - pickers (company, contact, member): the combobox block at the end (issue 17)
 *   - forms marked data-clean-params drop empty GET parameters (clean, shareable URLs)
 */
(function () {
  "use strict";

  // --- toasts -------------------------------------------------------------------------------
  function toast(message, level, action) {
    var host = document.getElementById("toasts");
    if (!host || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level === "error" ? "error" : "success");
    if (level === "error") el.setAttribute("role", "alert");
    el.textContent = String(message);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(close);
    var button = toastAction(action);
    if (button) el.insertBefore(button, close);
    host.appendChild(el);
    if (button && window.htmx) window.htmx.process(button);
    // A toast that offers an action stays until it is used or dismissed (no time limit to act).
    if (!button) setTimeout(function () { el.remove(); }, level === "error" ? 8000 : 4000);
  }

  // --- toast actions: {"action": {"label", "method": "post", "url"}} (e.g. a spin-off's "Retry") --------
  // The button is a plain htmx request (hx-post, the page's CSRF header from <body hx-headers>, no swap);
  // its JSON answer's "detail" becomes the next toast. Only a same-origin path is accepted as the url.
  function toastAction(action) {
    if (!action || !action.label || !/^\/[^\/\\]/.test(String(action.url || ""))) return null;
    var method = String(action.method || "post").toLowerCase();
    if (method !== "post" && method !== "get") return null;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm toast-action";
    button.textContent = String(action.label);
    button.setAttribute("hx-" + method, String(action.url));
    button.setAttribute("hx-swap", "none");
    button.setAttribute("hx-disabled-elt", "this");
    button.setAttribute("data-toast-action", "");
    return button;
  }

  function answerDetail(xhr) {
    try { return (JSON.parse(xhr.responseText) || {}).detail || ""; } catch (e) { return ""; }
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-toast-action]")) return;
    var xhr = event.detail.xhr;
    if (event.detail.successful) {
      var done = elt.closest(".toast");
      if (done) done.remove();
      toast(answerDetail(xhr) || "Done", "success");
    } else {  // the toast stays, so its action can be tried again
      toast(answerDetail(xhr) || "The request failed (" + (xhr ? xhr.status : "error") + "). Please retry.", "error");
    }
  });
  // --- end toast actions ---

  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    toast(detail.message || detail.value, detail.level, detail.action);
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.elt && event.detail.elt.matches && event.detail.elt.matches("[data-toast-action]")) return;
    var xhr = event.detail.xhr;
    toast("The request failed (" + (xhr ? xhr.status : "error") + "). Please retry.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Could not reach ResolutionFlow. Check your connection and retry.", "error");
  });

  // --- drawer -------------------------------------------------------------------------------
  var lastFocus = null;

  var phone = window.matchMedia("(max-width: 767.98px)");

  function drawerHost() { return document.getElementById("drawer"); }

  // The page's state follows whether a drawer is showing: after an open, a close, a resize across
  // 768 px, and a history restore (Back/Forward swap the page, the body's class and the inert stay).
  function syncDrawerState() {
    var dialog = document.querySelector("#drawer [data-drawer]");
    var sheet = Boolean(dialog) && phone.matches;
    document.body.classList.toggle("drawer-open", Boolean(dialog));
    if (dialog) dialog.setAttribute("aria-modal", sheet ? "true" : "false");
    document.querySelectorAll(".shell").forEach(function (shell) { shell.inert = sheet; });
  }

  if (phone.addEventListener) phone.addEventListener("change", syncDrawerState);
  document.addEventListener("htmx:historyRestore", syncDrawerState);

  // --- history restores ------------------------------------------------------------------------
  // htmx's history snapshot drops its request class but keeps the swap classes: a page saved while a section
  // was still settling (Back/Forward soon after a click) comes back with .htmx-added/.htmx-settling on it, and
  // nothing settles it again. No swap runs after a restore, so the restored page says so.
  var SWAP_CLASSES = ["htmx-added", "htmx-settling", "htmx-swapping"];
  document.addEventListener("htmx:historyRestore", function () {
    document.querySelectorAll("." + SWAP_CLASSES.join(", .")).forEach(function (el) {
      el.classList.remove.apply(el.classList, SWAP_CLASSES);
    });
  });

  function openDrawer() {
    var dialog = document.querySelector("#drawer [data-drawer]");
    if (!dialog) return;
    syncDrawerState();
    markActiveRow(dialog.getAttribute("data-ticket-id"));
    dialog.focus({ preventScroll: true });
  }

  function closeDrawer() {
    var host = drawerHost();
    if (!host || !host.firstElementChild) return false;
    host.replaceChildren();
    syncDrawerState();
    markActiveRow(null);
    var url = new URL(window.location.href);
    if (url.searchParams.has("ticket")) {
      url.searchParams.delete("ticket");
      window.history.replaceState(window.history.state, "", url.pathname + url.search);
    }
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    return true;
  }

  function markActiveRow(ticketId) {
    document.querySelectorAll("[data-row].is-active").forEach(function (row) { row.classList.remove("is-active"); });
    if (ticketId) {
      var row = document.getElementById("ticket-row-" + ticketId);
      if (row) row.classList.add("is-active");
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "drawer" && !(drawerHost() && drawerHost().contains(event.detail.elt))) {
      lastFocus = event.detail.elt;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "drawer") openDrawer();
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-drawer-close]");
    if (close) {
      event.preventDefault();
      closeDrawer();
    }
  });

  // --- keyboard -----------------------------------------------------------------------------
  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function moveRow(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#results [data-row]"));
    if (!rows.length) return;
    var index = rows.indexOf(document.activeElement);
    if (index === -1) index = rows.findIndex(function (row) { return row.classList.contains("is-active"); });
    var next = index === -1 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, index + step));
    rows[next].focus();
    rows[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (document.querySelector("#modal dialog[open]")) return; // the New Ticket modal owns the keyboard
    if (event.key === "Escape") {
      // Esc in a field first leaves the field (a half-written note is never lost), then closes.
      if (isTyping(event.target) && event.target.tagName !== "SELECT") {
        if (event.target.closest("#drawer")) event.target.closest("[data-drawer]").focus();
        return;
      }
      if (closeDrawer()) event.preventDefault();
      return;
    }
    if (isTyping(event.target)) return;
    if (event.key === "/") {
      var search = document.getElementById("id_search");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (event.key === "j") {
      moveRow(1);
    } else if (event.key === "k") {
      moveRow(-1);
    }
    // Enter on a focused row is a click on a link: htmx opens the drawer.
  });

  // (The company and assigned filters are typeahead pickers: the "combobox" block below.)

  // --- clean GET parameters -----------------------------------------------------------------
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "get" || !detail.elt.closest("[data-clean-params]")) return;
    var params = detail.parameters;
    var empty = [];
    if (typeof params.forEach === "function") {
      params.forEach(function (value, key) { if (value === "") empty.push(key); });
    } else {
      Object.keys(params).forEach(function (key) { if (params[key] === "") empty.push(key); });
    }
    empty.forEach(function (key) { params.delete ? params.delete(key) : delete params[key]; });
  });

  // A deep-linked drawer (/tickets?ticket=123) is in the page on load.
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("#drawer [data-drawer]")) openDrawer();
  });
})();

/* --- new ticket modal --- */
/* The New Ticket modal (tickets/new_ticket.html): a native <dialog> the server renders into #modal.
 *   - a[data-new-ticket] (the "New ticket" button, Assist's New Ticket button and TaskLane actions) loads
 *     its href into #modal with htmx; the URL carries the tab and the initial values, the server the rest
 *   - a swapped-in dialog[data-modal] opens with showModal(); the "closeModal" event (HX-Trigger after a
 *     create), Esc (native cancel) and [data-modal-close] close it; closing removes it and gives focus back
 *   - after the form re-renders, focus goes to the first field marked aria-invalid (errors, missing fields)
 *   - "n" outside text fields clicks the page's a[data-new-ticket][aria-keyshortcuts="n"]
 */
(function () {
  "use strict";
  var opener = null;

  function host() { return document.getElementById("modal"); }
  function modalDialog() { return document.querySelector("#modal dialog[data-modal]"); }

  function openNewTicket(link) {
    var target = host();
    if (!target || !window.htmx) return false;
    var current = modalDialog();
    if (current && current.open) return true;
    opener = link;
    window.htmx.ajax("GET", link.getAttribute("href"), { source: link, target: target, swap: "innerHTML" });
    return true;
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var close = event.target.closest("#modal [data-modal-close]");
    if (close) {
      var dialog = modalDialog();
      if (dialog) {
        event.preventDefault();
        dialog.close();
      }
      return;
    }
    var link = event.target.closest("a[data-new-ticket]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (openNewTicket(link)) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = host();
    if (!target || !target.contains(event.target)) return;
    var dialog = modalDialog();
    if (!dialog) return;
    // htmx binds swapped content only after its settle delay: bind now, so a quick click on Parse or
    // Create is an htmx request and never a plain form submission.
    window.htmx.process(dialog);
    if (!dialog.open) dialog.showModal();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "new-ticket-form" || !document.contains(form)) return;
    var invalid = form.querySelector("[aria-invalid='true']");
    if (invalid) invalid.focus();
  });

  document.addEventListener("closeModal", function () {
    var dialog = modalDialog();
    if (dialog && dialog.open) dialog.close();
  });

  // "close" does not bubble: listen in the capture phase. Closing (Esc, Cancel, closeModal) discards it.
  document.addEventListener("close", function (event) {
    if (!event.target.matches || !event.target.matches("#modal dialog[data-modal]")) return;
    host().replaceChildren();
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    var el = event.target;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    if (modalDialog()) return;
    var link = document.querySelector("a[data-new-ticket][aria-keyshortcuts='n']");
    if (link) {
      event.preventDefault();
      link.click();
    }
  });
})();
/* --- end new ticket modal --- */

/* --- bulk actions in the queue --- */
/* Rows carry input[data-bulk-check] (tickets/rows.py) that belong to form#bulk-form (tickets/bulk.html) through
 * form=; the bar shows while something is selected and says how many. "Select all on this page" ([data-bulk-all])
 * checks every row (and shows "mixed" when some are); shift-click checks or clears the range from the last
 * clicked box; "x" toggles the focused row's box. The bar's action buttons ([data-bulk-open]) each show their
 * panel (one at a time). While the POST runs, the result region says how many tickets are being worked on. */
(function () {
  "use strict";
  var lastClicked = null;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("#results [data-bulk-check]")); }

  function sync() {
    var all = boxes();
    var chosen = all.filter(function (box) { return box.checked; }).length;
    var bar = document.querySelector("[data-bulk-bar]");
    if (bar) bar.hidden = chosen === 0;
    var count = document.querySelector("[data-bulk-count]");
    if (count) count.textContent = chosen + " selected";
    var head = document.querySelector("#results [data-bulk-all]");
    if (head) {
      head.checked = all.length > 0 && chosen === all.length;
      head.indeterminate = chosen > 0 && chosen < all.length;
    }
    all.forEach(function (box) {
      var line = box.closest(".row-line");
      if (line) line.classList.toggle("is-selected", box.checked);
    });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var box = event.target.closest("[data-bulk-check]");
    if (box) {
      if (event.shiftKey && lastClicked && document.contains(lastClicked)) {
        var all = boxes();
        var from = all.indexOf(lastClicked), to = all.indexOf(box);
        if (from !== -1 && to !== -1) {
          all.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (other) { other.checked = box.checked; });
        }
      }
      lastClicked = box;
      sync();
      return;
    }
    var opener = event.target.closest("[data-bulk-open]");
    if (opener) {
      var wanted = opener.getAttribute("aria-controls");
      var open = opener.getAttribute("aria-expanded") !== "true";
      document.querySelectorAll("[data-bulk-open]").forEach(function (button) {
        var mine = button === opener && open;
        button.setAttribute("aria-expanded", mine ? "true" : "false");
        var panel = document.getElementById(button.getAttribute("aria-controls"));
        if (panel) panel.hidden = !mine;
      });
      var panel = open && document.getElementById(wanted);
      var field = panel && panel.querySelector("select, textarea");
      if (field) field.focus();
      return;
    }
    if (event.target.closest("[data-bulk-clear]")) {
      boxes().forEach(function (other) { other.checked = false; });
      sync();
    }
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches) return;
    if (event.target.matches("[data-bulk-all]")) {
      boxes().forEach(function (box) { box.checked = event.target.checked; });
      sync();
    } else if (event.target.matches("[data-bulk-check]")) {
      sync();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "x" || event.altKey || event.ctrlKey || event.metaKey) return;
    var row = document.activeElement && document.activeElement.closest && document.activeElement.closest(".row-line");
    var box = row && row.querySelector("[data-bulk-check]");
    if (!box || event.target.tagName === "INPUT" && event.target !== box) return;
    if (event.target !== box) {
      event.preventDefault();
      box.checked = !box.checked;
      lastClicked = box;
      sync();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("#bulk-form, .bulk-retry")) return;
    var result = document.getElementById("bulk-result");
    var count = form.id === "bulk-form" ? boxes().filter(function (box) { return box.checked; }).length
                                        : form.querySelectorAll("input[name='ids']").length;
    if (!result) return;
    // Written beside what is there, not over it: the Retry form that sent this request must stay in the page
    // until the answer is swapped in (htmx looks the out-of-band rows up from it).
    var note = result.querySelector(".bulk-working") || document.createElement("p");
    note.className = "bulk-working";
    note.textContent = "Working on " + count + (count === 1 ? " ticket…" : " tickets…");
    result.insertBefore(note, result.firstChild);
  });

  document.addEventListener("htmx:afterSettle", sync);
})();
/* --- end bulk actions --- */

/* --- the browser's time zone, sent once --- */
/* The server shows dates and times in the viewer's zone (tickets/timezones.py): unless the user picked one on
 * their profile, the browser's, which this sends as the rf_browser_tz cookie (set again only when it changes). */
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) return;
  var current = document.cookie.split("; ").find(function (part) { return part.indexOf("rf_browser_tz=") === 0; });
  if (current === "rf_browser_tz=" + zone) return;
  document.cookie = "rf_browser_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
})();
/* --- end browser time zone --- */

/* --- dashboard & integrations --- */
/* My Queue rows open the ticket drawer in place (htmx, no navigation). While a drawer is showing,
 * its ticket's row stays highlighted; a status or assignee change made in the drawer reloads
 * My Queue, since the ticket may have left the queue or changed its badge. */
(function () {
  "use strict";
  var host = document.getElementById("drawer");
  if (!host || !document.getElementById("dashboard")) return;

  function markQueueRow() {
    var dialog = host.querySelector("[data-drawer]");
    var id = dialog ? dialog.getAttribute("data-ticket-id") : null;
    document.querySelectorAll("[data-queue-row]").forEach(function (row) {
      row.classList.toggle("is-active", row.getAttribute("data-ticket-id") === id);
    });
  }

  // Re-mark when the drawer opens or closes, and when My Queue itself is (re)loaded. After a swap
  // htmx "settles" the new elements by re-applying their server-rendered attributes, which would
  // drop the class; so mark after the settle, and on plain DOM changes (the drawer closing).
  document.addEventListener("htmx:afterSettle", markQueueRow);
  if (window.MutationObserver) {
    new MutationObserver(markQueueRow).observe(host, { childList: true });
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    // The drawer's forms are swapped out by their own response, so match the URL, not the element.
    var detail = event.detail;
    var path = (detail.pathInfo && detail.pathInfo.requestPath) || "";
    var verb = (detail.requestConfig && detail.requestConfig.verb) || "";
    if (!detail.successful || verb !== "post" || !/^\/tickets\/\d+\/(status|resources)/.test(path)) return;
    if (document.getElementById("my-queue") && window.htmx) {
      window.htmx.ajax("GET", "/dashboard/my-queue", { target: "#my-queue", swap: "outerHTML" });
    }
  });

  // An inline edit saved in the drawer (HX-Trigger "ticketUpdated", tickets/views_edit.py): its summary,
  // board or priority may show in My Queue too (issue 19).
  document.addEventListener("ticketUpdated", function () {
    if (document.getElementById("my-queue") && window.htmx) {
      window.htmx.ajax("GET", "/dashboard/my-queue", { target: "#my-queue", swap: "outerHTML" });
    }
  });
})();
/* --- end dashboard & integrations --- */

/* --- assist: pending message --- */
/* The engineer's message shows at once: when the composer (form[data-composer]) sends, a pending
 * "You" bubble (built with textContent) is appended to the conversation. A successful response
 * replaces the whole #chat (the stored message included), which removes the bubble; a failed
 * request removes it and the text stays in the box. */
(function () {
  "use strict";
  var pending = null;

  function clearPending() {
    if (!pending) return;
    if (pending.bubble.parentNode) pending.bubble.remove();
    if (pending.placeholder) pending.placeholder.hidden = false;
    pending = null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-composer]")) return;
    var field = form.querySelector("textarea[name='text']");
    var text = field ? field.value.trim() : "";
    var list = form.closest("#chat") && form.closest("#chat").querySelector(".messages");
    if (!text || !list) return;
    clearPending();
    var bubble = document.createElement("li");
    bubble.className = "message message-user message-pending";
    bubble.setAttribute("data-pending-message", "");
    var role = document.createElement("span");
    role.className = "message-role";
    role.textContent = "You";
    var body = document.createElement("div");
    body.className = "message-text";
    body.textContent = text;
    bubble.appendChild(role);
    bubble.appendChild(body);
    var placeholder = list.querySelector(".message-empty");
    if (placeholder) placeholder.hidden = true;
    list.appendChild(bubble);
    pending = { form: form, bubble: bubble, placeholder: placeholder };
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!pending) return;
    // On success the swap has replaced #chat (and the bubble) already; on failure nothing was swapped.
    // (After a swap htmx re-fires the event on a parent still in the page, so also match on that.)
    if (event.detail.elt === pending.form || !document.contains(pending.form)) clearPending();
  });
})();
/* --- end assist: pending message --- */

/* --- phone layout: the Menu and "Filters (n)" disclosures --- */
/* Under 768 px the sidebar is a top bar whose links open from a Menu button, and the queue's filters
 * other than Search fold behind "Filters (n)". Both are links to their panel (a[role=button], with
 * aria-expanded and aria-controls): without JavaScript the link's #fragment opens the panel (:target);
 * here a click toggles it instead. Esc closes the menu and gives focus back; a tap elsewhere only closes it.
 * "n" counts the filters in the panel that narrow the list (a chosen option, a company, Include closed). */
(function () {
  "use strict";

  function toggles(selector) { return document.querySelectorAll(selector); }

  function setMenu(open, restoreFocus) {
    toggles("[data-nav-toggle]").forEach(function (toggle) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      var nav = toggle.closest(".sidebar");
      if (nav) nav.classList.toggle("nav-open", open);
      if (!open && restoreFocus) toggle.focus();
    });
  }

  function menuOpen() { return Boolean(document.querySelector(".sidebar.nav-open")); }

  function setFilters(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    var form = toggle.closest("form");
    if (form) form.classList.toggle("filters-open", open);
  }

  function countFilters() {
    var panel = document.getElementById("filter-more");
    var out = document.querySelector("[data-filter-count]");
    if (!panel || !out) return;
    var count = 0;
    panel.querySelectorAll("select, input[type='hidden'], input[type='checkbox']").forEach(function (field) {
      if (field.tagName === "SELECT") { if (field.selectedIndex > 0) count += 1; }
      else if (field.type === "checkbox") { if (field.checked) count += 1; }
      else if (field.value) count += 1;
    });
    out.textContent = count ? " (" + count + ")" : "";
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var navToggle = event.target.closest("[data-nav-toggle]");
    if (navToggle) {
      event.preventDefault();
      setMenu(navToggle.getAttribute("aria-expanded") !== "true", false);
      return;
    }
    var filtersToggle = event.target.closest("[data-filters-toggle]");
    if (filtersToggle) {
      event.preventDefault();
      setFilters(filtersToggle, filtersToggle.getAttribute("aria-expanded") !== "true");
    }
  });

  // A tap outside the open menu closes it and does nothing else (it does not also open what was under it).
  document.addEventListener("click", function (event) {
    if (!menuOpen() || !event.target.closest || event.target.closest(".sidebar")) return;
    event.preventDefault();
    event.stopPropagation();
    setMenu(false, false);
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menuOpen()) {
      setMenu(false, true);
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    // A link acting as a button answers Space as well as Enter.
    if (event.key === " " && event.target.matches && event.target.matches("a[role='button'][data-nav-toggle], a[role='button'][data-filters-toggle]")) {
      event.preventDefault();
      event.target.click();
    }
  }, true);

  document.addEventListener("change", countFilters);
  document.addEventListener("htmx:afterSettle", countFilters);
  document.addEventListener("DOMContentLoaded", countFilters);
})();
/* --- end phone layout --- */

/* --- keyboard help and go-to keys --- */
/* "?" (or the sidebar's "Keyboard shortcuts" button, [data-keyboard-help-open]) opens dialog[data-keyboard-help]
 * (tickets/keyboard_help.html) with showModal(); Esc and its Close button close it and focus goes back. On
 * opening, each group or key marked data-shortcuts-when="<selector>" shows only when that selector matches
 * something on the page, so the dialog lists the shortcuts of this page. While it is open, no other shortcut runs.
 * "g" then "t" / "a" / "h" (within 1.5 s) follows the sidebar link marked data-go-key="t" / "a" / "h"
 * (Tickets, Assist, QuickStart). None of these keys act while typing in a field or with a modal open. */
(function () {
  "use strict";
  var GO_WINDOW_MS = 1500;
  var goPressed = 0;

  function help() { return document.querySelector("dialog[data-keyboard-help]"); }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function otherModalOpen() {
    return Array.prototype.some.call(document.querySelectorAll("dialog[open]"), function (dialog) {
      return !dialog.matches("[data-keyboard-help]");
    });
  }

  function openHelp() {
    var dialog = help();
    if (!dialog || dialog.open) return;
    dialog.querySelectorAll("[data-shortcuts-when]").forEach(function (group) {
      group.hidden = !document.querySelector(group.getAttribute("data-shortcuts-when"));
    });
    dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-keyboard-help-open]")) {
      event.preventDefault();
      openHelp();
    }
  });

  // Capture phase: this runs before the page's other key handlers, so it can keep them quiet while help is open.
  document.addEventListener("keydown", function (event) {
    var dialog = help();
    if (dialog && dialog.open) {
      if (event.key !== "Escape" && event.key !== "Tab" && event.key !== "Enter" && event.key !== " ") event.stopImmediatePropagation();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target) || otherModalOpen()) return;
    if (event.key === "?") {
      event.preventDefault();
      event.stopImmediatePropagation();
      openHelp();
      return;
    }
    if (goPressed && Date.now() - goPressed < GO_WINDOW_MS && /^[tah]$/.test(event.key)) {
      goPressed = 0;
      var link = document.querySelector("a[data-go-key='" + event.key + "']");
      if (link) {
        event.preventDefault();
        event.stopImmediatePropagation();
        window.location.assign(link.href);
      }
      return;
    }
    goPressed = event.key === "g" && !event.repeat ? Date.now() : 0;
  }, true);
})();
/* --- end keyboard help and go-to keys --- */

/* --- saved views and calm live updates --- */
/* Background checks ([data-live-poll]: the queue's "N tickets changed" and the drawer's "This ticket changed")
 * poll with htmx ("every Ns"); a check is skipped while the tab is hidden (the CSP forbids htmx's [condition]
 * filters, which need eval) and runs once at once when the tab is shown again ("liveVisible").
 *   - Refresh ([data-live-refresh]) or "r" reloads #results; the rows whose ids it carries (data-changed-ids)
 *     get .is-changed once the new list is in (a brief highlight, see app.css). Nothing moves until then.
 *   - A drawer Reload ([data-live-reload]), and the drawer's own successful change (status, note, assignee),
 *     re-arm its check from now: a GET with reset=1 answers the new "since" out of band.
 *   - The Save view dialog (into #modal) gives focus back to the Save view button when it closes. */
(function () {
  "use strict";
  var marks = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("[data-live-poll]") && document.visibilityState !== "visible") event.preventDefault();
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-live-poll]").forEach(function (poll) { window.htmx.trigger(poll, "liveVisible"); });
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var refresh = event.target.closest("[data-live-refresh]");
    if (refresh) {
      marks = { results: document.getElementById("results"), ids: (refresh.getAttribute("data-changed-ids") || "").split(",") };
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var results = document.getElementById("results");
    if (!marks || !results || results === marks.results) return;
    marks.ids.forEach(function (id) {
      var row = id && document.getElementById("ticket-row-" + id);
      if (row) row.classList.add("is-changed");
    });
    marks = null;
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "r" || event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    var el = event.target;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    if (document.querySelector("dialog[open]")) return;
    var refresh = document.querySelector("#results [data-live-refresh]");
    if (refresh) {
      event.preventDefault();
      refresh.click();
    }
  });

  function rearm(ticketId) {
    var poll = document.querySelector("[data-live-ticket='" + ticketId + "']");
    if (!poll || !window.htmx) return;
    var url = poll.getAttribute("hx-get");
    window.htmx.ajax("GET", url + (url.indexOf("?") === -1 ? "?" : "&") + "reset=1", {
      source: poll, target: poll.querySelector("[data-live-message]"), swap: "innerHTML",
    });
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    if (!detail.successful) return;
    var reload = detail.elt && detail.elt.getAttribute && detail.elt.getAttribute("data-live-reload");
    if (reload) { rearm(reload); return; }
    var path = (detail.pathInfo && detail.pathInfo.requestPath) || "";
    var verb = (detail.requestConfig && detail.requestConfig.verb) || "";
    var match = verb === "post" && /^\/tickets\/(\d+)\/(status|notes|resources)/.exec(path);
    if (match) rearm(match[1]);
  });

  var saveOpener = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-save-view]");
    if (button) saveOpener = button;
  });
  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches("#modal dialog.save-view-dialog") && saveOpener && document.contains(saveOpener)) {
      var opener = saveOpener;
      saveOpener = null;
      setTimeout(function () { opener.focus(); }, 0);
    }
  }, true);
})();
/* --- end saved views and calm live updates --- */

/* --- the open saved view marked current in the sidebar's Views list --- */
/* A view's link gets aria-current="page" while the queue's URL has the view's filters (the open ticket and
 * the page number aside); checked when the list loads and whenever the queue's URL changes. */
(function () {
  "use strict";
  var IGNORED = { ticket: true, page: true };

  function filtersOf(search) {
    var pairs = [];
    new URLSearchParams(search).forEach(function (value, key) {
      if (value !== "" && !IGNORED[key]) pairs.push(key + "=" + value);
    });
    return pairs.sort().join("&");
  }

  function markCurrentView() {
    var list = document.getElementById("saved-views");
    if (!list) return;
    var here = filtersOf(window.location.search);
    list.querySelectorAll("a[href]:not(.nav-views-manage)").forEach(function (link) {
      var url = new URL(link.href, window.location.href);
      var current = url.pathname === window.location.pathname && filtersOf(url.search) === here;
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  ["htmx:afterSettle", "htmx:pushedIntoHistory", "htmx:replacedInHistory", "htmx:historyRestore"].forEach(function (name) {
    document.addEventListener(name, markCurrentView);
  });
  window.addEventListener("popstate", markCurrentView);
  document.addEventListener("DOMContentLoaded", markCurrentView);
})();
/* --- end the open saved view marked current --- */

/* --- combobox: typeahead pickers (issue 17; tickets/templates/tickets/combobox.html) --- */
/* The WAI-ARIA combobox pattern over a server-side search: htmx asks the picker (tickets/pickers.py) for the
 * typed text, 250 ms after typing stops, and swaps its <li role="option">s into the listbox; here the listbox
 * opens and closes (aria-expanded), ArrowDown/ArrowUp move the active option (aria-activedescendant), Enter or
 * a click chooses it: the visible input shows its label, the hidden input gets its id and fires "change" (the
 * filter bar's form listens for that; the visible input's own "change" is kept from it). Escape closes the
 * listbox (and nothing else). Leaving a strict picker with other text puts the chosen label back (an empty box
 * clears it); a free one (data-combobox-free: New Ticket's company) keeps the text and drops the id. */
(function () {
  "use strict";

  function inputOf(el) { return el && el.closest && el.closest("[data-combobox]") ? el.closest("[data-combobox]").querySelector("[data-combobox-input]") : null; }
  function boxOf(input) { return input.closest("[data-combobox]"); }
  function listOf(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function hiddenOf(input) { return document.getElementById(boxOf(input).getAttribute("data-combobox-hidden")); }
  function choices(input) {
    var list = listOf(input);
    return list ? Array.prototype.filter.call(list.querySelectorAll("[role='option']"), function (option) {
      return option.getAttribute("aria-disabled") !== "true";
    }) : [];
  }
  function isOpen(input) { return input.getAttribute("aria-expanded") === "true"; }

  function setActive(input, option) {
    var list = listOf(input);
    if (list) list.querySelectorAll("[aria-selected='true']").forEach(function (o) { o.setAttribute("aria-selected", "false"); });
    if (option) {
      option.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function setOpen(input, open) {
    var list = listOf(input);
    if (!list) return;
    open = Boolean(open) && list.querySelector("[role='option']") !== null;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) setActive(input, null);
  }

  // The chosen label lives in a property while the attributes keep what the current URL chose: htmx's history
  // snapshot of that URL, taken as the next filter is pushed, then shows that URL's choice on Back (see below).
  function labelOf(box) { return box.comboboxLabel !== undefined ? box.comboboxLabel : box.getAttribute("data-combobox-label") || ""; }
  function setText(input, text) { input.value = text; }

  function setValue(input, value) {
    var hidden = hiddenOf(input);
    if (!hidden || hidden.value === value) return;
    hidden.value = value;
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
    // A picker that depends on this one (a contact on its company) no longer holds a valid choice.
    document.querySelectorAll("[data-combobox-depends='" + hidden.id + "']").forEach(function (box) {
      var other = box.querySelector("[data-combobox-input]");
      box.comboboxLabel = "";
      setText(other, "");
      setValue(other, "");
      var list = listOf(other);
      if (list) list.replaceChildren();
    });
  }

  function choose(input, option) {
    var label = option.getAttribute("data-label") || "";
    boxOf(input).comboboxLabel = label;
    setText(input, label);
    setOpen(input, false);
    input.removeAttribute("aria-invalid");
    setValue(input, option.getAttribute("data-value") || "");
  }

  function move(input, step) {
    var options = choices(input);
    if (!options.length) return;
    if (!isOpen(input)) setOpen(input, true);
    var active = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    var index = options.indexOf(active);
    var next = index === -1 ? (step > 0 ? 0 : options.length - 1) : (index + step + options.length) % options.length;
    setActive(input, options[next]);
  }

  // Capture on window: before the page's other key handlers (Esc must close the listbox, not the drawer or modal).
  window.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-combobox-input]") || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(input, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && isOpen(input)) {
      var active = document.getElementById(input.getAttribute("aria-activedescendant") || "");
      var options = choices(input);
      if (!active && options.length === 1) active = options[0];
      event.preventDefault();
      event.stopPropagation();
      if (active) choose(input, active);
      else setOpen(input, false);
    } else if (event.key === "Escape" && isOpen(input)) {
      event.preventDefault();
      event.stopPropagation();
      setOpen(input, false);
    }
  }, true);

  // A click chooses; pressing on the listbox keeps the focus in the input (so it does not close first).
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".combobox-list")) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".combobox-list [role='option']");
    if (!option || option.getAttribute("aria-disabled") === "true") return;
    var input = inputOf(option);
    if (input) choose(input, option);
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-combobox-input]")) return;
    if (input.hasAttribute("aria-invalid") && boxOf(input).hasAttribute("data-combobox-free")) input.removeAttribute("aria-invalid");
    if (boxOf(input).hasAttribute("data-combobox-free") && input.value.trim() !== labelOf(boxOf(input))) {
      setValue(input, ""); // the typed text is what the server resolves now
    }
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-combobox-input]")) return;
    setOpen(input, false);
    var box = boxOf(input);
    if (box.hasAttribute("data-combobox-free")) return;
    if (!input.value.trim()) {
      box.comboboxLabel = "";
      setText(input, "");
      setValue(input, "");
    } else if (input.value !== labelOf(box)) {
      setText(input, labelOf(box));
    }
  });

  // The visible input is not a filter: only its hidden id is (the filter bar's form listens for "change").
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-combobox-input]")) event.stopPropagation();
  }, true);

  // The picker is asked "q" (the typed text); on focus with the chosen label untouched, the first page instead.
  document.addEventListener("htmx:configRequest", function (event) {
    var input = event.detail.elt;
    if (!input.matches || !input.matches("[data-combobox-input]")) return;
    var params = event.detail.parameters;
    var text = input.value.trim();
    var trigger = event.detail.triggeringEvent;
    if (trigger && trigger.type === "focus" && text === labelOf(boxOf(input))) text = "";
    // Focus again on the same text: the options already answer it (no second search of the PSA).
    var list = listOf(input);
    if (trigger && trigger.type === "focus" && list && list.getAttribute("data-answered") === text &&
        list.querySelector("[role='option']:not([aria-disabled='true'])")) {
      event.preventDefault();
      setOpen(input, true);
      return;
    }
    if (list) list.setAttribute("data-answered", text);
    if (input.name) params.delete ? params.delete(input.name) : delete params[input.name];
    if (params.set) params.set("q", text); else params.q = text;
  });

  // History: once a URL is pushed, the pickers' current choice is that URL's; the snapshot htmx saves of it
  // (just before the next push) gets it into the attributes it serialises, and nothing else does.
  function committed(box) {
    var input = box.querySelector("[data-combobox-input]");
    var hidden = document.getElementById(box.getAttribute("data-combobox-hidden"));
    return { box: box, input: input, hidden: hidden, text: input.value, value: hidden ? hidden.value : "", label: labelOf(box) };
  }
  var current = [];
  ["htmx:pushedIntoHistory", "htmx:replacedInHistory"].forEach(function (name) {
    document.addEventListener(name, function () {
      current = Array.prototype.map.call(document.querySelectorAll("[data-combobox]"), committed);
    });
  });
  document.addEventListener("htmx:beforeHistorySave", function () {
    current.forEach(function (state) {
      if (!document.contains(state.box)) return;
      state.input.setAttribute("value", state.text);
      if (state.hidden) state.hidden.setAttribute("value", state.value);
      state.box.setAttribute("data-combobox-label", state.label);
    });
    document.querySelectorAll("[data-combobox-input]").forEach(function (input) { setOpen(input, false); });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (!list || !list.matches || !list.matches(".combobox-list")) return;
    var input = document.querySelector("[aria-controls='" + list.id + "']");
    if (input) setOpen(input, document.activeElement === input);
  });
})();
/* --- end combobox --- */
