/* The wall display's behaviour in the browser (only on /wall; other pages have no #wall-stage).
 *
 * - Scale: the stage is 1920 logical pixels wide and scaled to the screen.
 * - Rotation: scenes (and districts) every N seconds, with a progress bar; a
 *   district turning "alarm" is shown once, then the rotation resumes.
 * - Keys: left/right scene, space pause, f full screen. Cursor hidden when idle.
 * - Connection: /api/v1/ping every second; no answer for 3 s shows the banner,
 *   an answer hides it; another build of the pages on the server reloads the page,
 *   and so does an answer saying this screen's access was withdrawn or has ended.
 *   Answers without new values for a while show the banner too.
 * - Unattended: the stage shifts a few pixels every minute against burn-in,
 *   and the page reloads itself at a rotation boundary every IOC_WALL_RELOAD_H.
 */
(function () {
  "use strict";

  var STAGE_WIDTH = 1920;
  var EDGE = 6; // screen pixels kept free on each side for the burn-in shift
  var PING_MS = 1000;
  var PING_TIMEOUT_MS = 1500;
  var OFFLINE_AFTER_MS = 3000;
  var CURSOR_IDLE_MS = 3000;
  var SHIFT_EVERY_MS = 60000;
  var DISTRICT_WAIT_MS = 3000; // longest wait for a district scene's values
  var PAGE_MS = 10000; // a page of a scene with pages, when the wall does not rotate
  var HINT_MS = 8000; // the keys' hint shows this long after the start, a key or a move

  var wall = null;

  function Wall(stage) {
    this.stage = stage;
    this.root = stage.parentElement;
    this.config = JSON.parse(stage.getAttribute("data-config"));
    this.views = this.config.views.length ? this.config.views : [{ scene: "overview", title: "" }];
    this.index = 0;
    this.current = null; // the view on screen
    this.pending = null; // a district view waiting for its values
    this.pendingSince = 0;
    this.jump = null; // an alarm district shown out of turn
    this.jumpQueue = [];
    this.knownAlarms = null;
    this.viewStarted = Date.now();
    this.paused = false;
    this.loadedAt = Date.now();
    this.lastPingOk = Date.now();
    this.offline = false;
    this.build = null;
    this.lastStamp = null;
    this.lastStampAt = Date.now();
    this.shiftStep = 0;
    this.shift = { x: 0, y: 0 };
  }

  Wall.prototype.start = function () {
    var self = this;
    this.fit();
    window.addEventListener("resize", function () { self.fit(); });
    this.stage.classList.add("is-ready");
    this.showHint();
    this.show(this.views[0]);
    this.clock();
    setInterval(function () { self.clock(); }, 1000);
    setInterval(function () { self.tick(); }, 200);
    setInterval(function () { self.ping(); }, PING_MS);
    setInterval(function () { self.moveAgainstBurnIn(); }, SHIFT_EVERY_MS);
    document.addEventListener("keydown", function (event) { self.key(event); });
    this.watchCursor();
    this.watchClicks();
    this.ping();
    // Fit long values as soon as new text lands, before the browser paints it.
    var self2 = this;
    new MutationObserver(function () { self2.fitValues(); }).observe(
      this.stage.querySelector(".wall-scenes"), { childList: true, characterData: true, subtree: true }
    );
  };

  /* --- scale and burn-in ------------------------------------------------------- */

  Wall.prototype.fit = function () {
    var scale = (window.innerWidth - 2 * EDGE) / STAGE_WIDTH;
    var height = (window.innerHeight - 2 * EDGE) / scale;
    this.scale = scale;
    this.stage.style.height = height + "px";
    this.stage.style.transform =
      "translate(" + (EDGE + this.shift.x) + "px," + (EDGE + this.shift.y) + "px) scale(" + scale + ")";
    this.fitTickers();
  };

  Wall.prototype.moveAgainstBurnIn = function () {
    // A slow walk around a small square: no element stays on the same pixels for hours.
    var path = [[0, 0], [3, 0], [6, 0], [6, 3], [6, 6], [3, 6], [0, 6], [0, 3]];
    this.shiftStep = (this.shiftStep + 1) % path.length;
    this.shift = { x: path[this.shiftStep][0] - EDGE / 2, y: path[this.shiftStep][1] - EDGE / 2 };
    this.fit();
  };

  /* --- rotation ----------------------------------------------------------------- */

  Wall.prototype.sceneOf = function (view) {
    return document.getElementById("wall-scene-" + view.scene);
  };

  Wall.prototype.show = function (view) {
    if (view.scene === "district") {
      var shown = document.getElementById("wall-district-slug");
      if (!shown || shown.textContent !== view.district) {
        // Ask for the district scene's values (an alarm jump may come out of turn).
        var onScreen = this.current ? this.current.scene : "overview";
        window.dash_clientside.set_props("wall-scenes", { data: [onScreen, "district"] });
        window.dash_clientside.set_props("wall-view", { data: view.district });
        this.pending = view;
        this.pendingSince = Date.now();
        return; // shown by tick() once the district's values are in
      }
    }
    this.activate(view);
  };

  Wall.prototype.activate = function (view) {
    this.pending = null;
    this.current = view;
    this.viewStarted = Date.now();
    this.stage.style.setProperty("--progress", 0);
    var target = this.sceneOf(view);
    var scenes = this.stage.querySelectorAll(".scene");
    for (var i = 0; i < scenes.length; i++) {
      scenes[i].classList.toggle("is-active", scenes[i] === target);
    }
    var title = view.title || (view.district && this.config.districtTitles[view.district]) || "";
    document.getElementById("wall-scene-title").textContent = title;
    this.keepUpdated(view);
    this.fitTickers();
    this.fitValues();
  };

  Wall.prototype.keepUpdated = function (view) {
    // The server sends values for the scene on screen and the next one only,
    // so the next scene is already current when the rotation reaches it.
    var next = this.jumpQueue.length ? this.jumpQueue[0] : this.views[(this.index + 1) % this.views.length];
    var wanted = [view.scene];
    if (next && wanted.indexOf(next.scene) < 0) {
      wanted.push(next.scene);
    }
    window.dash_clientside.set_props("wall-scenes", { data: wanted });
  };

  Wall.prototype.step = function (delta) {
    this.jump = null;
    this.jumpQueue = [];
    this.index = (this.index + delta + this.views.length) % this.views.length;
    this.show(this.views[this.index]);
  };

  Wall.prototype.boundary = function () {
    // A rotation boundary: the moment for a planned reload, when the server answers.
    var age = Date.now() - this.loadedAt;
    if (age > this.config.reloadH * 3600 * 1000 && !this.offline) {
      window.location.reload();
      return true;
    }
    return false;
  };

  Wall.prototype.tick = function () {
    var now = Date.now();
    if (this.pending) {
      var shown = document.getElementById("wall-district-slug");
      var ready = shown && shown.textContent === this.pending.district;
      if (ready || now - this.pendingSince > DISTRICT_WAIT_MS) {
        this.activate(this.pending);
      }
    }
    this.keepDistrict(now);
    this.watchAlarms();
    this.watchStamp(now);
    var period = (this.config.rotateS || 20) * 1000;
    var rotating = this.config.rotateS > 0 || this.jump;
    var elapsed = now - this.viewStarted;
    this.turnPages(elapsed, period);
    this.stage.style.setProperty("--progress", rotating && !this.paused ? Math.min(elapsed / period, 1) : 0);
    if (this.paused || !rotating || this.pending || elapsed < period) {
      return;
    }
    if (this.boundary()) {
      return;
    }
    if (this.jumpQueue.length) {
      this.jump = this.jumpQueue.shift();
      this.show(this.jump);
    } else if (this.jump) {
      this.jump = null;
      this.show(this.views[this.index]); // back to where the rotation was
    } else if (this.views.length > 1) {
      this.step(1);
    } else {
      this.viewStarted = now;
    }
  };

  Wall.prototype.keepDistrict = function (now) {
    // A late answer for the previous district must not stay on screen under this
    // district's title: ask again (at most once a second) until they agree.
    var view = this.current;
    if (!view || view.scene !== "district" || this.pending || now - (this.askedAt || 0) < 1000) {
      return;
    }
    var shown = document.getElementById("wall-district-slug");
    if (shown && shown.textContent !== view.district) {
      this.askedAt = now;
      window.dash_clientside.set_props("wall-view", { data: view.district });
    }
  };

  Wall.prototype.watchAlarms = function () {
    var holder = document.getElementById("wall-alarm-districts");
    if (!holder) {
      return;
    }
    var text = holder.textContent;
    var now = text ? text.split(",") : [];
    if (this.knownAlarms === null) {
      this.knownAlarms = now; // alarms already on at load are in the ticker; no jump
      return;
    }
    var self = this;
    var fresh = now.filter(function (slug) { return self.knownAlarms.indexOf(slug) < 0; });
    this.knownAlarms = now;
    if (!fresh.length || this.paused || !this.config.jump) {
      return;
    }
    fresh.forEach(function (slug) {
      self.jumpQueue.push({ scene: "district", district: slug, alarm: true });
    });
    if (!this.jump && !this.pending) {
      this.jump = this.jumpQueue.shift();
      this.show(this.jump);
    }
  };

  /* --- keys and cursor ------------------------------------------------------------ */

  Wall.prototype.key = function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    this.showHint();
    if (event.key === "ArrowRight") {
      this.step(1);
    } else if (event.key === "ArrowLeft") {
      this.step(-1);
    } else if (event.key === " " || event.code === "Space") {
      this.paused = !this.paused;
      document.getElementById("wall-paused").hidden = !this.paused;
      this.viewStarted = Date.now();
    } else if (event.key === "f" || event.key === "F") {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else if (document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen().catch(function () {});
      }
    } else {
      return;
    }
    event.preventDefault();
  };

  Wall.prototype.turnPages = function (elapsed, period) {
    // A scene with more tiles than fit (database metrics: pages of twelve) shows its
    // pages in turn within its time; fixed (no rotation), a page every 10 s.
    var scene = this.stage.querySelector(".scene.is-active");
    var grids = scene ? scene.querySelectorAll(".tile-grid[data-page]") : [];
    if (!grids.length) {
      return;
    }
    var pages = [];
    for (var i = 0; i < grids.length; i++) {
      if (grids[i].querySelector(".tile:not(.tile--empty)") || i === 0) {
        pages.push(grids[i]);
      }
    }
    var each = this.config.rotateS > 0 ? period / pages.length : PAGE_MS;
    var page = this.paused ? this.page || 0 : Math.floor(elapsed / each) % pages.length;
    this.page = page;
    for (var j = 0; j < grids.length; j++) {
      grids[j].classList.toggle("is-shown", grids[j] === pages[page]);
    }
  };

  Wall.prototype.showHint = function () {
    // The keys' hint is for a person standing by: shown at start and after a key or a
    // mouse move, then gone, so the wall carries no small print.
    var root = this.root;
    root.classList.remove("hint-done");
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(function () { root.classList.add("hint-done"); }, HINT_MS);
  };

  Wall.prototype.watchCursor = function () {
    var root = this.root;
    var timer = null;
    function idle() { root.classList.add("hide-cursor"); }
    var self = this;
    document.addEventListener("mousemove", function () {
      self.showHint();
      root.classList.remove("hide-cursor");
      clearTimeout(timer);
      timer = setTimeout(idle, CURSOR_IDLE_MS);
    });
    timer = setTimeout(idle, CURSOR_IDLE_MS);
  };

  /* --- clicks: a district on the map, a district's tile -> its drill-down page ----------- */

  // The map is a static plot (no hover machinery on a wall), so a click is placed
  // on the map's own axes and matched against the district shapes it draws.
  Wall.prototype.districtAt = function (graph, event) {
    var layout = graph && graph._fullLayout;
    if (!layout || !layout.xaxis || !graph.data) return null;
    var box = graph.getBoundingClientRect();
    var scale = box.width / graph.offsetWidth || 1; // the stage is scaled to the screen
    var px = (event.clientX - box.left) / scale - layout._size.l;
    var py = (event.clientY - box.top) / scale - layout._size.t;
    var x = layout.xaxis.p2d(px);
    var y = layout.yaxis.p2d(py);
    var slugs = this.config.districtSlugs || [];
    for (var i = 0; i < slugs.length && i < graph.data.length; i++) {
      if (insideShape(graph.data[i].x, graph.data[i].y, x, y)) return slugs[i];
    }
    return null;
  };

  function insideShape(xs, ys, x, y) {
    // Even-odd rule over every ring (rings are separated by nulls).
    var inside = false;
    var start = 0;
    for (var i = 0; i <= xs.length; i++) {
      if (i === xs.length || xs[i] === null) {
        for (var a = start, b = i - 1; a < i; b = a++) {
          if (((ys[a] > y) !== (ys[b] > y)) &&
              x < ((xs[b] - xs[a]) * (y - ys[a])) / (ys[b] - ys[a]) + xs[a]) {
            inside = !inside;
          }
        }
        start = i + 1;
      }
    }
    return inside;
  }

  Wall.prototype.openDistrict = function (slug, tab) {
    if (this.config.links === false) {
      return; // a screen on a wall token: the district pages are not for it
    }
    var url = "/district/" + encodeURIComponent(slug) + "?lang=" + this.config.lang;
    window.location.href = url + (tab ? "&tab=" + tab : "");
  };

  Wall.prototype.watchClicks = function () {
    var self = this;
    var tabs = { traffic: "traffic", wifi: "wifi", backlog: "services" };
    this.stage.addEventListener("click", function (event) {
      var tile = event.target.closest("#wall-scene-district .tile");
      if (tile) {
        var slug = (document.getElementById("wall-district-slug") || {}).textContent;
        var match = /wall-district-([a-z]+)_/.exec(tile.id || "");
        if (slug) self.openDistrict(slug, match ? tabs[match[1]] : null);
        return;
      }
      var map = event.target.closest(".overview-map");
      if (!map) return;
      var graph = map.querySelector(".js-plotly-plot");
      var found = self.districtAt(graph, event);
      if (found) self.openDistrict(found);
    });
  };

  /* --- clock ------------------------------------------------------------------------ */

  Wall.prototype.clock = function () {
    var locale = this.config.lang === "vi" ? "vi-VN" : "en-GB";
    var now = new Date();
    var time = new Intl.DateTimeFormat(locale, {
      timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    }).format(now);
    var date = new Intl.DateTimeFormat(locale, {
      timeZone: "Asia/Ho_Chi_Minh", weekday: "long", day: "2-digit", month: "2-digit", year: "numeric"
    }).format(now);
    document.getElementById("wall-clock").textContent = time;
    document.getElementById("wall-date").textContent = date;
  };

  /* --- connection --------------------------------------------------------------------- */

  Wall.prototype.ping = function () {
    var self = this;
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, PING_TIMEOUT_MS);
    fetch("/api/v1/ping", { cache: "no-store", signal: controller.signal })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("ping " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        self.lastPingOk = Date.now();
        if (body.access && body.access !== "ok") {
          // The screen's token was revoked, or its session ended: the server's page
          // for /wall says which (withdrawn, or the sign-in page).
          window.location.reload();
          return;
        }
        if (self.build !== null && body.build !== self.build) {
          window.location.reload(); // another build of the pages: run it, not this old copy
          return;
        }
        self.build = body.build;
        self.setOffline(false);
      })
      .catch(function () {
        if (Date.now() - self.lastPingOk > OFFLINE_AFTER_MS) {
          self.setOffline(true, "connection_lost");
        }
      })
      .finally(function () { clearTimeout(timer); });
  };

  Wall.prototype.fitValues = function () {
    // The server sizes long numbers; this catches any that still do not fit
    // (another font, a longer unit): step the size down until the line fits.
    var lines = this.stage.querySelectorAll(".scene.is-active .tile-main");
    for (var i = 0; i < lines.length; i++) {
      var value = lines[i].querySelector(".tile-value");
      if (!value) {
        continue;
      }
      value.style.fontSize = "";
      var size = parseFloat(getComputedStyle(value).fontSize);
      // Never under 64 px: a value must be read across the room.
      while (lines[i].scrollWidth > lines[i].clientWidth + 1 && size > 64) {
        size -= 2;
        value.style.fontSize = size + "px";
      }
    }
  };

  Wall.prototype.watchStamp = function (now) {
    var holder = document.getElementById("wall-stamp");
    var stamp = holder ? holder.textContent : null;
    if (stamp !== this.lastStamp) {
      this.lastStamp = stamp;
      this.lastStampAt = now;
      this.fitValues();
      if (this.offline === "no_updates") {
        this.setOffline(false);
      }
      return;
    }
    var limit = Math.max(3 * this.config.refreshMs, 8000);
    if (!this.offline && now - this.lastStampAt > limit) {
      this.setOffline(true, "no_updates");
    }
  };

  Wall.prototype.setOffline = function (offline, reason) {
    if (!offline) {
      if (this.offline === "no_updates" && Date.now() - this.lastStampAt > 3 * this.config.refreshMs) {
        return; // the server answers but values still do not arrive
      }
      this.offline = false;
    } else {
      this.offline = reason;
    }
    var banner = document.getElementById("wall-banner");
    this.root.classList.toggle("is-offline", !!this.offline);
    banner.hidden = !this.offline;
    if (this.offline) {
      document.getElementById("wall-banner-text").textContent = this.config.texts[reason];
      var updated = document.getElementById("wall-updated");
      document.getElementById("wall-banner-since").textContent = updated ? updated.textContent : "";
    }
  };

  /* --- ticker ------------------------------------------------------------------------- */

  Wall.prototype.fitTickers = function () {
    var tracks = this.stage.querySelectorAll(".ticker-track");
    for (var i = 0; i < tracks.length; i++) {
      var track = tracks[i];
      var overflow = track.scrollWidth - track.parentElement.clientWidth;
      track.classList.toggle("is-scrolling", overflow > 0);
      if (overflow > 0) {
        track.style.setProperty("--ticker-shift", -overflow + "px");
        track.style.setProperty("--ticker-s", Math.max(10, overflow / 40) + "s");
      }
    }
  };

  /* --- start once Dash has rendered the page -------------------------------------------- */

  function tryStart() {
    var stage = document.getElementById("wall-stage");
    if (!stage || (wall && wall.stage === stage)) {
      return;
    }
    wall = new Wall(stage);
    window.iocWall = wall; // for the browser tests and a curious operator's console
    wall.start();
  }

  var observer = new MutationObserver(tryStart);
  function observe() {
    observer.observe(document.body, { childList: true, subtree: true });
    tryStart();
  }
  if (document.body) {
    observe();
  } else {
    document.addEventListener("DOMContentLoaded", observe);
  }
  setInterval(function () {
    if (wall) {
      wall.fitTickers();
    }
  }, 5000);
})();
