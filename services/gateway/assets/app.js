// Mittler's pages: forms and buttons talk to the JSON API, live sections follow
// server-sent events, deadlines count down, the online switch keeps a heartbeat.
// Plain JavaScript, no build step.
(function () {
  "use strict";
  var body = document.body;
  var words = function (name) { return body.getAttribute("data-t-" + name) || ""; };
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function toast(text, bad) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.className = bad ? "show bad" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.className = ""; }, 6000);
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now() + Math.random().toString(16).slice(2);
  }

  function call(method, url, data, headers) {
    var h = { "Accept": "application/json", "Accept-Language": document.documentElement.lang || "de" };
    if (data !== undefined) h["Content-Type"] = "application/json";
    if (csrf) h["X-CSRF-Token"] = csrf;
    for (var k in headers || {}) h[k] = headers[k];
    return fetch(url, {
      method: method, headers: h, credentials: "same-origin",
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (res) {
      return res.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        return { ok: res.ok, status: res.status, json: json };
      });
    });
  }

  // ---- forms to JSON: dotted names nest, `x[]` collects, [data-item=path] groups
  // fields of one row into an object pushed onto `path`; empty fields are left out.
  // The object that holds the last part of a dotted path, made on the way.
  function getPath(obj, path) {
    var parts = path.split(".");
    var at = obj;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof at[parts[i]] !== "object" || at[parts[i]] === null) at[parts[i]] = {};
      at = at[parts[i]];
    }
    return { parent: at, key: parts[parts.length - 1] };
  }

  function setPath(obj, path, value) {
    var where = getPath(obj, path);
    if (where.key.slice(-2) === "[]") {
      var key = where.key.slice(0, -2);
      if (!Array.isArray(where.parent[key])) where.parent[key] = [];
      where.parent[key].push(value);
    } else {
      where.parent[where.key] = value;
    }
  }

  function valueOf(el) {
    var type = el.getAttribute("data-type");
    if (el.type === "checkbox" && !/\[\]$/.test(el.name)) return el.checked;
    if (el.value === "") return undefined;
    if (type === "number") return Number(String(el.value).replace(",", "."));
    // Euros as typed (12,50 or 12.50), sent as whole cents.
    if (type === "cents") return Math.round(Number(String(el.value).replace(/\s|€/g, "").replace(",", ".")) * 100);
    if (type === "json") { try { return JSON.parse(el.value); } catch (e) { return undefined; } }
    if (type === "instant") return new Date(el.value).toISOString();
    // A local time in a zone the page names (not the browser's): value + offset.
    if (type === "local") return (el.value.length === 16 ? el.value + ":00" : el.value) + (el.getAttribute("data-offset") || "Z");
    return el.value;
  }

  function prune(obj) {
    if (Array.isArray(obj)) return obj;
    for (var k in obj) {
      if (obj[k] && typeof obj[k] === "object" && !Array.isArray(obj[k])) {
        prune(obj[k]);
        if (Object.keys(obj[k]).length === 0) delete obj[k];
      }
    }
    return obj;
  }

  function formData(form) {
    var data = {};
    form.querySelectorAll("[data-array]").forEach(function (box) {
      var where = getPath(data, box.getAttribute("data-array"));
      where.parent[where.key] = [];
    });
    form.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.matches(":disabled") || el.hasAttribute("data-path-only")) return;
      if (el.closest("template")) return;
      if ((el.type === "radio" || (el.type === "checkbox" && /\[\]$/.test(el.name))) && !el.checked) return;
      if (el.type === "search") return;
      var value = valueOf(el);
      if (value === undefined) return;
      var item = el.closest("[data-item]");
      if (item && form.contains(item)) {
        if (!item._obj) {
          item._obj = {};
          var where = getPath(data, item.getAttribute("data-item"));
          if (!Array.isArray(where.parent[where.key])) where.parent[where.key] = [];
          where.parent[where.key].push(item._obj);
        }
        setPath(item._obj, el.name, value);
      } else {
        setPath(data, el.name, value);
      }
    });
    form.querySelectorAll("[data-item]").forEach(function (item) { delete item._obj; });
    return prune(data);
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) {
      e.removeAttribute("aria-invalid");
      var ids = (e.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id.indexOf("err-") !== 0; });
      if (ids.length) e.setAttribute("aria-describedby", ids.join(" ")); else e.removeAttribute("aria-describedby");
    });
    var summary = form.querySelector(".form-errors");
    if (summary) summary.textContent = "";
  }

  function showProblem(form, problem, status) {
    var summary = form ? form.querySelector(".form-errors") : null;
    var text = (problem && (problem.detail || problem.title)) || (words("failed") + " (" + status + ")");
    var unplaced = [];
    var named = [];
    var firstField = null;
    ((problem && problem.errors) || []).forEach(function (error, i) {
      var field = form ? form.querySelector('[name="' + (error.field || "").replace(/"/g, "") + '"]') : null;
      if (!field && form && error.field) {
        var tail = error.field.split(".").pop().replace(/\[\d+\]/g, "");
        field = form.querySelector('[name="' + tail + '"]');
      }
      if (field) {
        var note = document.createElement("span");
        note.className = "field-error";
        note.id = "err-" + i + "-" + Date.now();
        note.textContent = error.message;
        field.insertAdjacentElement("afterend", note);
        field.setAttribute("aria-invalid", "true");
        if (!firstField) firstField = field;
        var label = field.id ? form.querySelector('label[for="' + field.id + '"]') : null;
        if (label && named.indexOf(label.textContent.trim()) < 0) named.push(label.textContent.trim());
        var described = field.getAttribute("aria-describedby");
        field.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
      } else {
        unplaced.push((error.field ? error.field + ": " : "") + error.message);
      }
    });
    if (summary) {
      // The summary names the fields to look at; the focus goes to the first.
      summary.textContent = text + (named.length ? " (" + named.join(", ") + ")" : "") +
        (unplaced.length ? " – " + unplaced.join("; ") : "");
      if (firstField) firstField.focus(); else summary.scrollIntoView({ block: "nearest" });
    } else {
      toast(text, true);
    }
  }

  function then(el, result) {
    var rule = el.getAttribute("data-then") || "reload";
    var done = el.getAttribute("data-done");
    if (done) { sessionStorage.setItem("mittler-toast", done); }
    if (rule.indexOf("go:") === 0) {
      var target = rule.slice(3).replace("{id}", result && result.id ? encodeURIComponent(result.id) : "");
      window.location.assign(target);
    } else {
      window.location.reload();
    }
  }

  function busy(el, on) {
    var buttons = el.tagName === "FORM" ? el.querySelectorAll("button[type=submit]") : [el];
    buttons.forEach(function (b) { b.disabled = on; if (on) b.setAttribute("aria-busy", "true"); else b.removeAttribute("aria-busy"); });
  }

  // ---- a file sent as it is (a CSV import): the button pressed says whether it is
  // only checked (`value="check"`); problems are listed line by line.
  // A form whose period (start, end) may cover something the person has promised
  // (data-overlaps: [{start, end, label}]) asks first, naming what it covers.
  function overlapsConfirmed(form) {
    var raw = form.getAttribute("data-overlaps");
    if (!raw) return true;
    var body = formData(form);
    if (!body.start || !body.end) return true;
    var from = Date.parse(body.start), to = Date.parse(body.end);
    var hit = JSON.parse(raw).filter(function (item) {
      return Date.parse(item.start) < to && from < Date.parse(item.end);
    });
    if (!hit.length) return true;
    var names = hit.map(function (item) { return item.label; }).join("\n");
    return window.confirm(form.getAttribute("data-overlaps-question").replace("{jobs}", names));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-upload]");
    if (!form) return;
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var out = form.querySelector("[data-upload-result]");
    clearErrors(form);
    if (!file) { showProblem(form, { detail: form.getAttribute("data-t-choose") }, 0); return; }
    var check = event.submitter && event.submitter.value === "check";
    var url = form.getAttribute("data-upload") + (check ? "?dry_run=true" : "");
    busy(form, true);
    file.text().then(function (text) {
      var h = { "Accept": "application/json", "Content-Type": "text/csv; charset=utf-8",
        "Accept-Language": document.documentElement.lang || "de" };
      if (csrf) h["X-CSRF-Token"] = csrf;
      return fetch(url, { method: "POST", headers: h, credentials: "same-origin", body: text });
    }).then(function (res) {
      return res.text().then(function (body) {
        var json = null;
        try { json = body ? JSON.parse(body) : null; } catch (e) { json = null; }
        return { ok: res.ok, status: res.status, json: json };
      });
    }).then(function (res) {
      busy(form, false);
      out.textContent = "";
      if (res.ok && check) {
        out.textContent = form.getAttribute("data-t-checked").replace("{n}", res.json.mediators.length);
      } else if (res.ok) {
        then(form, res.json);
      } else {
        var list = document.createElement("ul");
        ((res.json && res.json.errors) || []).forEach(function (error) {
          var m = /^lines\[(\d+)\]\.(.*)$/.exec(error.field || "");
          var li = document.createElement("li");
          li.textContent = (m ? form.getAttribute("data-t-line").replace("{n}", m[1]) + ", " + m[2] + ": " : "") + error.message;
          list.appendChild(li);
        });
        showProblem(form, { detail: res.json && res.json.detail }, res.status);
        out.appendChild(list);
      }
    }, function () { busy(form, false); showProblem(form, null, 0); });
  });

  // ---- the place a postal code names, shown beside it as it is typed: the position
  // the server will use unless an own one is given ([data-place-of] names the field).
  function showPlace(out) {
    var code = document.getElementById(out.getAttribute("data-place-of")).value.trim();
    var address = document.getElementById(out.getAttribute("data-address") || "");
    out.textContent = "";
    if (!/^[0-9]{5}$/.test(code)) return;
    var url = "/api/v1/places/" + code + (address && address.value.trim() ? "?address=" + encodeURIComponent(address.value.trim()) : "");
    call("GET", url).then(function (res) {
      if (document.getElementById(out.getAttribute("data-place-of")).value.trim() !== code) return;
      out.textContent = res.ok && res.json ? res.json.place + " (" + res.json.district + ") · " + out.getAttribute("data-source")
        : res.status === 404 ? out.getAttribute("data-unknown") : "";
    }, function () { out.textContent = ""; });
  }
  document.querySelectorAll("[data-place-of]").forEach(showPlace);
  var placeTimer = null;
  document.addEventListener("input", function (event) {
    var id = event.target.getAttribute && event.target.getAttribute("data-place-input");
    if (!id) return;
    clearTimeout(placeTimer);
    placeTimer = setTimeout(function () { showPlace(document.getElementById(id)); }, 250);
  });

  // ---- a form that books shows what will be booked before it is sent
  // (`data-review` names the box); only its own button sends it.
  function reviewBox(form) {
    return document.getElementById(form.getAttribute("data-review"));
  }

  function shownValue(form, name) {
    var fields = form.querySelectorAll('[name="' + name + '"]');
    if (!fields.length) {
      // A text the form shows (the place a postal code names), unless switched off.
      var shown = document.getElementById(name);
      return shown && form.contains(shown) && !shown.closest("fieldset:disabled") ? shown.textContent.trim() : "";
    }
    var field = fields[0];
    if (field.type === "radio") {
      var checked = form.querySelector('[name="' + name + '"]:checked');
      var label = checked && checked.closest("label");
      return label ? label.textContent.trim() : "";
    }
    if (field.matches(":disabled")) return "";
    if (field.tagName === "SELECT") {
      var option = field.options[field.selectedIndex];
      return option && option.value !== "" ? option.textContent.trim() : "";
    }
    if (field.type === "datetime-local" && field.value) {
      var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(field.value);
      if (m && document.documentElement.lang === "de") return m[3] + "." + m[2] + "." + m[1] + " " + m[4];
      return field.value.replace("T", " ");
    }
    return field.value.trim();
  }

  function showReview(form) {
    var box = reviewBox(form);
    box.querySelectorAll("[data-review-of]").forEach(function (dd) {
      var value = shownValue(form, dd.getAttribute("data-review-of"));
      var row = dd.closest("[data-review-row]") || dd;
      dd.textContent = value || dd.getAttribute("data-empty") || "";
      row.hidden = !value && !dd.hasAttribute("data-empty");
    });
    box.hidden = false;
    var title = box.querySelector("[tabindex]") || box;
    title.focus();
    checkReview(box, form);
  }

  // Could anyone take it? Said in the review, never in the way of booking.
  function checkReview(box, form) {
    var el = box.querySelector("[data-check]");
    if (!el) return;
    el.hidden = true;
    el.textContent = "";
    call("POST", el.getAttribute("data-check"), formData(form)).then(function (res) {
      if (!res.ok || !res.json || res.json.eligible > 0) return;
      var texts = JSON.parse(el.getAttribute("data-reasons") || "{}");
      var why = (res.json.reasons || []).slice(0, 2).map(function (r) { return texts[r.reason]; })
        .filter(Boolean);
      el.textContent = res.json.speakers === 0 ? el.getAttribute("data-nobody-speaks")
        : el.getAttribute("data-none") + (why.length ? " " + why.join(" ") : "");
      el.hidden = false;
    }, function () { /* no answer: nothing to say */ });
  }

  document.addEventListener("click", function (event) {
    var confirmButton = event.target.closest("[data-review-confirm]");
    var back = event.target.closest("[data-review-back]");
    if (!confirmButton && !back) return;
    var form = (confirmButton || back).closest("form");
    if (confirmButton) {
      form._reviewed = true;
      form.requestSubmit();
    } else {
      reviewBox(form).hidden = true;
      var first = form.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    }
  });

  // Enter in a field of a booking form never sends it; in the language search it
  // moves to the list of matches.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    var el = event.target;
    if (!el.closest || !el.closest("form[data-review]")) return;
    if (el.tagName === "TEXTAREA" || el.tagName === "BUTTON" || el.tagName === "SUMMARY") return;
    event.preventDefault();
    if (el.matches("[data-filter]")) {
      var list = document.getElementById(el.getAttribute("data-filter"));
      if (list) list.focus();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    if (form.hasAttribute("data-review") && !form._reviewed) { showReview(form); return; }
    form._reviewed = false;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    if (!overlapsConfirmed(form)) return;
    clearErrors(form);
    var url = form.getAttribute("data-api").replace(/\{(\w+)\}/g, function (_, name) {
      var field = form.querySelector('[name="' + name + '"]');
      return field ? encodeURIComponent(field.value) : "";
    });
    var headers = {};
    if (form.hasAttribute("data-idempotent")) {
      form._key = form._key || uuid();
      headers["Idempotency-Key"] = form._key;
    }
    busy(form, true);
    call(form.getAttribute("data-method") || "POST", url, formData(form), headers).then(function (res) {
      busy(form, false);
      if (res.ok) then(form, res.json);
      else {
        if (form.hasAttribute("data-review")) reviewBox(form).hidden = true;
        showProblem(form, res.json, res.status);
      }
    }, function () {
      busy(form, false);
      showProblem(form, null, 0);
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-post]");
    if (button) {
      var question = button.getAttribute("data-confirm");
      if (question && !window.confirm(question)) return;
      var raw = button.getAttribute("data-body");
      busy(button, true);
      call(button.getAttribute("data-method") || "POST", button.getAttribute("data-post"), raw ? JSON.parse(raw) : undefined)
        .then(function (res) {
          busy(button, false);
          if (res.ok) then(button, res.json);
          else showProblem(button.closest("form"), res.json, res.status);
        }, function () { busy(button, false); toast(words("failed"), true); });
      return;
    }
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var template = document.getElementById(add.getAttribute("data-add-row"));
      var into = document.getElementById(add.getAttribute("data-into"));
      var row = template.content.firstElementChild.cloneNode(true);
      var n = "n" + Date.now();
      row.querySelectorAll("[id]").forEach(function (el) {
        var label = row.querySelector('label[for="' + el.id + '"]');
        el.id = el.id + "-" + n;
        if (label) label.setAttribute("for", el.id);
      });
      into.appendChild(row);
      var first = row.querySelector("select, input");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var item = remove.closest("[data-item]");
      var container = item.parentElement;
      item.remove();
      var next = container.querySelector("select, input, button");
      if (next) next.focus();
    }
  });

  // ---- fields that show or hide with a choice (on-site place, start time)
  function syncToggles() {
    var onSite = document.querySelector('input[name="modality"][value="on_site"]');
    var place = document.getElementById("location");
    if (onSite && place) { place.hidden = !onSite.checked; place.disabled = !onSite.checked; }
    var onDemand = document.querySelector('input[name="kind"][value="on_demand"]');
    var when = document.getElementById("when-fields");
    if (onDemand && when) {
      when.hidden = onDemand.checked;
      when.querySelectorAll("input").forEach(function (i) { i.disabled = onDemand.checked; });
      if (onDemand.checked && onSite && onSite.checked) {
        var video = document.querySelector('input[name="modality"][value="video"]');
        if (video) { video.checked = true; syncToggles(); }
      }
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-toggles]")) syncToggles();
  });

  // ---- language search: filter the list by name, code and other names
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches("[data-filter]")) return;
    var select = document.getElementById(box.getAttribute("data-filter"));
    var needle = box.value.trim().toLowerCase();
    var firstVisible = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var hay = (option.getAttribute("data-search") || option.textContent).toLowerCase();
      var show = !needle || hay.indexOf(needle) !== -1;
      option.hidden = !show;
      if (show && !firstVisible) firstVisible = option;
    });
    if (firstVisible && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) {
      firstVisible.selected = true;
    }
  });

  // ---- countdowns
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-countdown")) - now) / 1000);
      if (left <= 0) { el.textContent = words("expired"); el.classList.add("expired"); return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      var text = d > 0 ? d + " d " + h + " h" : h > 0 ? h + " h " + m + " min" : m + ":" + (s < 10 ? "0" : "") + s + " min";
      el.textContent = words("left").replace("{time}", text);
      el.classList.toggle("soon", left < 3600);
    });
  }

  // ---- live sections: refetch this page and swap each [data-live] section
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var held = false;
        document.querySelectorAll("[data-live]").forEach(function (section) {
          var next = fresh.querySelector('[data-live="' + section.getAttribute("data-live") + '"]');
          // Someone is filling in a form here (typing, or an opened form with a
          // value in it): their work stays; the section is looked at again shortly.
          var active = document.activeElement;
          var typing = active && section.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
          var filled = Array.prototype.some.call(
            section.querySelectorAll("details[open] input:not([type=hidden]), details[open] textarea"),
            function (field) { return field.value !== ""; });
          if (next && next.innerHTML !== section.innerHTML && (typing || filled)) { held = true; return; }
          if (next && next.innerHTML !== section.innerHTML) {
            var focused = document.activeElement && section.contains(document.activeElement) ? document.activeElement.id : null;
            // Forms someone opened stay open (named by where they send).
            var opened = Array.prototype.map.call(section.querySelectorAll("details[open] form[data-api]"),
              function (form) { return form.getAttribute("data-api"); });
            section.innerHTML = next.innerHTML;
            opened.forEach(function (api) {
              section.querySelectorAll("details form[data-api]").forEach(function (form) {
                if (form.getAttribute("data-api") === api) form.closest("details").open = true;
              });
            });
            if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
          }
        });
        body.setAttribute("data-live-refreshed", String(heard));
        if (held) { clearTimeout(pending); pending = setTimeout(refresh, 1500); }
        tick();
      });
  }
  var pending = null;
  var heard = 0;
  function changed() {
    body.setAttribute("data-live-heard", String(++heard));
    clearTimeout(pending);
    pending = setTimeout(refresh, 250);
  }
  var source = body.getAttribute("data-live-events");
  if (source && window.EventSource && document.querySelector("[data-live]")) {
    var events = new EventSource(source);
    events.addEventListener("changed", changed);
    events.addEventListener("notification", changed);
    // On (re)connecting, look once: what changed before the subscription began
    // (between the page's rendering and now) is not in the stream.
    events.addEventListener("open", function () {
      body.setAttribute("data-live-ready", "true");
      clearTimeout(pending);
      pending = setTimeout(refresh, 250);
    });
  }

  // ---- the online switch: a heartbeat while on, remembered across pages
  var presence = document.querySelector("[data-presence]");
  var beat = null;
  function setOnline(on, quiet) {
    call("PUT", "/api/v1/mediators/me/presence", { online: on }).then(function (res) {
      if (!res.ok) { if (!quiet) toast(words("failed"), true); return; }
      presence.setAttribute("aria-pressed", on ? "true" : "false");
      localStorage.setItem("mittler-online", on ? "1" : "0");
      clearTimeout(beat);
      if (on && res.json && res.json.expires_at) {
        var wait = Math.max(5000, (Date.parse(res.json.expires_at) - Date.now()) / 2);
        beat = setTimeout(function () { setOnline(true, true); }, wait);
      }
    });
  }
  if (presence) {
    presence.addEventListener("click", function () {
      setOnline(presence.getAttribute("aria-pressed") !== "true");
    });
    if (localStorage.getItem("mittler-online") === "1") setOnline(true, true);
  }

  syncToggles();
  tick();
  setInterval(tick, 1000);
  var waiting = sessionStorage.getItem("mittler-toast");
  if (waiting) { sessionStorage.removeItem("mittler-toast"); toast(waiting); }
})();
