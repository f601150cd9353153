// The local camera and microphone: can this browser do it at all, opening them, naming
// what went wrong, and how loud a track is (for the speaking indicator). No strings here:
// pages turn the problem codes into sentences.

/** True inside WeChat's built-in browser, where the fix is "open in the system browser". */
export function inWeChat() {
  return /MicroMessenger/i.test(navigator.userAgent);
}

/**
 * Why this page cannot make a video call, or null when it can:
 * 'insecure' (not HTTPS: browsers hide the camera), 'unsupported' (no WebRTC).
 */
export function callProblem() {
  if (window.isSecureContext === false) return 'insecure';
  const hasMedia = Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  if (!hasMedia || typeof window.RTCPeerConnection !== 'function') return 'unsupported';
  return null;
}

/** A problem code for a getUserMedia failure. */
export function mediaProblem(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'nodevice';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    case 'SecurityError':
      return 'insecure';
    default:
      return 'failed';
  }
}

function videoConstraints({ facingMode = 'user', width = 640, height = 480 } = {}) {
  // "ideal", never "exact": a phone with one camera still gets that camera.
  return { facingMode: { ideal: facingMode }, width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: 24, max: 30 } };
}

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** Camera and microphone together. Rejects with the browser's DOMException. */
export async function openCameraAndMic(options) {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: videoConstraints(options) });
  } catch (err) {
    // Some old Android browsers choke on constraint objects they do not know.
    if (err && (err.name === 'OverconstrainedError' || err.name === 'TypeError')) {
      return navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    }
    throw err;
  }
}

/** A new camera track facing `facingMode` ('user' front, 'environment' back). */
export async function openCamera(facingMode) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraints({ facingMode }) });
  return stream.getVideoTracks()[0];
}

/** A new microphone track, processed like openCameraAndMic's. */
export async function openMic() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO });
  } catch (err) {
    if (!err || (err.name !== 'OverconstrainedError' && err.name !== 'TypeError')) throw err;
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  }
  return stream.getAudioTracks()[0];
}

/**
 * A fresh track in place of a camera ('video') or microphone ('audio') that the system
 * ended (another app took it): the same constraints as openCameraAndMic, the camera facing
 * `facingMode`. Rejects with the browser's DOMException.
 */
export async function reopenTrack(kind, facingMode = 'user') {
  if (kind === 'audio') return openMic();
  try {
    return await openCamera(facingMode);
  } catch (err) {
    if (!err || (err.name !== 'OverconstrainedError' && err.name !== 'TypeError')) throw err;
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    return stream.getVideoTracks()[0];
  }
}

/** How many cameras this device has (labels need permission, counting does not). */
export async function cameraCount() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((d) => d.kind === 'videoinput').length;
  } catch (_) {
    return 0;
  }
}

let audioContext = null;

/**
 * Create (or wake) the page's AudioContext. Call it from a click handler: browsers only
 * let audio start after a gesture. Returns null where WebAudio is missing.
 */
export function wakeAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!audioContext) audioContext = new Context();
  if (audioContext.state === 'suspended') audioContext.resume().catch(() => {});
  return audioContext;
}

/** The loudness of one audio track, read on demand: level() is RMS in 0…1. */
export class AudioMeter {
  constructor(track) {
    this.track = track;
    if (!audioContext || !track) return;
    try {
      this.source = audioContext.createMediaStreamSource(new MediaStream([track]));
      this.analyser = audioContext.createAnalyser();
      this.analyser.fftSize = 512;
      this.samples = new Float32Array(this.analyser.fftSize);
      this.source.connect(this.analyser);
    } catch (_) {
      this.analyser = null; // the indicator is a nicety: never fail the call over it
    }
  }

  level() {
    if (!this.analyser || !this.track.enabled) return 0;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    return Math.sqrt(sum / this.samples.length);
  }

  stop() {
    if (this.source) this.source.disconnect();
    this.analyser = null;
  }
}

/**
 * Show `stream` in `video` and start it. Playing with sound needs a prior gesture (the
 * join tap); if the browser still refuses, play muted and call onBlocked so the page can
 * offer a "turn sound on" button.
 */
export function playStream(video, stream, onBlocked = () => {}) {
  if (video.srcObject !== stream) video.srcObject = stream;
  if (!stream) return;
  video.play().catch((err) => {
    if (err && err.name === 'NotAllowedError' && !video.muted) {
      video.muted = true;
      video.play().catch(() => {});
      onBlocked(video);
    }
  });
}
