// Runs the exported generator in the browser with onnxruntime-web (wasm, CPU).
// Latents cannot be drawn in JS as torch draws them, so the export holds a table:
// row s of latents.bin is ganforge's z for seed s, and the page for seed s shows
// what `ganforge generate RUN --seed s --n 1` shows (for conditional runs, with the
// seed's own class unless a class is chosen).
import * as ort from './ort.wasm.bundle.min.mjs';

const started = performance.now();
ort.env.wasm.numThreads = 1;  // no SharedArrayBuffer without cross-origin isolation headers
// The vendored wasm beside this file (the bundle already holds its JS glue): nothing is fetched from elsewhere.
ort.env.wasm.wasmPaths = { wasm: new URL('./ort-wasm-simd-threaded.wasm', import.meta.url).href };

const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

function slerp(a, b, t) {
  // ganforge.art.latent.slerp: direction along the great circle, length linear.
  const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const na = norm(a), nb = norm(b);
  const out = new Float32Array(a.length);
  if (na === 0 || nb === 0) { for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i]; return out; }
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] / na) * (b[i] / nb);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
  const s = Math.sin(omega), len = (1 - t) * na + t * nb;
  const dir = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    dir[i] = s < 1e-6 ? (1 - t) * a[i] / na + t * b[i] / nb
                      : (Math.sin((1 - t) * omega) * a[i] / na + Math.sin(t * omega) * b[i] / nb) / s;
  }
  const dn = s < 1e-6 ? Math.max(norm(dir), 1e-12) : 1;
  for (let i = 0; i < a.length; i++) out[i] = dir[i] / dn * len;
  return out;
}

function toPixels(data, [c, h, w]) {
  // samples in [-1, 1] -> RGBA bytes, as ganforge.data.base.to_uint8_images rounds them.
  const rgba = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) rgba[p * 4 + k] = Math.round((data[(c === 1 ? 0 : k) * h * w + p] + 1) * 127.5);
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

async function main() {
  const meta = await (await fetch('meta.json')).json();
  const table = new Float32Array(await (await fetch('latents.bin')).arrayBuffer());
  const session = await ort.InferenceSession.create('model.onnx', { executionProviders: ['wasm'] });
  const [c, h, w] = meta.shape, zDim = meta.z_dim, seeds = meta.seeds;
  const canvas = $('out');
  canvas.width = w; canvas.height = h;
  $('title').textContent = meta.title;
  $('about').textContent = meta.about;
  $('seed').max = seeds - 1;
  if (meta.class_names) {
    document.querySelectorAll('.cond').forEach((el) => el.classList.remove('hidden'));
    const own = new Option("the seed's own class", '-1');
    $('class').add(own);
    meta.class_names.forEach((name, i) => $('class').add(new Option(name, String(i))));
  }
  const latent = (s) => table.subarray(s * zDim, (s + 1) * zDim);

  async function render(seed, t = 0, cls = -1) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= seeds) {
      throw new Error(`seed ${seed} is outside this export's table (0-${seeds - 1})`);
    }
    const z = t > 0 ? slerp(latent(seed), latent((seed + 1) % seeds), t) : latent(seed);
    const feeds = { z: new ort.Tensor('float32', Float32Array.from(z), [1, zDim]) };
    if (meta.class_names) {
      const label = cls >= 0 ? cls : meta.seed_labels[seed];
      feeds.labels = new ort.Tensor('int64', BigInt64Array.from([BigInt(label)]), [1]);
    }
    const out = (await session.run(feeds))[meta.output];
    canvas.getContext('2d').putImageData(new ImageData(toPixels(out.data, meta.shape), w, h), 0, 0);
    return Array.from(out.data);
  }

  async function update() {
    const seed = Number($('seed').value), t = Number($('walk').value) / 100, cls = Number($('class').value || -1);
    try {
      await render(seed, t, cls);
      status(t > 0 ? `seed ${seed} -> ${(seed + 1) % seeds}, ${Math.round(t * 100)}%` : `seed ${seed}`);
    } catch (err) { status(String(err.message || err)); }
  }
  $('seed').addEventListener('change', () => { $('walk').value = 0; update(); });
  $('walk').addEventListener('input', update);
  $('class').addEventListener('change', update);
  $('new').addEventListener('click', () => {
    $('seed').value = Math.floor(Math.random() * seeds); $('walk').value = 0; update();
  });
  await update();
  window.ganforge = { render, meta, firstImageMs: performance.now() - started };
  document.body.dataset.state = 'ready';
}

main().catch((err) => {
  status(`Could not start: ${err.message || err}`);
  document.body.dataset.state = 'error';
});
