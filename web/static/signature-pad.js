// A signature drawn with a finger (or a mouse or pen) on a <canvas>: pointer events with
// capture, so a stroke that leaves the box still ends; strokes kept as points in CSS
// pixels, so a new size (the phone turned) redraws them instead of losing them.
// Exported as a PNG with a white background (a blank pad is all white: the server
// refuses it as empty).

const LINE_WIDTH = 3; // CSS pixels
const INK = '#111';

export class SignaturePad {
  /** onChange(hasInk) hears every stroke begun and every clear. */
  constructor(canvas, { onChange }) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.strokes = []; // [[{x, y}, …], …] in CSS pixels
    this.active = null; // the stroke under way: {id, points}
    canvas.addEventListener('pointerdown', (event) => this.down(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.up(event));
    canvas.addEventListener('pointercancel', (event) => this.up(event));
    if (window.ResizeObserver) new ResizeObserver(() => this.resize()).observe(canvas);
    else window.addEventListener('resize', () => this.resize());
    this.resize();
  }

  hasInk() {
    return this.strokes.length > 0;
  }

  clear() {
    this.strokes = [];
    this.active = null;
    this.redraw();
    this.onChange(false);
  }

  toDataURL() {
    return this.canvas.toDataURL('image/png');
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  down(event) {
    if (event.button !== undefined && event.button > 0) return; // a mouse's other buttons
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    const points = [this.point(event)];
    this.active = { id: event.pointerId, points };
    this.strokes.push(points);
    this.drawStroke(points);
    if (this.strokes.length === 1) this.onChange(true);
  }

  move(event) {
    if (!this.active || event.pointerId !== this.active.id) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const one of events.length ? events : [event]) this.active.points.push(this.point(one));
    this.drawStroke(this.active.points.slice(-events.length - 1));
  }

  up(event) {
    if (!this.active || event.pointerId !== this.active.id) return;
    this.active = null;
  }

  context() {
    const ctx = this.canvas.getContext('2d');
    const scale = this.canvas.width / Math.max(1, this.canvas.getBoundingClientRect().width);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    return ctx;
  }

  drawStroke(points) {
    const ctx = this.context();
    if (points.length === 1) { // a dot
      ctx.beginPath();
      ctx.arc(points[0].x, points[0].y, LINE_WIDTH / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0].x, points[0].y);
    for (const p of points.slice(1)) ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }

  redraw() {
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes.forEach((points) => this.drawStroke(points));
  }

  /** Match the drawing buffer to the box on screen (and the screen's pixel density). */
  resize() {
    const box = this.canvas.getBoundingClientRect();
    if (!box.width || !box.height) return; // hidden: drawn when shown
    const ratio = Math.min(window.devicePixelRatio || 1, 3);
    const width = Math.round(box.width * ratio);
    const height = Math.round(box.height * ratio);
    if (width === this.canvas.width && height === this.canvas.height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    this.redraw();
  }
}
