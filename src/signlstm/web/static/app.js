// signlstm page: camera -> MediaPipe Holistic in this page -> keypoint messages over a WebSocket -> bars, sentence.
// Fallback (asked for with ?landmarks=server, or when the server has no Holistic package or the browser cannot run
// it; either way only once the visitor lets the page send camera images): camera -> JPEG frames, each with the time it was taken (one in flight
// at a time) -> the server finds the landmarks.
"use strict";

const $ = (id) => document.getElementById(id);
const video = $("video"), canvas = $("canvas"), ctx = canvas.getContext("2d");
const grab = document.createElement("canvas"), gctx = grab.getContext("2d");

// Everything the page knows; exposed for the end-to-end test (window.signlstm).
const S = window.signlstm = {
  ws: null, fps: 12, width: 480, drawing: null, labels: [], colors: [], threshold: 0.5,
  inflight: false, sentAt: 0, lastSend: 0, replies: [], cameraOk: false,
  results: 0, landmarkResults: 0, probResults: 0, modelProbs: 0, words: [], sentence: [], errors: [], model: null,
  recording: null, toRecord: [], listName: null, adapt: null, closed: false,
  // the name this page last adapted to, and the one to adapt to again once a lost connection is back (a new
  // connection starts on the server's model), or once the page is opened again (kept in the browser's storage)
  adaptedName: null, readapt: null, reopened: false,
  // where the landmarks are found: "page" (this browser) or "server"; why, when it is the server
  path: null, pathReason: "", imagesAllowed: false, layout: null, holistic: null, pending: 0, sent: 0, skipped: 0, pageFrames: 0, graphClock: 0,
  image: null,  // the camera frame message's header (hello's "image")
  taps: [],  // functions called with (frame: Float32Array(1662), image: canvas) for every frame found in the page
};
// The version of signlstm.web.protocol this code builds (2: keypoints as a 4:3 image's, t the time a frame was taken).
// The headers carry hello's version; a server announcing another one was updated while this page was open (it
// reconnects by itself), and the page stops, asking to be reloaded.
const PROTOCOL = 2;
const PAGE_WIDTH = 640;  // frames given to Holistic in the page are at most this wide
const MAX_PENDING = 6;  // keypoint messages sent and not yet answered; past this a frame is not sent
const RESULT_FIELDS = {pose: "poseLandmarks", face: "faceLandmarks", left_hand: "leftHandLandmarks",
                       right_hand: "rightHandLandmarks"};  // Holistic's results by layout part name
const params = new URLSearchParams(location.search);
const SERVER_ASKED = params.get("landmarks") === "server";  // the link asks for the server's landmarks

function message(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

function status(text, bad) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("bad", !!bad);
}

function cameraError(e) {
  switch (e && e.name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "Camera access was denied. Allow the camera for this page (the camera icon in the address bar), then reload.";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "No camera was found. Connect a camera, then reload the page.";
    case "NotReadableError":
    case "TrackStartError":
      return "The camera is in use by another program or could not be started. Close that program, then reload.";
    default:
      return `The camera could not be started (${e && e.name}: ${e && e.message}).`;
  }
}

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    message("This browser does not offer a camera to this page. Cameras work only on secure pages: " +
            "open it as http://localhost on this machine, or serve it over https (signlstm serve --certfile ...).");
    status("no camera", true);
    return false;
  }
  let stream;
  try {
    // the camera's whole picture, near 640 x 480: a camera without a 4:3 mode would otherwise be cropped to it by the
    // browser (a 16:9 webcam loses its sides, an upright phone a third of its height); the page scales it itself
    stream = await navigator.mediaDevices.getUserMedia(
        {video: {width: {ideal: 640}, height: {ideal: 480}, resizeMode: {ideal: "none"}}, audio: false});
  } catch (e) {
    message(cameraError(e));
    status("no camera", true);
    return false;
  }
  for (const track of stream.getVideoTracks()) {
    track.addEventListener("ended", () => { message("The camera was disconnected. Reconnect it, then reload."); status("no camera", true); });
  }
  video.srcObject = stream;
  try { await video.play(); } catch (e) { /* autoplay of a muted stream is allowed; frames still arrive */ }
  S.cameraOk = true;
  return true;
}

