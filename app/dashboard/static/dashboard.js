// mjrelay dashboard: live updates from GET /events (Server-Sent Events), no build step.
// The pages work without this script; it swaps in server-rendered fragments as tasks change.

const live = document.getElementById("live");
const timers = new Map();

/** Run `fn` once after `ms` of quiet for `key` (bursts of progress become one refresh). */
function soon(key, fn, ms = 100) {
  clearTimeout(timers.get(key));
  timers.set(key, setTimeout(() => { timers.delete(key); fn(); }, ms));
}

/** Subscribe to the event stream; `onTask(state)` per change, `onTask(null)` after a gap. */
function subscribe(url, onTask) {
  const source = new EventSource(url);
  const mark = (on, text) => {
    if (!live) return;
    live.classList.toggle("on", on);
    live.title = `live updates: ${text}`;
  };
  source.addEventListener("open", () => mark(true, "connected"));
  source.addEventListener("error", () => mark(false, "reconnecting"));
  source.addEventListener("task", (event) => onTask(JSON.parse(event.data)));
  source.addEventListener("resync", () => onTask(null));
  window.addEventListener("pagehide", () => source.close());
  return source;
}

/** A server-rendered fragment, its images decoded first so the swap does not flicker. */
async function fragment(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) return null;
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const images = [...template.content.querySelectorAll("img")].map((img) => {
    const loader = new Image();
    loader.src = img.src;
    return Promise.race([loader.decode().catch(() => {}), new Promise((r) => setTimeout(r, 1500))]);
  });
  await Promise.all(images);
  return template.content;
}

function setBar(root, progress) {
  for (const bar of root.querySelectorAll(".bar")) {
    bar.dataset.progress = progress;
    bar.setAttribute("aria-valuenow", progress);
    const fill = bar.querySelector("span");
    if (fill) fill.style.width = `${progress}%`;
    const label = bar.querySelector("b");
    if (label) label.textContent = `${progress}%`;
  }
}

// ------------------------------------------------------------------------------- tasks page

function matchesFilters(grid, state) {
  const { filterStatus, filterAccount, filterDialect } = grid.dataset;
  if (filterStatus && filterStatus !== state.status) return false;
  if (filterDialect && filterDialect !== state.dialect) return false;
  if (filterAccount === "-") return !state.account_id;
  return !filterAccount || filterAccount === state.account_id;
}

function tasksPage() {
  const grid = document.getElementById("task-grid");
  if (!grid) return;
  const find = (id) => grid.querySelector(`[data-task-id="${CSS.escape(id)}"]`);
  subscribe("/events", (state) => {
    if (state === null) { location.reload(); return; }
    const card = find(state.id);
    if (!matchesFilters(grid, state)) { card?.remove(); return; }
    if (card) setBar(card, state.progress);
    soon(state.id, async () => {
      const fresh = await fragment(`/dashboard/tasks/${encodeURIComponent(state.id)}/card`);
      if (!fresh) return;
      const current = find(state.id);
      if (current) current.replaceWith(fresh);
      else grid.prepend(fresh);
      document.getElementById("empty-note")?.remove();
    });
  });
  for (const select of document.querySelectorAll(".filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  document.querySelector(".filter-apply")?.setAttribute("hidden", "");
}

const KIND_FIELDS = {
  imagine: { prompt: true, images: true, blend: false, hint: "Optional reference images go with the prompt." },
  blend: { prompt: false, images: true, blend: true, hint: "Choose 2 to 5 images to blend." },
  describe: { prompt: false, images: true, blend: false, hint: "Choose one image: the bot describes it in four prompts." },
  shorten: { prompt: true, images: false, blend: false, hint: "The bot suggests shorter versions of the prompt." },
  pika_create: { prompt: true, images: false, blend: false, hint: "Pika makes a short video from the prompt." },
  pika_animate: { prompt: true, images: true, blend: false, hint: "Choose one image for Pika to animate; the prompt is optional." },
};

function submitForm() {
  const form = document.getElementById("submit-form");
  if (!form) return;
  const kind = form.querySelector("#kind");
  const show = () => {
    const fields = KIND_FIELDS[kind.value] ?? KIND_FIELDS.imagine;
    form.querySelector(".for-prompt").classList.toggle("hidden", !fields.prompt);
    form.querySelector(".for-images").classList.toggle("hidden", !fields.images);
    form.querySelector(".for-blend").classList.toggle("hidden", !fields.blend);
    form.querySelector("#kind-hint").textContent = fields.hint;
  };
  kind.addEventListener("change", show);
  show();
}

// --------------------------------------------------------------------------------- task page

function taskPage() {
  const panel = document.getElementById("task-panel");
  if (!panel) return;
  const id = panel.dataset.taskId;
  const seq = () => Number(panel.querySelector(".task-view")?.dataset.seq ?? -1);
  subscribe(`/events?task_id=${encodeURIComponent(id)}`, (state) => {
    if (state !== null && state.seq <= seq()) return;
    if (state !== null) setBar(panel, state.progress);
    soon("panel", async () => {
      const fresh = await fragment(`/dashboard/tasks/${encodeURIComponent(id)}/panel`);
      if (fresh) panel.replaceChildren(fresh);
    }, 60);
  });
}

// ----------------------------------------------------------------------------- accounts page

function accountsPage() {
  const table = document.getElementById("accounts-table");
  if (!table) return;
  const refresh = async () => {
    const fresh = await fragment("/dashboard/accounts/table");
    if (fresh) table.replaceChildren(fresh);
  };
  subscribe("/events", () => soon("accounts", refresh, 400));
  setInterval(refresh, 3000); // health changes are not task events: poll them
}

const pages = { tasks: [tasksPage, submitForm, taskPage], accounts: [accountsPage] };
for (const start of pages[document.body.dataset.page] ?? []) start();
