// The build page's live parts: follows the log and the state over server-sent events
// while the build runs, and loads earlier output on request. Served from /assets (the
// CSP allows no inline script). HTML it inserts comes from Kickoff's server, where the
// log text was escaped before its colour codes became <span class> elements.

const root = document.getElementById("build");
const log = document.getElementById("log");

function nearBottom() {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
}

function follow() {
  if (!root || !log || root.dataset.done === "1") return;
  const live = document.getElementById("live");
  const source = new EventSource(root.dataset.eventsUrl);
  source.addEventListener("log", (e) => {
    const { seq, html } = JSON.parse(e.data);
    const stick = nearBottom();
    log.insertAdjacentHTML("beforeend", html);
    log.dataset.lastSeq = String(seq);
    if (log.dataset.firstSeq === "-1") log.dataset.firstSeq = String(seq);
    if (stick) window.scrollTo(0, document.documentElement.scrollHeight);
  });
  source.addEventListener("status", (e) => {
    const s = JSON.parse(e.data);
    const badge = document.querySelector("#state .state");
    if (badge) {
      badge.className = `state state-${s.state}`;
      badge.dataset.state = s.state;
      badge.textContent = s.state.replace(/_/g, " ");
    }
    document.getElementById("title").textContent = s.title;
    document.getElementById("duration").textContent = s.duration;
    if (s.finishedAt !== null) document.getElementById("finished").textContent = new Date(s.finishedAt).toISOString().slice(0, 19).replace("T", " ") + " UTC";
    document.title = document.title.replace(/ · [^·]*$/, ` · ${s.state}`);
  });
  source.addEventListener("end", () => {
    source.close();
    root.dataset.done = "1";
    if (live) live.hidden = true;
    const cancel = document.getElementById("cancel-form");
    const rerun = document.getElementById("rerun-form");
    if (cancel) cancel.hidden = true;
    if (rerun) rerun.hidden = false;
  });
}

function loadEarlier() {
  const button = document.getElementById("load-earlier");
  const bar = document.getElementById("log-earlier");
  if (!root || !log || !button || !bar) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const url = new URL(root.dataset.earlierUrl, location.href);
      url.searchParams.set("before", log.dataset.firstSeq);
      const res = await fetch(url, { credentials: "same-origin" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const slice = await res.json();
      // Keep what the reader is looking at in place while text is added above it.
      const height = document.documentElement.scrollHeight;
      log.insertAdjacentHTML("afterbegin", slice.html);
      window.scrollBy(0, document.documentElement.scrollHeight - height);
      if (slice.firstSeq !== null) log.dataset.firstSeq = String(slice.firstSeq);
      bar.hidden = !slice.hasEarlier;
    } catch (error) {
      button.textContent = `Could not load earlier output (${error.message}); try again`;
    } finally {
      button.disabled = false;
    }
  });
}

follow();
loadEarlier();