function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  S.ws = ws;
  S.inflight = false;
  status("connecting…");
  ws.onopen = () => { status("connected"); };
  ws.onmessage = (ev) => { if (typeof ev.data === "string") handle(JSON.parse(ev.data)); };
  ws.onclose = (ev) => {
    S.inflight = false;
    S.pending = 0;
    if (S.closed) return;
    lost();
    status(ev.code === 1013 ? "server busy" : "disconnected, retrying…", true);
    setTimeout(connect, 2000);
  };
}

// The next click or key press on the page connects again (after the server closed an idle page, or was full).
function reconnectOnAction() {
  const again = () => {
    for (const kind of ["pointerdown", "keydown"]) window.removeEventListener(kind, again, true);
    S.closed = false;
    message("");
    connect();
  };
  for (const kind of ["pointerdown", "keydown"]) window.addEventListener(kind, again, true);
}

// The connection closed: a recording or an adaptation in progress is the old connection's, gone with it.
function lost() {
  $("adapt").disabled = false;  // (a press the server never answered)
  $("name").disabled = false;
  const r = S.recording;
  if (r && (r.phase === "pause" || r.phase === "recording")) {
    const rest = S.toRecord.length ? `; not recorded: ${quoted(S.toRecord)}` : "";
    S.toRecord = [];
    showRecording({...r, phase: "lost", rest});
  }
  if (S.adapt && (S.adapt.state === "waiting" || S.adapt.state === "running")) showAdapt({...S.adapt, state: "lost"});
  else if (S.adapt && S.adapt.state === "done" && S.adaptedName) {
    S.readapt = S.adaptedName;
    showAdapt({...S.adapt, state: "readapt"});
  }
}

function showPath() {
  const el = $("path");
  el.textContent = S.path === "page"
    ? "Landmarks are found in this browser: the camera images stay on this device; only the landmark numbers are sent."
    : S.path === "server"
    ? "Landmarks are found on the server: camera images are sent to the server" + (S.pathReason ? ` (${S.pathReason}).` : ".")
    : (SERVER_ASKED ? "This link asks for the landmarks to be found on the server (?landmarks=server)."
       : `Landmarks cannot be found in this browser (${S.pathReason}).`) +
      " Camera images stay on this device: nothing is sent. The server can find the landmarks if you let this page " +
      "send it your camera images.";
  el.dataset.path = S.path;
  $("send-images").hidden = S.path !== "asking";
}

// Camera images leave the device only when the visitor presses this button (a link with ?landmarks=server too).
function consent() {
  if (S.imagesAllowed) return Promise.resolve();
  return new Promise((resolve) => {
    $("send-images").onclick = () => { S.imagesAllowed = true; resolve(); };
  });
}

// -- landmarks found in this page ----------------------------------------------------------------------------------
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error("could not load " + src));
    document.head.appendChild(el);
  });
}

function withTimeout(promise, ms, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(what + " timed out")), ms))]);
}

async function startHolistic() {
  if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
  if (!window.Holistic) await loadScript("/holistic/holistic.js");
  const h = new window.Holistic({locateFile: (file) => "/holistic/" + file});
  // The settings of signlstm.keypoints.landmarks.Holistic (mp.solutions.holistic, model_complexity=1, tracking);
  // CPU inference: the same TFLite CPU kernels as Python's graph, and no GPU needed (?inference=gpu tries WebGL).
  h.setOptions({modelComplexity: 1, smoothLandmarks: true, enableSegmentation: false, refineFaceLandmarks: false,
                minDetectionConfidence: 0.5, minTrackingConfidence: 0.5, selfieMode: false,
                useCpuInference: params.get("inference") !== "gpu"});
  let latest = null;
  h.onResults((r) => { latest = r; });
  h.take = () => { const r = latest; latest = null; return r; };
  await withTimeout(h.initialize(), 120000, "loading MediaPipe Holistic");
  return h;
}

