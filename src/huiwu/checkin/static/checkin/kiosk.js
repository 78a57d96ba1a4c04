/* The gate kiosk: a tablet at a gate that checks guests in by face or by QR e-badge.
 *
 * The device token is typed or pasted once and kept in localStorage. Online, every scan goes to
 * the check-in API and the server decides. When the network drops, QR e-badges are checked
 * against the signed list of the zone's approved guests that the kiosk keeps, and the admissions
 * wait in a local queue until the server acknowledges them (each with its idempotency key, so
 * an upload repeated after a lost answer is merged, never counted twice). Faces are never
 * decided on the tablet: face check-in needs the server, the QR lane always works.
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("kiosk-config").textContent);
  const text = config.strings;
  const STORE = {
    token: "huiwu.checkin.token",
    list: "huiwu.checkin.offlineList",
    queue: "huiwu.checkin.queue",
  };
  const RESULT_MS = { admit: 3000, deny: 4500, no_match: 4500, error: 4500 };
  const FRAME_MS = 1000; // one frame a second while someone seems to stand at the gate
  const PRESENCE_MS = 4000; // how long after the last movement the gate keeps looking
  const LIST_REFRESH_MS = 3 * 60 * 1000;
  const PING_MS = 5000;
  const SAME_BADGE_MS = 5000; // a badge held in front of the camera is read only once
  // Reasons of a frame in which the server found no usable face: the kiosk keeps looking
  // rather than turning the screen amber at someone who is only walking past.
  const FACE_RETRY = new Set([
    "no_face",
    "face_too_small",
    "too_blurred",
    "not_frontal",
    "several_faces",
  ]);
  const VERIFY_ATTEMPTS = 4;
  const STILL_HERE_MS = 15000; // an admitted guest may linger a few seconds in front of the gate
  const ACKNOWLEDGED = new Set(["recorded", "duplicate", "conflict"]);

  const $ = (id) => document.getElementById(id);
  const root = $("kiosk");
  const video = $("camera");
  const state = {
    token: localStorage.getItem(STORE.token) || "",
    device: null,
    online: navigator.onLine,
    busy: false,
    showing: false,
    step: "face", // identify: "face" | "qr" | "id"; verify: "qr" | "id" | "face"
    pendingBadge: null, // verify mode: the badge (or ID number) waiting for its face
    lastMotion: performance.now(),
    lastFrame: 0,
    lastBadge: { value: "", at: 0 },
    lastAdmitAt: 0,
    thumb: null,
    barcode: null,
    cameraReady: false,
    timers: {},
  };

  // --- Small helpers ------------------------------------------------------------------------
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  async function sha256(value) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function readJSON(key, fallback) {
    try {
      const value = JSON.parse(localStorage.getItem(key));
      return value ?? fallback;
    } catch {
      return fallback;
    }
  }

  function show(element, visible) {
    element.hidden = !visible;
  }

  class Offline extends Error {}

  /** A request to the check-in API with the device's token; ``Offline`` when the network fails. */
  async function api(path, options = {}) {
    const headers = {
      Authorization: `Bearer ${state.token}`,
      "Accept-Language": config.language,
      ...(options.headers || {}),
    };
    let response;
    try {
      response = await fetch(config.api + path, { ...options, headers, cache: "no-store" });
    } catch {
      throw new Offline();
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (response.status === 401 || response.status === 403) {
      forgetDevice(body?.detail || text.deviceRefused);
      throw new Error("refused");
    }
    return { status: response.status, ok: response.ok, body };
  }

  // --- Connection and the offline queue ------------------------------------------------------
  function queue() {
    return readJSON(STORE.queue, []);
  }

  function saveQueue(events) {
    localStorage.setItem(STORE.queue, JSON.stringify(events));
    $("queue-count").textContent = String(events.length);
    show($("queue"), events.length > 0);
  }

  function setOnline(online) {
    const changed = state.online !== online;
    state.online = online;
    const pill = $("connection");
    pill.dataset.online = String(online);
    $("connection-text").textContent = online ? text.online : text.offline;
    root.dataset.connection = online ? "online" : "offline";
    if (changed && state.device) {
      renderStep();
      if (online) {
        syncQueue();
        refreshList();
      }
    }
  }

  /** Upload the queued offline admissions; drop only those the server acknowledged. */
  async function syncQueue() {
    const events = queue();
    if (!events.length || !state.online || state.syncing) return;
    state.syncing = true;
    try {
      const answer = await api("sync", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          events: events.map(({ idempotency_key, captured_at, qr_token, decision }) => ({
            idempotency_key,
            captured_at,
            qr_token,
            decision,
          })),
        }),
      });
      if (!answer.ok) return;
      // recorded, or merged with a scan recorded before, or refused for good (a key already
      // used for another scan): the server has its answer for each of these keys.
      const done = new Set(
        (answer.body?.results || [])
          .filter((result) => ACKNOWLEDGED.has(result.outcome))
          .map((result) => result.idempotency_key),
      );
      // Scans queued while the upload was under way stay in the queue.
      saveQueue(queue().filter((event) => !done.has(event.idempotency_key)));
    } catch (error) {
      if (error instanceof Offline) setOnline(false);
    } finally {
      state.syncing = false;
    }
  }

  /** Fetch the signed list of the zone's guests, for QR checks while offline. */
  async function refreshList() {
    if (!state.online) return;
    try {
      const answer = await api("offline-list");
      if (answer.ok && answer.body?.entries) {
        localStorage.setItem(STORE.list, JSON.stringify(answer.body));
      }
    } catch (error) {
      if (error instanceof Offline) setOnline(false);
    }
  }

  /** While offline, ask the server now and then whether it can be reached again. */
  async function ping() {
    if (!state.device || state.online) return;
    if (!navigator.onLine) return;
    try {
      const answer = await api("device");
      if (answer.ok) setOnline(true);
    } catch {
      // still offline
    }
  }

  /** Decide a badge from the offline list; every decision waits in the queue for upload. */
  async function checkOffline(token, scan = newScan()) {
    const list = readJSON(STORE.list, null);
    let outcome;
    if (!list || !window.crypto?.subtle) {
      outcome = { decision: "deny", message: text.noOfflineList };
    } else if (Date.parse(list.expires_at) < Date.now()) {
      outcome = { decision: "deny", message: text.offlineListExpired };
    } else {
      const badge = await sha256(token);
      const entry = list.entries.find((candidate) => candidate.badge === badge);
      outcome = entry
        ? {
            decision: "admit",
            title: text.admittedOffline,
            message: text.admittedOfflineNote,
            guest: { name: entry.name, category: entry.category },
          }
        : { decision: "deny", message: text.offlineUnknown };
    }
    saveQueue([
      ...queue(),
      {
        idempotency_key: scan.key,
        captured_at: scan.capturedAt,
        qr_token: token,
        decision: outcome.decision,
      },
    ]);
    return outcome;
  }

  // --- Device -----------------------------------------------------------------------------
  function forgetDevice(reason) {
    localStorage.removeItem(STORE.token);
    localStorage.removeItem(STORE.list);
    state.token = "";
    state.device = null;
    showSetup(reason || "");
  }

  function showSetup(error) {
    root.dataset.state = "setup";
    show($("setup"), true);
    show($("stage"), false);
    show($("forget"), false);
    $("gate-name").textContent = text.kiosk;
    $("gate-detail").textContent = "";
    const errorBox = $("setup-error");
    errorBox.textContent = error;
    show(errorBox, Boolean(error));
    $("setup-token").focus();
  }

  async function connect() {
    let answer;
    try {
      answer = await api("device");
    } catch (error) {
      if (!(error instanceof Offline)) return;
      // Offline at start: work from what the tablet remembers of its gate.
      state.device = readJSON("huiwu.checkin.device", null);
      if (!state.device) {
        showSetup(text.cannotReach);
        return;
      }
      setOnline(false);
      startGate();
      return;
    }
    if (!answer.ok) {
      showSetup(answer.body?.detail || text.cannotReach);
      return;
    }
    state.device = answer.body;
    localStorage.setItem("huiwu.checkin.device", JSON.stringify(answer.body));
    setOnline(true);
    startGate();
    refreshList();
    syncQueue();
  }

  function startGate() {
    const device = state.device;
    root.dataset.state = "gate";
    root.dataset.mode = device.mode;
    show($("setup"), false);
    show($("stage"), true);
    show($("forget"), true);
    $("gate-name").textContent = device.name;
    const direction = device.direction === "out" ? text.directionOut : text.directionIn;
    const mode = device.mode === "identify" ? text.modeIdentify : text.modeVerify;
    $("gate-detail").textContent = [device.summit, device.zone, direction, mode]
      .filter(Boolean)
      .join(" · ");
    state.step = device.mode === "identify" ? "face" : "qr";
    renderStep();
    startCamera();
  }

  // --- What the screen asks for -----------------------------------------------------------------
  function renderStep() {
    const identify = state.device?.mode === "identify";
    const faceOk = state.online && state.cameraReady;
    let step = state.step;
    if (step === "face" && !faceOk && !state.pendingBadge) step = "qr";
    root.dataset.step = step;
    show($("qr-form"), step === "qr");
    show($("id-form"), step === "id");
    show($("scan-now"), step === "face" && faceOk);
    show($("qr-open"), step !== "qr");
    show($("id-open"), !identify && step === "qr" && state.online);
    show($("qr-cancel"), identify && faceOk);
    if (step === "face") {
      $("prompt").textContent = state.pendingBadge ? text.lookVerify : text.lookIdentify;
      $("hint").textContent = state.pendingBadge ? "" : text.hintIdentify;
    } else if (step === "id") {
      $("prompt").textContent = text.typeId;
      $("hint").textContent = "";
      $("id-input").focus();
    } else {
      $("prompt").textContent = text.showBadge;
      $("hint").textContent = state.online ? text.hintBadge : text.hintOffline;
      $("qr-input").focus();
    }
  }

  function setStep(step) {
    state.step = step;
    renderStep();
  }

  // --- Results ----------------------------------------------------------------------------
  function showResult(outcome) {
    const decision = outcome.decision in RESULT_MS ? outcome.decision : "error";
    const box = $("result");
    box.dataset.decision = decision;
    const titles = {
      admit: text.admitted,
      deny: text.denied,
      no_match: text.noMatch,
      error: text.problem,
    };
    $("result-title").textContent = outcome.title || titles[decision];
    const guest = outcome.guest || {};
    $("result-name").textContent = guest.name || "";
    $("result-category").textContent = guest.category || "";
    $("result-message").textContent =
      outcome.message || (decision === "no_match" ? text.noMatchNote : "");
    const photo = $("result-photo");
    if (guest.photo_url) {
      photo.src = guest.photo_url;
      photo.alt = guest.name || "";
    } else {
      photo.removeAttribute("src");
    }
    show(photo, Boolean(guest.photo_url));
    show($("result-qr"), decision !== "admit");
    root.dataset.result = decision;
    show(box, true);
    state.showing = true;
    clearTimeout(state.timers.result);
    state.timers.result = setTimeout(hideResult, RESULT_MS[decision]);
  }

  function hideResult() {
    clearTimeout(state.timers.result);
    show($("result"), false);
    delete root.dataset.result;
    state.showing = false;
    state.lastMotion = performance.now();
    if (state.device) {
      const identify = state.device.mode === "identify";
      if (!(identify && state.step === "qr" && !state.cameraReady)) {
        state.step = identify ? "face" : "qr";
      }
      renderStep();
    }
  }

  // --- Scanning ---------------------------------------------------------------------------
  function captureFrame() {
    if (!state.cameraReady || !video.videoWidth) return Promise.resolve(null);
    const scale = Math.min(1, 640 / video.videoWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
  }

  /** A scan's identity: the same key and capture time for every retry of it, and for its
   * offline record if the network fails in between (the server then merges them). */
  function newScan() {
    return { key: uuid(), capturedAt: new Date().toISOString() };
  }

  /** POST one scan; a lost answer is retried once with the same key and content. */
  async function postScan(fields, frame, scan = newScan()) {
    const form = new FormData();
    form.append("idempotency_key", scan.key);
    form.append("captured_at", scan.capturedAt);
    for (const [name, value] of Object.entries(fields)) {
      if (value) form.append(name, value);
    }
    if (frame) form.append("frame", frame, "frame.jpg");
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await api("scan", { method: "POST", body: form });
      } catch (error) {
        if (!(error instanceof Offline) || attempt >= 1) throw error;
      }
    }
  }

  function outcomeOf(answer) {
    if (answer.ok && answer.body?.decision) return answer.body;
    return { decision: "error", message: answer.body?.detail || text.serverError };
  }

  function faceUnusable(answer) {
    const body = answer.body || {};
    return (
      (answer.ok && body.decision !== "admit" && FACE_RETRY.has(body.reason)) ||
      (!answer.ok && body.field === "frame")
    );
  }

  /** Identify mode: one frame, one decision; a frame without a usable face changes nothing. */
  async function scanFace(tapped) {
    if (state.busy || state.showing) return;
    state.busy = true;
    try {
      const frame = await captureFrame();
      if (!frame) return;
      const answer = await postScan({}, frame);
      if (faceUnusable(answer)) {
        $("hint").textContent = text.faceNotSeen;
        if (tapped) showResult({ decision: "no_match", message: text.faceNotSeen });
        return;
      }
      const outcome = outcomeOf(answer);
      // The guest just admitted is still in front of the camera: no red screen for them.
      const stillHere = Date.now() - state.lastAdmitAt < STILL_HERE_MS;
      if (!tapped && stillHere && outcome.reason === "already_inside") {
        $("hint").textContent = text.walkThrough;
        return;
      }
      if (outcome.decision === "admit") state.lastAdmitAt = Date.now();
      showResult(outcome);
    } catch (error) {
      if (error instanceof Offline) {
        setOnline(false);
        setStep("qr");
      }
    } finally {
      state.busy = false;
    }
  }

  /** A QR e-badge (or an ID number, in verify mode) was read. */
  async function badgeRead(value, kind = "qr_token") {
    const token = value.trim();
    if (!token || state.busy) return;
    const now = Date.now();
    if (token === state.lastBadge.value && now - state.lastBadge.at < SAME_BADGE_MS) return;
    state.lastBadge = { value: token, at: now };
    $("qr-input").value = "";
    $("id-input").value = "";
    if (!state.online) {
      if (kind !== "qr_token") return;
      state.busy = true;
      try {
        showResult(await checkOffline(token));
      } finally {
        state.busy = false;
      }
      return;
    }
    const verify = state.device.mode === "verify" && state.cameraReady;
    if (verify) {
      state.pendingBadge = { [kind]: token };
      setStep("face");
      await verifyFace();
      return;
    }
    await scanBadge({ [kind]: token });
  }

  async function scanBadge(fields) {
    const scan = newScan();
    state.busy = true;
    try {
      showResult(outcomeOf(await postScan(fields, null, scan)));
    } catch (error) {
      if (!(error instanceof Offline)) return;
      setOnline(false);
      if (fields.qr_token) showResult(await checkOffline(fields.qr_token, scan));
    } finally {
      state.busy = false;
    }
  }

  /** Verify mode: the badge is known, now the face must match the badge's holder. */
  async function verifyFace() {
    const fields = state.pendingBadge;
    state.busy = true;
    let answer = null;
    let scan = null;
    try {
      for (let attempt = 0; attempt < VERIFY_ATTEMPTS; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, attempt ? 700 : 400));
        scan = newScan();
        answer = await postScan(fields, await captureFrame(), scan);
        if (!faceUnusable(answer)) break;
        $("hint").textContent = text.faceNotSeen;
      }
      showResult(
        faceUnusable(answer) ? { decision: "no_match", message: text.faceNotSeen } : outcomeOf(answer),
      );
    } catch (error) {
      if (error instanceof Offline) {
        setOnline(false);
        if (fields.qr_token) showResult(await checkOffline(fields.qr_token, scan));
      }
    } finally {
      state.pendingBadge = null;
      state.busy = false;
    }
  }

  // --- Camera -------------------------------------------------------------------------------
  async function startCamera() {
    if (state.cameraStarted) return;
    state.cameraStarted = true;
    if (!navigator.mediaDevices?.getUserMedia) {
      cameraFailed();
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      await video.play().catch(() => {});
      state.cameraReady = true;
      show($("camera-off"), false);
      if ("BarcodeDetector" in window) {
        try {
          const formats = await window.BarcodeDetector.getSupportedFormats();
          if (formats.includes("qr_code")) {
            state.barcode = new window.BarcodeDetector({ formats: ["qr_code"] });
          }
        } catch {
          state.barcode = null;
        }
      }
      renderStep();
      requestAnimationFrame(tick);
    } catch {
      cameraFailed();
    }
  }

  function cameraFailed() {
    state.cameraReady = false;
    show($("camera-off"), true);
    root.dataset.camera = "off";
    state.step = "qr";
    renderStep();
  }

  /** Whether the picture moved lately: a cheap sign that someone stands at the gate. */
  function movement() {
    if (!state.thumb) {
      state.thumb = document.createElement("canvas");
      state.thumb.width = 32;
      state.thumb.height = 24;
    }
    const context = state.thumb.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, 32, 24);
    const pixels = context.getImageData(0, 0, 32, 24).data;
    const grey = new Float32Array(32 * 24);
    for (let i = 0; i < grey.length; i += 1) {
      grey[i] = 0.299 * pixels[i * 4] + 0.587 * pixels[i * 4 + 1] + 0.114 * pixels[i * 4 + 2];
    }
    if (state.previous) {
      let total = 0;
      for (let i = 0; i < grey.length; i += 1) total += Math.abs(grey[i] - state.previous[i]);
      if (total / grey.length > 4) state.lastMotion = performance.now();
    }
    state.previous = grey;
    return performance.now() - state.lastMotion < PRESENCE_MS;
  }

  async function lookForBadge() {
    if (!state.barcode || state.busy || state.showing) return;
    try {
      const codes = await state.barcode.detect(video);
      if (codes.length) await badgeRead(codes[0].rawValue);
    } catch {
      // a frame the detector could not read
    }
  }

  function tick(now) {
    requestAnimationFrame(tick);
    if (!state.cameraReady || !state.device || now - state.lastFrame < FRAME_MS / 3) return;
    const due = now - (state.lastScan || 0) >= FRAME_MS;
    state.lastFrame = now;
    const present = movement();
    lookForBadge();
    if (
      due &&
      present &&
      state.online &&
      state.device.mode === "identify" &&
      state.step === "face" &&
      !state.busy &&
      !state.showing
    ) {
      state.lastScan = now;
      scanFace(false);
    }
  }

  // --- Wiring -------------------------------------------------------------------------------
  $("setup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("setup-token").value.trim();
    if (!token) return;
    state.token = token;
    localStorage.setItem(STORE.token, token);
    $("setup-token").value = "";
    connect();
  });
  $("forget").addEventListener("click", () => {
    if (window.confirm(text.forgetConfirm)) forgetDevice("");
  });
  $("fullscreen").addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  });
  $("qr-form").addEventListener("submit", (event) => {
    event.preventDefault();
    badgeRead($("qr-input").value);
  });
  $("id-form").addEventListener("submit", (event) => {
    event.preventDefault();
    badgeRead($("id-input").value, "id_number");
  });
  $("qr-open").addEventListener("click", () => setStep("qr"));
  $("id-open").addEventListener("click", () => setStep("id"));
  $("qr-cancel").addEventListener("click", () => setStep("face"));
  $("id-cancel").addEventListener("click", () => setStep("qr"));
  $("scan-now").addEventListener("click", () => scanFace(true));
  $("result").addEventListener("click", (event) => {
    if (event.target.id !== "result-qr") hideResult();
  });
  $("result-qr").addEventListener("click", () => {
    hideResult();
    setStep("qr");
  });
  window.addEventListener("online", () => ping());
  window.addEventListener("offline", () => setOnline(false));
  setInterval(ping, PING_MS);
  setInterval(refreshList, LIST_REFRESH_MS);
  setInterval(syncQueue, PING_MS * 6);

  saveQueue(queue());
  if (state.token) connect();
  else showSetup("");
})();
