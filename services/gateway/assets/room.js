// The video room: a WebRTC mesh (up to four people), signalled over a WebSocket
// that the gateway relays through the sessions service. Plain JavaScript, no build.
"use strict";
(() => {
  const texts = {
    de: {
      title: "Videotermin", camera: "Kamera", microphone: "Mikrofon", mute: "Mikrofon aus",
      unmute: "Mikrofon an", hide: "Kamera aus", show: "Kamera an", leave: "Verlassen",
      you: "Sie", requester: "Behörde", mediator: "Sprachmittlung", client: "Klient/in",
      connecting: "Verbinde …", waiting: "Warten auf die anderen …", connected: "Verbunden",
      left: "Sie haben den Termin verlassen.", forged: "Dieser Link ist ungültig. Bitte nutzen Sie den Link aus Ihrer E-Mail.",
      expired: "Dieser Link gilt jetzt nicht.", closed: "Dieser Termin wurde abgesagt oder verschoben.",
      opensAt: "Dieser Link öffnet am {at}", opensIn: "in {n} Minuten", opensInHours: "in etwa {n} Stunden",
      expiredAt: "Dieser Link galt bis {at}. Bitte wenden Sie sich an die Stelle, die den Termin gebucht hat.",
      full: "Im Raum sind schon alle Plätze belegt.",
      denied: "Kamera oder Mikrofon sind nicht freigegeben. Sie können zuhören und zusehen; erlauben Sie den Zugriff im Browser und laden Sie die Seite neu, damit man Sie sieht und hört.",
      nodevice: "Keine Kamera und kein Mikrofon gefunden. Sie können zuhören und zusehen.",
      lost: "Die Verbindung ist unterbrochen. Bitte laden Sie die Seite neu.",
    },
    en: {
      title: "Video appointment", camera: "Camera", microphone: "Microphone", mute: "Mute",
      unmute: "Unmute", hide: "Camera off", show: "Camera on", leave: "Leave",
      you: "You", requester: "Authority", mediator: "Mediator", client: "Client",
      connecting: "Connecting …", waiting: "Waiting for the others …", connected: "Connected",
      left: "You left the appointment.", forged: "This link is not valid. Please use the link from your e-mail.",
      expired: "This link does not open now.", closed: "This appointment was cancelled or moved.",
      opensAt: "This link opens on {at}", opensIn: "in {n} minutes", opensInHours: "in about {n} hours",
      expiredAt: "This link was valid until {at}. Please contact whoever booked the appointment.",
      full: "Every place in the room is taken.",
      denied: "Camera or microphone are not allowed. You can listen and watch; allow access in the browser and reload the page to be seen and heard.",
      nodevice: "No camera and no microphone found. You can listen and watch.",
      lost: "The connection was lost. Please reload the page.",
    },
    uk: {
      title: "Відеозустріч", camera: "Камера", microphone: "Мікрофон", mute: "Вимкнути мікрофон",
      unmute: "Увімкнути мікрофон", hide: "Вимкнути камеру", show: "Увімкнути камеру", leave: "Вийти",
      you: "Ви", requester: "Установа", mediator: "Перекладач", client: "Клієнт",
      connecting: "З'єднання …", waiting: "Очікування інших …", connected: "З'єднано",
      left: "Ви вийшли із зустрічі.", forged: "Це посилання недійсне. Будь ласка, скористайтеся посиланням із вашого листа.",
      expired: "Це посилання зараз не відкривається.", closed: "Цю зустріч скасовано або перенесено.",
      opensAt: "Це посилання відкриється {at}", opensIn: "через {n} хв", opensInHours: "приблизно через {n} год",
      expiredAt: "Це посилання діяло до {at}. Будь ласка, зверніться до установи, яка призначила зустріч.",
      full: "У кімнаті вже немає вільних місць.",
      denied: "Камера або мікрофон не дозволені. Ви можете слухати й дивитися; дозвольте доступ у браузері та перезавантажте сторінку, щоб вас бачили й чули.",
      nodevice: "Камеру й мікрофон не знайдено. Ви можете слухати й дивитися.",
      lost: "З'єднання перервано. Будь ласка, перезавантажте сторінку.",
    },
    ru: {
      title: "Видеовстреча", camera: "Камера", microphone: "Микрофон", mute: "Выключить микрофон",
      unmute: "Включить микрофон", hide: "Выключить камеру", show: "Включить камеру", leave: "Выйти",
      you: "Вы", requester: "Учреждение", mediator: "Переводчик", client: "Клиент",
      connecting: "Соединение …", waiting: "Ожидание остальных …", connected: "Соединено",
      left: "Вы вышли из встречи.", forged: "Эта ссылка недействительна. Пожалуйста, используйте ссылку из вашего письма.",
      expired: "Эта ссылка сейчас не открывается.", closed: "Эта встреча отменена или перенесена.",
      opensAt: "Эта ссылка откроется {at}", opensIn: "через {n} мин", opensInHours: "примерно через {n} ч",
      expiredAt: "Эта ссылка действовала до {at}. Пожалуйста, обратитесь в учреждение, которое назначило встречу.",
      full: "В комнате больше нет свободных мест.",
      denied: "Камера или микрофон не разрешены. Вы можете слушать и смотреть; разрешите доступ в браузере и перезагрузите страницу, чтобы вас видели и слышали.",
      nodevice: "Камера и микрофон не найдены. Вы можете слушать и смотреть.",
      lost: "Соединение прервано. Пожалуйста, перезагрузите страницу.",
    },
    tr: {
      title: "Görüntülü görüşme", camera: "Kamera", microphone: "Mikrofon", mute: "Mikrofonu kapat",
      unmute: "Mikrofonu aç", hide: "Kamerayı kapat", show: "Kamerayı aç", leave: "Ayrıl",
      you: "Siz", requester: "Kurum", mediator: "Tercüman", client: "Danışan",
      connecting: "Bağlanıyor …", waiting: "Diğerleri bekleniyor …", connected: "Bağlandı",
      left: "Görüşmeden ayrıldınız.", forged: "Bu bağlantı geçerli değil. Lütfen e-postanızdaki bağlantıyı kullanın.",
      expired: "Bu bağlantı şu anda açılmıyor.", closed: "Bu randevu iptal edildi veya ertelendi.",
      opensAt: "Bu bağlantı {at} tarihinde açılır", opensIn: "{n} dakika sonra", opensInHours: "yaklaşık {n} saat sonra",
      expiredAt: "Bu bağlantı {at} tarihine kadar geçerliydi. Lütfen randevuyu veren kuruma başvurun.",
      full: "Odada boş yer kalmadı.",
      denied: "Kamera veya mikrofon izni yok. Dinleyip izleyebilirsiniz; görülüp duyulmak için tarayıcıda izin verin ve sayfayı yenileyin.",
      nodevice: "Kamera ve mikrofon bulunamadı. Dinleyip izleyebilirsiniz.",
      lost: "Bağlantı koptu. Lütfen sayfayı yenileyin.",
    },
    ar: {
      title: "موعد بالفيديو", camera: "الكاميرا", microphone: "الميكروفون", mute: "إيقاف الميكروفون",
      unmute: "تشغيل الميكروفون", hide: "إيقاف الكاميرا", show: "تشغيل الكاميرا", leave: "مغادرة",
      you: "أنتم", requester: "الجهة", mediator: "المترجم", client: "العميل",
      connecting: "جارٍ الاتصال …", waiting: "في انتظار الآخرين …", connected: "متصل",
      left: "لقد غادرتم الموعد.", forged: "هذا الرابط غير صالح. يرجى استخدام الرابط من بريدكم الإلكتروني.",
      expired: "هذا الرابط لا يفتح الآن.", closed: "تم إلغاء هذا الموعد أو تأجيله.",
      opensAt: "يفتح هذا الرابط في {at}", opensIn: "بعد {n} دقيقة", opensInHours: "بعد حوالي {n} ساعة",
      expiredAt: "كان هذا الرابط صالحاً حتى {at}. يرجى التواصل مع الجهة التي حجزت الموعد.",
      full: "لا توجد أماكن شاغرة في الغرفة.",
      denied: "لم يُسمح بالكاميرا أو الميكروفون. يمكنكم الاستماع والمشاهدة؛ اسمحوا بالوصول في المتصفح وأعيدوا تحميل الصفحة ليراكم الآخرون ويسمعوكم.",
      nodevice: "لم يُعثر على كاميرا أو ميكروفون. يمكنكم الاستماع والمشاهدة.",
      lost: "انقطع الاتصال. يرجى إعادة تحميل الصفحة.",
    },
    fa: {
      title: "وقت ملاقات تصویری", camera: "دوربین", microphone: "میکروفون", mute: "خاموش کردن میکروفون",
      unmute: "روشن کردن میکروفون", hide: "خاموش کردن دوربین", show: "روشن کردن دوربین", leave: "خروج",
      you: "شما", requester: "اداره", mediator: "مترجم", client: "مراجعه‌کننده",
      connecting: "در حال اتصال …", waiting: "در انتظار دیگران …", connected: "متصل",
      left: "شما از جلسه خارج شدید.", forged: "این لینک معتبر نیست. لطفاً از لینک ایمیل خود استفاده کنید.",
      expired: "این لینک اکنون باز نمی‌شود.", closed: "این وقت ملاقات لغو یا جابه‌جا شده است.",
      opensAt: "این لینک در {at} باز می‌شود", opensIn: "{n} دقیقه دیگر", opensInHours: "حدود {n} ساعت دیگر",
      expiredAt: "این لینک تا {at} معتبر بود. لطفاً با اداره‌ای که وقت را رزرو کرده تماس بگیرید.",
      full: "همه جاهای اتاق پر است.",
      denied: "دوربین یا میکروفون مجاز نیست. می‌توانید گوش دهید و ببینید؛ برای اینکه شما را ببینند و بشنوند، در مرورگر اجازه دهید و صفحه را دوباره بارگذاری کنید.",
      nodevice: "دوربین و میکروفون پیدا نشد. می‌توانید گوش دهید و ببینید.",
      lost: "اتصال قطع شد. لطفاً صفحه را دوباره بارگذاری کنید.",
    },
    prs: {
      title: "وقت ملاقات ویدیویی", camera: "کمره", microphone: "مایکروفون", mute: "خاموش کردن مایکروفون",
      unmute: "روشن کردن مایکروفون", hide: "خاموش کردن کمره", show: "روشن کردن کمره", leave: "خروج",
      you: "شما", requester: "اداره", mediator: "ترجمان", client: "مراجعه‌کننده",
      connecting: "در حال وصل شدن …", waiting: "منتظر دیگران …", connected: "وصل شد",
      left: "شما از جلسه خارج شدید.", forged: "این لینک اعتبار ندارد. لطفاً از لینک ایمیل خود استفاده کنید.",
      expired: "این لینک حالا باز نمی‌شود.", closed: "این وقت ملاقات لغو یا تبدیل شده است.",
      opensAt: "این لینک در {at} باز می‌شود", opensIn: "{n} دقیقه بعد", opensInHours: "تقریباً {n} ساعت بعد",
      expiredAt: "این لینک تا {at} اعتبار داشت. لطفاً با اداره‌ای که وقت را گرفته به تماس شوید.",
      full: "همه جاهای اتاق پر است.",
      denied: "کمره یا مایکروفون اجازه ندارد. شما می‌توانید بشنوید و ببینید؛ برای اینکه شما را ببینند و بشنوند، در مرورگر اجازه بدهید و صفحه را دوباره باز کنید.",
      nodevice: "کمره و مایکروفون پیدا نشد. شما می‌توانید بشنوید و ببینید.",
      lost: "وصل قطع شد. لطفاً صفحه را دوباره باز کنید.",
    },
  };
  // The browser's language where the room speaks it (a client's phone speaks
  // theirs); German for German, else English.
  const wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "de"])
    .map((tag) => tag.toLowerCase().split("-")[0]);
  const lang = wanted.find((code) => texts[code]) || "en";
  const t = (key) => texts[lang][key] || texts.en[key] || key;
  document.documentElement.lang = lang;
  document.documentElement.dir = ["ar", "fa", "prs"].includes(lang) ? "rtl" : "ltr";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });

  const token = decodeURIComponent(location.pathname.split("/").pop());
  const notice = document.getElementById("notice");
  const status = document.getElementById("status");
  const videos = document.getElementById("videos");
  const peers = new Map(); // peer id -> { pc, figure, pending: [] }
  let socket = null;
  let me = null;
  let iceServers = [];
  let local = new MediaStream();

  const room = (window.mittlerRoom = {
    state: "starting", error: null, role: null, peers,
    async stats() {
      const out = [];
      for (const [id, p] of peers) {
        let bytesReceived = 0;
        let localCandidate = null;
        const report = await p.pc.getStats();
        report.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video") bytesReceived += s.bytesReceived || 0;
          if (s.type === "transport" && s.selectedCandidatePairId) {
            const pair = report.get(s.selectedCandidatePairId);
            const local = pair && report.get(pair.localCandidateId);
            localCandidate = local ? local.candidateType : null;
          }
        });
        out.push({ peer: id, connectionState: p.pc.connectionState, bytesReceived, localCandidate });
      }
      return out;
    },
  });

  function show(message, error) {
    notice.textContent = message;
    notice.className = error ? "error" : "";
    notice.hidden = false;
  }
  function fail(message) {
    room.state = "error";
    room.error = message;
    show(message, true);
    status.textContent = "";
  }

  function tile(id, label, stream, muted) {
    const figure = document.createElement("figure");
    const video = document.createElement("video");
    video.autoplay = true; video.playsInline = true; video.muted = muted;
    video.srcObject = stream;
    const caption = document.createElement("figcaption");
    caption.textContent = label;
    figure.append(video, caption);
    figure.dataset.peer = id;
    videos.append(figure);
    return figure;
  }

  async function fillDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    for (const [kind, id] of [["videoinput", "camera"], ["audioinput", "microphone"]]) {
      const select = document.getElementById(id);
      select.replaceChildren();
      devices.filter((d) => d.kind === kind).forEach((d, i) => {
        const option = new Option(d.label || `${t(id)} ${i + 1}`, d.deviceId);
        select.append(option);
      });
      const current = local.getTracks().find((tr) => tr.kind === (kind === "videoinput" ? "video" : "audio"));
      if (current) select.value = current.getSettings().deviceId || select.value;
    }
  }

  async function startMedia() {
    try {
      local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    } catch (error) {
      show(error && error.name === "NotFoundError" ? t("nodevice") : t("denied"), false);
      room.mediaError = error && error.name;
      local = new MediaStream();
    }
    tile("me", t("you"), local, true);
    await fillDevices();
  }

  async function switchDevice(kind, deviceId) {
    const constraints = kind === "video" ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } };
    const stream = await navigator.mediaDevices.getUserMedia(constraints).catch(() => null);
    if (!stream) return;
    const track = stream.getTracks()[0];
    const old = local.getTracks().find((tr) => tr.kind === kind);
    if (old) { local.removeTrack(old); old.stop(); }
    local.addTrack(track);
    for (const p of peers.values()) {
      const sender = p.pc.getSenders().find((s) => s.track && s.track.kind === kind);
      if (sender) await sender.replaceTrack(track);
    }
  }

  function send(to, kind, payload) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ to, kind, payload }));
  }

  function connection(id, role) {
    let p = peers.get(id);
    if (p) return p;
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: room.relayOnly ? "relay" : "all" });
    const remote = new MediaStream();
    p = { pc, pending: [], figure: tile(id, t(role || "client"), remote, false) };
    peers.set(id, p);
    local.getTracks().forEach((track) => pc.addTrack(track, local));
    if (!local.getVideoTracks().length) pc.addTransceiver("video", { direction: "recvonly" });
    if (!local.getAudioTracks().length) pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = (e) => { remote.addTrack(e.track); };
    pc.onicecandidate = (e) => { if (e.candidate) send(id, "candidate", e.candidate.toJSON()); };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") status.textContent = t("connected");
      if (pc.connectionState === "failed") show(t("lost"), true);
    };
    return p;
  }

  function drop(id) {
    const p = peers.get(id);
    if (!p) return;
    p.pc.close();
    p.figure.remove();
    peers.delete(id);
    if (!peers.size) status.textContent = t("waiting");
  }

  // ---- The Janus provider: publish to a VideoRoom, subscribe to the others there.
  async function startJanus(j) {
    let seq = 0;
    const call = async (path, body) => {
      const r = await fetch(j.url + path, { method: "POST", body: JSON.stringify({ ...body, transaction: `t${++seq}` }) });
      const answer = await r.json();
      if (answer.janus === "error") throw new Error(answer.error && answer.error.reason);
      return answer;
    };
    const session = (await call("", { janus: "create" })).data.id;
    const attach = async () => (await call(`/${session}`, { janus: "attach", plugin: "janus.plugin.videoroom" })).data.id;
    const handlers = new Map(); // handle -> function(event)
    const message = (handle, body, jsep) => call(`/${session}/${handle}`, { janus: "message", body, ...(jsep ? { jsep } : {}) });
    const trickle = (handle) => (e) => {
      call(`/${session}/${handle}`, { janus: "trickle", candidate: e.candidate ? e.candidate.toJSON() : { completed: true } }).catch(() => {});
    };
    room.janusStop = () => call(`/${session}`, { janus: "destroy" }).catch(() => {});
    // Long poll for events until the room is left.
    (async () => {
      while (room.state === "joined") {
        const r = await fetch(`${j.url}/${session}?maxev=10&rid=${Date.now()}`).catch(() => null);
        if (!r) break;
        const events = [].concat(await r.json().catch(() => []));
        for (const e of events) {
          const handler = handlers.get(e.sender);
          if (handler) await handler(e).catch((error) => console.error(error));
        }
      }
    })();
    const subscribe = async (feed) => {
      if (peers.has(String(feed.id))) return;
      const handle = await attach();
      const pc = new RTCPeerConnection({ iceServers });
      const remote = new MediaStream();
      const p = { pc, pending: [], figure: tile(String(feed.id), t(feed.display || "client"), remote, false), handle };
      peers.set(String(feed.id), p);
      pc.ontrack = (e) => remote.addTrack(e.track);
      pc.onicecandidate = trickle(handle);
      pc.onconnectionstatechange = () => { if (pc.connectionState === "connected") status.textContent = t("connected"); };
      handlers.set(handle, async (e) => {
        if (e.jsep && e.jsep.type === "offer") {
          await pc.setRemoteDescription(e.jsep);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          await message(handle, { request: "start", room: j.room }, { type: answer.type, sdp: answer.sdp });
        }
      });
      await message(handle, { request: "join", ptype: "subscriber", room: j.room, token: j.token, streams: [{ feed: feed.id }] });
    };
    const publisher = await attach();
    const pc = new RTCPeerConnection({ iceServers });
    room.publisher = pc;
    local.getTracks().forEach((track) => pc.addTrack(track, local));
    pc.onicecandidate = trickle(publisher);
    const seen = (list) => (list || []).forEach((feed) => subscribe(feed).catch((error) => console.error(error)));
    handlers.set(publisher, async (e) => {
      const data = (e.plugindata && e.plugindata.data) || {};
      if (data.videoroom === "joined") {
        seen(data.publishers);
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        await message(publisher, { request: "publish", audio: true, video: true }, { type: offer.type, sdp: offer.sdp });
      } else if (data.videoroom === "event") {
        seen(data.publishers);
        const gone = data.unpublished || data.leaving;
        if (gone && gone !== "ok") drop(String(gone));
      }
      if (e.jsep && e.jsep.type === "answer") await pc.setRemoteDescription(e.jsep);
    });
    await message(publisher, { request: "join", ptype: "publisher", room: j.room, token: j.token, display: room.role });
    status.textContent = t("waiting");
  }

  async function onSignal(message) {
    if (message.kind === "welcome") {
      me = message.peer_id;
      iceServers = message.ice_servers || [];
      room.role = message.role;
      room.state = "joined";
      if (message.janus) {
        room.provider = "janus";
        return startJanus(message.janus);
      }
      status.textContent = message.peers.length ? t("connecting") : t("waiting");
      // The newcomer calls everyone who is there.
      for (const peer of message.peers) {
        const p = connection(peer.peer_id, peer.role);
        const offer = await p.pc.createOffer();
        await p.pc.setLocalDescription(offer);
        send(peer.peer_id, "offer", { sdp: offer.sdp, type: offer.type, role: room.role });
      }
      return;
    }
    const from = message.from;
    if (message.kind === "bye") return drop(from);
    if (message.kind === "offer") {
      const p = connection(from, message.payload.role);
      await p.pc.setRemoteDescription({ type: "offer", sdp: message.payload.sdp });
      for (const c of p.pending.splice(0)) await p.pc.addIceCandidate(c).catch(() => {});
      const answer = await p.pc.createAnswer();
      await p.pc.setLocalDescription(answer);
      send(from, "answer", { sdp: answer.sdp, type: answer.type });
    } else if (message.kind === "answer") {
      const p = peers.get(from);
      if (!p) return;
      await p.pc.setRemoteDescription({ type: "answer", sdp: message.payload.sdp });
      for (const c of p.pending.splice(0)) await p.pc.addIceCandidate(c).catch(() => {});
    } else if (message.kind === "candidate") {
      const p = peers.get(from);
      if (!p) return;
      if (p.pc.remoteDescription) await p.pc.addIceCandidate(message.payload).catch(() => {});
      else p.pending.push(message.payload);
    }
  }

  // A moment in the person's own zone and language, as people write it.
  function when(at) {
    const locale = { de: "de-DE", en: "en-GB", prs: "fa-AF" }[lang] || lang;
    return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "short" }).format(at);
  }

  // Not yet: when it opens, how long until then, and the page opens the room itself.
  function notYet(at) {
    const say = () => {
      const minutes = Math.max(1, Math.ceil((at - Date.now()) / 60000));
      const left = minutes > 90
        ? t("opensInHours").replace("{n}", String(Math.round(minutes / 60)))
        : t("opensIn").replace("{n}", String(minutes));
      fail(`${t("opensAt").replace("{at}", when(at))} (${left}).`);
    };
    say();
    room.opensAt = at.toISOString();
    const timer = setInterval(() => {
      if (Date.now() >= at.getTime()) { clearInterval(timer); location.reload(); } else { say(); }
    }, 30000);
  }

  async function enter() {
    status.textContent = t("connecting");
    const url = `/api/v1/rooms/signal?token=${encodeURIComponent(token)}`;
    // A link that does not open the room says why before anything else happens.
    const check = await fetch(url, { headers: { accept: "application/json" } }).catch(() => null);
    if (!check) return fail(t("lost"));
    if (check.status === 403) return fail(t("forged"));
    if (check.status === 410) {
      const problem = await check.json().catch(() => ({}));
      const at = problem.args && problem.args.at ? new Date(problem.args.at) : null;
      if (problem.key === "room.link_not_yet" && at && !isNaN(at)) return notYet(at);
      if (problem.key === "room.link_expired" && at && !isNaN(at)) return fail(t("expiredAt").replace("{at}", when(at)));
      if (problem.key === "room.full") return fail(t("full"));
      return fail(problem.key === "room.closed" ? t("closed") : t("expired"));
    }
    if (!check.ok) return fail(t("lost"));
    await startMedia();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${url}`);
    socket.onmessage = (e) => { onSignal(JSON.parse(e.data)).catch((error) => console.error(error)); };
    socket.onclose = () => { if (room.state === "joined") { room.state = "closed"; } };
  }

  document.getElementById("mute").onclick = (e) => {
    const on = e.target.getAttribute("aria-pressed") !== "true";
    local.getAudioTracks().forEach((tr) => { tr.enabled = !on; });
    e.target.setAttribute("aria-pressed", String(on));
    e.target.textContent = on ? t("unmute") : t("mute");
  };
  document.getElementById("hide").onclick = (e) => {
    const on = e.target.getAttribute("aria-pressed") !== "true";
    local.getVideoTracks().forEach((tr) => { tr.enabled = !on; });
    e.target.setAttribute("aria-pressed", String(on));
    e.target.textContent = on ? t("show") : t("hide");
  };
  document.getElementById("leave").onclick = () => {
    room.state = "left";
    if (room.janusStop) room.janusStop();
    if (socket) socket.close();
    for (const id of [...peers.keys()]) drop(id);
    local.getTracks().forEach((tr) => tr.stop());
    videos.replaceChildren();
    show(t("left"), false);
    status.textContent = "";
  };
  document.getElementById("camera").onchange = (e) => switchDevice("video", e.target.value);
  document.getElementById("microphone").onchange = (e) => switchDevice("audio", e.target.value);
  room.relayOnly = new URLSearchParams(location.search).get("relay") === "1";
  enter().catch((error) => fail(String(error)));
})();