function frameOf(r) {
  // The 1662-value frame of layout.extract_keypoints: parts in layout order, zeros for a part not found.
  const frame = new Float32Array(S.layout.size);
  let at = 0;
  for (const p of S.layout.parts) {
    const lm = r[RESULT_FIELDS[p.name]];
    if (lm && lm.length >= p.points) {
      for (let k = 0; k < p.points; k++) {
        const q = lm[k];
        frame[at] = q.x; frame[at + 1] = q.y; frame[at + 2] = q.z;
        if (p.values === 4) frame[at + 3] = q.visibility || 0;
        at += p.values;
      }
    } else at += p.points * p.values;
  }
  return frame;
}

function toReferenceAspect(frame, w, h) {
  // signlstm.layout.to_reference_aspect: the landmarks of a w x h image as a 4:3 image's (the layout's aspect), x and
  // z scaled about the centre by (w / h) / aspect; a part not found stays zero.
  const r = (w / h) / S.layout.aspect;
  if (r === 1) return frame;
  const out = Float32Array.from(frame);
  for (const p of S.layout.parts) {
    const v = out.subarray(p.start, p.start + p.points * p.values);
    if (!v.some((x) => x !== 0)) continue;
    for (let i = 0; i < v.length; i += p.values) { v[i] = 0.5 + (v[i] - 0.5) * r; v[i + 2] *= r; }
  }
  return out;
}

function keypointMessage(frame, mask, t) {
  // A keypoint message (signlstm.web.protocol): 16-byte header, then the parts in `mask` as float32.
  const L = S.layout;
  const parts = L.parts.filter((p, i) => (mask >> i) & 1);
  const width = parts.reduce((n, p) => n + p.points * p.values, 0);
  const buf = new ArrayBuffer(L.header_bytes + 4 * width);
  const dv = new DataView(buf);
  dv.setUint8(0, L.magic.charCodeAt(0)); dv.setUint8(1, L.magic.charCodeAt(1));
  dv.setUint8(2, L.version); dv.setUint8(3, mask); dv.setUint16(4, 1, true); dv.setUint16(6, 0, true);
  dv.setFloat64(8, t, true);
  const out = new Float32Array(buf, L.header_bytes, width);
  let at = 0;
  for (const p of parts) { out.set(frame.subarray(p.start, p.start + p.points * p.values), at); at += p.points * p.values; }
  return buf;
}

function imageMessage(jpeg, t) {
  // A camera frame (read by signlstm.web.protocol.unpack_image): 16-byte header with the time it was taken, then the JPEG.
  const L = S.image;
  const dv = new DataView(new ArrayBuffer(L.header_bytes));
  dv.setUint8(0, L.magic.charCodeAt(0)); dv.setUint8(1, L.magic.charCodeAt(1)); dv.setUint8(2, L.version);
  dv.setFloat64(8, t, true);  // bytes 3-7 stay 0 (reserved)
  return new Blob([dv.buffer, jpeg]);
}

function pointsOf(frame) {
  // What drawFrame draws, as the server's engine.points gives it for an image.
  const out = {};
  for (const p of S.layout.parts) {
    const v = frame.subarray(p.start, p.start + p.points * p.values);
    let pts = [];
    if (v.some((x) => x !== 0)) for (let k = 0; k < p.points; k++) pts.push([v[k * p.values], v[k * p.values + 1]]);
    if (p.name === "pose") pts = pts.slice(0, Math.max(...S.drawing.pose_joints) + 1);
    if (p.name === "face") pts = pts.filter((_, k) => k % 3 === 0);
    out[p.name] = pts;
  }
  return out;
}

function nextVideoFrame() {
  return new Promise((resolve) => {
    // a new camera frame, or 100 ms (a hidden video may not report its frames)
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
    setTimeout(resolve, video.requestVideoFrameCallback ? 100 : 1000 / 30);
  });
}

