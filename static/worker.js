// distlab's hunt worker, started by the loader's distlabWorker when a person hunts
// or shrinks. Each task comes with the URLs of the route's worker bundle (its topic
// and distlab_core::lab::hunt, no page code). A shrink (of one run, or of a hunt's
// soonest failures keeping the smallest) runs here; a hunt is split
// over one worker per core (up to four), each taking every n-th range of seeds,
// and this worker adds up their progress and passes their failing seeds on in
// seed order, as one sweep would report them. The
// page gets lines of text: `hunt DONE ELAPSED_MS` then `found ...` lines, and
// `end` once every part is over.
// Seeds each part sweeps at a time, between reports.
const CHUNK = 10;

const hunt = (data) => {
  const parts = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
  const started = performance.now();
  let done = 0;
  let left = parts;
  // Failing seeds go on in seed order: a range's lines wait for the ranges before.
  const waiting = new Map();
  let next = 0;
  for (let index = 0; index < parts; index++) {
    const part = new Worker(self.location.href, { type: "module" });
    let ranges = 0;
    part.onmessage = ({ data: lines }) => {
      if (lines === "end") {
        if (--left === 0) self.postMessage("end");
        return;
      }
      const [count, found] = lines.split(/\n(.*)/s);
      done += Number(count);
      waiting.set(index + parts * ranges++, found || "");
      let ready = "";
      while (waiting.has(next)) {
        ready += waiting.get(next);
        waiting.delete(next++);
      }
      self.postMessage("hunt " + done + " " + Math.round(performance.now() - started) + "\n" + ready);
    };
    part.onerror = () => self.postMessage("error: a part of the hunt stopped");
    part.postMessage({ ...data, part: index, parts });
  }
};

self.onmessage = async ({ data }) => {
  // The task: `hunt LINK SEEDS FAULTS`, `shrink LINK UNTIL_MICROS`, `explore LINK DEPTH` or
  // `smallest LINK FAULTS SEED MICROS...` (see web/src/hunt.rs).
  const [kind, link, ...rest] = data.task.split(" ");
  if (kind === "hunt" && data.parts === undefined) {
    hunt(data);
    return;
  }
  const api = await import(data.bundle.js);
  await api.default({ module_or_path: data.bundle.wasm });
  const progress = (line) => self.postMessage(line);
  if (kind === "smallest") {
    self.postMessage(api.distlab_shrink_smallest(link, rest.slice(1).join(" "), rest[0], progress));
    return;
  }
  if (kind === "explore") {
    self.postMessage(api.distlab_explore(link, Number(rest[0]), progress));
    return;
  }
  if (kind === "shrink") {
    self.postMessage(api.distlab_shrink(link, Number(rest[0]), progress));
    return;
  }
  // Part `data.part` of `data.parts`: ranges part, part + parts, ... of the seeds.
  const [seeds, faults] = [Number(rest[0]), rest[1]];
  for (let from = data.part * CHUNK; from < seeds; from += data.parts * CHUNK) {
    const count = Math.min(CHUNK, seeds - from);
    self.postMessage(count + "\n" + api.distlab_hunt(link, from, count, faults));
  }
  self.postMessage("end");
};
