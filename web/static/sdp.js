// Keep payload types and RTP header extension IDs stable across renegotiations of one
// peer connection.
//
// RFC 3264 (8.3.2) and RFC 8285 want a payload type or extension ID, once bound, to keep
// its meaning in later offers. aiortc's createOffer starts from its own fixed numbering
// every time, so its re-offers renumber what the browser's first offer bound: Chrome 148+
// then refuses the offer (extension "ID reassignment"), and even where it accepts, it
// starts sending opus and VP8 under the new numbers while the server's receivers, set up
// once, still expect the old ones — and nothing decodes. So before applying a server
// offer the page maps its numbers back onto the ones this connection already uses. Chrome
// answers with those, and aiortc takes the numbers of the answer for what it sends.
// Where the server numbers consistently, this changes nothing.

const EXTMAP = /^a=extmap:(\d+)(\/[a-z]+)? (\S+)(.*)$/;
const RTPMAP = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)(?:\/(\d+))?/;
const FMTP = /^a=fmtp:(\d+) (.*)$/;
const PT_LINE = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)(.*)$/;
const MAX_ONE_BYTE_ID = 14;
const DYNAMIC_PTS = [...Array(32).keys()].map((i) => 96 + i).concat([...Array(29).keys()].map((i) => 35 + i));

/** `value`, unless it is null or undefined: then `fallback` (what `??` does, which older browsers cannot parse). */
function orElse(value, fallback) {
  return value !== null && value !== undefined ? value : fallback;
}

function fmtpParams(text) {
  const params = {};
  for (const part of (text || '').split(';')) {
    const [key, value = ''] = part.trim().split('=');
    if (key) params[key.toLowerCase()] = value.trim();
  }
  return params;
}

/** What makes two codecs "the same" for payload type purposes (name, clock, the fmtp that matters). */
function codecKey(codec, fmtp, aptTarget) {
  const name = codec.name.toLowerCase();
  const p = fmtpParams(fmtp);
  let extra = '';
  if (name === 'rtx') extra = `apt=${aptTarget}`;
  else if (name === 'h264') extra = `${p['packetization-mode'] || '0'}:${(p['profile-level-id'] || '42e01f').slice(0, 4).toLowerCase()}`;
  else if (name === 'vp9' || name === 'av1') extra = p['profile-id'] || p.profile || '0';
  return `${name}/${codec.clock}/${codec.channels || 1}|${extra}`;
}

/** The m-sections of `sdp` as arrays of lines (index 0: the session part). */
function sections(sdp) {
  const out = [[]];
  for (const line of sdp.split('\r\n')) {
    if (line.startsWith('m=')) out.push([]);
    out[out.length - 1].push(line);
  }
  return out;
}

function sectionCodecs(lines) {
  const codecs = new Map(); // pt → {name, clock, channels, fmtp}
  for (const line of lines) {
    const rtpmap = RTPMAP.exec(line);
    if (rtpmap) codecs.set(Number(rtpmap[1]), { name: rtpmap[2], clock: rtpmap[3], channels: rtpmap[4] });
  }
  for (const line of lines) {
    const fmtp = FMTP.exec(line);
    if (fmtp && codecs.has(Number(fmtp[1]))) codecs.get(Number(fmtp[1])).fmtp = fmtp[2];
  }
  return codecs;
}

/** The payload types and extension IDs one peer connection has bound so far. */
export class SdpBindings {
  constructor() {
    this.codecs = new Map(); // codec key → pt
    this.extensions = new Map(); // extension uri → id
  }

  /** Record the bindings of a description this connection applied (first binding wins). */
  learn(sdp) {
    for (const line of sdp.split(/\r?\n/)) {
      const match = EXTMAP.exec(line);
      if (match && !this.extensions.has(match[3])) this.extensions.set(match[3], Number(match[1]));
    }
    for (const lines of sections(sdp).slice(1)) {
      const codecs = sectionCodecs(lines);
      for (const [pt, codec] of codecs) {
        const apt = codec.name.toLowerCase() === 'rtx' ? fmtpParams(codec.fmtp).apt : null;
        const key = codecKey(codec, codec.fmtp, apt);
        if (!this.codecs.has(key)) this.codecs.set(key, pt);
      }
    }
  }

  /** `sdp` (a remote offer) renumbered onto this connection's bindings; learns the result. */
  align(sdp) {
    const aligned = sections(this.alignExtensions(sdp)).map((lines, i) => (i === 0 ? lines : this.alignSection(lines)));
    const out = aligned.flat().join('\r\n');
    this.learn(out);
    return out;
  }

  alignExtensions(sdp) {
    const used = new Set(this.extensions.values());
    const assigned = new Map();
    return sdp.split('\r\n').map((line) => {
      const match = EXTMAP.exec(line);
      if (!match) return line;
      const [, given, direction = '', uri, rest] = match;
      let id = orElse(this.extensions.get(uri), assigned.get(uri));
      if (id === undefined) {
        id = used.has(Number(given)) ? [...Array(MAX_ONE_BYTE_ID).keys()].map((k) => k + 1).find((k) => !used.has(k)) : Number(given);
        if (id === undefined) return line; // nothing free: let the browser decide
        assigned.set(uri, id);
        used.add(id);
      }
      return `a=extmap:${id}${direction} ${uri}${rest}`;
    }).join('\r\n');
  }

  /** One m-section with its dynamic payload types renumbered (static ones never move). */
  alignSection(lines) {
    const codecs = sectionCodecs(lines);
    const used = new Set(this.codecs.values());
    const map = new Map(); // pt in the offer → pt to use
    const target = (pt, key) => {
      let chosen = this.codecs.get(key);
      if (chosen === undefined || [...map.values()].includes(chosen)) {
        chosen = !used.has(pt) ? pt : DYNAMIC_PTS.find((p) => !used.has(p));
      }
      used.add(chosen);
      map.set(pt, chosen);
    };
    const dynamic = [...codecs.keys()].filter((pt) => pt >= 35);
    const isRtx = (pt) => codecs.get(pt).name.toLowerCase() === 'rtx';
    for (const pt of dynamic.filter((p) => !isRtx(p))) target(pt, codecKey(codecs.get(pt), codecs.get(pt).fmtp));
    for (const pt of dynamic.filter(isRtx)) {
      const apt = Number(fmtpParams(codecs.get(pt).fmtp).apt);
      target(pt, codecKey(codecs.get(pt), codecs.get(pt).fmtp, orElse(map.get(apt), apt)));
    }
    const renumber = (pt) => (map.has(Number(pt)) ? String(map.get(Number(pt))) : pt);
    return lines.map((line) => {
      if (line.startsWith('m=')) {
        const parts = line.split(' ');
        return parts.slice(0, 3).concat(parts.slice(3).map(renumber)).join(' ');
      }
      const match = PT_LINE.exec(line);
      if (!match) return line;
      let rest = match[3];
      if (match[1] === 'fmtp') rest = rest.replace(/apt=(\d+)/, (m, apt) => `apt=${renumber(apt)}`);
      return `a=${match[1]}:${renumber(match[2])}${rest}`;
    });
  }
}
