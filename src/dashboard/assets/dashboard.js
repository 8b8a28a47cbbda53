// Horarium dashboard: live updates over server-sent events and small conveniences.
// Every page works without it: each action is a plain form.
const base = document.body.dataset.base ?? '';
const store = document.body.dataset.store ?? 'default';

// Confirm destructive actions.
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// Store switcher: change submits.
for (const select of document.querySelectorAll('select[data-autosubmit]')) {
  select.addEventListener('change', () => select.form?.submit());
}

// Bulk selection on the jobs page.
const all = document.querySelector('[data-select-all]');
const boxes = () => [...document.querySelectorAll('input[name="job"]')];
const showSelected = () => {
  const label = document.querySelector('[data-selected]');
  const n = boxes().filter((box) => box.checked).length;
  if (label)
    label.textContent = n === 0 ? 'Select jobs to pause or resume them together.' : `${n} selected`;
};
all?.addEventListener('change', () => {
  for (const box of boxes()) box.checked = all.checked;
  showSelected();
});
for (const box of boxes()) box.addEventListener('change', showSelected);

// Live updates.
const live = document.querySelector('[data-live]');
const runningBody = document.querySelector('[data-running-body]');
const runningCount = document.querySelector('[data-running-count]');
if (typeof EventSource === 'function') {
  const events = new EventSource(`${base}/api/events`);
  events.addEventListener('open', () => live?.classList.add('on'));
  events.addEventListener('error', () => live?.classList.remove('on'));
  events.addEventListener('running', async (event) => {
    const update = JSON.parse(event.data);
    if (update.store !== store) return;
    if (runningCount) runningCount.textContent = String(update.fires.length);
    if (!runningBody) return;
    // The rows come rendered (and escaped) by the server.
    const response = await fetch(`${base}/fragments/running?store=${encodeURIComponent(store)}`, {
      headers: { accept: 'text/html' },
    });
    if (response.ok) {
      runningBody.innerHTML = await response.text();
      runningBody.dataset.updated = String(Date.now());
      for (const form of runningBody.querySelectorAll('form[data-confirm]')) {
        form.addEventListener('submit', (e) => {
          if (!window.confirm(form.dataset.confirm)) e.preventDefault();
        });
      }
    }
  });
}