async function pageLoop(ws) {
  // One camera frame at a time through Holistic, at the camera's rate when the browser keeps up.
  while (S.ws === ws && ws.readyState === WebSocket.OPEN && S.path === "page") {
    if (!video.videoWidth) { await new Promise((r) => setTimeout(r, 50)); continue; }
    const w = Math.min(PAGE_WIDTH, video.videoWidth), h = Math.round(video.videoHeight * w / video.videoWidth);
    if (grab.width !== w || grab.height !== h) { grab.width = w; grab.height = h; }
    const t = performance.now();
    gctx.drawImage(video, 0, 0, w, h);
    // The graph's clock advances 1/30 s a frame, as Python's mp.solutions does (its tracking and landmark smoothing
    // depend on it), so the page's keypoints are the ones signlstm extract and live compute from the same frames.
    S.graphClock += 1000 / 30;
    await S.holistic.send({image: grab}, S.graphClock);
    const r = S.holistic.take();
    if (!r) continue;
    const found = frameOf(r);  // MediaPipe's numbers for this image: what is drawn on it
    const frame = toReferenceAspect(found, w, h);  // what is sent, as signlstm stores keypoints
    S.pageFrames++;
    for (const tap of S.taps) tap(frame, grab);
    const recording = S.recording && (S.recording.phase === "pause" || S.recording.phase === "recording");
    const mask = recording ? (1 << S.layout.parts.length) - 1 : S.model.mask;  // recordings keep every part
    if (S.pending < MAX_PENDING && ws.readyState === WebSocket.OPEN) {
      ws.send(keypointMessage(frame, mask, t));
      S.pending++; S.sent++;
    } else S.skipped++;
    drawFrame(pointsOf(found));
    await nextVideoFrame();
  }
}

async function choosePath(hello) {
  let reason = "";
  if (SERVER_ASKED) reason = "asked for with ?landmarks=server";
  else if (!hello.page_landmarks) reason = "the server has no copy of MediaPipe Holistic for the page (run make install)";
  else {
    try {
      S.holistic = S.holistic || await startHolistic();
      S.path = "page";
      showPath();
      return;
    } catch (e) {
      reason = "it could not run MediaPipe Holistic: " + e.message;
      console.error(e);
    }
  }
  S.pathReason = reason;
  if (!S.imagesAllowed) {
    S.path = "asking";
    showPath();
    await consent();
  }
  S.path = "server";
  showPath();
}

function schedule(ms) { setTimeout(sendFrame, Math.max(0, ms)); }

function sendFrame() {
  const ws = S.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || S.inflight || S.path !== "server") return;
  if (!video.videoWidth) { schedule(50); return; }
  const wait = 1000 / S.fps - (performance.now() - S.lastSend);
  if (wait > 0) { schedule(wait); return; }
  const w = Math.min(S.width, video.videoWidth), h = Math.round(video.videoHeight * w / video.videoWidth);
  if (grab.width !== w || grab.height !== h) { grab.width = w; grab.height = h; }
  const t = performance.now();  // when the frame was taken: the server makes the recognizer's 30 a second from it
  gctx.drawImage(video, 0, 0, w, h);
  S.inflight = true;
  grab.toBlob((blob) => {
    if (!blob || ws.readyState !== WebSocket.OPEN) { S.inflight = false; schedule(100); return; }
    S.sentAt = S.lastSend = performance.now();
    ws.send(imageMessage(blob, t));
  }, "image/jpeg", 0.75);
}

