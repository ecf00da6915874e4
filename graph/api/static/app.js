// reelforge dashboard: live progress from each run's event stream, the forms, and the chat panel.
// Everything the server sends is put on the page as text (textContent), never as markup.
(function () {
  "use strict";

  // A run's event stream ends with one of these; "waiting" and "stopped" runs can go on later.
  const TERMINAL = new Set(["done", "failed", "stopped", "rejected", "waiting"]);
  const ACTIVE = new Set(["queued", "running"]);
  const CONVERSATION_KEY = "reelforge.conversation";
  const CONVERSATION_ID = /^[A-Za-z0-9._-]{1,80}$/;
  // After an action (approve, regenerate), how often to look again before the run is seen to move.
  const MOVE_TRIES = 30;
  const CLOSE_AFTER_MS = 400;

  function runUrl(runId) {
    return "/runs/" + encodeURIComponent(runId);
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // One JSON request; the API's errors are {"error": "<one line>"}.
  async function api(method, url, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new Error("the server did not answer; is 'reelforge serve' still running?");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error(
        response.status === 401
          ? "this server needs its token: log in at /login"
          : (data && data.error) || "the server answered " + response.status
      );
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // ---- progress per stage and per scene --------------------------------------------------------------

  function ensureScenes(widget, count) {
    const box = widget.querySelector(".scenes");
    if (!box) return;
    for (let n = box.children.length + 1; n <= Math.min(count, 99); n++) {
      box.appendChild(el("span", { "data-scene": String(n), title: "scene " + n }, n));
    }
  }

  function applyEvent(widget, event) {
    if (!widget || !event) return;
    if (event.stage) {
      const pill = widget.querySelector('[data-stage="' + CSS.escape(event.stage) + '"]');
      if (pill) {
        if (event.kind === "stage_finished") {
          pill.classList.remove("active");
          pill.classList.add("done");
        } else if (event.kind === "stage_started" || !pill.classList.contains("done")) {
          pill.classList.remove("done");
          pill.classList.add("active");
        }
      }
    }
    const data = event.data || {};
    if (data.artifact === "script" && Number.isInteger(data.scenes)) ensureScenes(widget, data.scenes);
    if (Number.isInteger(data.of)) ensureScenes(widget, data.of);
    if (event.kind === "scene_made" && Number.isInteger(event.scene)) {
      ensureScenes(widget, event.scene);
      const dot = widget.querySelector('.scenes [data-scene="' + event.scene + '"]');
      if (dot) dot.classList.add("made");
    }
    if (event.kind === "progress" && typeof data.pct === "number") {
      const bar = widget.querySelector(".bar");
      if (bar) {
        bar.hidden = false;
        bar.firstElementChild.style.width = Math.max(0, Math.min(100, data.pct)) + "%";
      }
    }
    if (event.kind === "done") {
      widget.querySelectorAll(".stages li.active").forEach((li) => {
        li.classList.remove("active");
        li.classList.add("done");
      });
    }
    const last = widget.querySelector(".last");
    if (last && event.message) last.textContent = event.message;
    widget.dataset.kind = event.kind;
    widget.dataset.seq = String(event.seq || 0);
  }

  // Follow a run's events (GET /runs/{id}/events) from `opts.after`, closing the stream at a closing
  // event (done, failed, stopped, rejected, waiting). A replay holds the closing events of earlier attempts
  // too, each followed at once by more, so the stream closes only when nothing follows within
  // CLOSE_AFTER_MS; then the run's status decides whether to follow on. `onSettled(view)` gets the run
  // once it is no longer queued or running. Each caller holds its own follower (several may follow one
  // run: the list, the chat, a run page); `close()` stops it.
  function follow(runId, widget, opts) {
    opts = opts || {};
    const follower = { closed: false, source: null };
    follower.close = () => {
      follower.closed = true;
      if (follower.source) follower.source.close();
    };
    let after = opts.after || 0;

    function open() {
      if (follower.closed) return;
      let finished = false;
      let closing = null;
      const source = new EventSource(runUrl(runId) + "/events?after=" + after);
      follower.source = source;

      async function finish() {
        if (finished) return;
        finished = true;
        clearTimeout(closing);
        source.close();
        if (follower.closed) return;
        let view;
        try {
          view = await api("GET", runUrl(runId));
        } catch (err) {
          follower.closed = true;
          if (opts.onError) opts.onError(err);
          return;
        }
        if (ACTIVE.has(view.status)) {
          setTimeout(open, 800);
          return;
        }
        follower.closed = true;
        if (opts.onSettled) opts.onSettled(view, after);
      }

      source.onmessage = (message) => {
        let event;
        try {
          event = JSON.parse(message.data);
        } catch (err) {
          return;
        }
        if ((event.seq || 0) <= after) return;
        clearTimeout(closing);
        after = event.seq || after;
        applyEvent(widget, event);
        if (opts.onEvent) opts.onEvent(event);
        if (TERMINAL.has(event.kind)) closing = setTimeout(finish, CLOSE_AFTER_MS);
      };
      // The stream closed without a closing event (the server restarted, the network dropped).
      source.onerror = () => finish();
    }

    open();
    return follower;
  }

  function live(follower) {
    return Boolean(follower) && !follower.closed;
  }

  // ---- the runs list on the dashboard ------------------------------------------------------------------

  const listed = new Map();

  function followListed() {
    for (const [runId, follower] of listed) {
      const widget = document.getElementById("progress-" + runId);
      if (!widget || !document.body.contains(widget)) {
        follower.close();
        listed.delete(runId);
      }
    }
    document.querySelectorAll("#runs .progress[data-follow]").forEach((widget) => {
      const runId = widget.dataset.follow;
      if (live(listed.get(runId)) || widget.dataset.settled) return;
      listed.set(
        runId,
        follow(runId, widget, {
          onSettled: () => {
            widget.dataset.settled = "1";
            if (window.htmx) window.htmx.trigger("#runs", "refresh");
          },
        })
      );
    });
  }

  // ---- the new-video form -----------------------------------------------------------------------------

  function initRunForm() {
    const form = document.getElementById("run-form");
    if (!form) return;
    const result = document.getElementById("run-form-result");
    form.addEventListener("change", (e) => {
      const input = e.target;
      if (!input.name || !input.name.startsWith("provider_")) return;
      const details = input.closest("details");
      const chosen = details && details.querySelector(".chosen");
      if (!chosen) return;
      const option = input.closest("label");
      const name = option && option.querySelector(".name");
      const cost = option && option.querySelector(".cost");
      chosen.textContent = input.value
        ? (name ? name.textContent : input.value) + (cost ? " · " + cost.textContent : "")
        : "automatic";
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fields = new FormData(form);
      const body = { request: String(fields.get("request") || "").trim() };
      for (const key of ["aspect", "voice", "style", "visuals", "captions"]) {
        const value = fields.get(key);
        if (value) body[key] = String(value);
      }
      const duration = fields.get("duration_s");
      if (duration) body.duration_s = parseInt(String(duration), 10);
      const sources = String(fields.get("sources") || "")
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean);
      if (sources.length) body.sources = sources;
      body.targets = fields.getAll("targets").map(String);
      const gates = fields.getAll("gates").map(String);
      if (gates.length) body.gates = gates;
      if (fields.get("preview")) body.preview = true;
      if (fields.get("dry_run")) body.dry_run = true;
      const providers = {};
      for (const capability of ["text", "image", "speech"]) {
        const value = fields.get("provider_" + capability);
        if (value) providers[capability] = String(value);
      }
      if (Object.keys(providers).length) body.providers = providers;
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      result.className = "form-result";
      result.textContent = "starting…";
      try {
        const record = await api("POST", "/runs", body);
        result.textContent = "Started: ";
        const link = el("a", { href: "/ui/runs/" + encodeURIComponent(record.run_id) }, record.topic);
        link.dataset.runId = record.run_id;
        result.appendChild(link);
        if (window.htmx) window.htmx.trigger("#runs", "refresh");
      } catch (err) {
        result.className = "form-result error";
        result.textContent = err.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- the run page ------------------------------------------------------------------------------------

  function initRunPage() {
    const page = document.getElementById("run");
    if (!page) return;
    const runId = page.dataset.runId;
    const shown = page.dataset.status;
    const widget = page.querySelector(".progress");
    const result = document.getElementById("action-result");
    let lastSeq = 0;
    let acted = null;

    function options(after) {
      return {
        after,
        onEvent: (event) => {
          lastSeq = Math.max(lastSeq, event.seq || 0);
        },
        onSettled: settled,
        onError: (err) => say(err.message, true),
      };
    }

    function settled(view) {
      if (acted) {
        // Until the run takes the answer it still shows the old status: look again.
        if (lastSeq <= acted.after && acted.tries++ < MOVE_TRIES) {
          setTimeout(() => (follower = follow(runId, widget, options(lastSeq))), 500);
          return;
        }
        location.reload();
        return;
      }
      if (view.status !== shown) location.reload();
    }

    function say(text, error) {
      result.className = "action-result" + (error ? " error" : "");
      result.textContent = text;
    }

    async function act(url, body, doing) {
      page.querySelectorAll("button").forEach((b) => (b.disabled = true));
      say(doing);
      try {
        await api("POST", url, body);
      } catch (err) {
        say(err.message, true);
        page.querySelectorAll("button").forEach((b) => (b.disabled = false));
        return;
      }
      acted = { after: lastSeq, tries: 0 };
      if (!live(follower)) follower = follow(runId, widget, options(lastSeq));
    }

    let follower = follow(runId, widget, options(0));

    const scriptForm = document.getElementById("script-form");
    const publishForm = document.getElementById("publish-form");
    for (const form of [scriptForm, publishForm]) {
      if (!form) continue;
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const body = { decision: "approve" };
        if (form === scriptForm) {
          const edited = editedScript(form);
          if (edited) body.script = edited;
        }
        act(runUrl(runId) + "/approve", body, "approved; the run goes on…");
      });
      const reject = form.querySelector('[data-decision="reject"]');
      reject.addEventListener("click", () => {
        const reason = String(form.querySelector('[name="reason"]').value || "").trim();
        act(runUrl(runId) + "/approve", { decision: "reject", reason }, "rejected…");
      });
    }
    page.querySelectorAll("[data-regen]").forEach((button) => {
      button.addEventListener("click", () => {
        const scene = button.dataset.regen;
        act(runUrl(runId) + "/scenes/" + encodeURIComponent(scene) + "/regenerate", {}, "making scene " + scene + " again…");
      });
    });
    const resume = page.querySelector('[data-action="resume"]');
    if (resume) resume.addEventListener("click", () => act(runUrl(runId) + "/resume", undefined, "resuming…"));
  }

  // The script with the form's edits, or null when nothing changed (the run keeps its own script).
  function editedScript(form) {
    const holder = document.getElementById("gate-script");
    if (!holder) return null;
    const original = JSON.parse(holder.textContent);
    const edited = JSON.parse(holder.textContent);
    form.querySelectorAll("[data-field]").forEach((input) => {
      const field = input.dataset.field;
      if (input.dataset.scene !== undefined) {
        const scene = edited.scenes[parseInt(input.dataset.scene, 10)];
        if (scene) scene[field] = input.value;
      } else {
        edited[field] = input.value;
      }
    });
    return JSON.stringify(edited) === JSON.stringify(original) ? null : edited;
  }

  // ---- the chat panel ----------------------------------------------------------------------------------

  // POST /chat answers with server-sent events: each `data:` line is one JSON item.
  async function readItems(response, onItem) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (!data) continue;
        let item;
        try {
          item = JSON.parse(data);
        } catch (err) {
          continue;
        }
        onItem(item);
      }
    }
  }

  function initChat() {
    const form = document.getElementById("chat-form");
    if (!form) return;
    const log = document.getElementById("chat-log");
    const input = document.getElementById("chat-input");
    const template = document.getElementById("progress-template");
    const runs = new Map();
    // The run whose gate the conversation waits to have answered (its last approval item).
    let chatPending = null;

    function say(kind, text) {
      const message = el("div", { class: "msg " + kind }, text);
      log.appendChild(message);
      log.scrollTop = log.scrollHeight;
      return message;
    }

    function chatRun(runId) {
      let run = runs.get(runId);
      if (run) return run;
      const card = el("div", { class: "msg bot run-card", "data-run-id": runId });
      const title = el("p", { class: "run-line" });
      title.appendChild(document.createTextNode("Run "));
      title.appendChild(el("a", { href: "/ui/runs/" + encodeURIComponent(runId) }, runId));
      const status = el("span", { class: "badge" });
      title.appendChild(document.createTextNode(" "));
      title.appendChild(status);
      card.appendChild(title);
      const widget = template ? template.content.firstElementChild.cloneNode(true) : el("div");
      widget.removeAttribute("id");
      widget.removeAttribute("hx-preserve");
      card.appendChild(widget);
      log.appendChild(card);
      run = { runId, card, widget, status, lastSeq: 0, settled: false, pending: false, waiting: false, video: false };
      runs.set(runId, run);
      return run;
    }

    function setStatus(run, status) {
      run.status.textContent = status;
      run.status.className = "badge status-" + status;
      run.card.dataset.status = status;
      // Answered some other way (typed in the chat, another page): the inline buttons are spent.
      if (status !== "waiting" && run.box) {
        run.box.querySelectorAll("button").forEach((b) => (b.disabled = true));
        run.box = null;
        run.pending = false;
      }
    }

    // The finished video, at the foot of the conversation where the reader is.
    function showVideo(run) {
      if (run.video) return;
      run.video = true;
      const id = encodeURIComponent(run.runId);
      const box = el("div", { class: "msg bot done-video", "data-run-id": run.runId });
      const line = el("p", {}, "Done: ");
      line.appendChild(el("a", { href: "/ui/runs/" + id }, run.runId));
      box.appendChild(line);
      const video = el("video", {
        controls: "",
        playsinline: "",
        preload: "metadata",
        src: "/videos/" + id + "?v=" + run.lastSeq,
        poster: "/videos/" + id + "?part=thumbnail&v=" + run.lastSeq,
      });
      video.addEventListener("loadedmetadata", () => (log.scrollTop = log.scrollHeight));
      box.appendChild(video);
      log.appendChild(box);
      log.scrollTop = log.scrollHeight;
    }

    function onEvent(run, event) {
      if ((event.seq || 0) <= run.lastSeq) return;
      run.lastSeq = event.seq || run.lastSeq;
      applyEvent(run.widget, event);
      if (ACTIVE.has(event.kind) || event.kind === "started") setStatus(run, "running");
      if (!TERMINAL.has(event.kind)) return;
      setStatus(run, event.kind);
      if (event.kind === "done") {
        run.settled = true;
        showVideo(run);
      } else if (event.kind === "waiting") {
        // The chat asks with an "approval" item; a stream that ends without one is followed below.
        run.waiting = true;
      } else {
        run.settled = true;
        say("bot", event.message);
      }
    }

    // An approval asked inline: the script's words, Approve and Reject.
    function ask(run, gate, script, text) {
      if (run.pending) return;
      run.pending = true;
      const box = el("div", { class: "msg bot approval", "data-run-id": run.runId, "data-gate": gate || "" });
      run.box = box;
      const scenes = script && typeof script === "object" && Array.isArray(script.scenes) ? script.scenes : null;
      if (gate === "script" && scenes) {
        // The script's words, laid out; the chat's own wording of them is for terminals.
        box.appendChild(el("p", {}, "The script is ready. Approve it, reject it, or type an edit ('change scene 2 to say …')."));
        if (script.title) box.appendChild(el("strong", {}, script.title));
        const list = el("ol", { class: "script-scenes" });
        for (const scene of scenes) list.appendChild(el("li", {}, scene.narration || ""));
        box.appendChild(list);
      } else {
        box.appendChild(el("p", {}, text || (gate === "publish" ? "Publish this video?" : "Approve?")));
      }
      const approve = el("button", { type: "button", class: "small", "data-decision": "approve" }, "Approve");
      const reject = el("button", { type: "button", class: "small danger", "data-decision": "reject" }, "Reject");
      const buttons = el("div", { class: "actions" });
      buttons.append(approve, reject);
      box.appendChild(buttons);
      log.appendChild(box);
      log.scrollTop = log.scrollHeight;
      async function answer(decision) {
        approve.disabled = reject.disabled = true;
        if (run.runId === chatPending) {
          // The chat waits for this answer: say it there, so the conversation knows and follows the run.
          run.pending = false;
          run.box = null;
          run.settled = false;
          send(decision);
          return;
        }
        try {
          await api("POST", runUrl(run.runId) + "/approve", { decision });
        } catch (err) {
          say("bot error", err.message);
          approve.disabled = reject.disabled = false;
          return;
        }
        run.pending = false;
        run.waiting = false;
        run.box = null;
        say("bot", decision === "approve" ? "Approved: making the video." : "Rejected.");
        run.settled = false;
        keepFollowing(run, true);
      }
      approve.addEventListener("click", () => answer("approve"));
      reject.addEventListener("click", () => answer("reject"));
    }

    function keepFollowing(run, expectMove) {
      if (live(run.follower)) return;
      const from = run.lastSeq;
      let tries = 0;
      const options = () => ({
        after: run.lastSeq,
        onEvent: (event) => onEvent(run, event),
        onSettled: (view) => {
          if (expectMove && run.lastSeq <= from && tries++ < MOVE_TRIES) {
            setTimeout(() => (run.follower = follow(run.runId, null, options())), 500);
            return;
          }
          setStatus(run, view.status);
          if (view.status === "done") showVideo(run);
          else if (view.status === "waiting" && view.waiting) ask(run, view.waiting.gate, view.waiting.script, "");
        },
        onError: (err) => say("bot error", err.message),
      });
      run.follower = follow(run.runId, null, options());
    }

    function onItem(item) {
      switch (item.type) {
        case "conversation":
          if (typeof item.conversation === "string" && CONVERSATION_ID.test(item.conversation)) {
            localStorage.setItem(CONVERSATION_KEY, item.conversation);
          }
          break;
        case "reply":
          say("bot", item.text);
          break;
        case "run": {
          const run = chatRun(item.run_id);
          if (item.status) setStatus(run, item.status);
          if (window.htmx && document.getElementById("runs")) window.htmx.trigger("#runs", "refresh");
          if (item.status === "done") {
            run.settled = true;
            showVideo(run);
          } else if (["failed", "rejected"].includes(item.status)) {
            run.settled = true;
          }
          break;
        }
        case "event":
          if (item.event && item.event.run_id) onEvent(chatRun(item.event.run_id), item.event);
          break;
        case "approval":
          chatPending = item.run_id;
          ask(chatRun(item.run_id), item.gate, item.script, item.text);
          break;
        case "error":
          say("bot error", item.error || item.text || "the chat failed");
          break;
        default:
          break;
      }
    }

    // A reloaded page shows where the conversation was: its lines, then its waiting gate or its last run.
    async function restore() {
      const conversation = localStorage.getItem(CONVERSATION_KEY);
      if (!conversation || !CONVERSATION_ID.test(conversation)) return;
      let found;
      try {
        found = await api("GET", "/chat/" + encodeURIComponent(conversation));
      } catch (err) {
        if (err.status === 404) localStorage.removeItem(CONVERSATION_KEY);
        return;
      }
      for (const message of (found.messages || []).slice(-20)) {
        say(message.role === "user" ? "user" : "bot", message.text || "");
      }
      const pending = found.pending;
      if (pending && pending.run_id) {
        let view = null;
        try {
          view = await api("GET", runUrl(pending.run_id));
        } catch (err) {
          return;
        }
        if (view.status === "waiting") {
          chatPending = pending.run_id;
          ask(chatRun(pending.run_id), pending.gate, pending.script, "");
          return;
        }
      }
      if (found.last_run) keepFollowing(chatRun(found.last_run), false);
    }

    restore();

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(text);
    });

    // One line of the conversation: POST /chat, then its items as they stream.
    async function send(text) {
      say("user", text);
      const body = { message: text, review: true };
      const conversation = localStorage.getItem(CONVERSATION_KEY);
      if (conversation && CONVERSATION_ID.test(conversation)) body.conversation = conversation;
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const response = await fetch("/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify(body),
        });
        if (!response.ok) {
          let message = "the chat answered " + response.status;
          try {
            message = (await response.json()).error || message;
          } catch (err) {
            // not JSON: keep the status line
          }
          say("bot error", message);
          return;
        }
        await readItems(response, onItem);
      } catch (err) {
        say("bot error", "the chat stopped answering; try again");
      } finally {
        button.disabled = false;
      }
      // Runs the chat started or follows and left unfinished: follow them here until they settle.
      for (const run of runs.values()) {
        if (!run.settled && !run.pending) keepFollowing(run, false);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    initRunForm();
    initRunPage();
    initChat();
    followListed();
    document.body.addEventListener("htmx:afterSettle", followListed);
  });
})();
