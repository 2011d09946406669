// distlab's hunt worker, started by the loader's distlabWorker when a person hunts
// or shrinks. Each task comes with the URLs of the route's worker bundle (its topic
// and distlab_core::lab::hunt, no page code); the worker loads it, then runs a hunt
// over ranges of seeds or one shrink, posting lines of text to the page.
self.onmessage = async ({ data }) => {
  const api = await import(data.bundle.js);
  await api.default({ module_or_path: data.bundle.wasm });
  const started = performance.now();
  if (data.shrink) {
    self.postMessage(api.distlab_shrink(data.link, data.untilMicros, (line) => self.postMessage(line)));
    return;
  }
  for (let done = 0; done < data.seeds; ) {
    const count = Math.min(data.chunk, data.seeds - done);
    const found = api.distlab_hunt(data.link, done, count, data.faults);
    done += count;
    self.postMessage("hunt " + done + " " + Math.round(performance.now() - started) + "\n" + found);
  }
  self.postMessage("end");
};