function handle(m) {
  switch (m.type) {
    case "hello":
      if (m.keypoints.version !== PROTOCOL || m.image.version !== PROTOCOL) {
        S.closed = true;  // not reconnected: every message this page builds would be refused or misread
        S.ws.close();
        status("reload the page", true);
        message(`This page and the server speak different protocol versions (page ${PROTOCOL}, server ` +
                `${m.keypoints.version} / ${m.image.version}): reload the page.`);
        break;
      }
      S.fps = m.fps; S.width = m.width; S.drawing = m.drawing;
      S.layout = m.keypoints; S.image = m.image;
      let start = 0;
      for (const p of S.layout.parts) { p.start = start; start += p.points * p.values; }
      S.layout.size = start;
      if (m.adapt && m.adapt.state !== "idle") showAdapt(m.adapt);
      if (!S.reopened) {  // the page opened again: the model this browser adapted to that name, again
        S.reopened = true;
        const adapted = stored("adapted");
        if (adapted && adapted === $("name").value.trim()) S.adaptedName = S.readapt = adapted;
      }
      if (S.readapt) {  // back after a lost connection: this page's adapted model again, from the recordings
        sendControl({type: "adapt", name: S.readapt});
        S.readapt = null;
      }
      askCounts();
      const ws = S.ws;
      choosePath(m).then(() => { if (S.path === "page") pageLoop(ws); else schedule(0); });
      break;
    case "model":
      setModel(m);
      break;
    case "result":
      if (m.points) {  // the reply to an image
        S.inflight = false;
        result(m);
        schedule(1000 / S.fps - (performance.now() - S.lastSend));
      } else {
        S.pending = Math.max(0, S.pending - 1);
        result(m);
      }
      break;
    case "recording":
      showRecording(m);
      break;
    case "adapt":
      showAdapt(m);
      break;
    case "counts":
      if (m.name === $("name").value.trim()) showCounts(m.counts);  // not an answer about a name since changed
      break;
    case "error":
      S.errors.push(m.message);
      if (m.to === "frame") {  // the answer to a keypoint message or a camera frame (not to a refused request)
        if (S.inflight) { S.inflight = false; schedule(200); }
        S.pending = Math.max(0, S.pending - 1);
      }
      if (m.about === "adapt") {  // a refused adaptation: said where adapting is
        $("adapt").disabled = false;
        $("adapt-status").textContent = `adapting refused: ${m.message}`;
        break;
      }
      let rest = "";
      if (m.about === "record") {  // a refused record request, or a recording that could not be saved: it stops
        if (S.toRecord.length) rest = `; not recorded: ${quoted(S.toRecord)}`;
        S.toRecord = [];
        if (S.recording) S.recording = {...S.recording, phase: "stopped"};
        $("record").disabled = false;
        $("cancel").disabled = true;
        $("name").disabled = false;
      }
      $("rec-status").textContent = m.message + rest;
      break;
    case "busy":  // all places taken: tried again on the visitor's word, not by itself (it would take a place)
      S.closed = true;
      message(m.message + " Click or press a key on this page to try again.");
      status("server busy", true);
      reconnectOnAction();
      break;
    case "idle":  // this page sent nothing for long and gave its place to a new page: back on the visitor's word
      S.closed = true;  // (the close that follows is not retried by itself)
      lost();
      message(m.message + " Click or press a key on this page to connect again.");
      status("disconnected (idle)", true);
      reconnectOnAction();
      break;
  }
}

const MANY_BARS = 12;  // more bars than this are laid out in two columns, so a vocabulary's fit on the screen

function setModel(m) {
  S.model = m; S.labels = m.labels; S.colors = m.colors; S.threshold = m.threshold;
  S.modelProbs = 0;  // results with probabilities from this model
  $("window-note").textContent = "filling the window…";
  $("model").textContent = (m.adapted ? "adapted model: " : "model: ") + m.name + " (" + quoted(m.labels) + ")";
  if (m.warning) message(`${m.name}: ${m.warning}`);
  const bars = $("bars");
  bars.textContent = "";
  bars.classList.toggle("many", m.labels.length > MANY_BARS);
  m.labels.forEach((label, i) => {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.label = label;
    // the name isolated (<bdi>) from the probability at the bar's end: a right-to-left name does not reorder them
    bar.innerHTML = '<span class="fill"></span><span class="threshold"></span><bdi class="name"></bdi>' +
      '<span class="p"></span>';
    bar.querySelector(".fill").style.background = m.colors[i];
    bar.querySelector(".threshold").style.left = (100 * m.threshold) + "%";
    bar.querySelector(".name").textContent = label;
    bar.title = label;  // a name longer than its bar is cut there: whole on hover
    bars.appendChild(bar);
  });
  const known = $("known");  // the model's signs, each a button that adds it to the list as a line of its own
  known.textContent = "";
  for (const label of m.labels.filter((l) => l !== m.reject)) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", () => {
      const field = $("action");
      field.value += (field.value && !field.value.endsWith("\n") ? "\n" : "") + label + "\n";
      field.focus();
    });
    known.appendChild(b);
  }
}

