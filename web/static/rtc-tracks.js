// Which participant arrives on which of our receivers. The server's `tracks` message maps
// transceiver mids to participants and may move a mid to someone else later without
// renegotiating (the same receiver track then carries another person), so the streams
// handed to the page are rebuilt from (mid → track) and (mid → participant) on every change.

export class IncomingTracks {
  /** onChange(participantId, MediaStream|null) runs whenever someone's tracks change. */
  constructor(onChange) {
    this.onChange = onChange;
    this.trackMap = []; // the last `tracks` message: [{mid, participant, kind}]
    this.trackByMid = new Map(); // mid → the receiver's MediaStreamTrack
    this.media = new Map(); // participant id → {audio, video, stream}
    this.lossBase = new Map(); // mid → {lost, received} at the previous quality() call
  }

  /** A receiver's track arrived (ontrack) on transceiver `mid`. */
  add(mid, track) {
    this.trackByMid.set(mid, track);
    this.rebuild();
  }

  /** The server's `tracks` message: which participant arrives on which transceiver now. */
  setMap(tracks) {
    const list = Array.isArray(tracks) ? tracks : [];
    this.trackMap = list.filter((entry) => entry && entry.mid != null && entry.participant);
    this.rebuild();
  }

  /** The peer connection is gone, and every track with it. */
  clear() {
    this.trackMap = [];
    this.trackByMid.clear();
    this.lossBase.clear();
    this.rebuild();
  }

  /** Recompute each participant's received tracks and announce those that changed. */
  rebuild() {
    const wanted = new Map();
    for (const { mid, participant } of this.trackMap) {
      const track = this.trackByMid.get(mid);
      if (!track || track.readyState === 'ended') continue;
      const slot = wanted.get(participant) || {};
      slot[track.kind] = track;
      wanted.set(participant, slot);
    }
    for (const id of new Set([...this.media.keys(), ...wanted.keys()])) {
      const before = this.media.get(id);
      const now = wanted.get(id);
      if (before && now && before.audio === now.audio && before.video === now.video) continue;
      if (now) {
        // A fresh stream per change: a <video> notices a new srcObject reliably,
        // while tracks added to a stream it already plays are not always picked up.
        const stream = new MediaStream([now.video, now.audio].filter(Boolean));
        this.media.set(id, { ...now, stream });
        this.onChange(id, stream);
      } else {
        this.media.delete(id);
        this.onChange(id, null);
      }
    }
  }

  /**
   * Connection quality per participant, from the inbound video of their transceiver:
   * Map id → {rtt (seconds, or null), loss (0…1 since the previous call, or null)}.
   */
  async quality(pc) {
    const out = new Map();
    if (!pc) return out;
    const transceivers = pc.getTransceivers();
    for (const { mid, participant, kind } of this.trackMap) {
      if (kind !== 'video') continue;
      const transceiver = transceivers.find((tr) => tr.mid === mid);
      if (!transceiver) continue;
      out.set(participant, this.readQuality(mid, await transceiver.receiver.getStats()));
    }
    return out;
  }

  readQuality(mid, report) {
    let inbound = null;
    let rtt = null;
    report.forEach((stat) => {
      if (stat.type === 'inbound-rtp') inbound = stat;
      if (stat.type === 'remote-outbound-rtp' && stat.roundTripTime != null) rtt = stat.roundTripTime;
      if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded'
          && stat.currentRoundTripTime != null && rtt === null) rtt = stat.currentRoundTripTime;
    });
    if (!inbound) return { rtt, loss: null };
    const lost = Math.max(0, inbound.packetsLost || 0);
    const received = inbound.packetsReceived || 0;
    const base = this.lossBase.get(mid);
    this.lossBase.set(mid, { lost, received });
    if (!base || received < base.received) return { rtt, loss: null };
    const newLost = Math.max(0, lost - base.lost);
    const total = newLost + (received - base.received);
    return { rtt, loss: total > 0 ? newLost / total : 0 };
  }
}
