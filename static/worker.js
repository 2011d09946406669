// distlab's hunt worker, started by the loader's distlabWorker when a person hunts
// or shrinks. Each task comes with the URLs of the route's worker bundle (its topic
// and distlab_core::lab::hunt, no page code). A shrink runs here; a hunt is split
// over one worker per core (up to four), each taking every n-th range of seeds,
// and this worker adds up their progress and passes their failing seeds on in
// seed order, as one sweep would report them. The
// page gets lines of text: `hunt DONE ELAPSED_MS` then `found ...` lines, and
// `end` once every part is over.
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
  if (!data.shrink && data.parts === undefined) {
    hunt(data);
    return;
  }
  const api = await import(data.bundle.js);
  await api.default({ module_or_path: data.bundle.wasm });
  if (data.shrink) {
    self.postMessage(api.distlab_shrink(data.link, data.untilMicros, (line) => self.postMessage(line)));
    return;
  }
  // Part `data.part` of `data.parts`: ranges part, part + parts, ... of the seeds.
  for (let from = data.part * data.chunk; from < data.seeds; from += data.parts * data.chunk) {
    const count = Math.min(data.chunk, data.seeds - from);
    self.postMessage(count + "\n" + api.distlab_hunt(data.link, from, count, data.faults));
  }
  self.postMessage("end");
};