function result(m) {
  const now = performance.now();
  S.results++;
  S.replies.push(now);
  while (S.replies.length > 1 && now - S.replies[0] > 2000) S.replies.shift();
  const fps = S.replies.length > 1 ? (S.replies.length - 1) * 1000 / (now - S.replies[0]) : 0;
  $("fps").textContent = fps.toFixed(1);
  $("latency").textContent = Math.round(now - (m.t === undefined ? S.sentAt : m.t));
  $("server-ms").textContent = m.ms < 10 ? m.ms.toFixed(1) : Math.round(m.ms);
  if (m.points) drawFrame(m.points);
  if (m.probs) {
    S.probResults++;
    S.modelProbs++;
    $("window-note").textContent = "";
    const top = m.probs.indexOf(Math.max(...m.probs));
    document.querySelectorAll("#bars .bar").forEach((bar, i) => {
      const p = m.probs[i] || 0;
      bar.querySelector(".fill").style.width = (100 * p).toFixed(1) + "%";
      bar.querySelector(".p").textContent = p.toFixed(2);
      bar.classList.toggle("top", i === top);
    });
  }
  for (const w of m.words || []) S.words.push(w.word);
  S.sentence = m.sentence;
  $("sentence").textContent = m.sentence.join(" ");
  if (m.recording) showRecording(m.recording);
}

function drawFrame(points) {
  if (canvas.width !== grab.width || canvas.height !== grab.height) { canvas.width = grab.width; canvas.height = grab.height; }
  ctx.drawImage(grab, 0, 0);
  const d = S.drawing;
  if (!d || !points) return;
  const w = canvas.width, h = canvas.height;
  let drawn = 0;
  ctx.fillStyle = d.colors.face;
  for (const [x, y] of points.face) { ctx.fillRect(x * w - 1, y * h - 1, 2, 2); drawn++; }
  for (const [part, edges] of [["pose", d.pose_edges], ["left_hand", d.hand_edges], ["right_hand", d.hand_edges]]) {
    const pts = points[part];
    if (!pts.length) continue;
    ctx.strokeStyle = d.colors[part];
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (const [a, b] of edges) {
      if (a >= pts.length || b >= pts.length) continue;
      ctx.moveTo(pts[a][0] * w, pts[a][1] * h);
      ctx.lineTo(pts[b][0] * w, pts[b][1] * h);
    }
    ctx.stroke();
    for (const [k, [x, y]] of pts.entries()) {
      if (part === "pose" && !d.pose_joints.includes(k)) continue;
      ctx.beginPath();
      ctx.arc(x * w, y * h, 3, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.strokeStyle = d.colors[part];
      ctx.lineWidth = 1;
      ctx.stroke();
      drawn++;
    }
  }
  if (drawn) S.landmarkResults++;
}

function showRecording(r) {
  S.recording = r;
  const busy = r.phase === "pause" || r.phase === "recording";
  $("record").disabled = busy;
  $("cancel").disabled = !busy;
  $("name").disabled = busy || S.toRecord.length > 0;  // a list is recorded under the name it started with
  const text = {
    pause: `get ready: sequence ${r.done + 1} of ${r.count} of "${r.action}" starts in a moment`,
    recording: `recording "${r.action}": sequence ${r.done + 1} of ${r.count}, frame ${r.frame} of ${r.length}`,
    done: `saved ${r.count} sequence(s) of "${r.action}"`,
    cancelled: "recording cancelled (the unfinished sequence was not saved)",
    lost: `the connection to the server was lost: sequence ${r.done + 1} of "${r.action}" was not saved${r.rest}`,
  }[r.phase] || "";
  const next = S.toRecord.length ? ` (then: ${quoted(S.toRecord)})` : "";
  $("rec-status").textContent = text + (busy ? next : "");
  if (r.note) $("rec-notes").textContent += (($("rec-notes").textContent ? "\n" : "") + "note: " + r.note);
  if (r.phase === "done" && S.toRecord.length) recordNext();
  if (r.counts) showCounts(r.counts);
}

// The sequences the visitor named in the form has saved, per sign.
function showCounts(counts) {
  const ul = $("counts");
  ul.textContent = "";
  for (const [action, n] of Object.entries(counts)) {
    const li = document.createElement("li");
    const name = document.createElement("bdi");  // a right-to-left name keeps its count after it
    name.textContent = action;
    li.append(name, `: ${n} recorded`);
    ul.appendChild(li);
  }
}

// Ask for the counts of the name in the form (on connecting, and when the visitor changes it): a page opened again
// shows what that visitor recorded before.
function askCounts() {
  const input = $("name");
  if (input.checkValidity()) sendControl({type: "counts", name: input.value.trim()});
  else $("counts").textContent = "";
}

function showAdapt(a) {
  S.adapt = a;
  if (a.state === "done" && S.adaptedName) store("adapted", S.adaptedName);
  const running = a.state === "waiting" || a.state === "running";
  $("adapt").disabled = running;
  $("adapt-progress").hidden = ["idle", "lost", "readapt"].includes(a.state);
  $("adapt-bar").style.width = (100 * (a.progress || 0)).toFixed(0) + "%";
  const text = {
    waiting: `waiting for the adapt worker (one adaptation at a time)… ${a.seconds}s`,
    running: `${a.phase}… ${a.seconds}s`,
    done: `done in ${a.seconds}s: this page now uses your adapted model (${quoted(a.labels || [])})` +
      (a.check && a.check.length ? ". " + a.check.join("; ") : ""),
    error: `adapting failed: ${a.phase}`,
    lost: "the connection to the server was lost while adapting: press adapt again",
    readapt: "the connection to the server was lost: the page is on the server's model until it is back, then " +
      "adapts to your recordings again",
  }[a.state] || "";
  $("adapt-status").textContent = text;
}

function sendControl(obj) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(obj));
}

// The signs to record, read as `collect --actions-file` reads its file (sign_names.read_sign_list): one name a line
// (a name may hold any other character: commas, spaces, any script's letters), each line stripped of the white space
// Python's str.strip strips, blank lines and lines starting with # skipped, each name in Unicode's composed form,
// once; recorded one after the other, each `count` times; the next starts when the server says the previous one is
// done. The server checks each name.
function signList(text) {
  const space = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+";
  const strip = new RegExp(`^${space}|${space}$`, "g");
  const names = text.split("\n").map((line) => line.replace(strip, ""))
    .filter((line) => line && !line.startsWith("#")).map((line) => line.normalize("NFC"));
  return [...new Set(names)];
}

// Sign names for a line of text, each in quotes: a name may hold a comma or a space.
function quoted(names) {
  return names.map((a) => `"${a}"`).join(", ");
}

function recordNext() {
  const action = S.toRecord.shift();
  if (action === undefined) return;
  // the rest of the list goes along to be checked now: a bad name late in it stops the list before it starts
  sendControl({type: "record", name: S.listName, action, count: parseInt($("count").value, 10),
               then: S.toRecord});
}

$("record-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  S.toRecord = signList($("action").value);
  S.listName = $("name").value.trim();
  $("rec-notes").textContent = "";  // the notes on the sequences of this request on
  if (!S.toRecord.length) {  // blank and # lines only: nothing would be sent, nothing said
    $("rec-status").textContent = "no sign names: give one a line (lines starting with # are skipped)";
    return;
  }
  recordNext();
});
$("cancel").addEventListener("click", () => { S.toRecord = []; sendControl({type: "cancel"}); });
$("adapt").addEventListener("click", () => {
  S.adaptedName = $("name").value.trim();
  if (S.ws && S.ws.readyState === WebSocket.OPEN) $("adapt").disabled = true;  // until the server answers: one press
  sendControl({type: "adapt", name: S.adaptedName});
});
$("clear").addEventListener("click", () => sendControl({type: "clear"}));
$("name").addEventListener("change", () => {
  if ($("name").checkValidity()) store("name", $("name").value.trim());
  askCounts();
});

// The visitor's name and the name they last adapted to, kept in this browser for the page opened again (nothing
// when the browser keeps no storage for the page).
function store(key, value) {
  try { localStorage.setItem("signlstm." + key, value); } catch (e) { /* no storage: nothing kept */ }
}

function stored(key) {
  try { return localStorage.getItem("signlstm." + key); } catch (e) { return null; }
}

{
  const name = stored("name");
  if (name) { $("name").value = name; if (!$("name").checkValidity()) $("name").value = "me"; }
}
window.addEventListener("pagehide", () => { S.closed = true; if (S.ws) S.ws.close(); });

(async () => {
  if (await startCamera()) connect();
})();
